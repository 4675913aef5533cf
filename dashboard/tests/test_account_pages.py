"""The account's pages without a browser: who may open which (403 otherwise, forged requests
included), other accounts' rows (404), and the writes going through the services."""

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import ApiKey, AuditEvent, User
from accounts.services import api_key_create
from integrations.emails import call_notifications_send
from integrations.models import Integration, Notification, SummaryEmail, WebhookEvent
from integrations.tests.conftest import complete_call, make_call, webhooks_integration
from tracking.models import CallFlow, Tracker

pytestmark = pytest.mark.django_db

EVERYONE = ("profile", "api-keys", "api-key-new", "notifications")
EDITORS = ("integrations", "webhook-deliveries")
ADMINS = ("users", "user-invite", "account-settings", "audit-log")


def status(client: Client, name: str, method: str = "get", **kwargs: Any) -> int:
    return getattr(client, method)(reverse(f"dashboard:{name}", kwargs=kwargs or None)).status_code


@pytest.mark.parametrize("name", EVERYONE + EDITORS + ADMINS)
def test_an_admin_opens_every_page(client, admin_user, company, name):
    client.force_login(admin_user)
    assert status(client, name) == 200


def test_a_manager_cannot_reach_the_admins_pages_even_by_a_forged_request(client, manager_user):
    client.force_login(manager_user)
    for name in ADMINS:
        assert status(client, name) == 403, name
        assert status(client, name, "post") == 403, name
    assert status(client, "user-deactivate", "post", user_id=manager_user.public_id) == 403
    for name in EVERYONE + EDITORS:
        assert status(client, name) == 200, name


def test_a_reporting_user_has_no_integrations(client, reporting_user):
    client.force_login(reporting_user)
    for name in EDITORS:
        assert status(client, name) == 403
    assert status(client, "webhook-test-event", "post") == 403
    for name in EVERYONE:
        assert status(client, name) == 200


def test_the_navigation_offers_each_role_its_pages(client, admin_user, manager_user, reporting_user):
    def labels(user: User) -> list[str]:
        client.force_login(user)
        body = client.get(reverse("dashboard:overview")).content.decode()
        return re.findall(r'class="nav-account-label">([^<]+)<', body)

    everything = ["Users", "API keys", "Integrations", "Notifications", "Account settings", "Audit log"]
    assert labels(admin_user) == everything
    assert labels(manager_user) == ["API keys", "Integrations", "Notifications"]
    assert labels(reporting_user) == ["API keys", "Notifications"]


def test_a_notification_only_contact_is_signed_out(client, make_user, company):
    contact = make_user(User.Role.NOTIFICATION, company, email="desk@example.com")
    client.force_login(contact)
    response = client.get(reverse("dashboard:profile"))
    assert response.status_code == 302 and response["Location"] == reverse("dashboard:sign-in")
    assert "_auth_user_id" not in client.session


def test_another_account_s_user_key_and_event_are_not_found(client, admin_user, other_account, other_company):
    bob = User.objects.create_user(email="bob@example.com", account=other_account, role=User.Role.ADMIN)
    key, _ = api_key_create(user=bob)
    integration = webhooks_integration(other_company, {"pre_call_webhook": ["https://example.com/hook"]})
    event = WebhookEvent.objects.create(
        account=other_account,
        company=other_company,
        integration=integration,
        event="pre_call",
        url="https://example.com/hook",
        ordering_key="x",
        body="{}",
        retry_until=integration.created_at,
    )
    client.force_login(admin_user)
    assert status(client, "user", user_id=bob.public_id) == 404
    assert status(client, "user-deactivate", "post", user_id=bob.public_id) == 404
    assert status(client, "api-key-revoke", "post", key_id=key.public_id) == 404
    assert status(client, "webhook-delivery", event_id=event.event_id) == 404
    assert status(client, "webhook-redeliver", "post", event_id=event.event_id) == 404
    bob.refresh_from_db()
    assert bob.is_active and ApiKey.objects.get(pk=key.pk).revoked_at is None


def test_a_user_revokes_only_their_own_keys_an_admin_any(client, admin_user, manager_user):
    admins_key, _ = api_key_create(user=admin_user)
    managers_key, _ = api_key_create(user=manager_user)
    client.force_login(manager_user)
    assert status(client, "api-key-revoke", "post", key_id=admins_key.public_id) == 404
    body = client.get(reverse("dashboard:api-keys") + "?owner=all").content.decode()
    assert admins_key.prefix not in body and managers_key.prefix in body
    client.force_login(admin_user)
    assert status(client, "api-key-revoke", "post", key_id=managers_key.public_id) == 302
    assert ApiKey.objects.get(pk=managers_key.pk).revoked_at is not None


def test_the_new_key_is_shown_once_and_never_cached(client, manager_user):
    client.force_login(manager_user)
    response = client.post(reverse("dashboard:api-key-new"), {"name": "Zapier"})
    key = ApiKey.objects.get(user=manager_user)
    body = response.content.decode()
    plain = re.search(r'id="api-key" [^>]*value="([0-9a-f]{32})"', body).group(1)
    assert ApiKey.hash(plain) == key.digest
    assert "no-store" in response["Cache-Control"]
    assert plain not in client.get(reverse("dashboard:api-keys")).content.decode()


def test_webhook_urls_are_checked_like_the_api_checks_them(client, manager_user, company):
    client.force_login(manager_user)
    url = reverse("dashboard:integrations") + f"?company={company.public_id}"
    response = client.post(url, {"post_call_webhook": "http://127.0.0.1:8000/hook\nftp://example.com/x"})
    assert response.status_code == 200
    assert "points to a private address" in response.content.decode()
    assert not Integration.objects.exists()

    response = client.post(url, {"post_call_webhook": "https://example.com/a\nhttps://example.com/b"})
    assert response.status_code == 302
    integration = Integration.objects.get(company=company)
    assert integration.config["post_call_webhook"] == ["https://example.com/a", "https://example.com/b"]
    assert AuditEvent.objects.filter(action="integration.created", actor=manager_user).exists()


def test_only_admins_see_the_signing_key(client, admin_user, manager_user, company):
    url = reverse("dashboard:signing-key") + f"?company={company.public_id}"
    client.force_login(manager_user)
    assert client.post(url).status_code == 403
    client.force_login(admin_user)
    response = client.post(url)
    company.refresh_from_db()
    assert company.webhook_signing_key in response.content.decode()
    assert AuditEvent.objects.filter(action="webhook.signing_key_viewed", actor=admin_user).exists()


def test_alerts_and_summaries_are_the_user_s_own(client, reporting_user, manager_user, company):
    client.force_login(reporting_user)
    url = reverse("dashboard:notifications")
    client.post(url, {"form": "alert", "company": company.public_id, "call_enabled": "on", "alert_type": "answered"})
    client.post(url, {"form": "summary", "frequency": ["daily", "weekly"], "sections": ["call_log"]})
    alert = Notification.objects.get()
    assert (alert.user, alert.company, alert.alert_type, alert.send_email) == (
        reporting_user,
        company,
        "answered",
        True,
    )
    summary = SummaryEmail.objects.get()
    assert summary.user == reporting_user and summary.frequency == ["daily", "weekly"]
    assert summary.config == {
        "summary_statistics": False,
        "top_sources": False,
        "top_keywords": False,
        "call_log": True,
    }

    client.force_login(manager_user)
    assert status(client, "notification-alert", alert_id=alert.numeric_id) == 404
    assert status(client, "notification-summary-delete", "post", summary_id=summary.public_id) == 404


def test_account_settings_are_saved_through_the_service(client, admin_user, account):
    client.force_login(admin_user)
    response = client.post(
        reverse("dashboard:account-settings"),
        {"name": "Alice Holdings", "time_zone": "Europe/Paris", "data_retention_days": "400"},
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.time_zone, account.outbound_recording_enabled) == (
        "Alice Holdings",
        "Europe/Paris",
        False,
    )
    entry = AuditEvent.objects.get(action="account.updated")
    assert entry.changes["time_zone"] == ["America/New_York", "Europe/Paris"]
    assert account.data_retention_days == 400 and entry.changes["data_retention_days"][1] == 400
    response = client.post(
        reverse("dashboard:account-settings"), {"name": "", "time_zone": "Mars/Base", "data_retention_days": "99999"}
    )
    body = response.content.decode()
    assert response.status_code == 200 and "This field is required." in body and "Select a valid choice" in body
    assert "data_retention_days must be 0 (forever) or between 1 and 36500." in body


def test_a_user_without_companies_still_has_their_own_pages(client, make_user):
    client.force_login(make_user(User.Role.MANAGER))
    for name in EVERYONE:
        body = client.get(reverse(f"dashboard:{name}")).content.decode()
        assert "No company to show yet" not in body, name
    # Integrations are per company: the page says why there is nothing to set up.
    assert "No company to show yet" in client.get(reverse("dashboard:integrations")).content.decode()


def test_the_admin_revokes_keys_through_the_service(admin_client, admin_user):
    key, _ = api_key_create(user=admin_user)
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    response = admin_client.post(
        reverse("admin:accounts_apikey_changelist"), {"action": "revoke", "_selected_action": [key.pk]}
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="api_key.revoked", object_id=key.public_id).exists()


def test_an_admin_sets_up_a_notification_only_contact_s_alerts(client, admin_user, manager_user, company, mailoutbox):
    client.force_login(admin_user)
    response = client.post(
        reverse("dashboard:user-invite"),
        {
            "email": "desk@example.com",
            "first_name": "Front",
            "last_name": "Desk",
            "role": "notification",
            "companies": [company.pk],
        },
    )
    contact = User.objects.get(email="desk@example.com")
    page = reverse("dashboard:notifications") + f"?user={contact.public_id}"
    assert response["Location"] == page
    assert mailoutbox == []  # no invitation: they never sign in
    client.post(page, {"form": "alert", "company": company.public_id, "call_enabled": "on", "alert_type": "all"})
    alert = Notification.objects.get()
    assert alert.user == contact and alert.company == company

    flow = CallFlow.objects.create(account=company.account, company=company, definition={"type": "basic"})
    tracker = Tracker.objects.create(
        account=company.account, company=company, name="Billboard", type=Tracker.Type.SOURCE, call_flow=flow
    )
    call = complete_call(make_call(tracker))
    assert call_notifications_send(call=call) == 1
    assert mailoutbox[0].to == ["desk@example.com"]

    # Someone else's alerts are an admin's business only.
    client.force_login(manager_user)
    assert client.get(page).status_code == 403
