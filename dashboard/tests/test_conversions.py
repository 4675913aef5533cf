"""Call conversions in the dashboard without a browser: a call's result at Google Ads and GA4
and the clicks it followed; a company's conversion settings, saved through the company API's
service (secrets write-only, audited), the feed URL's rotation and the CSV; the walls."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Company, User
from api.tests.factories import CallFactory
from dashboard.tests.calls_data import full_call
from integrations.conversions import conversion_settings_update
from integrations.models import CallConversion, ConversionDelivery, ConversionSettings
from tracking.models import ClickEvent

pytestmark = pytest.mark.django_db


def detail(client, call) -> str:
    response = client.get(reverse("dashboard:call-detail", args=[call.public_id]))
    assert response.status_code == 200
    body = response.content.decode()
    return body[body.index('id="conversion"') : body.index('id="handling-title"')]


def platform(panel: str, label: str) -> str:
    start = panel.index(f'data-platform="{label}"')
    return panel[start : panel.index("</dd>", start)]


def page_url(company: Company | None = None, name: str = "dashboard:conversions") -> str:
    return reverse(name) + (f"?company={company.public_id}" if company else "")


def connected(company: Company) -> ConversionSettings:
    return conversion_settings_update(
        company=company,
        call_conversion={"enabled": True, "min_duration": 60, "name": "Phone call", "value": Decimal("25.00")},
        ga4_measurement_id="G-ABC1234",
        ga4_api_secret="ga4-secret-value",
        google_ads_customer_id="1234567890",
        google_ads_conversion_action="987654",
        google_ads_developer_token="dev-token-value",
        google_ads_refresh_token="refresh-token-value",
    )


def converted(call, **deliveries: tuple[str, str]) -> CallConversion:
    conversion = CallConversion.objects.create(
        account_id=call.account_id,
        company_id=call.company_id,
        call=call,
        name="Phone call",
        converted_at=call.start_time,
        value=Decimal("25.00"),
        currency="USD",
        click_id=call.gclid,
        click_id_type="gclid" if call.gclid else "",
        ga_client_id="123.456",
    )
    for destination, (status, reason) in deliveries.items():
        ConversionDelivery.objects.create(
            conversion=conversion,
            destination=destination,
            status=status,
            reason=reason,
            attempts=1,
            sent_at=timezone.now() if status == "sent" else None,
        )
    return conversion


# --- the call's page ---------------------------------------------------------------------------


def test_a_call_shows_what_each_platform_did_with_it(client, manager_user, company):
    connected(company)
    call = full_call(company)
    converted(call, google_ads=("sent", ""), ga4=("failed", "GA4 answered 500 five times"))
    click = ClickEvent.objects.create(
        account=company.account,
        company=company,
        session=call.session,
        visitor_id="v1",
        phone_number="+14045550142",
        page_url="https://alice-plumbing.example/contact",
        clicked_at=call.start_time - timedelta(minutes=2),
    )
    call.click_events.add(click)
    client.force_login(manager_user)
    panel = detail(client, call)
    assert "Counts as “Phone call”" in panel and "25.00 USD" in panel
    assert "Uploaded" in platform(panel, "Google Ads")
    ga4 = platform(panel, "GA4")
    assert "Failed" in ga4 and "GA4 answered 500 five times" in ga4
    assert "(404) 555-0142" in panel and "/contact" in panel


def test_pending_rejected_and_feed_results(client, manager_user, company):
    # The rule on, without API credentials: Google Ads reads the conversion from the feed.
    conversion_settings_update(company=company, call_conversion={"enabled": True})
    call = full_call(company)
    converted(call)
    client.force_login(manager_user)
    panel = detail(client, call)
    assert "In the conversion feed" in platform(panel, "Google Ads")
    assert "Not configured" in platform(panel, "GA4")

    connected(company)
    other = CallFactory(company=company, duration=120, answered=True, gclid="Cj0KCQ")
    converted(other, google_ads=("rejected", "The click is too old"), ga4=("pending", ""))
    panel = detail(client, other)
    assert "Rejected" in platform(panel, "Google Ads") and "The click is too old" in platform(panel, "Google Ads")
    assert "Pending" in platform(panel, "GA4")
    assert "No click on a phone link preceded this call." in panel


def test_a_call_that_does_not_count(client, reporting_user, company):
    call = CallFactory(company=company, duration=10, answered=True)
    client.force_login(reporting_user)
    panel = detail(client, call)
    assert "No conversion rule" in panel
    assert "Not configured" in platform(panel, "Google Ads") and "Not configured" in platform(panel, "GA4")
    connected(company)
    panel = detail(client, call)
    assert "Does not count" in panel  # 10 s, under the rule's 60 s
    assert "Nothing to send" in platform(panel, "GA4")
    assert page_url(company) in panel.replace("&amp;", "&")


def test_a_conversion_without_ids_says_why_it_was_not_sent(client, manager_user, company):
    connected(company)
    call = CallFactory(company=company, duration=120, answered=True, gclid="")
    conversion = converted(call)
    conversion.ga_client_id = ""
    conversion.save()
    client.force_login(manager_user)
    panel = detail(client, call)
    assert "no Google click id" in platform(panel, "Google Ads")
    assert "_ga cookie" in platform(panel, "GA4")


# --- the settings page -------------------------------------------------------------------------


@pytest.mark.parametrize("role", [User.Role.ADMIN, User.Role.MANAGER, User.Role.REPORTING])
def test_every_role_reads_the_settings(client, make_user, company, role):
    connected(company)
    client.force_login(make_user(role, company, email=f"{role}-reader@example.com"))
    response = client.get(page_url(company))
    assert response.status_code == 200
    body = response.content.decode()
    assert "G-ABC1234" in body
    # Secrets are write-only: shown as set, never their value.
    for secret in ("ga4-secret-value", "dev-token-value", "refresh-token-value"):
        assert secret not in body
    assert "Set: leave blank to keep it" in body
    editor = role != User.Role.REPORTING
    assert ("Save conversion settings" in body) is editor
    token = ConversionSettings.objects.get(company=company).feed_token
    assert (token in body) is editor


def test_a_reporting_user_changes_nothing(client, reporting_user, company):
    settings = connected(company)
    client.force_login(reporting_user)
    assert client.post(page_url(company), {"name": "Changed", "min_duration": 0}).status_code == 403
    assert client.get(page_url(company, "dashboard:conversion-feed-rotate")).status_code == 403
    assert client.post(page_url(company, "dashboard:conversion-feed-rotate")).status_code == 403
    settings.refresh_from_db()
    assert settings.name == "Phone call"
    # The CSV is data they can see anyway.
    assert client.get(page_url(company, "dashboard:conversion-feed-csv")).status_code == 200


def form_data(**overrides):
    data = {
        "enabled": "on",
        "answered_only": "on",
        "min_duration": "90",
        "first_time_only": "on",
        "tags": ["Sales"],
        "name": "Qualified call",
        "value_mode": "fixed",
        "value": "40",
        "currency": "EUR",
        "ga4_measurement_id": "G-XYZ9876",
        "ga4_api_secret": "",
        "google_ads_customer_id": "123-456-7890",
        "google_ads_login_customer_id": "",
        "google_ads_conversion_action": "555",
        "google_ads_developer_token": "",
        "google_ads_refresh_token": "",
    }
    data.update(overrides)
    return data


def test_a_manager_saves_the_rule_through_the_service(client, manager_user, company):
    from accounts.models import Tag

    Tag.objects.create(account=company.account, company=company, name="Sales")
    settings = connected(company)
    client.force_login(manager_user)
    response = client.post(page_url(company), form_data())
    assert response.status_code == 302
    settings.refresh_from_db()
    assert settings.enabled and settings.answered_only and settings.first_time_only and not settings.good_lead_only
    assert (settings.min_duration, settings.tags, settings.name) == (90, ["Sales"], "Qualified call")
    assert (settings.value, settings.currency) == (Decimal("40.00"), "EUR")
    assert settings.google_ads_customer_id == "1234567890"
    # A blank secret keeps the one set.
    assert settings.ga4_api_secret == "ga4-secret-value"
    assert settings.google_ads_developer_token == "dev-token-value"
    entry = AuditEvent.objects.filter(action="conversion_settings.updated").latest("created_at")
    assert entry.actor == manager_user
    assert entry.changes["name"] == ["Phone call", "Qualified call"]
    assert "ga4-secret-value" not in str(entry.changes)

    # The call's own value, a new secret, and one removed.
    client.post(
        page_url(company),
        form_data(value_mode="call", value="", ga4_api_secret="new-secret", clear_secrets=["google_ads_refresh_token"]),
    )
    settings.refresh_from_db()
    assert settings.value is None
    assert settings.ga4_api_secret == "new-secret"
    assert settings.google_ads_refresh_token == ""
    entry = AuditEvent.objects.filter(action="conversion_settings.updated").latest("created_at")
    assert entry.changes["ga4_api_secret"] == ["set", "changed"]
    assert entry.changes["google_ads_refresh_token"] == ["set", "not set"]


def test_bad_input_is_shown_not_saved(client, admin_user, company):
    client.force_login(admin_user)
    response = client.post(
        page_url(company),
        form_data(currency="euro", ga4_measurement_id="UA-1", google_ads_customer_id="12", value=""),
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "three-letter ISO code" in body and "G-ABC123XYZ" in body and "ten digits" in body
    assert "Give the fixed value" in body
    assert not ConversionSettings.objects.filter(company=company).exists()


def test_the_feed_url_rotates_and_the_csv_downloads(client, admin_user, company):
    settings = connected(company)
    old = settings.feed_token
    call = CallFactory(company=company, duration=120, answered=True, gclid="Cj0KCQgood", start_time=timezone.now())
    converted(call)
    client.force_login(admin_user)
    assert client.get(page_url(company, "dashboard:conversion-feed-rotate")).status_code == 200
    assert client.post(page_url(company, "dashboard:conversion-feed-rotate")).status_code == 302
    settings.refresh_from_db()
    assert settings.feed_token != old
    assert AuditEvent.objects.filter(action="conversion_settings.feed_token_rotated", actor=admin_user).exists()
    assert settings.feed_token in client.get(page_url(company)).content.decode()

    response = client.get(page_url(company, "dashboard:conversion-feed-csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    lines = response.content.decode().splitlines()
    assert lines[0] == "Parameters:TimeZone=America/New_York"
    assert lines[1].startswith("Google Click ID,Conversion Name,Conversion Time")
    assert lines[2].startswith("Cj0KCQgood,Phone call,")


def test_without_a_company_it_lists_them(client, manager_user, company, second_company):
    connected(company)
    client.force_login(manager_user)
    body = client.get(page_url()).content.decode()
    assert "Alice Plumbing" in body and "Alice Electric" in body and "API upload" in body


def test_another_account_s_company_is_not_found(client, admin_user, other_company):
    connected(other_company)
    client.force_login(admin_user)
    for name in ("dashboard:conversions", "dashboard:conversion-feed-csv", "dashboard:conversion-feed-rotate"):
        assert client.get(page_url(other_company, name)).status_code == 404, name
    assert client.post(page_url(other_company), form_data()).status_code == 404
    assert client.post(page_url(other_company, "dashboard:conversion-feed-rotate")).status_code == 404


def test_the_integrations_page_links_to_them(client, manager_user, company):
    client.force_login(manager_user)
    body = client.get(reverse("dashboard:integrations") + f"?company={company.public_id}").content.decode()
    assert page_url(company) in body.replace("&amp;", "&")
