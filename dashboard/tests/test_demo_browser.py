"""What a newcomer sees after ``make run``: the demo account's dashboard, full of its weeks of
history, checked page by page; and the README's picture of it.

The picture is saved as ``var/screenshots/dashboard/readme-dashboard.png`` on every run; with
``README_SCREENSHOT=1`` in the environment it also replaces ``docs/dashboard.png``.
"""

import os
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.models import User
from dashboard.tests.conftest import DESKTOP, SCREENSHOTS
from telephony.demo import LAST_TEXT
from telephony.management.commands.seed_demo import DEMO_EMAIL

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

README_PICTURE = Path(django_settings.BASE_DIR) / "docs" / "dashboard.png"
PICTURE_LIMIT = 300 * 1024


@pytest.fixture
def demo_user(settings, live_server, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.PUBLIC_BASE_URL = live_server.url
    call_command("seed_demo", "--json", stdout=StringIO())
    return User.objects.get(email=DEMO_EMAIL)


def test_the_demo_dashboard_is_alive(page, live_url, sign_in, check_page, demo_user):
    sign_in(demo_user)
    page.goto(live_url("dashboard:live"))
    expect(page.get_by_role("region", name="Latest calls").get_by_role("row")).to_have_count(26)
    expect(page.get_by_role("region", name="Visitors now").get_by_role("listitem")).to_have_count(2)
    expect(page.get_by_role("region", name="Number pools")).to_contain_text("2 of 4 numbers in use")
    check_page("demo-live")

    picture = SCREENSHOTS / "readme-dashboard.png"
    page.evaluate("window.scrollTo(0, 0)")
    # The top of the page: the figures, the pools, the visitors and the first calls.
    page.screenshot(path=str(picture), full_page=True, clip={"x": 0, "y": 0, "width": DESKTOP["width"], "height": 1040})
    assert picture.stat().st_size < PICTURE_LIMIT
    if os.environ.get("README_SCREENSHOT"):
        README_PICTURE.parent.mkdir(exist_ok=True)
        shutil.copyfile(picture, README_PICTURE)

    page.goto(live_url("dashboard:texts"))
    waiting = page.get_by_role("listitem").filter(has_text=LAST_TEXT)
    expect(waiting).to_contain_text("Needs a reply")
    check_page("demo-texts")
    waiting.get_by_role("link").click()
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    check_page("demo-text-conversation")

    page.goto(live_url("dashboard:forms"))
    expect(page.get_by_role("table").get_by_role("row").nth(1)).to_be_visible()
    check_page("demo-forms")
    page.get_by_role("table").get_by_role("link").first.click()
    expect(page.get_by_role("region", name="Fields")).to_contain_text("Phone")
    check_page("demo-form-submission")
