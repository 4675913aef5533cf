"""Our extension of the company: call conversions for Google Ads and GA4."""

import pytest

from api.tests.test_companies_list import COMPANY_KEYS
from integrations.models import ConversionSettings

pytestmark = pytest.mark.django_db

RULE = {
    "enabled": True,
    "min_duration": 60,
    "answered_only": True,
    "first_time_only": False,
    "good_lead_only": True,
    "tags": ["Booked"],
    "name": "Phone call",
    "value": 25.5,
    "currency": "EUR",
}


def url(account, company, query=""):
    return f"/v3/a/{account.public_id}/companies/{company.public_id}.json" + (f"?{query}" if query else "")


def test_the_rule_and_credentials_are_set_and_the_secrets_never_shown(api_client, account, company, settings):
    settings.PUBLIC_BASE_URL = "https://calls.example.com"
    body = {"call_conversion": RULE, "ga4_measurement_id": "G-ABC1234", "ga4_api_secret": "s3cret"}
    response = api_client.put(url(account, company), body, format="json")
    assert response.status_code == 200
    data = response.json()
    assert data["call_conversion"] == RULE
    assert data["ga4_measurement_id"] == "G-ABC1234"
    assert "ga4_api_secret" not in data and "s3cret" not in response.content.decode()
    stored = ConversionSettings.objects.get(company=company)
    assert stored.ga4_api_secret == "s3cret"
    assert data["google_ads_feed_url"] == (
        f"https://calls.example.com/conversions/google-ads/{company.public_id}/{stored.feed_token}.csv"
    )
    # Shown on request only; a partial change keeps the rest.
    assert set(api_client.get(url(account, company)).json()) == COMPANY_KEYS
    api_client.put(url(account, company), {"call_conversion": {"min_duration": 30}}, format="json")
    shown = api_client.get(url(account, company, "fields=call_conversion,google_ads_feed_url")).json()
    assert shown["call_conversion"] == {**RULE, "min_duration": 30}
    assert shown["google_ads_feed_url"] == data["google_ads_feed_url"]


def test_the_feed_token_rotates(api_client, account, company):
    first = api_client.put(url(account, company), {"call_conversion": {"enabled": True}}, format="json").json()
    second = api_client.put(url(account, company), {"rotate_google_ads_feed_token": True}, format="json").json()
    assert second["google_ads_feed_url"] != first["google_ads_feed_url"]


def test_google_ads_credentials_are_stored_normalised(api_client, account, company):
    body = {
        "google_ads_customer_id": "123-456-7890",
        "google_ads_conversion_action": "987654321",
        "google_ads_developer_token": "dev-token",
        "google_ads_refresh_token": "1//refresh",
    }
    data = api_client.put(url(account, company), body, format="json").json()
    assert "dev-token" not in str(data) and "1//refresh" not in str(data)
    stored = ConversionSettings.objects.get(company=company)
    assert stored.google_ads_customer_id == "1234567890"
    assert stored.google_ads_configured


def test_a_company_never_configured_shows_the_defaults(api_client, account, company):
    data = api_client.get(url(account, company, "fields=call_conversion,google_ads_feed_url,ga4_measurement_id")).json()
    assert data["call_conversion"]["enabled"] is False
    assert data["google_ads_feed_url"] is None
    assert data["ga4_measurement_id"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"call_conversion": {"min_duration": -1}},
        {"call_conversion": {"currency": "dollars"}},
        {"call_conversion": {"tags": "Booked"}},
        {"call_conversion": "yes"},
        {"ga4_measurement_id": "UA-1234"},
        {"google_ads_customer_id": "12"},
    ],
)
def test_bad_input_is_a_400(api_client, account, company, body):
    response = api_client.put(url(account, company), body, format="json")
    assert response.status_code == 400
    assert "error" in response.json()
    assert not ConversionSettings.objects.exists()


def test_another_accounts_company_is_a_404(api_client, account, other_company):
    response = api_client.put(url(account, other_company), {"call_conversion": RULE}, format="json")
    assert response.status_code == 404
    assert not ConversionSettings.objects.exists()
