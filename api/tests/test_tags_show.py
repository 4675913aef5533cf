import pytest

from accounts.models import Tag
from api.tests.roles import assert_needs_a_key, assert_rate_limited

pytestmark = pytest.mark.django_db


def test_it_shows_one_tag(api_client, account, company):
    tag = Tag.objects.create(account=account, company=company, name="Sales")
    response = api_client.get(f"/v3/a/{account.public_id}/tags/{tag.numeric_id}.json")
    assert response.status_code == 200
    assert response.json()["id"] == tag.numeric_id
    assert response.json()["name"] == "Sales"


def test_it_hides_other_accounts_tags(api_client, account, other_company):
    tag = Tag.objects.create(account=other_company.account, company=other_company, name="Bob's")
    response = api_client.get(f"/v3/a/{account.public_id}/tags/{tag.numeric_id}.json")
    assert response.status_code == 404
    assert api_client.get(f"/v3/a/{account.public_id}/tags/abc.json").status_code == 404


def test_it_needs_a_key(account, company):
    tag = Tag.objects.create(account=account, company=company, name="Limited")
    assert_needs_a_key("GET", f"/v3/a/{account.public_id}/tags/{tag.numeric_id}.json")


def test_it_answers_429_past_the_limit(api_client, account, company, settings):
    tag = Tag.objects.create(account=account, company=company, name="Limited")
    assert_rate_limited(api_client, "GET", f"/v3/a/{account.public_id}/tags/{tag.numeric_id}.json", settings)
