// The live view keeps itself current: it polls the feed every few seconds while the tab is
// visible and once a minute while hidden (backing off when the server cannot be reached),
// swaps in the sections when they changed (the feed answers 304 Not Modified otherwise),
// shows the calls in progress in the tab's title, and counts the seconds of live calls.
(function () {
  "use strict";

  var VISIBLE_MS = 3000;
  var HIDDEN_MS = 60000;
  var LONGEST_MS = 60000;

  var root = document.querySelector("[data-live]");
  if (!root || !window.fetch) {
    return;
  }
  var feed = root.getAttribute("data-live-feed");
  var etag = root.getAttribute("data-live-etag") || "";
  var sections = root.querySelector("[data-live-sections]");
  var status = root.querySelector("[data-live-status]");
  var baseTitle = document.title.replace(/^\(\d+\)\s+/, "");
  // The server's clock minus this browser's, so elapsed times agree with the server.
  var skew = 0;
  var failures = 0;
  var timer = null;
  var busy = false;
  var counts = null;

  function delay() {
    if (document.visibilityState === "hidden") {
      return HIDDEN_MS;
    }
    return Math.min(VISIBLE_MS * Math.pow(2, failures), LONGEST_MS);
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(poll, delay());
  }

  function setTitle(calls) {
    document.title = (calls > 0 ? "(" + calls + ") " : "") + baseTitle;
  }

  function plural(n, word) {
    return n + " " + word + (n === 1 ? "" : "s");
  }

  // Screen readers hear what changed in the counts, not the whole page again.
  function announce(data) {
    var now = { calls: data.calls, visitors: data.visitors };
    if (counts && (counts.calls !== now.calls || counts.visitors !== now.visitors) && status) {
      status.textContent = plural(now.calls, "call") + " now, " + plural(now.visitors, "visitor") + " on your sites.";
    }
    counts = now;
  }

  function clock(seconds) {
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    var mm = h ? (m < 10 ? "0" : "") + m : String(m);
    return (h ? h + ":" : "") + mm + ":" + (s < 10 ? "0" : "") + s;
  }

  function tick() {
    var now = Date.now() + skew;
    root.querySelectorAll("[data-since]").forEach(function (element) {
      var since = Date.parse(element.getAttribute("data-since"));
      if (!isNaN(since)) {
        element.textContent = clock(Math.max(0, Math.round((now - since) / 1000)));
      }
    });
  }

  // Replacing the sections must not lose the keyboard's place: focus goes back to the same link.
  function swap(html) {
    var focused = document.activeElement;
    var href = focused && sections.contains(focused) ? focused.getAttribute("href") : null;
    sections.innerHTML = html;
    if (href) {
      var again = sections.querySelector('a[href="' + href.replace(/"/g, '\\"') + '"]');
      if (again) {
        again.focus();
      }
    }
  }

  function poll() {
    if (busy) {
      return;
    }
    busy = true;
    fetch(feed, {
      headers: { "If-None-Match": etag, Accept: "application/json" },
      cache: "no-store",
      credentials: "same-origin",
    })
      .then(function (response) {
        if (response.status === 304) {
          return null;
        }
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/json") !== 0) {
          throw new Error("the live feed answered " + response.status);
        }
        etag = response.headers.get("ETag") || "";
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        if (data) {
          skew = Date.parse(data.at) - Date.now() || 0;
          swap(data.html);
          setTitle(data.calls);
          announce(data);
          tick();
        }
      })
      .catch(function () {
        failures += 1;
      })
      .then(function () {
        busy = false;
        schedule();
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      window.clearTimeout(timer);
      poll();
    } else {
      schedule();
    }
  });

  var serverNow = Date.parse(root.getAttribute("data-live-now"));
  if (!isNaN(serverNow)) {
    skew = serverNow - Date.now();
  }
  tick();
  window.setInterval(tick, 1000);
  schedule();
})();
