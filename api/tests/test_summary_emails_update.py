import pytest

from accounts.models import User
from api.tests.roles import assert_needs_a_key, assert_rate_limited, client_for, user_with_role
from api.tests.test_summary_emails_list import CONFIG
from integrations.models import SummaryEmail

pytestmark = pytest.mark.django_db


def url(account, summary):
    return f"/v3/a/{account.public_id}/summary_emails/{summary.public_id}.json"


def test_it_replaces_frequencies_and_merges_sections(api_client, account, company, admin_user):
    summary = SummaryEmail.objects.create(
        account=account, company=company, user=admin_user, frequency=["daily"], config=CONFIG
    )
    body = {"frequency": ["monthly", "weekly"], "config": {"call_log": False}, "filters": {"lead_status": "Lead"}}
    response = api_client.put(url(account, summary), body, format="json")
    assert response.status_code == 200
    data = response.json()
    assert data["frequency"] == ["monthly", "weekly"]
    assert data["config"] == {**CONFIG, "call_log": False}
    assert data["filters"] == {"lead_status": "Lead"}


def test_bad_values_are_400s(api_client, account, admin_user):
    summary = SummaryEmail.objects.create(account=account, user=admin_user, frequency=["daily"], config=CONFIG)
    assert api_client.put(url(account, summary), {"frequency": ["sometimes"]}, format="json").status_code == 400
    summary.refresh_from_db()
    assert summary.frequency == ["daily"]


def test_other_users_records_are_for_admins(account, company, admin_user):
    summary = SummaryEmail.objects.create(account=account, user=admin_user, frequency=["daily"], config=CONFIG)
    teddy = client_for(user_with_role(account, User.Role.REPORTING, [company]))
    assert teddy.put(url(account, summary), {"frequency": ["weekly"]}, format="json").status_code == 403


def test_it_hides_other_accounts_subscriptions(api_client, account, other_account):
    summary = SummaryEmail.objects.create(
        account=other_account, email="x@example.com", frequency=["daily"], config=CONFIG
    )
    assert api_client.put(url(account, summary), {"frequency": ["weekly"]}, format="json").status_code == 404


def test_it_needs_a_key(account, admin_user):
    summary = SummaryEmail.objects.create(account=account, user=admin_user, frequency=["daily"], config=CONFIG)
    assert_needs_a_key("PUT", f"/v3/a/{account.public_id}/summary_emails/{summary.public_id}.json")


def test_it_answers_429_past_the_limit(api_client, account, admin_user, settings):
    summary = SummaryEmail.objects.create(account=account, user=admin_user, frequency=["daily"], config=CONFIG)
    assert_rate_limited(
        api_client,
        "PUT",
        f"/v3/a/{account.public_id}/summary_emails/{summary.public_id}.json",
        settings,
        body={"frequency": ["weekly"]},
    )
