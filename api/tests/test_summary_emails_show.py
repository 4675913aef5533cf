import pytest

from accounts.models import User
from api.tests.roles import assert_needs_a_key, assert_rate_limited, client_for, user_with_role
from api.tests.test_summary_emails_list import CONFIG, SUMMARY_KEYS
from integrations.models import SummaryEmail

pytestmark = pytest.mark.django_db


def url(account, summary):
    return f"/v3/a/{account.public_id}/summary_emails/{summary.public_id}.json"


def test_it_shows_a_subscription(api_client, account, admin_user):
    summary = SummaryEmail.objects.create(account=account, user=admin_user, frequency=["daily"], config=CONFIG)
    body = api_client.get(url(account, summary)).json()
    assert set(body) == SUMMARY_KEYS
    assert body["scope"]["type"] == "Account"


def test_other_users_records_are_for_admins(account, company, admin_user):
    summary = SummaryEmail.objects.create(account=account, user=admin_user, frequency=["daily"], config=CONFIG)
    teddy = client_for(user_with_role(account, User.Role.REPORTING, [company]))
    assert teddy.get(url(account, summary)).status_code == 403


def test_it_hides_other_accounts_subscriptions(api_client, account, other_account):
    summary = SummaryEmail.objects.create(
        account=other_account, email="x@example.com", frequency=["daily"], config=CONFIG
    )
    assert api_client.get(url(account, summary)).status_code == 404


def test_numeric_ids_are_not_found(api_client, account):
    # Summary emails have CSS… ids only.
    response = api_client.get(f"/v3/a/{account.public_id}/summary_emails/100000000.json")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found"}


def test_it_needs_a_key(account, admin_user):
    summary = SummaryEmail.objects.create(account=account, user=admin_user, frequency=["daily"], config=CONFIG)
    assert_needs_a_key("GET", f"/v3/a/{account.public_id}/summary_emails/{summary.public_id}.json")


def test_it_answers_429_past_the_limit(api_client, account, admin_user, settings):
    summary = SummaryEmail.objects.create(account=account, user=admin_user, frequency=["daily"], config=CONFIG)
    assert_rate_limited(
        api_client, "GET", f"/v3/a/{account.public_id}/summary_emails/{summary.public_id}.json", settings
    )
