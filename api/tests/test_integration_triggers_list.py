import pytest

from api.tests.roles import assert_needs_a_key, assert_rate_limited
from integrations.models import Integration, IntegrationTrigger

pytestmark = pytest.mark.django_db

TRIGGER_KEYS = {
    "id",
    "company_id",
    "integration_id",
    "tracker_ids",
    "call_type",
    "min_duration",
    "max_duration",
    "lead_status",
    "integration",
}


def url(account):
    return f"/v3/a/{account.public_id}/integration_triggers.json"


def test_it_lists_triggers_under_integration_criteria(api_client, account, company, django_assert_max_num_queries):
    IntegrationTrigger.objects.create(account=account, company=company, lead_status="good_lead")
    webhooks = Integration.objects.create(account=account, company=company, type="Webhooks")
    IntegrationTrigger.objects.create(
        account=account, company=company, integration=webhooks, call_type="first_call", min_duration=3
    )
    with django_assert_max_num_queries(5):
        response = api_client.get(url(account) + f"?company_id={company.public_id}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"page", "per_page", "total_pages", "total_records", "integration_criteria"}
    default, own = body["integration_criteria"]
    assert set(default) == TRIGGER_KEYS
    assert default["integration_id"] is None
    assert default["integration"] == {"id": None, "type": "All (Default Integration Trigger)"}
    assert default["lead_status"] == "good_lead"
    assert default["tracker_ids"] == []
    assert own["integration"] == {"id": webhooks.numeric_id, "type": "Webhooks"}
    assert (own["call_type"], own["min_duration"], own["max_duration"]) == ("first_call", 3, None)
    assert own["company_id"] == company.public_id


def test_company_id_is_required(api_client, account):
    assert api_client.get(url(account)).status_code == 400


def test_it_hides_other_accounts_triggers(api_client, account, other_company):
    IntegrationTrigger.objects.create(account=other_company.account, company=other_company)
    assert api_client.get(url(account) + f"?company_id={other_company.public_id}").status_code == 404


def test_it_needs_a_key(account, company):
    assert_needs_a_key("GET", f"/v3/a/{account.public_id}/integration_triggers.json?company_id={company.public_id}")


def test_it_answers_429_past_the_limit(api_client, account, company, settings):
    assert_rate_limited(
        api_client,
        "GET",
        f"/v3/a/{account.public_id}/integration_triggers.json?company_id={company.public_id}",
        settings,
    )
