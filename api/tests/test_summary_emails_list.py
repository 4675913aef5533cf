import pytest

from accounts.models import User
from api.tests.roles import assert_needs_a_key, assert_rate_limited, client_for, user_with_role
from integrations.models import SummaryEmail

pytestmark = pytest.mark.django_db

SUMMARY_KEYS = {"id", "scope", "frequency", "config", "user", "email"}
CONFIG = {"summary_statistics": True, "top_sources": True, "top_keywords": True, "call_log": True}


def url(account):
    # The reference lists summary emails without the .json suffix; only .json paths exist here.
    return f"/v3/a/{account.public_id}/summary_emails.json"


def test_it_lists_subscriptions_in_the_reference_shape(
    api_client, account, company, admin_user, django_assert_max_num_queries
):
    SummaryEmail.objects.create(
        account=account, company=company, user=admin_user, frequency=["daily", "weekly"], config=CONFIG
    )
    SummaryEmail.objects.create(account=account, user=admin_user, frequency=["monthly"], config=CONFIG)
    with django_assert_max_num_queries(5):
        response = api_client.get(url(account))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"page", "per_page", "total_pages", "total_records", "summary_emails"}
    first, second = body["summary_emails"]
    assert set(first) == SUMMARY_KEYS
    assert first["id"].startswith("CSS")
    assert first["scope"] == {"id": company.public_id, "type": "Company", "name": company.name}
    assert first["frequency"] == ["daily", "weekly"]
    assert first["config"] == CONFIG
    assert first["user"] == {"id": admin_user.public_id, "name": "Alice", "email": admin_user.email}
    assert second["scope"] == {"id": account.public_id, "type": "Account", "name": account.name}


def test_it_filters(api_client, account, company, admin_user):
    teddy = user_with_role(account, User.Role.REPORTING, [company])
    SummaryEmail.objects.create(account=account, company=company, user=admin_user, frequency=["daily"], config=CONFIG)
    SummaryEmail.objects.create(account=account, user=teddy, frequency=["weekly", "monthly"], config=CONFIG)
    SummaryEmail.objects.create(
        account=account, company=company, email="boss@example.com", frequency=["monthly"], config=CONFIG
    )
    total = lambda query: api_client.get(url(account) + query).json()["total_records"]  # noqa: E731
    assert total("") == 3
    assert total("?frequency[]=monthly") == 2
    assert total("?frequency[]=daily&frequency[]=weekly") == 2
    assert total(f"?company_id={company.public_id}") == 2
    assert total(f"?user_id={teddy.public_id}") == 1
    assert total("?email=boss@example.com") == 1
    assert api_client.get(url(account) + "?frequency=hourly").status_code == 400


def test_other_roles_see_their_own(account, company, admin_user):
    teddy = user_with_role(account, User.Role.REPORTING, [company])
    SummaryEmail.objects.create(account=account, user=admin_user, frequency=["daily"], config=CONFIG)
    mine = SummaryEmail.objects.create(account=account, user=teddy, frequency=["daily"], config=CONFIG)
    body = client_for(teddy).get(url(account)).json()
    assert [item["id"] for item in body["summary_emails"]] == [mine.public_id]


def test_it_hides_other_accounts_subscriptions(api_client, account, other_account):
    SummaryEmail.objects.create(account=other_account, email="x@example.com", frequency=["daily"], config=CONFIG)
    assert api_client.get(url(account)).json()["total_records"] == 0
    assert api_client.get(url(other_account)).status_code == 404


def test_it_needs_a_key(account):
    assert_needs_a_key("GET", f"/v3/a/{account.public_id}/summary_emails.json")


def test_it_answers_429_past_the_limit(api_client, account, settings):
    assert_rate_limited(api_client, "GET", f"/v3/a/{account.public_id}/summary_emails.json", settings)
