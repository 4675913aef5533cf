"""A click on the demo site's tel: link in headless Chromium: recorded on the visitor's session,
and linked to the call that follows (placed through the call simulator)."""

import re
import time
from io import StringIO

import pytest
from django.core.management import call_command

from telephony.models import Call
from telephony.tests.test_seed_demo import seed
from tracking.models import ClickEvent

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def demo_site(live_server, transactional_db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.PUBLIC_BASE_URL = live_server.url
    seed("--without-history")
    return live_server.url


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    context.close()


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_a_tel_click_is_recorded_on_the_visit_and_linked_to_the_call_that_follows(demo_site, page):
    served = page.goto(f"{demo_site}/demo/")
    link = "#header-phone"
    # The number as served, not as read after loading: swap.js may have swapped it by then.
    original = re.search(r'id="header-phone" href="([^"]+)"', served.text()).group(1)
    page.wait_for_function(
        "o => document.querySelector('#header-phone').getAttribute('href') != o", arg=original, timeout=10_000
    )
    swapped = page.get_attribute(link, "href")
    # Keep the dialler closed: the link's navigation is cancelled after swap.js has seen the click.
    page.evaluate("document.addEventListener('click', e => e.preventDefault())")
    page.click(link)

    click = wait_for(lambda: ClickEvent.objects.select_related("session").first())
    session_key = next(c["value"] for c in page.context.cookies() if c["name"] == "calltrk_session")
    assert click.session is not None and click.session.session_key == session_key
    assert click.phone_number == "".join(ch for ch in swapped if ch.isdigit())
    assert click.page_url == f"{demo_site}/demo/"
    assert page.errors == []

    out = StringIO()
    call_command("simulate_call", to=swapped.removeprefix("tel:"), from_="+13035550188", outcome="answered", stdout=out)
    call = Call.objects.get()
    assert call.session_id == click.session_id
    assert list(call.click_events.all()) == [click]
