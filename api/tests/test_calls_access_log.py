"""HIPAA accounts' audit trail: each read of a call's details or recording link through the
API is written down (who, with which key, when, from where); other accounts' are not."""

import pytest

from accounts.models import ApiKey
from api.tests.factories import CallFactory
from telephony.access import call_access_record
from telephony.models import CallAccess

pytestmark = pytest.mark.django_db

RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"


@pytest.fixture
def hipaa(account):
    account.hipaa_account = True
    account.save()
    return account


def test_reading_a_call_and_its_recording_is_recorded(api_client, hipaa, admin_user, company):
    call = CallFactory(company=company, recording_url=RECORDING, recording_sid="RE1")
    base = f"/v3/a/{hipaa.public_id}/calls/{call.public_id}"
    assert api_client.get(f"{base}.json", REMOTE_ADDR="203.0.113.9").status_code == 200
    assert api_client.get(f"{base}/recording.json", REMOTE_ADDR="203.0.113.9").status_code == 200

    rows = list(CallAccess.objects.order_by("id"))
    assert [row.what for row in rows] == ["call", "recording"]
    key = ApiKey.objects.get(user=admin_user)
    for row in rows:
        assert (row.account, row.call, row.call_public_id) == (hipaa, call, call.public_id)
        assert (row.user, row.api_key, row.ip_address) == (admin_user, key, "203.0.113.9")
        assert row.created_at is not None


def test_the_trail_outlives_the_call(hipaa, admin_user, company):
    call = CallFactory(company=company)
    call_access_record(call, admin_user, "2001:db8::1", "call")
    call.delete()
    row = CallAccess.objects.get()
    assert (row.call, row.call_public_id, row.user, row.ip_address) == (None, call.public_id, admin_user, "2001:db8::1")


def test_an_unreadable_address_is_left_out(hipaa, admin_user, company):
    call_access_record(CallFactory(company=company), admin_user, "not-an-ip", "recording")
    assert CallAccess.objects.get().ip_address is None


def test_a_proxy_address_is_used_when_the_deployment_trusts_it(api_client, hipaa, company, settings):
    settings.DNI_TRUST_X_FORWARDED_FOR = True
    call = CallFactory(company=company)
    api_client.get(
        f"/v3/a/{hipaa.public_id}/calls/{call.public_id}.json",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.7, 10.0.0.2",
    )
    assert CallAccess.objects.get().ip_address == "198.51.100.7"


def test_other_accounts_reads_leave_no_trail(api_client, account, company):
    call = CallFactory(company=company, recording_url=RECORDING)
    api_client.get(f"/v3/a/{account.public_id}/calls/{call.public_id}.json")
    api_client.get(f"/v3/a/{account.public_id}/calls/{call.public_id}/recording.json")
    assert not CallAccess.objects.exists()
