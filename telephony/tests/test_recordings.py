from unittest import mock

import pytest
from django.utils import timezone

from accounts.models import User
from telephony.carrier import CarrierError
from telephony.models import Call

TWILIO_URL = "https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000000/Recordings/RE123"


@pytest.fixture
def call(company):
    return Call.objects.create(
        account=company.account,
        company=company,
        start_time=timezone.now(),
        status="completed",
        tracking_phone_number="+14045550100",
        customer_phone_number="+13035550123",
        recording_url=TWILIO_URL,
        recording_sid="RE123",
        recording_duration=38,
    )


def test_the_recording_is_served_with_its_access_key(client, call):
    response = client.get(call.recording_path)
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav"
    assert response.content[:4] == b"RIFF"
    assert TWILIO_URL.encode() not in response.content


def test_a_wrong_or_missing_key_finds_nothing(client, call):
    assert client.get(f"/telephony/recordings/{call.public_id}?access_key=0123456789abcdef0123").status_code == 404
    assert client.get(f"/telephony/recordings/{call.public_id}").status_code == 404


def test_a_call_without_recording_has_none(client, call):
    call.recording_url = ""
    call.save()
    assert call.recording_path is None
    assert (
        client.get(f"/telephony/recordings/{call.public_id}?access_key={call.recording_access_key}").status_code == 404
    )


def test_signed_in_users_of_the_account_need_no_key(client, call, admin_user, other_account):
    client.force_login(admin_user)
    assert client.get(f"/telephony/recordings/{call.public_id}").status_code == 200
    bob = User.objects.create_user(email="bob@example.com", password="pw", account=other_account, role=User.Role.ADMIN)
    client.force_login(bob)
    assert client.get(f"/telephony/recordings/{call.public_id}").status_code == 404


def test_a_carrier_failure_is_a_502(client, call):
    with mock.patch("telephony.simulated_carrier.SimulatedCarrier.fetch_recording", side_effect=CarrierError("down")):
        assert client.get(call.recording_path).status_code == 502


def test_the_player_page_embeds_our_own_url(client, call):
    response = client.get(call.recording_player_path)
    assert response.status_code == 200
    assert call.recording_path.replace("&", "&amp;").encode() in response.content
    assert b"api.twilio.com" not in response.content
