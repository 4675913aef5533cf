import pytest

from api.tests.roles import assert_needs_a_key, assert_rate_limited
from telephony.models import OutboundCallerId

pytestmark = pytest.mark.django_db

CALLER_ID_KEYS = {"id", "phone_number", "name", "company_id", "verified", "created_at", "validation_code"}


def url(account):
    return f"/v3/a/{account.public_id}/caller_ids.json"


def test_it_lists_a_companys_caller_ids(api_client, account, company, django_assert_max_num_queries):
    OutboundCallerId.objects.create(
        account=account,
        company=company,
        phone_number="+14043334455",
        name="Bob's Cell",
        verified=True,
        validation_code="906053",
    )
    for index in range(5):
        OutboundCallerId.objects.create(account=account, company=company, phone_number=f"+1404555000{index}", name="x")
    with django_assert_max_num_queries(6):
        response = api_client.get(url(account) + f"?company_id={company.numeric_id}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"page", "per_page", "total_pages", "total_records", "caller_ids"}
    item = body["caller_ids"][0]
    assert set(item) == CALLER_ID_KEYS
    assert (item["phone_number"], item["verified"], item["validation_code"]) == ("+14043334455", True, "906053")
    assert isinstance(item["id"], int)
    assert item["created_at"][-6:] in ("-04:00", "-05:00")


def test_company_id_is_required(api_client, account):
    assert api_client.get(url(account)).status_code == 400


def test_it_hides_other_accounts_caller_ids(api_client, account, other_company):
    OutboundCallerId.objects.create(
        account=other_company.account, company=other_company, phone_number="+14045550000", name="x"
    )
    assert api_client.get(url(account) + f"?company_id={other_company.public_id}").status_code == 404


def test_it_needs_a_key(account, company):
    assert_needs_a_key("GET", f"/v3/a/{account.public_id}/caller_ids.json?company_id={company.public_id}")


def test_it_answers_429_past_the_limit(api_client, account, company, settings):
    assert_rate_limited(
        api_client, "GET", f"/v3/a/{account.public_id}/caller_ids.json?company_id={company.public_id}", settings
    )
