"""Every HTML page gets a Content-Security-Policy without inline scripts, no framing, no
sniffing and a same-origin referrer; the DNI endpoints stay open to customers' sites."""

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.http import HttpResponse

from accounts.models import User
from tracking.tests.browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.django_db

PAGES = ["/sign-in/", "/admin/login/", "/v3/docs", "/demo/"]


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command("seed_demo", "--json", stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def script_src(response: HttpResponse) -> str:
    policy = response["Content-Security-Policy"]
    return next(part for part in policy.split(";") if part.strip().startswith("script-src"))


@pytest.mark.parametrize("path", PAGES)
def test_each_html_page_has_the_policy_and_headers(client, demo, path):
    response = client.get(path)
    assert response.status_code == 200
    scripts = script_src(response)
    assert "'self'" in scripts and "unsafe-inline" not in scripts and "unsafe-eval" not in scripts
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_an_inline_script_runs_only_with_the_pages_nonce(client, demo):
    response = client.get("/demo/")
    nonce = re.search(r"'nonce-([^']+)'", script_src(response)).group(1)
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.content.decode())
    assert inline and all(f'nonce="{nonce}"' in attributes for attributes in inline)


def test_the_api_docs_load_nothing_from_another_origin(client):
    body = client.get("/v3/docs").content.decode()
    assert "googleapis" not in body and "<script>" not in body


def test_the_dni_endpoint_stays_cross_origin_and_skips_the_page_headers(client, demo):
    response = client.post(
        f"/dni/{demo['company_id']}/session",
        data="{}",
        content_type="text/plain",
        HTTP_ORIGIN="https://www.customer.example",
    )
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Content-Security-Policy" not in response
    swap = client.get(f"/companies/{demo['company_id']}/swap.js")
    assert swap.status_code == 200


@pytest.fixture
def browser():
    # Its own short-lived Playwright (the swap.js tests keep a session-wide one of their own,
    # and two cannot be open at once).
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def operator(db: None) -> User:
    return User.objects.create_superuser(email="root@example.com", password="pw-123456")


@pytest.mark.browser
def test_no_page_breaks_its_policy_in_a_browser(live_server, demo, operator, browser):
    # (Database rows are made by the fixtures before Playwright's event loop starts in this thread.)
    context = browser.new_context()
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}") if "Content Security" in message.text else None
        ),
    )
    for path in PAGES:
        page.goto(live_server.url + path, wait_until="networkidle")
    page.goto(live_server.url + "/admin/login/?next=/admin/")
    page.fill("#id_username", "root@example.com")
    page.fill("#id_password", "pw-123456")
    page.click("input[type=submit]")
    page.wait_for_url(live_server.url + "/admin/")
    page.goto(live_server.url + "/admin/accounts/user/add/", wait_until="networkidle")
    # Redoc rendered the description (its script ran under the policy).
    page.goto(live_server.url + "/v3/docs", wait_until="networkidle")
    assert page.locator("h1").first.inner_text()
    # The demo page's own inline script ran (it has the nonce) and swap.js loaded.
    page.goto(live_server.url + "/demo/", wait_until="networkidle")
    page.click("#show-coupon")
    assert page.locator("#coupon").count() == 1
    context.close()
    # Redoc's sidebar tries its maker's logo from their CDN, and hides it when refused.
    assert [text for text in violations if "cdn.redoc.ly/redoc/logo-mini.svg" not in text] == []
