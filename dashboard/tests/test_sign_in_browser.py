"""Signing in and out, a forgotten password and an invitation, in a real browser."""

import re
from unittest import mock

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import User
from accounts.services import user_invite
from accounts.tasks import user_invitation_send
from dashboard.tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def sign_in_with_form(page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_it_signs_in_and_out(page, live_url, check_page, manager_user):
    page.goto(live_url("/"))
    expect(page).to_have_url(re.compile(r"/sign-in/$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    check_page("sign-in")

    sign_in_with_form(page, "manager@example.com", PASSWORD)
    expect(page).to_have_url(live_url("dashboard:overview"))
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    for label in ("Overview", "Live", "Calls", "Forms", "Texts", "Reports"):
        expect(nav.get_by_role("link", name=label)).to_be_visible()
    expect(nav.get_by_role("link", name="Overview")).to_have_attribute("aria-current", "page")
    check_page("overview")

    page.locator("summary", has_text="Mina Marsh").click()  # the user's menu
    check_page("user-menu-open")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(live_url("dashboard:sign-in"))
    page.goto(live_url("dashboard:calls"))
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=/calls/"))


def test_a_wrong_password_says_so_and_keeps_the_email(page, live_url, check_page, manager_user):
    page.goto(live_url("dashboard:sign-in"))
    sign_in_with_form(page, "manager@example.com", "not the password")
    expect(page.get_by_role("alert")).to_have_text("That email and password don't match. Check them and try again.")
    expect(page.get_by_label("Email")).to_have_value("manager@example.com")
    check_page("sign-in-wrong-password")


def test_after_sign_in_the_page_asked_for_opens_with_its_state(page, live_url, reporting_user, company):
    page.goto(live_url("dashboard:calls", f"?company={company.public_id}&date_range=yesterday"))
    sign_in_with_form(page, "reporting@example.com", PASSWORD)
    expect(page).to_have_url(live_url("dashboard:calls", f"?company={company.public_id}&date_range=yesterday"))
    expect(page.get_by_label("Date range")).to_have_value("yesterday")


def test_a_forgotten_password_is_reset_by_email(page, live_url, check_page, reporting_user, mailoutbox):
    page.goto(live_url("dashboard:sign-in"))
    page.get_by_role("link", name="Forgot password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    check_page("password-reset")
    page.get_by_label("Email").fill("reporting@example.com")
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    check_page("password-reset-sent")

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["reporting@example.com"]
    assert message.subject == "Reset your call tracking password"
    link = re.search(r"http://\S+/password-reset/\S+/", message.body).group(0)

    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    check_page("password-set")
    page.get_by_label("New password", exact=True).fill("a brand new passphrase 7")
    page.get_by_label("New password confirmation").fill("a brand new passphrase 7")
    page.get_by_role("button", name="Set password").click()
    # Signed in at once, on the dashboard.
    expect(page).to_have_url(live_url("dashboard:overview"))
    expect(page.get_by_role("status")).to_contain_text("Your new password is set.")
    reporting_user.refresh_from_db()
    assert reporting_user.check_password("a brand new passphrase 7")

    # The link worked once.
    page.goto(link)
    expect(page.get_by_role("alert")).to_have_text("This link has expired or was already used.")


def test_an_invited_reporting_user_sets_a_password_and_lands_signed_in(
    page, live_url, check_page, account, company, settings, mailoutbox
):
    settings.PUBLIC_BASE_URL = live_url("/").rstrip("/")

    # The invitation is published after commit; here the worker's part runs at once.
    with mock.patch.object(user_invitation_send, "delay", side_effect=user_invitation_send):
        user = user_invite(
            account=account,
            email="Newcomer@Example.com",
            first_name="Nia",
            last_name="Lee",
            role=User.Role.REPORTING,
            companies=[company],
        )
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/accounts/invitation/\S+/", mailoutbox[0].body).group(0)

    page.goto(link)
    expect(page.get_by_role("heading", name="Accept your invitation")).to_be_visible()
    expect(page.get_by_text("newcomer@example.com")).to_be_visible()
    check_page("invitation")
    page.get_by_label("New password", exact=True).fill("my first passphrase 9")
    page.get_by_label("New password confirmation").fill("my first passphrase 9")
    page.get_by_role("button", name="Accept and sign in").click()

    expect(page).to_have_url(live_url("dashboard:overview"))
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
    expect(page.locator("summary", has_text="Nia Lee")).to_be_visible()
    user.refresh_from_db()
    assert user.accepted is True

    # Later, the usual way.
    page.context.clear_cookies()
    page.goto(live_url("dashboard:sign-in"))
    sign_in_with_form(page, "newcomer@example.com", "my first passphrase 9")
    expect(page).to_have_url(live_url("dashboard:overview"))
