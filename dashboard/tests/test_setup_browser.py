"""Setting up tracking in a real browser: a source tracker from the wizard that rings
through, a pool watched while visitors arrive on the demo site (one number in use, then
five visitors and one who found the pool full), a new fallback number reaching the next
visitor at once, a menu flow built step by step and test-called, and the install page
seeing the demo site."""

import json
import re

import pytest
from playwright.sync_api import expect

from telephony.call_simulator import CallSimulator
from telephony.models import Call, SimulatedCarrierRequest
from tracking.models import Tracker
from tracking.tests.factories import session_tracker

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DESTINATION = "+14045550142"
SITE_NUMBER = "(404) 555-0100"


@pytest.fixture
def server(live_server, settings):
    # The simulated carrier posts to the webhooks at the public address, signed for it.
    settings.PUBLIC_BASE_URL = live_server.url
    return live_server


@pytest.fixture
def demo_site(settings, tmp_path, company):
    """The demo business page (``/demo/``) with ``company``'s snippet."""
    settings.VAR_DIR = tmp_path
    (tmp_path / "demo.json").write_text(json.dumps({"company_id": company.public_id}))
    return "/demo/"


# The outermost elements that stick out past the screen's right edge (to name the culprit).
WIDER_THAN_THE_SCREEN = """(width) => {
    const clipped = (e) => { for (let p = e.parentElement; p; p = p.parentElement) {
        if (['auto', 'hidden', 'scroll'].includes(getComputedStyle(p).overflowX)) return true; } return false; };
    return [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > width + 1 && !clipped(e))
        .map(e => e.tagName + '.' + e.className).slice(0, 8); }"""


def q(company):
    return f"?company={company.public_id}"


def visit(browser, live_url, path):
    """A new visitor (their own cookies) opening ``path``; returns the number they are shown."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(live_url(path))
        phone = page.locator("#header-phone")
        page.wait_for_function(
            "() => window.CallTrk && document.cookie.includes('calltrk_session')", timeout=10_000, polling=50
        )
        # The DNI answer has arrived once the swap ran (or, with nothing to swap, once swap.js settled).
        page.wait_for_function(
            "() => new Promise(r => CallTrk.getSwapNumbers([], () => r(true)))", timeout=10_000, polling=100
        )
        return phone.text_content()
    finally:
        context.close()


def test_a_source_tracker_made_in_the_wizard_rings_its_destination(
    page, server, live_url, sign_in, check_page, manager_user, company
):
    sign_in(manager_user)
    page.goto(live_url("dashboard:numbers", q(company)))
    expect(page.get_by_role("heading", name="No tracking numbers yet")).to_be_visible()
    check_page("numbers-empty")

    page.get_by_role("link", name="New tracker").click()
    expect(page.get_by_role("group", name="What should the new tracker do?")).to_be_visible()
    check_page("wizard-kind")
    page.get_by_label("Source tracking").check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("group", name="Where will people find this number?")).to_be_visible()
    page.get_by_label("Google Ads").check()
    check_page("wizard-source")
    page.get_by_role("button", name="Continue").click()

    page.get_by_label("Local, in an area code").check()
    page.get_by_label("Area code", exact=True).fill("470")
    page.get_by_role("button", name="Search").click()
    offered = page.get_by_role("radio", name=re.compile(r"^\(470\) 555-01\d\d"))
    expect(offered.first).to_be_visible()
    assert offered.count() >= 4
    chosen = offered.nth(2)
    picked = chosen.get_attribute("value")
    chosen.check()
    check_page("wizard-numbers")
    page.get_by_role("button", name="Continue").click()

    page.get_by_label("Phone numbers on your website").fill(SITE_NUMBER)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Ring this phone").fill("(404) 555-0142")
    check_page("wizard-flow")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Check, then create")).to_be_visible()
    expect(page.locator(".summary-list")).to_contain_text("Google Ads")
    expect(page.locator(".summary-list")).to_contain_text("area code 470")
    check_page("wizard-summary")
    page.get_by_role("button", name="Buy the number and create the tracker").click()

    expect(page.get_by_role("status")).to_contain_text("is ready: calls to its number ring through now")
    tracker = Tracker.objects.get(company=company)
    number = tracker.numbers.get().number
    assert (tracker.type, number) == ("source", picked)
    assert number.startswith("+1470")
    assert tracker.source == {"type": "search", "search_engine": "google", "search_type": "paid"}
    assert tracker.swap_targets == ["+14045550100"]

    # The number was bought pointing at this server's webhooks.
    bought = SimulatedCarrierRequest.objects.get(action=SimulatedCarrierRequest.Action.BUY_NUMBER, number=number)
    assert bought.payload["VoiceUrl"] == f"{server.url}/telephony/twilio/voice"
    assert bought.payload["SmsUrl"] == f"{server.url}/telephony/twilio/sms"

    # A caller dials the new number: the simulated carrier rings the destination, which answers.
    simulated = CallSimulator(base_url=server.url, to=number, from_="+13035550123").run()
    call = Call.objects.get(call_sid=simulated.call_sid)
    assert (call.tracker, call.answered, call.business_phone_number) == (tracker, True, DESTINATION)
    assert simulated.answered

    page.goto(live_url("dashboard:numbers", q(company)))
    row = page.get_by_role("row", name=re.compile("Google Ads"))
    expect(row).to_contain_text("(470) 555-01")
    expect(row.get_by_role("cell").nth(4)).to_have_text("1")
    check_page("numbers")


def test_a_pool_fills_up_with_visitors_and_a_new_fallback_reaches_the_next_one(
    page, browser, server, live_url, sign_in, check_page, manager_user, company, demo_site
):
    sign_in(manager_user)
    page.goto(live_url("dashboard:tracker-new", q(company)))
    page.get_by_label("Website pool").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("All visitors")).to_be_checked()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Area code", exact=True).fill("404")
    page.get_by_label("Numbers in the pool").fill("4")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("checkbox", checked=True)).to_have_count(4)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Phone numbers on your website").fill(SITE_NUMBER)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Ring this phone").fill("(404) 555-0142")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Buy 4 numbers and create the tracker").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Website visitors")
    use = page.get_by_test_id("pool-use")
    expect(use).to_have_text("0 of 4 numbers in use")
    pool = Tracker.objects.get(company=company)
    numbers = set(pool.numbers.values_list("number", flat=True))

    # A visitor on the demo site, in another browser: the page (polling) counts them in.
    first = visit(browser, live_url, demo_site)
    assert "+1" + re.sub(r"\D", "", first) in numbers
    expect(use).to_have_text("1 of 4 numbers in use", timeout=15_000)
    expect(page.get_by_role("table").last).to_contain_text(first)
    check_page("pool-one-visitor")

    shown = [visit(browser, live_url, demo_site) for _ in range(4)]
    assert len({first, *shown[:3]}) == 4  # four visitors, four numbers
    assert shown[3] == SITE_NUMBER  # the fifth found the pool full; no fallback yet
    page.reload()
    expect(use).to_have_text("4 of 4 numbers in use")
    expect(page.locator("#kpi-exhausted + .kpi-value")).to_have_text("1")
    expect(page.get_by_text("exhaustion count: 1 in all")).to_be_visible()
    expect(page.locator(".advice-message")).to_contain_text("Add 3 numbers: 20 % of visitors today saw")
    check_page("pool-full")

    # A fallback number, set in the settings: the next visitor who finds the pool full sees it.
    page.get_by_role("link", name="Timeout and fallback").click()
    form = page.locator(f"#tracker-{pool.public_id}")
    form.get_by_label("Fallback number").fill("(404) 555-0199")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("is saved")
    assert visit(browser, live_url, demo_site) == "(404) 555-0199"
    pool.refresh_from_db()
    assert (pool.fallback_number, pool.exhaustion_count) == ("+14045550199", 2)


def test_a_menu_flow_built_step_by_step_takes_the_right_path_for_each_key(
    page, server, live_url, sign_in, check_page, manager_user, company
):
    sign_in(manager_user)
    page.goto(live_url("dashboard:call-flows", q(company)))
    check_page("call-flows-empty")
    page.get_by_role("link", name="New call flow").click()
    page.get_by_label("Name").fill("Main line")
    page.get_by_label("Just ring your phone").check()
    page.get_by_label("Phone to ring", exact=True).fill("(404) 555-0101")
    check_page("call-flow-new")
    page.get_by_role("button", name="Create and edit").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Main line")

    # A menu and a voicemail, added to the one ringing step.
    page.get_by_label("Add a step").select_option(label="Menu")
    page.get_by_role("button", name="Add step").click()
    page.get_by_label("Add a step").select_option(label="Voicemail")
    page.get_by_role("button", name="Add step").click()
    menu = page.get_by_role("group", name=re.compile("^Menu 2 Menu"))
    menu.get_by_label("Step name").fill("Main menu")
    menu.get_by_label("The caller hears").fill("Press 1 for sales, 2 to leave a message.")
    menu.get_by_label("Key, option 1").fill("1")
    menu.get_by_label("Step for option 1").select_option(label="Ring the office")
    menu.get_by_label("Key, option 2").fill("2")
    menu.get_by_label("Step for option 2").select_option(label="Voicemail 3")
    page.get_by_label("A call starts with").select_option(label="Menu 2")
    page.get_by_role("button", name="Save").first.click()

    expect(page.get_by_role("status")).to_contain_text("is saved")
    preview = page.get_by_role("complementary").locator(".preview-list")
    expect(preview.locator(".preview-title")).to_have_text(["Main menu", "Ring the office", "Voicemail 3"])
    expect(preview).to_contain_text("1 goes to “Ring the office”; 2 goes to “Voicemail 3”")
    check_page("call-flow-builder")

    test = page.locator("#test-call")
    test.get_by_label("Keys pressed").fill("1")
    test.get_by_role("button", name="Place test call").click()
    trace = page.locator(".trace li")
    expect(trace).to_have_text(
        [
            re.compile(r"^\s*Main menu"),
            "The caller presses 1",
            re.compile(r"^\s*Ring the office"),
            "Rings (404) 555-0101: answered",
            "Connected: answered by (404) 555-0101",
        ]
    )
    check_page("call-flow-test-1")

    test.get_by_label("Keys pressed").fill("2")
    test.get_by_label("When a phone rings").select_option(label="Nobody answers; the caller leaves a message")
    test.get_by_role("button", name="Place test call").click()
    expect(trace).to_have_text(
        [
            re.compile(r"^\s*Main menu"),
            "The caller presses 2",
            re.compile(r"^\s*Voicemail 3"),
            "The caller leaves a 42-second message",
            "The caller hears “Thank you. Your message has been recorded. Goodbye.”",
            "Ends with a voicemail message",
        ]
    )
    assert not Call.objects.exists()  # a test call is never a call


def test_the_install_page_shows_the_site_after_a_visit(
    page, browser, server, live_url, sign_in, check_page, manager_user, company, demo_site
):
    session_tracker(company=company, size=4, swap_targets=["+14045550100"])
    sign_in(manager_user)
    page.goto(live_url("dashboard:install", q(company)))
    expect(page.get_by_text("Not seen yet")).to_be_visible()
    expect(page.locator("#snippet-code")).to_have_text(
        f'<script async src="{server.url}/companies/{company.public_id}/swap.js"></script>'
    )
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#copy-status")).to_contain_text("copied")
    check_page("install-waiting")

    visit(browser, live_url, demo_site)
    page.get_by_role("link", name="Check again").click()
    site = page.get_by_role("row", name=server.url)
    expect(site).to_be_visible()
    expect(site.get_by_role("cell").nth(2)).to_have_text("1")  # one visit today
    expect(site.get_by_role("link", name=re.compile("Open with debugging"))).to_have_attribute(
        "href", f"{server.url}/?calltrk_debug=1"
    )
    check_page("install")


@pytest.fixture
def busy_company(company):
    """A company with a busy pool (visitors holding numbers, some turned away, calls), a
    source tracker, a disabled one, and a call flow in use."""
    from datetime import timedelta

    from django.utils import timezone

    from api.tests.factories import CallFactory
    from callrail.redis import get_redis
    from telephony.callflows.services import call_flow_create
    from tracking import pools
    from tracking.assignments import assignment_open
    from tracking.models import PoolExhaustion
    from tracking.tests.factories import TrackerFactory, TrackingNumberFactory, VisitorSessionFactory

    pool = session_tracker(company=company, size=6, name="Website visitors", fallback_number="+14045550199")
    now = timezone.now()
    for n, source in enumerate(("google_paid", "google_organic", "direct", "facebook.com", "bing_paid")):
        session = VisitorSessionFactory(
            company=company, source=source, landing_url=f"https://www.alice-plumbing.example/services/{n}?utm=x"
        )
        got = pools.allocate(
            get_redis(), scope=pool.public_id, session_key=session.session_key, timeout=1800, pool=True
        )
        assignment_open(
            tracker=pool,
            tracking_number=pool.numbers.get(number=got.number),
            session=session,
            at=now - timedelta(minutes=12 - 2 * n),
        )
    for days, count in ((1, 3), (2, 1), (5, 4)):
        hour = (now - timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
        PoolExhaustion.objects.create(tracker=pool, hour=hour, count=count)
    for _ in range(3):
        CallFactory(company=company, tracker=pool, session=None, start_time=now - timedelta(days=1))
    flow = call_flow_create(
        company=company,
        name="Main line",
        definition={
            "type": "advanced",
            "initial_step_id": 1,
            "steps": [
                {
                    "id": 1,
                    "type": "schedule",
                    "name": "Open hours",
                    "hours": {
                        d: [["08:00", "18:00"]] for d in ("monday", "tuesday", "wednesday", "thursday", "friday")
                    },
                    "open_step_id": 2,
                    "closed_step_id": 4,
                },
                {
                    "id": 2,
                    "type": "menu",
                    "name": "Main menu",
                    "prompt_text": "Thanks for calling Alice Plumbing. Press 1 for an emergency, 2 for a quote.",
                    "menu_options": [
                        {"key": "1", "description": "Emergency", "next_step_id": 3},
                        {"key": "2", "description": "Quote", "next_step_id": 5},
                    ],
                },
                {
                    "id": 3,
                    "type": "simultaneous",
                    "name": "On-call plumbers",
                    "destination_numbers": ["+14045550101", "+14045550102"],
                },
                {"id": 4, "type": "voicemail", "name": "After hours", "prompt_text": "We are closed."},
                {"id": 5, "type": "tag", "name": "Tag as a quote", "tags": ["Quote"], "next_step_id": 6},
                {"id": 6, "type": "dial", "name": "Office", "destination_number": "+14045550103"},
            ],
        },
    )
    billboard = TrackerFactory(
        company=company,
        type="source",
        name="Billboard I-85",
        source={"type": "offline"},
        pool_size=None,
        call_flow=flow,
    )
    TrackingNumberFactory(tracker=billboard, number="+14705550123")
    TrackerFactory(
        company=company,
        type="source",
        name="Yelp",
        source={"type": "web_referrer", "referrer": "yelp.com"},
        status="disabled",
        disabled_at=now - timedelta(days=20),
        pool_size=None,
    )
    return {"pool": pool, "flow": flow}


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_every_setup_page_reads_well(
    page, live_url, sign_in, check_page, manager_user, company, busy_company, viewport
):
    from dashboard.tests.conftest import PHONE

    if viewport == "phone":
        page.set_viewport_size(PHONE)
    sign_in(manager_user)
    pool, flow = busy_company["pool"], busy_company["flow"]
    pages = {
        "numbers": live_url("dashboard:numbers", q(company)),
        "pool": live_url("dashboard:pool", q(company), tracker_id=pool.public_id),
        "call-flows": live_url("dashboard:call-flows", q(company)),
        "call-flow": live_url("dashboard:call-flow", q(company), flow_id=flow.uuid),
        "install": live_url("dashboard:install", q(company)),
        "settings": live_url("dashboard:settings", q(company)),
        "wizard": live_url("dashboard:tracker-new", q(company)),
    }
    for name, url in pages.items():
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        if viewport == "phone":
            wide = page.evaluate(WIDER_THAN_THE_SCREEN, PHONE["width"])
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], (name, wide)
        check_page(f"setup-{name}-{viewport}")
