"""Fixtures for the dashboard's tests: personas with roles and company access, and the
real-browser harness (Debian's Chromium through Playwright, against ``live_server`` on
PostgreSQL) with a quick sign-in, an accessibility check and screenshots.

A browser test reads like this::

    pytestmark = [pytest.mark.browser, pytest.mark.slow]

    def test_it_shows_the_calls(page, live_url, sign_in, check_page, manager_user):
        sign_in(manager_user)
        page.goto(live_url("dashboard:calls"))
        expect(page.get_by_role("heading", name="Calls")).to_be_visible()
        check_page("calls")   # axe (no serious or critical violation) + var/screenshots/dashboard/calls.png
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import Account, Company, User
from tracking.tests.browser import CHROMIUM, CHROMIUM_ARGS

PASSWORD = "correct horse battery staple"
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots" / "dashboard"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
# axe impacts that fail a test; "moderate" and "minor" findings are reported, not fatal.
BLOCKING_IMPACTS = ("serious", "critical")


# --- personas -----------------------------------------------------------------------------


@pytest.fixture
def second_company(account: Account) -> Company:
    return Company.objects.create(account=account, name="Alice Electric", time_zone="America/Los_Angeles")


@pytest.fixture
def make_user(account: Account) -> Callable[..., User]:
    def make(role: str, *companies: Company, email: str = "", **extra: Any) -> User:
        user = User.objects.create_user(
            email=email or f"{role}@example.com", password=PASSWORD, account=account, role=role, **extra
        )
        user.companies.set(companies)
        return user

    return make


@pytest.fixture
def manager_user(make_user: Callable[..., User], company: Company, second_company: Company) -> User:
    """A manager of both of ``account``'s companies."""
    return make_user(User.Role.MANAGER, company, second_company, first_name="Mina", last_name="Marsh")


@pytest.fixture
def reporting_user(make_user: Callable[..., User], company: Company) -> User:
    """A reporting user who sees ``company`` only."""
    return make_user(User.Role.REPORTING, company, first_name="Rey", last_name="Ortiz")


# --- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One headless Chromium for the dashboard's tests (package scope: Playwright runs one
    sync driver per thread, and other apps' browser tests start their own after these)."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (bin/system-deps installs it)")
    # Playwright's sync API keeps an event loop in this thread; the tests' own ORM calls
    # are still synchronous and safe here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class BrowserLog:
    """What went wrong in the page while a test ran: script errors and failed requests."""

    errors: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert not self.errors, "\n".join(self.errors)


@pytest.fixture
def live_url(live_server: Any, transactional_db: None) -> Callable[..., str]:
    """``live_url("dashboard:calls", "?company=…")``: an absolute URL on the live server."""

    def make(name_or_path: str, query: str = "", **kwargs: Any) -> str:
        path = name_or_path if name_or_path.startswith("/") else reverse(name_or_path, kwargs=kwargs or None)
        return f"{live_server.url}{path}{query}"

    return make


@pytest.fixture
def browser_log() -> BrowserLog:
    return BrowserLog()


@pytest.fixture
def context(browser: Any, live_server: Any, browser_log: BrowserLog) -> Iterator[Any]:
    ctx = browser.new_context(viewport=DESKTOP, base_url=live_server.url, locale="en-US")
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any, browser_log: BrowserLog) -> Any:
    page = context.new_page()
    page.on("pageerror", lambda error: browser_log.errors.append(f"script error: {error}"))

    def on_console(message: Any) -> None:
        # A failed load is logged without its URL; on_response below names the ones that matter.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            browser_log.errors.append(f"console: {message.text}")

    page.on("console", on_console)

    def on_response(response: Any) -> None:
        # Static files must all load; pages may answer 4xx on purpose (404 and 403 tests).
        if response.status >= 400 and ("/static/" in response.url or response.url.endswith("/favicon.ico")):
            browser_log.errors.append(f"{response.status} {response.url}")

    page.on("response", on_response)
    return page


@pytest.fixture
def sign_in(context: Any, live_server: Any) -> Callable[..., None]:
    """``sign_in(user)``: signs ``user`` in without the form (the sign-in form has its own
    tests): a session made by Django's test client, handed to the browser as its cookie.
    ``sign_in(user, other_context)`` does it for a browser context a test made itself."""

    def do(user: User, into: Any = None) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        (into or context).add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])

    return do


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        targets = ", ".join(str(node["target"]) for node in violation["nodes"][:5])
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} -> {targets}")
    return "\n".join(lines)


@pytest.fixture
def check_page(page: Any, browser_log: BrowserLog) -> Callable[..., None]:
    """Every page test ends with ``check_page("name")``: no serious or critical axe violation,
    no script error or missing static file, and a full-page screenshot under
    ``var/screenshots/dashboard/`` to look at."""

    def check(name: str) -> None:
        page.wait_for_load_state("networkidle")
        violations = axe_violations(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"), full_page=True)
        assert not violations, f"accessibility violations on {page.url}:\n{_describe(violations)}"
        browser_log.assert_clean()

    return check
