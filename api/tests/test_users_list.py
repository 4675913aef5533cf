import pytest

from accounts.models import Company, User
from api.tests.roles import assert_rate_limited, client_for, user_with_role

pytestmark = pytest.mark.django_db

USER_KEYS = {"email", "id", "created_at", "role", "first_name", "last_name", "name", "companies"}


def url(account):
    return f"/v3/a/{account.public_id}/users.json"


def test_it_lists_users_in_the_reference_shape(api_client, account, company, admin_user):
    reporting = user_with_role(account, User.Role.REPORTING, [company], email="teddy@example.com")
    response = api_client.get(url(account))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"page", "per_page", "total_pages", "total_records", "users"}
    alice, teddy = body["users"]
    assert set(alice) == USER_KEYS | {"accepted"}
    assert alice["id"] == admin_user.public_id
    assert (alice["name"], alice["role"], alice["accepted"]) == ("Alice", "admin", True)
    assert alice["companies"] == [{"id": company.public_id, "name": company.name}]
    assert teddy["email"] == reporting.email
    assert teddy["companies"] == [{"id": company.public_id, "name": company.name}]
    assert alice["created_at"][-6:] in ("-04:00", "-05:00")


def test_it_filters_by_company_and_searches(api_client, account, company, admin_user):
    other = Company.objects.create(account=account, name="Other")
    user_with_role(account, User.Role.MANAGER, [other], email="linda@example.com")
    user_with_role(account, User.Role.REPORTING, [company], email="teddy@example.com")
    emails = lambda query: [u["email"] for u in api_client.get(url(account) + query).json()["users"]]  # noqa: E731
    assert emails(f"?company_id={other.public_id}") == ["alice@example.com", "linda@example.com"]
    assert emails("?search=TEDDY") == ["teddy@example.com"]
    assert emails("?search=Manager") == ["linda@example.com"]


def test_it_sorts(api_client, account, company, admin_user):
    user_with_role(account, User.Role.REPORTING, [company], email="zed@example.com")
    emails = [u["email"] for u in api_client.get(url(account) + "?sort=email&order=desc").json()["users"]]
    assert emails == ["zed@example.com", "alice@example.com"]
    newest_first = [u["email"] for u in api_client.get(url(account) + "?sort=created_at").json()["users"]]
    assert newest_first == ["zed@example.com", "alice@example.com"]


def test_it_hides_other_accounts_users(api_client, account, other_api_client, other_company):
    emails = [u["email"] for u in api_client.get(url(account)).json()["users"]]
    assert "bob@example.com" not in emails
    assert api_client.get(f"/v3/a/{other_company.account.public_id}/users.json").status_code == 404


def test_other_roles_see_only_themselves(account, company, admin_user):
    me = user_with_role(account, User.Role.MANAGER, [company])
    body = client_for(me).get(url(account)).json()
    assert [u["id"] for u in body["users"]] == [me.public_id]


def test_it_pages_in_few_queries(api_client, account, company, django_assert_max_num_queries):
    for index in range(12):
        user_with_role(account, User.Role.REPORTING, [company], email=f"u{index:02}@example.com")
    with django_assert_max_num_queries(7):
        body = api_client.get(url(account) + "?per_page=5&page=2").json()
    assert body["total_records"] == 13
    assert len(body["users"]) == 5


def test_it_needs_a_key(client, account):
    assert client.get(url(account)).status_code == 401


def test_it_answers_429_past_the_limit(api_client, account, settings):
    assert_rate_limited(api_client, "GET", f"/v3/a/{account.public_id}/users.json", settings)
