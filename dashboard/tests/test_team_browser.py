"""The account's people and keys in a real browser: an admin invites a manager, who sets a
password, sees only their company, makes an API key, uses and revokes it; the admin
deactivates them (their session and keys end at once); the audit log tells who did each."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import User
from accounts.services import user_invite
from callrail.celery import app as celery_app
from dashboard.tests.conftest import DESKTOP, PHONE, SCREENSHOTS, axe_violations
from integrations.services import notification_create, summary_email_create

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def eager(settings: Any, live_url: Any) -> Iterator[None]:
    """Celery's work runs at once, inside the request that asked for it (no worker in tests):
    invitation emails, webhook deliveries."""
    settings.PUBLIC_BASE_URL = live_url("/").rstrip("/")
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def admin(make_user: Any) -> User:
    return make_user(User.Role.ADMIN, email="ada@example.com", first_name="Ada", last_name="Admin")


@pytest.fixture
def other_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A second person's browser."""
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url, locale="en-US")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def check(page: Any, name: str) -> None:
    """``check_page`` for a page of another browser context: axe, then a screenshot."""
    page.wait_for_load_state("networkidle")
    violations = axe_violations(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    assert not violations, f"accessibility violations on {page.url}: {violations}"


def api_status(page: Any, live_url: Any, key: str) -> int:
    return page.request.get(live_url("/v3/a.json"), headers={"Authorization": f'Token token="{key}"'}).status


def create_key(page: Any, name: str) -> str:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Create API key").click()
    expect(page.get_by_role("heading", name=f"“{name}” is ready")).to_be_visible()
    return page.get_by_label("API key").input_value()


def test_invite_key_revoke_deactivate_and_the_audit_log(
    page, other_page, live_url, sign_in, check_page, eager, admin, company, second_company
):
    # The admin invites a manager for one company.
    sign_in(admin)
    page.goto(live_url("dashboard:overview"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name="Users", level=1)).to_be_visible()
    check_page("users")
    page.get_by_role("link", name="Invite user").click()
    page.get_by_label("Email", exact=True).fill("Mina@Example.com")
    page.get_by_label("First name").fill("Mina")
    page.get_by_label("Last name").fill("Marsh")
    page.get_by_role("radio", name=re.compile(r"^Manager")).check()
    page.get_by_role("checkbox", name="Alice Plumbing").check()
    check_page("user-invite")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Invitation sent to mina@example.com")
    row = page.get_by_role("row", name=re.compile("Mina Marsh"))
    expect(row).to_contain_text("Manager")
    expect(row).to_contain_text("Invited")

    # The invitation leads to choosing a password and landing signed in, on that company only.
    (email,) = mail.outbox
    assert email.to == ["mina@example.com"]
    link = re.search(r"http://\S+/accounts/invitation/\S+/", str(email.body)).group(0)
    manager = other_page
    manager.goto(link)
    manager.get_by_label("New password", exact=True).fill("mina's own passphrase 5")
    manager.get_by_label("New password confirmation").fill("mina's own passphrase 5")
    manager.get_by_role("button", name="Accept and sign in").click()
    expect(manager.get_by_role("heading", name="Overview", level=1)).to_be_visible()
    expect(manager.locator(".company-single")).to_have_text("Alice Plumbing")
    nav = manager.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Users")).to_have_count(0)
    assert manager.goto(live_url("dashboard:overview", f"?company={second_company.public_id}")).status == 404

    # The manager makes a key, uses it, revokes it: the next request is refused.
    manager.goto(live_url("dashboard:overview"))
    key = create_key(manager, "Reports")
    check(manager, "api-key-new")
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    assert api_status(manager, live_url, key) == 200
    manager.get_by_role("link", name="Done").click()
    row = manager.get_by_role("row", name=re.compile("Reports"))
    expect(row).to_contain_text("just now")  # last used
    check(manager, "api-keys")
    row.get_by_role("link", name=re.compile("Revoke")).click()
    expect(manager.get_by_role("heading", name="Revoke the key “Reports”?")).to_be_visible()
    check(manager, "api-key-revoke")
    manager.get_by_role("button", name="Revoke key").click()
    expect(manager.get_by_role("row", name=re.compile("Reports"))).to_contain_text("Revoked")
    assert api_status(manager, live_url, key) == 401
    other_key = create_key(manager, "Zapier")
    assert api_status(manager, live_url, other_key) == 200

    # The admin deactivates the manager: their open session ends at the next page, their keys stop.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    page.get_by_role("link", name="Mina Marsh").click()
    expect(page.get_by_role("heading", name="Mina Marsh", level=1)).to_be_visible()
    check_page("user")
    page.get_by_role("link", name="Deactivate user").click()
    check_page("user-deactivate")
    page.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_role("status")).to_contain_text("mina@example.com is deactivated.")
    manager.goto(live_url("dashboard:api-keys"))
    expect(manager).to_have_url(re.compile(r"/sign-in/\?next=/api-keys/"))
    assert api_status(manager, live_url, other_key) == 401

    # The audit log lists each of these, with who did it.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    log = page.get_by_role("table")
    for who, what in (
        ("Ada Admin", "Invited a user"),
        ("Mina Marsh", "Accepted an invitation"),
        ("Mina Marsh", "Created an API key"),
        ("Mina Marsh", "Revoked an API key"),
        ("Ada Admin", "Deactivated a user"),
        ("Ada Admin", "Revoked an API key"),  # the key deactivation stopped
    ):
        expect(log.get_by_role("row").filter(has_text=who).filter(has_text=what).first).to_be_visible()
    check_page("audit-log")
    page.get_by_label("Who").select_option(label="Mina Marsh")
    page.get_by_label("What").select_option(label="API keys")
    page.get_by_role("button", name="Apply").click()
    expect(log.get_by_role("row")).to_have_count(1 + 3)  # the header, two keys made, one revoked
    check_page("audit-log-filtered")


def test_a_manager_cannot_reach_users_settings_or_the_audit_log(page, live_url, sign_in, check_page, manager_user):
    sign_in(manager_user)
    for name in ("users", "account-settings", "audit-log"):
        assert page.goto(live_url(f"dashboard:{name}")).status == 403
        expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    # A form the page never offered, carrying a real CSRF token, is refused all the same.
    page.goto(live_url("dashboard:profile"))
    with page.expect_navigation() as navigation:
        page.evaluate(
            """() => {
                const form = document.createElement("form");
                form.method = "post";
                form.action = "/users/invite/";
                for (const [name, value] of [["email", "x@example.com"], ["first_name", "X"], ["last_name", "Y"], ["role", "admin"]]) {
                    const input = document.createElement("input");
                    input.name = name;
                    input.value = value;
                    form.append(input);
                }
                form.append(document.querySelector("input[name=csrfmiddlewaretoken]").cloneNode());
                document.body.append(form);
                form.submit();
            }"""
        )
    assert navigation.value.status == 403
    assert not User.objects.filter(email="x@example.com").exists()


def test_profile_notifications_and_settings_pages(
    page, live_url, sign_in, check_page, admin, company, second_company, manager_user
):
    sign_in(admin)
    page.goto(live_url("dashboard:overview"))
    page.locator("summary", has_text="Ada Admin").click()
    page.get_by_role("link", name="Profile").click()
    page.get_by_label("Time zone").select_option("Europe/Paris")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_role("status")).to_contain_text("Your profile is saved.")
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Paris")
    page.get_by_label("Old password").fill("wrong")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your old password was entered incorrectly")).to_be_visible()
    check_page("profile")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Notifications").click()
    page.get_by_label("Company", exact=True).select_option(label="Alice Plumbing")
    page.get_by_role("radio", name="Missed calls and voicemails").check()
    page.get_by_label("Text messages").check()
    page.get_by_role("button", name="Add alert").click()
    expect(page.get_by_role("row", name=re.compile("Missed calls and voicemails and text messages"))).to_contain_text(
        "Alice Plumbing"
    )
    summary = page.get_by_role("complementary")
    summary.get_by_role("checkbox", name="Weekly").check()
    summary.get_by_role("button", name="Add summary email").click()
    expect(page.get_by_role("complementary")).to_contain_text("Weekly")
    check_page("notifications")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Account settings").click()
    page.get_by_label("Account name").fill("Alice Holdings")
    page.get_by_label("Record outbound calls").uncheck()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Account settings saved.")
    expect(page.get_by_label("Account name")).to_have_value("Alice Holdings")
    check_page("account-settings")

    page.set_viewport_size(PHONE)
    for name in ("users", "api-keys", "notifications", "audit-log", "profile"):
        page.goto(live_url(f"dashboard:{name}"))
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
        check_page(f"{name}-phone")


def test_signing_out_other_sessions_keeps_this_one(page, other_page, live_url, sign_in, check_page, admin):
    sign_in(admin)
    sign_in(admin, other_page.context)
    other_page.goto(live_url("dashboard:overview"))
    expect(other_page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
    page.goto(live_url("dashboard:profile"))
    page.get_by_role("button", name="Sign out of other sessions").click()
    expect(page.get_by_role("status")).to_contain_text("Every other session is signed out.")
    other_page.goto(live_url("dashboard:overview"))
    expect(other_page).to_have_url(live_url("dashboard:sign-in"))
    page.goto(live_url("dashboard:overview"))
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()


def test_the_remaining_pages_pass_the_accessibility_check(
    page, live_url, sign_in, check_page, admin, company, manager_user
):
    invited = user_invite(
        account=admin.account,
        email="new@example.com",
        first_name="Noa",
        last_name="New",
        role="reporting",
        companies=[company],
    )
    alert = notification_create(account=admin.account, user=admin, values={"company": company})
    summary = summary_email_create(
        account=admin.account, user=admin, company=None, frequency=["daily"], config={"call_log": True}
    )
    sign_in(admin)
    page.goto(live_url("dashboard:user", user_id=invited.public_id))
    expect(page.get_by_role("button", name="Resend invitation")).to_be_visible()
    check_page("user-invited")
    page.get_by_role("link", name="Alerts and summary emails").click()
    expect(page.get_by_text("The alerts and summary emails Noa New receives.")).to_be_visible()
    check_page("notifications-for-someone-else")
    page.go_back()
    page.get_by_role("link", name="Cancel invitation").click()
    check_page("user-cancel-invitation")
    page.goto(live_url("dashboard:user", user_id=admin.public_id))
    check_page("user-self")
    page.goto(live_url("dashboard:notification-alert", alert_id=alert.numeric_id))
    page.get_by_role("radio", name="Answered calls").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("row", name=re.compile("Answered calls"))).to_be_visible()
    page.goto(live_url("dashboard:notification-summary", summary_id=summary.public_id))
    expect(page.get_by_label("Company", exact=True)).to_be_disabled()
    check_page("notification-summary")
    page.goto(live_url("dashboard:api-key-new"))
    page.get_by_role("button", name="Create API key").click()
    expect(page.get_by_text("This field is required.")).to_be_visible()
    check_page("api-key-form")
    page.goto(live_url("dashboard:signing-key-rotate", f"?company={company.public_id}"))
    check_page("signing-key-rotate")
    page.goto(live_url("dashboard:users", "?q=nobody"))
    expect(page.get_by_text("No user matches these filters.")).to_be_visible()
    check_page("users-none")
