import pytest

from accounts.models import User
from api.tests.roles import assert_needs_a_key, assert_rate_limited, client_for, user_with_role
from api.tests.test_summary_emails_list import CONFIG
from integrations.models import SummaryEmail

pytestmark = pytest.mark.django_db


def url(account, summary):
    return f"/v3/a/{account.public_id}/summary_emails/{summary.public_id}.json"


def test_it_unsubscribes(api_client, account, admin_user):
    summary = SummaryEmail.objects.create(account=account, user=admin_user, frequency=["daily"], config=CONFIG)
    assert api_client.delete(url(account, summary)).status_code == 204
    assert not SummaryEmail.objects.filter(pk=summary.pk).exists()


def test_someone_elses_subscription_is_a_403(account, company, admin_user):
    summary = SummaryEmail.objects.create(account=account, user=admin_user, frequency=["daily"], config=CONFIG)
    teddy = client_for(user_with_role(account, User.Role.REPORTING, [company]))
    response = teddy.delete(url(account, summary))
    assert response.status_code == 403
    assert response.json() == {"error": "You do not have permission to perform the requested action"}


def test_it_hides_other_accounts_subscriptions(api_client, account, other_account):
    summary = SummaryEmail.objects.create(
        account=other_account, email="x@example.com", frequency=["daily"], config=CONFIG
    )
    assert api_client.delete(url(account, summary)).status_code == 404


def test_it_needs_a_key(account, admin_user):
    summary = SummaryEmail.objects.create(account=account, user=admin_user, frequency=["daily"], config=CONFIG)
    assert_needs_a_key("DELETE", f"/v3/a/{account.public_id}/summary_emails/{summary.public_id}.json")


def test_it_answers_429_past_the_limit(api_client, account, admin_user, settings):
    summary = SummaryEmail.objects.create(account=account, user=admin_user, frequency=["daily"], config=CONFIG)
    assert_rate_limited(
        api_client, "DELETE", f"/v3/a/{account.public_id}/summary_emails/{summary.public_id}.json", settings
    )
