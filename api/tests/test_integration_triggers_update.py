import pytest

from api.tests.roles import assert_needs_a_key, assert_rate_limited
from integrations.models import IntegrationTrigger

pytestmark = pytest.mark.django_db


def url(account, trigger):
    return f"/v3/a/{account.public_id}/integration_triggers/{trigger.numeric_id}.json"


def test_it_updates_criteria(api_client, account, company):
    trigger = IntegrationTrigger.objects.create(account=account, company=company, min_duration=3)
    response = api_client.put(url(account, trigger), {"call_type": "vm", "min_duration": "10"}, format="json")
    assert response.status_code == 200
    data = response.json()
    assert (data["call_type"], data["min_duration"]) == ("vm", 10)
    data = api_client.put(url(account, trigger), {"call_type": None}, format="json").json()
    assert data["call_type"] is None
    assert data["min_duration"] == 10


def test_bad_values_change_nothing(api_client, account, company):
    trigger = IntegrationTrigger.objects.create(account=account, company=company, max_duration=5)
    assert api_client.put(url(account, trigger), {"min_duration": 9}, format="json").status_code == 400
    trigger.refresh_from_db()
    assert trigger.min_duration is None


def test_it_hides_other_accounts_triggers(api_client, account, other_company):
    trigger = IntegrationTrigger.objects.create(account=other_company.account, company=other_company)
    assert api_client.put(url(account, trigger), {"call_type": "vm"}, format="json").status_code == 404


def test_it_needs_a_key(account, company):
    trigger = IntegrationTrigger.objects.create(account=account, company=company)
    assert_needs_a_key("PUT", f"/v3/a/{account.public_id}/integration_triggers/{trigger.numeric_id}.json")


def test_it_answers_429_past_the_limit(api_client, account, company, settings):
    trigger = IntegrationTrigger.objects.create(account=account, company=company)
    assert_rate_limited(
        api_client,
        "PUT",
        f"/v3/a/{account.public_id}/integration_triggers/{trigger.numeric_id}.json",
        settings,
        body={"min_duration": 3},
    )
