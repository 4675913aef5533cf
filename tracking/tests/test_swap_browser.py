"""swap.js in headless Chromium, on a customer page served from another origin than the backend."""

import socket
import time
from typing import Any

import pytest
import requests

from tracking.models import FormSubmission, NumberAssignment, PageView, VisitorSession
from tracking.page_views import page_views_flush
from tracking.tests.factories import TrackerFactory, TrackingNumberFactory, session_tracker

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ORIGINAL = "(404) 555-1234"

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Alice Plumbing</title>
<script async src="{script}"></script></head>
<body>
<p id="paren">(404) 555-1234</p>
<p id="dash">404-555-1234</p>
<p id="dot">404.555.1234</p>
<p id="intl">+1 404 555 1234</p>
<p id="one">1-404-555-1234</p>
<p id="plain">4045551234</p>
<p id="mixed">Call <b id="bold">(404) 555-1234</b> today, or 404.555.1234 after 6pm. Fax: (404) 555-9999.</p>
<a id="tel" href="tel:+14045551234">Call us</a>
<a id="tel-dash" href="tel:404-555-1234">404-555-1234</a>
<div data-calltrk-noswap><p id="noswap">(404) 555-1234</p><a id="noswap-tel" href="tel:4045551234">x</a></div>
<input id="input" value="(404) 555-1234">
<textarea id="textarea">(404) 555-1234</textarea>
<div id="editable" contenteditable="true">(404) 555-1234</div>
<script id="inline">window.shownNumber = "(404) 555-1234";</script>
<p id="other">(770) 555-0000</p>
{extra}
</body></html>
"""


def text(page, selector):
    return page.locator(selector).first.text_content()


def formats(number):
    """The ways PAGE writes a number, for an E.164 NANP number."""
    a, b, c = number[2:5], number[5:8], number[8:]
    return {
        "#paren": f"({a}) {b}-{c}",
        "#dash": f"{a}-{b}-{c}",
        "#dot": f"{a}.{b}.{c}",
        "#intl": f"+1 {a} {b} {c}",
        "#one": f"1-{a}-{b}-{c}",
        "#plain": f"{a}{b}{c}",
    }


@pytest.fixture
def backend(live_server, transactional_db):
    return live_server.url


@pytest.fixture
def pool(backend, company):
    tracker = session_tracker(company=company, size=4)
    tracker.fallback_number = "+14045550999"
    tracker.save()
    return tracker


@pytest.fixture
def context(browser):
    ctx = browser.new_context()
    yield ctx
    ctx.close()


@pytest.fixture
def open_page(context, site, backend, company):
    """Open the customer page in a new tab, recording console output, errors and DNI requests."""
    pages = []

    def make(extra="", name=None, script=None, ctx=None, query="", before=None):
        url = site.page(
            name or f"p{time.monotonic_ns()}.html",
            PAGE.format(script=script or f"{backend}/companies/{company.public_id}/swap.js", extra=extra),
        )
        page = (ctx or context).new_page()
        page.console_lines = []
        page.errors = []
        page.dni = []
        page.on("console", lambda m: page.console_lines.append((m.type, m.text)))
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.on("request", lambda r: "/dni/" in r.url and page.dni.append(r))
        if before:
            before(page)
        page.goto(url + query)
        pages.append(page)
        return page

    return make


def wait_swapped(page, selector="#paren"):
    page.wait_for_function(
        f"document.querySelector('{selector}').textContent != '{ORIGINAL}'", timeout=10_000, polling=50
    )


def session_number(page):
    """The number the backend logged for this browser's session."""
    session_key = next(c["value"] for c in page.context.cookies() if c["name"] == "calltrk_session")
    row = NumberAssignment.objects.select_related("tracking_number").get(
        session__session_key=session_key, ended_at__isnull=True
    )
    return row.tracking_number.number


def test_every_format_is_swapped_in_its_own_format(open_page, pool):
    page = open_page()
    wait_swapped(page)
    number = session_number(page)
    for selector, expected in formats(number).items():
        assert text(page, selector) == expected, selector
    a, b, c = number[2:5], number[5:8], number[8:]
    assert text(page, "#bold") == f"({a}) {b}-{c}"
    assert text(page, "#mixed").endswith(f"or {a}.{b}.{c} after 6pm. Fax: (404) 555-9999.")
    assert page.get_attribute("#tel", "href") == f"tel:+1{a}{b}{c}"
    assert page.get_attribute("#tel-dash", "href") == f"tel:{a}-{b}-{c}"
    assert text(page, "#tel-dash") == f"{a}-{b}-{c}"
    # Never inside noswap regions, form controls, editable text or scripts; other numbers stay.
    assert text(page, "#noswap") == ORIGINAL
    assert page.get_attribute("#noswap-tel", "href") == "tel:4045551234"
    assert page.input_value("#input") == ORIGINAL
    assert page.input_value("#textarea") == ORIGINAL
    assert text(page, "#editable") == ORIGINAL
    assert page.evaluate("window.shownNumber") == ORIGINAL
    assert text(page, "#other") == "(770) 555-0000"
    assert page.errors == []


def test_first_party_cookies_and_first_touch(open_page, pool, company):
    company.swap_cookie_duration, company.swap_cookie_duration_unit = 30, "days"
    company.save()
    page = open_page(query="?utm_source=google&utm_medium=cpc&utm_campaign=spring&gclid=abc")
    wait_swapped(page)
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert set(cookies) >= {"calltrk_uuid", "calltrk_session"}
    assert cookies["calltrk_uuid"]["domain"] == "127.0.0.1"  # the customer's site, not the backend's
    assert 29 * 86400 < cookies["calltrk_uuid"]["expires"] - time.time() <= 30 * 86400
    assert 1700 < cookies["calltrk_session"]["expires"] - time.time() <= 1800
    session = VisitorSession.objects.get(session_key=cookies["calltrk_session"]["value"])
    assert session.visitor_id == cookies["calltrk_uuid"]["value"]
    assert (session.source, session.utm_campaign, session.gclid) == ("google_paid", "spring", "abc")
    assert session.landing_url.endswith("?utm_source=google&utm_medium=cpc&utm_campaign=spring&gclid=abc")
    # The first touch survives navigation to a page without the parameters.
    second = open_page()
    wait_swapped(second)
    assert second.dni[-1].post_data_json["l"] == session.landing_url
    assert (second.dni[-1].method, second.dni[-1].headers["content-type"]) == ("POST", "text/plain")
    assert VisitorSession.objects.filter(visitor_id=session.visitor_id).count() == 1


def test_a_reload_keeps_the_number_and_shows_it_before_the_network_answers(open_page, pool, backend):
    page = open_page()
    wait_swapped(page)
    first = text(page, "#paren")

    # The backend is now slow (its answers are held back): the session's cached numbers show at once anyway.
    held = []
    page.route("**/dni/**", lambda route: held.append(route))
    page.reload(wait_until="domcontentloaded")
    page.wait_for_function(f"document.querySelector('#paren').textContent == '{first}'", timeout=2000, polling=20)
    assert len(held) == 1  # the request is still unanswered
    for route in held:
        route.continue_()
    page.wait_for_timeout(500)
    assert text(page, "#paren") == first
    assert page.errors == []


def test_two_visitors_get_different_numbers_and_a_fifth_the_fallback(browser, open_page, pool):
    contexts = [browser.new_context() for _ in range(5)]
    try:
        shown = []
        for ctx in contexts:
            page = open_page(ctx=ctx)
            wait_swapped(page)
            shown.append(text(page, "#paren"))
        assert len(set(shown[:4])) == 4
        assert set(shown[:4]) <= {formats(n)["#paren"] for n in pool.numbers.values_list("number", flat=True)}
        assert shown[4] == "(404) 555-0999"
    finally:
        for ctx in contexts:
            ctx.close()
    pool.refresh_from_db()
    assert pool.exhaustion_count == 1


def test_without_a_fallback_an_exhausted_pool_keeps_the_page_number(browser, open_page, pool):
    pool.fallback_number = ""
    pool.save()
    contexts = [browser.new_context() for _ in range(5)]
    try:
        pages = [open_page(ctx=ctx) for ctx in contexts]
        for page in pages[:4]:
            wait_swapped(page)
        pages[4].wait_for_function("window.CallTrk && document.readyState == 'complete'")
        pages[4].wait_for_timeout(800)
        assert text(pages[4], "#paren") == ORIGINAL
    finally:
        for ctx in contexts:
            ctx.close()


def test_content_added_later_is_swapped(open_page, pool):
    page = open_page()
    wait_swapped(page)
    shown = text(page, "#paren")
    page.evaluate("""() => {
        const p = document.createElement('p'); p.id = 'popup'; p.textContent = 'Call (404) 555-1234 now';
        document.body.appendChild(p);
        document.querySelector('#other').textContent = 'or 404-555-1234';
    }""")
    page.wait_for_function("document.querySelector('#popup').textContent != 'Call (404) 555-1234 now'")
    assert text(page, "#popup") == f"Call {shown} now"
    page.wait_for_function("document.querySelector('#other').textContent != 'or 404-555-1234'")
    # CallTrk.swap for content the observer cannot see (a shadow root).
    swapped = page.evaluate("""() => {
        const host = document.createElement('div'); document.body.appendChild(host);
        const root = host.attachShadow({mode: 'open'}); root.innerHTML = '<span>(404) 555-1234</span>';
        CallTrk.swap(root);
        return root.querySelector('span').textContent;
    }""")
    assert swapped == shown
    by_selector = page.evaluate("""() => {
        const host = document.createElement('section'); host.className = 'late'; document.body.appendChild(host);
        const root = host.attachShadow({mode: 'open'}); root.innerHTML = '<i>404.555.1234</i>';
        CallTrk.swap(root);
        return root.querySelector('i').textContent;
    }""")
    assert by_selector.replace(".", "") == shown.replace("(", "").replace(")", "").replace(" ", "").replace("-", "")


def test_get_swap_numbers(open_page, pool):
    page = open_page()
    result = page.evaluate("new Promise(resolve => CallTrk.getSwapNumbers(['4045551234', '7705550000'], resolve))")
    number = session_number(page)
    assert result == {"4045551234": number[2:]}
    again = page.evaluate("CallTrk.getSwapNumbers(['4045551234'])")
    assert again == {"4045551234": number[2:]}


def test_forms_are_captured_with_their_attribution(open_page, pool, company):
    company.form_capture = True
    company.save()
    form = """<form id="quote" name="quote" action="thanks.html" method="get">
      <input name="name" value="Ann Smith"><input name="phone" value="(404) 555-0188">
      <input type="password" name="secret" value="hunter2"><input name="cc-number" value="4111111111111111">
      <input name="internal" data-cr-no-capture value="nope"><button id="send">Send</button></form>
      <form id="skip" data-cr-no-capture action="thanks.html"><input name="x" value="y"><button id="send2">Go</button></form>"""
    page = open_page(extra=form, query="?utm_source=newsletter&utm_medium=email")
    wait_swapped(page)
    page.click("#send")
    page.wait_for_url("**/thanks.html**")
    deadline = time.monotonic() + 10
    while not FormSubmission.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    submission = FormSubmission.objects.get()
    assert submission.form_data == {"name": "Ann Smith", "phone": "(404) 555-0188"}
    assert (submission.source, submission.medium, submission.utm_source) == ("newsletter", "email", "newsletter")
    assert submission.form_name == "quote"
    assert submission.customer_phone_number == "+14045550188"
    assert submission.session.session_key == next(
        c["value"] for c in page.context.cookies() if c["name"] == "calltrk_session"
    )
    # data-cr-no-capture forms are not sent; captureForm reports a form by hand.
    second = open_page(extra=form)
    wait_swapped(second)
    second.click("#send2")
    second.wait_for_url("**/thanks.html**")
    third = open_page(extra='<form id="manual"><input name="zip" value="30301"></form>')
    wait_swapped(third)
    third.evaluate("new Promise(resolve => CallTrk.captureForm('#manual', resolve))")
    assert sorted(FormSubmission.objects.values_list("form_data", flat=True), key=len) == [
        {"zip": "30301"},
        {"name": "Ann Smith", "phone": "(404) 555-0188"},
    ]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def script_errors(page: Any) -> list[str]:
    """Console errors other than the browser's own report of the unreachable server
    ("Failed to load resource: net::ERR_CONNECTION_REFUSED"), which no page script can silence."""
    return [
        line
        for kind, line in page.console_lines
        if kind == "error" and not line.startswith("Failed to load resource: net::")
    ]


def test_with_the_backend_down_the_page_stays_as_it_was(open_page, site, backend, company, pool):
    dead = f"http://127.0.0.1:{closed_port()}"
    # The whole backend is down: the snippet itself does not load.
    page = open_page(script=f"{dead}/companies/{company.public_id}/swap.js")
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    assert text(page, "#paren") == ORIGINAL
    assert (page.errors, script_errors(page)) == ([], [])
    # The snippet loads (say, from a cache) but the DNI endpoint does not answer.
    script = requests.get(f"{backend}/companies/{company.public_id}/swap.js", timeout=10).text
    cached = script.replace(f"{backend}/dni/", f"{dead}/dni/")
    assert cached != script
    site.page("cached-swap.js", cached)
    page = open_page(script=f"{site.url}/cached-swap.js", query="?calltrk_debug=1")
    page.wait_for_function("window.CallTrk !== undefined")
    page.wait_for_timeout(1500)
    assert text(page, "#paren") == ORIGINAL
    assert page.get_attribute("#tel", "href") == "tel:+14045551234"
    assert (page.errors, script_errors(page)) == ([], [])
    assert page.evaluate("new Promise(r => CallTrk.getSwapNumbers(['4045551234'], r))") == {}


def test_with_the_endpoint_blocked_the_page_stays_as_it_was(open_page, pool):
    # An ad blocker refuses the DNI endpoint (the snippet itself loads).
    page = open_page(before=lambda p: p.route("**/dni/**", lambda route: route.abort("blockedbyclient")))
    page.wait_for_function("window.CallTrk !== undefined")
    page.wait_for_timeout(1000)
    assert text(page, "#paren") == ORIGINAL
    assert (page.errors, script_errors(page)) == ([], [])


def test_with_consent_required_nothing_happens_until_consent(open_page, pool, company):
    company.consent_required = True
    company.save()
    page = open_page()
    page.wait_for_function("window.CallTrk !== undefined")
    page.wait_for_timeout(800)
    assert page.context.cookies() == []
    assert page.dni == []
    assert page.evaluate("Object.keys(localStorage)") == []
    assert text(page, "#paren") == ORIGINAL
    page.evaluate("CallTrk.consent(true)")
    wait_swapped(page)
    assert {c["name"] for c in page.context.cookies()} >= {"calltrk_uuid", "calltrk_session"}
    # Consent given through the documented attribute on <html>.
    granted = open_page(extra="<script>document.documentElement.dataset.calltrkConsent = 'granted'</script>")
    wait_swapped(granted)
    # Consent withdrawn: the visitor's cookies are removed.
    page.evaluate("CallTrk.consent(false)")
    assert [c for c in page.context.cookies() if c["name"].startswith("calltrk")] == []


def test_debug_mode_explains_itself_in_the_console(open_page, pool):
    page = open_page(query="?calltrk_debug=1")
    wait_swapped(page)
    page.wait_for_timeout(200)
    lines = [line for kind, line in page.console_lines if line.startswith("[CallTrk]")]
    joined = "\n".join(lines)
    assert "source direct / direct" in joined
    assert f'session tracker "{pool.name}" ({pool.public_id}) matched as a pool for all other visitors' in joined
    assert "a new number from the pool: +1" in joined
    assert "swapped (404) 555-1234 ->" in joined
    quiet = open_page()
    wait_swapped(quiet)
    assert [line for _, line in quiet.console_lines if "[CallTrk]" in line] == []


def test_page_views_heartbeats_and_single_page_navigation(open_page, pool, context):
    context.clock.install()
    page = open_page()
    wait_swapped(page)
    assert [r.url.rsplit("/", 1)[1] for r in page.dni] == ["session"]
    page.clock.fast_forward("01:05")
    page.wait_for_function("true")
    deadline = time.monotonic() + 5
    while len(page.dni) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert page.dni[1].url.endswith("/heartbeat")
    # A hidden tab sends no heartbeat.
    page.evaluate("""() => {
        Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    page.clock.fast_forward("05:00")
    page.wait_for_timeout(300)
    assert len(page.dni) == 2
    page.evaluate("""() => {
        Object.defineProperty(document, 'visibilityState', {value: 'visible', configurable: true});
    }""")
    # A single-page app's route change is a page view.
    page.evaluate("history.pushState({}, '', 'services.html')")
    deadline = time.monotonic() + 5
    while not any(r.post_data_json["u"].endswith("/services.html") for r in page.dni) and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    session_key = next(c["value"] for c in page.context.cookies() if c["name"] == "calltrk_session")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        page_views_flush(scope=pool.public_id)  # what the worker does
        urls = list(PageView.objects.filter(session__session_key=session_key).values_list("page_url", flat=True))
        if any(u.endswith("/services.html") for u in urls):
            break
        time.sleep(0.1)
    assert len(urls) == 2


def test_a_source_tracker_number_is_swapped_for_its_visitors(open_page, backend, company):
    tracker = TrackerFactory(company=company, type="source", source={"type": "landing_params", "landing": "promo=tv"})
    TrackingNumberFactory(tracker=tracker, number="+17705550123")
    page = open_page(query="?promo=tv")
    wait_swapped(page)
    assert text(page, "#paren") == "(770) 555-0123"
    assert text(page, "#intl") == "+1 770 555 0123"
