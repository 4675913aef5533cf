import pytest

from accounts.models import User
from api.tests.factories import TrackerFactory
from api.tests.roles import assert_needs_a_key, assert_rate_limited, client_for, user_with_role
from api.tests.test_integration_triggers_list import TRIGGER_KEYS
from integrations.models import Integration, IntegrationTrigger

pytestmark = pytest.mark.django_db


def url(account):
    return f"/v3/a/{account.public_id}/integration_triggers.json"


@pytest.fixture
def integration(account, company):
    return Integration.objects.create(account=account, company=company, type="Webhooks")


def test_it_creates_a_trigger_for_an_integration(api_client, account, company, integration):
    tracker = TrackerFactory(company=company)
    body = {
        "company_id": company.public_id,
        "integration_id": integration.numeric_id,
        "tracker_ids": [tracker.public_id],
        "call_type": None,
        "min_duration": 1,
        "max_duration": 11,
        "lead_status": None,
    }
    response = api_client.post(url(account), body, format="json")
    assert response.status_code == 201
    data = response.json()
    assert set(data) == TRIGGER_KEYS
    assert data["integration"] == {"id": integration.numeric_id, "type": "Webhooks"}
    assert (data["tracker_ids"], data["min_duration"], data["max_duration"]) == ([tracker.public_id], 1, 11)
    assert IntegrationTrigger.objects.get(numeric_id=data["id"]).integration == integration


def test_without_an_integration_it_is_the_company_default(api_client, account, company):
    data = api_client.post(url(account), {"company_id": company.public_id, "lead_status": 1}, format="json").json()
    assert data["integration_id"] is None
    assert data["lead_status"] == "good_lead"
    response = api_client.post(url(account), {"company_id": company.public_id}, format="json")
    assert response.status_code == 400
    assert "default integration trigger" in response.json()["error"]


def test_one_trigger_per_integration(api_client, account, company, integration):
    body = {"company_id": company.public_id, "integration_id": integration.numeric_id}
    assert api_client.post(url(account), body, format="json").status_code == 201
    response = api_client.post(url(account), body, format="json")
    assert response.status_code == 400
    assert "already has an integration trigger" in response.json()["error"]


def test_the_integration_must_be_active(api_client, account, company, integration):
    integration.state = "disabled"
    integration.save()
    body = {"company_id": company.public_id, "integration_id": integration.numeric_id}
    assert api_client.post(url(account), body, format="json").status_code == 400


@pytest.mark.parametrize(
    "changes",
    [
        {"call_type": "all_calls"},
        {"min_duration": -1},
        {"min_duration": 20, "max_duration": 10},
        {"lead_status": "hot"},
        {"tracker_ids": ["TRK" + "0" * 32]},
    ],
)
def test_bad_criteria_are_400s(api_client, account, company, integration, changes):
    body = {"company_id": company.public_id, "integration_id": integration.numeric_id, **changes}
    response = api_client.post(url(account), body, format="json")
    assert response.status_code == 400
    assert "error" in response.json()
    assert not IntegrationTrigger.objects.exists()


def test_reporting_users_cannot_create(account, company):
    reporting = client_for(user_with_role(account, User.Role.REPORTING, [company]))
    assert reporting.post(url(account), {"company_id": company.public_id}, format="json").status_code == 403


def test_another_accounts_integration_is_not_found(api_client, account, company, other_company):
    foreign = Integration.objects.create(account=other_company.account, company=other_company, type="Webhooks")
    body = {"company_id": company.public_id, "integration_id": foreign.numeric_id}
    assert api_client.post(url(account), body, format="json").status_code == 404


def test_it_needs_a_key(account, company):
    assert_needs_a_key("POST", f"/v3/a/{account.public_id}/integration_triggers.json")


def test_it_answers_429_past_the_limit(api_client, account, company, settings):
    assert_rate_limited(
        api_client,
        "POST",
        f"/v3/a/{account.public_id}/integration_triggers.json",
        settings,
        body={"company_id": company.public_id},
    )
