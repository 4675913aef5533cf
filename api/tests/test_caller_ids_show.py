import pytest

from api.tests.roles import assert_needs_a_key, assert_rate_limited
from api.tests.test_caller_ids_list import CALLER_ID_KEYS
from telephony.models import OutboundCallerId

pytestmark = pytest.mark.django_db


def test_it_shows_a_caller_id(api_client, account, company):
    row = OutboundCallerId.objects.create(
        account=account, company=company, phone_number="+17704445555", name="Bob's Cell"
    )
    response = api_client.get(f"/v3/a/{account.public_id}/caller_ids/{row.numeric_id}.json")
    assert response.status_code == 200
    assert set(response.json()) == CALLER_ID_KEYS


def test_it_hides_other_accounts_caller_ids(api_client, account, other_company):
    row = OutboundCallerId.objects.create(
        account=other_company.account, company=other_company, phone_number="+14045550000", name="x"
    )
    assert api_client.get(f"/v3/a/{account.public_id}/caller_ids/{row.numeric_id}.json").status_code == 404


def test_it_needs_a_key(account, company):
    row = OutboundCallerId.objects.create(account=account, company=company, phone_number="+14045550000", name="x")
    assert_needs_a_key("GET", f"/v3/a/{account.public_id}/caller_ids/{row.numeric_id}.json")


def test_it_answers_429_past_the_limit(api_client, account, company, settings):
    row = OutboundCallerId.objects.create(account=account, company=company, phone_number="+14045550000", name="x")
    assert_rate_limited(api_client, "GET", f"/v3/a/{account.public_id}/caller_ids/{row.numeric_id}.json", settings)
