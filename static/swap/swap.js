// swap.js: dynamic number insertion for one company's website.
// Served by /companies/<id>/swap.js with the company's configuration in place of
// 'CALLTRK_CONFIG': c company id, e DNI endpoint URL, t swap targets (10 digits),
// k consent required, f form capture, cd visitor cookie days, ttl session seconds.
// No dependencies, one global (CallTrk). Every entry point is guarded: if anything
// fails (backend slow, down or blocked) the page keeps its own numbers.
(function (w, d, C) {
if (w.CallTrk && w.CallTrk.v) return;
var loc = w.location, ls, dom, sid, vid, ft, obs, last = 0, on = 0, done = 0;
var ok = !C.k, srv = {}, map = {}, want = {}, waiters = [];
var TTL = C.ttl * 1000, HB = Math.min(60000, TTL / 3);
var DBG = /[?&]calltrk_debug=1/.test(loc.search);
var FT = 'calltrk_ft', NUM = 'calltrk_n';
// (404) 555-1234, 404-555-1234, 404.555.1234, +1 404 555 1234, 1-404-555-1234, 4045551234...
var RE = /(^|\D)((?:\+?1[\s.\-]?)?\(?\d{3}\)?[\s.\-]?\d{3}[\s.\-]?\d{4})(?!\d)/g;
// Never swapped: noswap regions, code, form controls and editable text.
var NO = '[data-calltrk-noswap],script,style,noscript,textarea,input,select,template,[contenteditable]:not([contenteditable=false])';
try { ls = w.localStorage; ls.getItem(FT); } catch (e) { ls = null; }

function log() {
if (DBG) try { console.log.apply(console, ['[CallTrk]'].concat([].slice.call(arguments))); } catch (e) {}
}
function safe(f) {
return function () { try { return f.apply(this, arguments); } catch (e) { log('error', e); } };
}
function digits(s) { return String(s).replace(/\D/g, ''); }
function ten(s) { s = digits(s); return s.length == 11 && s[0] == '1' ? s.slice(1) : s; }
// The new number written the way the page wrote the old one.
function fmt(orig, n) {
var ds = digits(orig), i = 0;
n = ds.slice(0, ds.length - 10) + n;
return orig.replace(/\d/g, function () { return n[i++] || ''; });
}
function load(k) { try { return JSON.parse(ls.getItem(k)); } catch (e) { return null; } }
function save(k, v) { try { ls.setItem(k, JSON.stringify(v)); } catch (e) {} }
function id() {
var a = crypto.getRandomValues(new Uint8Array(16)), s = '', i;
for (i = 0; i < 16; i++) s += (a[i] + 256).toString(16).slice(1);
return s;
}

// First-party cookies on the site's registrable domain, so subdomains share them:
// try "example.com" before "www.example.com" (the browser refuses "com", "co.uk").
function cookie(n, v, secs) {
if (v == null) { var m = d.cookie.match('(?:^|; )' + n + '=([^;]*)'); return m ? decodeURIComponent(m[1]) : null; }
d.cookie = n + '=' + encodeURIComponent(v) + ';path=/;max-age=' + secs + ';samesite=lax' +
(dom ? ';domain=' + dom : '') + (loc.protocol == 'https:' ? ';secure' : '');
}
function domain() {
var p = loc.hostname.split('.'), i, c;
if (/^[\d.]+$|:/.test(loc.hostname)) return '';
for (i = p.length - 2; i >= 0; i--) {
c = p.slice(i).join('.');
d.cookie = 'calltrk_t=1;path=/;domain=' + c;
if (/calltrk_t=1/.test(d.cookie)) { d.cookie = 'calltrk_t=;path=/;max-age=0;domain=' + c; return c; }
}
return '';
}

// Whether the node may be swapped is asked only once it holds a target number: most
// text with digits holds none, and the ancestor check costs more than the match.
function swapText(node) {
var t = node.data, r;
r = t.replace(RE, function (all, pre, num) { var n = map[ten(num)]; return n ? pre + fmt(num, n) : all; });
if (r != t && allowed(node.parentNode)) { node.data = r; log('swapped', t.trim(), '->', r.trim()); }
}
function swapTel(a) {
var h = a.getAttribute('href') || '', n;
if (/^tel:/i.test(h) && (n = map[ten(h)])) { a.setAttribute('href', 'tel:' + fmt(h.slice(4), n)); log('swapped', h, '->', a.getAttribute('href')); }
}
// Text nodes are walked natively; only those with digits are looked at closer.
function walk(root) {
var t = root && root.nodeType, tw, n, a, i;
if (!t || !has()) return;
if (t == 3) { swapText(root); return; }
if (t != 1 && t != 9 && t != 11 || t == 1 && root.closest(NO)) return;
tw = d.createTreeWalker(root, 4);
while ((n = tw.nextNode())) if (/\d{4}/.test(n.data)) swapText(n);
if (root.tagName == 'A') swapTel(root);
a = root.querySelectorAll('a[href^="tel:" i]');
for (i = 0; i < a.length; i++) if (allowed(a[i])) swapTel(a[i]);
}
function allowed(e) { return !e || !e.closest || !e.closest(NO); }
function has() { for (var k in map) return 1; return 0; }
function observe() {
if (obs || !w.MutationObserver) return;
obs = new MutationObserver(safe(function (ms) {
for (var i = 0, m, j; i < ms.length; i++) {
m = ms[i];
if (m.type == 'characterData') walk(m.target);
else if (m.type == 'attributes') swapTel(m.target);
else for (j = 0; j < m.addedNodes.length; j++) walk(m.addedNodes[j]);
}
}));
obs.observe(d.documentElement, { childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ['href'] });
}
// nums: {target: number}. A number already swapped in goes on to the new one too.
function apply(nums) {
for (var k in nums) {
var n = ten(nums[k]);
if (map[k] && map[k] != n) map[map[k]] = n;
map[k] = srv[k] = n;
}
walk(d.documentElement);
observe();
}
function result() {
var o = {};
for (var k in srv) if (C.t.indexOf(k) >= 0 || want[k]) o[k] = srv[k];
return o;
}
function answer() {
var q = waiters, r = result();
waiters = [];
for (var i = 0; i < q.length; i++) safe(q[i])(r);
}

function post(path, body, cb) {
var x = new XMLHttpRequest();
x.open('POST', C.e + path);
x.timeout = 8000;
// text/plain keeps it a simple request (no CORS preflight); without a charset the
// server skips parsing one.
x.setRequestHeader('Content-Type', 'text/plain');
x.onload = safe(function () { cb && cb(x.status < 300 ? JSON.parse(x.responseText) : null); });
x.onerror = x.ontimeout = safe(function () { log('no answer', path); cb && cb(null); });
x.send(JSON.stringify(body));
}
function keep() {
cookie('calltrk_uuid', vid, C.cd * 86400);
cookie('calltrk_session', sid, C.ttl);
}
function report(pv) {
if (!on) return;
var b = { v: vid, s: sid, u: loc.href, r: d.referrer, l: ft.l, lr: ft.r };
if (ft.n) { b.n = 1; b.rv = ft.rv; b.ck = ga(); }
if (DBG) b.d = 1;
last = Date.now();
keep();
post(pv ? 'session' : 'heartbeat', b, function (r) {
if (!r) { done = 1; return answer(); }
ft.n = 0;
if (r.ft) { ft.l = r.ft.l; ft.r = r.ft.r; }
save(FT, ft);
save(NUM, { s: sid, n: r.numbers, x: Date.now() + TTL });
if (r.debug) for (var i = 0; i < r.debug.length; i++) log(r.debug[i]);
done = 1;
apply(r.numbers);
answer();
});
}
// Google Analytics cookies, when the site has them (_ga_<id>: GA4's session).
function ga() {
var o = {};
d.cookie.replace(/(?:^|; )(_ga\w*|__utm[abcvz])=([^;]*)/g, function (a, n, v) { o[n] = decodeURIComponent(v); });
return o;
}
function beat() {
if (on && d.visibilityState != 'hidden' && Date.now() - last > HB) report(0);
}

// Form capture: never passwords, card numbers or data-cr-no-capture fields.
function fields(f) {
var o = {}, e = f.elements, i, x, n, t, v;
for (i = 0; i < e.length; i++) {
x = e[i]; n = x.name || x.id; t = (x.type || '').toLowerCase();
if (!n || x.disabled || x.hasAttribute('data-cr-no-capture') || /password|submit|button|reset|file|image/.test(t) ||
/card|cc-|cvc|cvv|passw/i.test(n + ' ' + (x.autocomplete || ''))) continue;
if (/checkbox|radio/.test(t) && !x.checked) continue;
v = x.value;
o[n] = n in o ? [].concat(o[n], v) : v;
}
return o;
}
function capture(f, cb, beacon) {
if (!on || !f || !f.elements || f.hasAttribute('data-cr-no-capture')) { if (cb) safe(cb)(); return; }
var b = { v: vid, s: sid, u: loc.href, l: ft.l, lr: ft.r, n: f.getAttribute('name') || f.id || '', f: fields(f) };
log('form', b);
if (beacon && navigator.sendBeacon && navigator.sendBeacon(C.e + 'form', JSON.stringify(b))) return;
post('form', b, function () { if (cb) safe(cb)(); });
}

// A click on a tel: link or a call button (data-calltrk-cta, its value or href the number):
// sent as a beacon so it survives the dialler taking over the page.
function tap(e) {
var a = on && e.target.closest && e.target.closest('a[href^="tel:" i],[data-calltrk-cta]'), b;
if (!a) return;
b = { v: vid, s: sid, u: loc.href, p: digits(a.getAttribute('data-calltrk-cta') || a.getAttribute('href') || '') };
if (!(navigator.sendBeacon && navigator.sendBeacon(C.e + 'click', JSON.stringify(b)))) post('click', b);
}

function start() {
if (on || !ok) return;
on = 1;
dom = domain();
vid = cookie('calltrk_uuid');
var rv = vid ? 1 : 0, c, ps = history.pushState;
vid = vid || id();
sid = cookie('calltrk_session');
ft = load(FT);
if (!sid || !ft || ft.s != sid) { sid = sid || id(); ft = { s: sid, l: loc.href, r: d.referrer, n: 1, rv: rv }; save(FT, ft); }
log('session', sid, ft);
c = load(NUM);
// A repeat page view shows the session's numbers at once, before the network answers.
if (c && c.s == sid && c.x > Date.now()) { log('cached', c.n); apply(c.n); }
report(1);
setInterval(safe(beat), 5000);
d.addEventListener('visibilitychange', safe(beat));
// Single-page apps: a route change is a page view.
history.pushState = function () {
var r = ps.apply(this, arguments);
setTimeout(safe(function () { report(1); }), 0);
return r;
};
w.addEventListener('popstate', safe(function () { report(1); }));
d.addEventListener('click', safe(tap), true);
if (C.f) d.addEventListener('submit', safe(function (e) { capture(e.target, null, 1); }), true);
}

w.CallTrk = {
v: 1,
swap: safe(function (x) {
if (!x) walk(d.body);
else if (typeof x == 'string') [].forEach.call(d.querySelectorAll(x), walk);
else walk(x);
}),
getSwapNumbers: safe(function (nums, cb) {
for (var i = 0; nums && i < nums.length; i++) want[ten(nums[i])] = 1;
if (cb) { if (done) setTimeout(function () { safe(cb)(result()); }, 0); else waiters.push(cb); }
return result();
}),
captureForm: safe(function (f, cb) {
capture(typeof f == 'string' ? d.querySelector(f) : f, cb);
}),
consent: safe(function (yes) {
ok = !!yes;
if (ok) return start();
on = 0;
cookie('calltrk_uuid', '', 0);
cookie('calltrk_session', '', 0);
try { ls.removeItem(FT); ls.removeItem(NUM); } catch (e) {}
})
};
if (d.documentElement.getAttribute('data-calltrk-consent') == 'granted' ||
(d.currentScript && d.currentScript.getAttribute('data-calltrk-consent') == 'granted')) ok = true;
if (C.c) safe(start)();
})(window, document, 'CALLTRK_CONFIG');
