import pytest

from accounts.models import Company, User
from api.tests.roles import assert_rate_limited, client_for, user_with_role
from telephony.models import OutboundCallerId

pytestmark = pytest.mark.django_db

# Keys of a company in the reference's "Listing All Companies" example.
COMPANY_KEYS = {
    "id",
    "name",
    "status",
    "time_zone",
    "created_at",
    "disabled_at",
    "dni_active",
    "script_url",
    "callscribe_enabled",
    "lead_scoring_enabled",
    "swap_exclude_jquery",
    "swap_ppc_override",
    "swap_landing_override",
    "swap_cookie_duration",
    "swap_cookie_duration_unit",
    "callscore_enabled",
    "keyword_spotting_enabled",
    "form_capture",
}


def url(account):
    return f"/v3/a/{account.public_id}/companies.json"


def test_it_lists_companies_in_the_reference_shape(api_client, account, company):
    response = api_client.get(url(account))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"page", "per_page", "total_pages", "total_records", "companies"}
    item = body["companies"][0]
    assert set(item) == COMPANY_KEYS
    assert item["id"] == company.public_id
    assert item["status"] == "active"
    assert item["disabled_at"] is None
    assert item["dni_active"] is None
    assert item["created_at"].endswith("Z") and len(item["created_at"]) == 24
    assert item["script_url"] == f"//127.0.0.1:8000/companies/{company.numeric_id}/{company.script_token}/12/swap.js"
    assert isinstance(item["swap_cookie_duration"], int)
    assert item["swap_cookie_duration_unit"] == "months"
    for key in ("callscore_enabled", "lead_scoring_enabled", "callscribe_enabled", "form_capture"):
        assert isinstance(item[key], bool)


def test_it_hides_other_accounts_companies(api_client, account, company, other_company):
    body = api_client.get(url(account)).json()
    assert [item["id"] for item in body["companies"]] == [company.public_id]


def test_it_answers_404_for_another_accounts_path(api_client, other_account):
    response = api_client.get(url(other_account))
    assert response.status_code == 404
    assert response.json() == {"error": "Not found"}


def test_it_needs_a_key(client, account):
    response = client.get(url(account))
    assert response.status_code == 401
    assert "error" in response.json()


def test_it_filters_by_status(api_client, account, company):
    Company.objects.create(account=account, name="Closed", status="disabled")
    body = api_client.get(url(account) + "?status=disabled").json()
    assert [item["name"] for item in body["companies"]] == ["Closed"]
    assert api_client.get(url(account) + "?status=active").json()["total_records"] == 1
    response = api_client.get(url(account) + "?status=bogus")
    assert response.status_code == 400
    assert "error" in response.json()


def test_it_searches_names(api_client, account, company):
    Company.objects.create(account=account, name="Widget Shop")
    body = api_client.get(url(account) + "?search=widget").json()
    assert [item["name"] for item in body["companies"]] == ["Widget Shop"]


def test_it_sorts_by_name(api_client, account, company):
    Company.objects.create(account=account, name="Zed")
    Company.objects.create(account=account, name="Abe")
    names = [item["name"] for item in api_client.get(url(account) + "?sort=name&order=desc").json()["companies"]]
    assert names == ["Zed", "Alice Plumbing", "Abe"]
    names = [item["name"] for item in api_client.get(url(account) + "?sort=name").json()["companies"]]
    assert names == ["Abe", "Alice Plumbing", "Zed"]
    assert api_client.get(url(account) + "?sort=created_at").status_code == 400


def test_it_adds_verified_caller_ids_on_request(api_client, account, company, django_assert_max_num_queries):
    OutboundCallerId.objects.create(
        account=account, company=company, phone_number="+14043334455", name="Bob's Cell", verified=True
    )
    OutboundCallerId.objects.create(account=account, company=company, phone_number="+14045550000", name="Pending")
    assert "verified_caller_ids" not in api_client.get(url(account)).json()["companies"][0]
    with django_assert_max_num_queries(6):
        body = api_client.get(url(account) + "?fields=verified_caller_ids").json()
    assert body["companies"][0]["verified_caller_ids"] == [{"name": "Bob's Cell", "phone_number": "+14043334455"}]


def test_it_pages(api_client, account, company, django_assert_max_num_queries):
    for index in range(4):
        Company.objects.create(account=account, name=f"Company {index}")
    with django_assert_max_num_queries(5):
        response = api_client.get(url(account) + "?per_page=2&page=2")
    body = response.json()
    assert (body["page"], body["per_page"], body["total_pages"], body["total_records"]) == (2, 2, 3, 5)
    assert len(body["companies"]) == 2
    assert 'rel="next"' in response["Link"] and "page=3" in response["Link"]


def test_a_repeated_page_key_keeps_the_last_value(api_client, account, company):
    Company.objects.create(account=account, name="Second")
    body = api_client.get(url(account) + "?per_page=1&page=1&page=2").json()
    assert body["page"] == 2
    assert body["companies"][0]["name"] == "Second"


def test_unknown_parameters_are_ignored(api_client, account, company):
    assert api_client.get(url(account) + "?colour=blue&start_date=2020-01-01").json()["total_records"] == 1


def test_relative_pagination_is_honoured(api_client, account, company):
    for index in range(2):
        Company.objects.create(account=account, name=f"Company {index}")
    body = api_client.get(url(account) + "?relative_pagination=true&per_page=2").json()
    assert body["has_next_page"] is True
    second = api_client.get(body["next_page"]).json()
    assert second["has_next_page"] is False
    assert len(body["companies"]) + len(second["companies"]) == 3


def test_non_admins_see_only_their_companies(account, company):
    Company.objects.create(account=account, name="Hidden")
    reporting = client_for(user_with_role(account, User.Role.REPORTING, [company]))
    body = reporting.get(url(account)).json()
    assert [item["id"] for item in body["companies"]] == [company.public_id]


def test_it_answers_429_past_the_limit(api_client, account, settings):
    assert_rate_limited(api_client, "GET", f"/v3/a/{account.public_id}/companies.json", settings)
