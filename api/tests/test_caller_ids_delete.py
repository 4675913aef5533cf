import pytest

from api.tests.roles import assert_needs_a_key, assert_rate_limited
from telephony.models import OutboundCallerId

pytestmark = pytest.mark.django_db


def test_it_deletes(api_client, account, company):
    row = OutboundCallerId.objects.create(account=account, company=company, phone_number="+14045550000", name="x")
    assert api_client.delete(f"/v3/a/{account.public_id}/caller_ids/{row.numeric_id}.json").status_code == 204
    assert not OutboundCallerId.objects.filter(pk=row.pk).exists()


def test_it_hides_other_accounts_caller_ids(api_client, account, other_company):
    row = OutboundCallerId.objects.create(
        account=other_company.account, company=other_company, phone_number="+14045550000", name="x"
    )
    assert api_client.delete(f"/v3/a/{account.public_id}/caller_ids/{row.numeric_id}.json").status_code == 404
    assert OutboundCallerId.objects.filter(pk=row.pk).exists()


def test_it_needs_a_key(account, company):
    row = OutboundCallerId.objects.create(account=account, company=company, phone_number="+14045550000", name="x")
    assert_needs_a_key("DELETE", f"/v3/a/{account.public_id}/caller_ids/{row.numeric_id}.json")


def test_it_answers_429_past_the_limit(api_client, account, company, settings):
    row = OutboundCallerId.objects.create(account=account, company=company, phone_number="+14045550000", name="x")
    assert_rate_limited(api_client, "DELETE", f"/v3/a/{account.public_id}/caller_ids/{row.numeric_id}.json", settings)
