import pytest

from accounts.models import Company, Tag, User
from api.tests.roles import assert_rate_limited, client_for, user_with_role

pytestmark = pytest.mark.django_db

TAG_KEYS = {"id", "name", "tag_level", "color", "background_color", "company_id", "status", "created_at"}


def url(account):
    return f"/v3/a/{account.public_id}/tags.json"


@pytest.fixture
def tags(account, company):
    return [
        Tag.objects.create(account=account, company=company, name="Sales", color="blue2"),
        Tag.objects.create(account=account, company=company, name="Conversion", status="disabled"),
        Tag.objects.create(account=account, company=None, name="Everywhere", tag_level="account"),
    ]


def test_it_lists_tags_in_the_reference_shape(api_client, account, company, tags):
    response = api_client.get(url(account))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"page", "per_page", "total_pages", "total_records", "tags"}
    assert [item["name"] for item in body["tags"]] == ["Conversion", "Everywhere", "Sales"]
    sales = body["tags"][2]
    assert set(sales) == TAG_KEYS
    assert isinstance(sales["id"], int)
    assert sales["company_id"] == company.public_id
    assert (sales["color"], sales["background_color"], sales["tag_level"]) == ("blue2", "blue2", "company")
    # In the key user's zone (America/New_York) with milliseconds and an offset.
    assert sales["created_at"][-6:] in ("-04:00", "-05:00") and sales["created_at"][19] == "."
    assert body["tags"][1]["company_id"] is None


def test_it_filters(api_client, account, company, tags):
    other = Company.objects.create(account=account, name="Other")
    Tag.objects.create(account=account, company=other, name="Elsewhere")
    names = lambda query: [item["name"] for item in api_client.get(url(account) + query).json()["tags"]]  # noqa: E731
    assert names(f"?company_id={company.public_id}") == ["Conversion", "Sales"]
    assert names(f"?company_id={other.numeric_id}") == ["Elsewhere"]
    assert names("?status=disabled") == ["Conversion"]
    assert names("?tag_level=account") == ["Everywhere"]
    assert names("?tag_level=company&status=enabled") == ["Elsewhere", "Sales"]


def test_account_level_with_a_company_is_a_400(api_client, account, company, tags):
    response = api_client.get(url(account) + f"?tag_level=account&company_id={company.public_id}")
    assert response.status_code == 400
    assert "tag_level" in response.json()["error"]


def test_it_sorts_by_name(api_client, account, tags):
    body = api_client.get(url(account) + "?sort=name&order=desc").json()
    assert [item["name"] for item in body["tags"]] == ["Sales", "Everywhere", "Conversion"]


def test_it_hides_other_accounts_tags(api_client, account, tags, other_company):
    Tag.objects.create(account=other_company.account, company=other_company, name="Bob's")
    assert "Bob's" not in [item["name"] for item in api_client.get(url(account)).json()["tags"]]
    assert api_client.get(url(other_company.account)).status_code == 404


def test_non_admins_see_their_companies_and_account_tags(account, company, tags):
    hidden = Company.objects.create(account=account, name="Hidden")
    Tag.objects.create(account=account, company=hidden, name="Secret")
    client = client_for(user_with_role(account, User.Role.REPORTING, [company]))
    names = [item["name"] for item in client.get(url(account)).json()["tags"]]
    assert names == ["Conversion", "Everywhere", "Sales"]


def test_it_pages_in_few_queries(api_client, account, company, django_assert_max_num_queries):
    for index in range(30):
        Tag.objects.create(account=account, company=company, name=f"tag {index:02}")
    with django_assert_max_num_queries(5):
        body = api_client.get(url(account) + "?per_page=10&page=3").json()
    assert body["total_pages"] == 3
    assert body["tags"][0]["name"] == "tag 20"


def test_it_needs_a_key(client, account):
    assert client.get(url(account)).status_code == 401


def test_it_answers_429_past_the_limit(api_client, account, settings):
    assert_rate_limited(api_client, "GET", f"/v3/a/{account.public_id}/tags.json", settings)
