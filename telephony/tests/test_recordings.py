"""Recordings and voicemails are served by one view, opened by signed links that expire:
the audio proxied from the carrier, with HTTP Range for seeking, and a player page."""

import time
import wave
from io import BytesIO
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from telephony import recording_links
from telephony.carrier import CarrierError
from telephony.models import Call
from telephony.recording_links import (
    HIPAA_RECORDING_LINK_SECONDS,
    recording_access_key,
    recording_audio_path,
    recording_link_expiry,
    recording_player_path,
)
from telephony.recording_media import ByteRange, RangeNotSatisfiable, byte_range

TWILIO_URL = "https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000000/Recordings/RE123"

pytestmark = pytest.mark.django_db


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


def audio_path(call, *, expires=None):
    return recording_audio_path(call.public_id, expires or recording_link_expiry(call.account))


def test_a_signed_link_plays_the_whole_recording(client, call):
    response = client.get(audio_path(call))
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav"
    assert response["Accept-Ranges"] == "bytes"
    assert int(response["Content-Length"]) == len(response.content)
    assert response["Cache-Control"].startswith("private")
    assert response["Referrer-Policy"] == "no-referrer"
    # Real audio, as long as the call's recording (the simulated carrier makes it up).
    with wave.open(BytesIO(response.content)) as audio:
        assert round(audio.getnframes() / audio.getframerate()) == 38
    assert TWILIO_URL.encode() not in response.content


def test_the_link_carries_an_hmac_of_the_call_and_the_expiry(call):
    expires = recording_link_expiry(call.account)
    query = parse_qs(urlsplit(audio_path(call, expires=expires)).query)
    assert query == {"access_key": [recording_access_key(call.public_id, expires)], "expires": [str(expires)]}
    assert recording_access_key(call.public_id, expires) != recording_access_key(call.public_id, expires + 3600)
    assert recording_access_key(call.public_id, expires) != recording_access_key("CAL" + "0" * 32, expires)


def test_the_key_is_compared_in_constant_time(client, call):
    with mock.patch.object(
        recording_links, "constant_time_compare", wraps=recording_links.constant_time_compare
    ) as cmp:
        assert client.get(audio_path(call)).status_code == 200
    assert cmp.called


@pytest.mark.parametrize(
    "tamper",
    [
        lambda path: path.replace("access_key=", "access_key=0"),
        lambda path: path.replace("expires=", "expires=1"),
        lambda path: path.split("&expires=")[0],
        lambda path: path.split("?")[0],
    ],
    ids=["key", "expiry", "no-expiry", "no-key"],
)
def test_a_tampered_link_is_404(client, call, tamper):
    assert client.get(tamper(audio_path(call))).status_code == 404


def test_a_link_for_one_call_opens_no_other(client, call, company):
    other = Call.objects.create(
        account=company.account,
        company=company,
        start_time=timezone.now(),
        tracking_phone_number="+14045550100",
        customer_phone_number="+13035550124",
        recording_url=TWILIO_URL.replace("RE123", "RE456"),
    )
    query = urlsplit(audio_path(call)).query
    assert client.get(f"/calls/{other.public_id}/recording/redirect?{query}").status_code == 404


def test_an_expired_link_is_404(client, call):
    expires = int(time.time()) - 1
    assert client.get(audio_path(call, expires=expires)).status_code == 404


def test_links_expire_after_the_configured_days(settings, call):
    settings.RECORDING_LINK_DAYS = 3
    now = time.time()
    lifetime = recording_link_expiry(call.account, now=now) - now
    assert 3 * 86400 - 3600 < lifetime <= 3 * 86400


def test_hipaa_links_live_a_day_at_most(client, call):
    call.account.hipaa_account = True
    call.account.save()
    now = time.time()
    expires = recording_link_expiry(call.account, now=now)
    assert HIPAA_RECORDING_LINK_SECONDS - 3600 < expires - now <= HIPAA_RECORDING_LINK_SECONDS
    assert client.get(audio_path(call, expires=expires)).status_code == 200
    # A longer link, however well signed, is refused.
    assert client.get(audio_path(call, expires=int(now) + 3 * 86400)).status_code == 404


def test_switching_to_hipaa_cuts_the_links_already_handed_out(client, call):
    path = audio_path(call)
    assert client.get(path).status_code == 200
    call.account.hipaa_account = True
    call.account.save()
    assert client.get(path).status_code == 404


def test_the_old_links_are_gone(client, call):
    # The never-expiring /telephony/recordings/ links and the unexpiring access_key links.
    assert client.get(f"/telephony/recordings/{call.public_id}?access_key=0123456789abcdef0123").status_code == 404
    assert (
        client.get(f"/telephony/recordings/{call.public_id}/player?access_key=0123456789abcdef0123").status_code == 404
    )
    assert client.get(f"/calls/{call.public_id}/recording/redirect?access_key=0123456789abcdef0123").status_code == 404
    assert client.get(f"/calls/{call.public_id}/recording?access_key=0123456789abcdef0123").status_code == 404


def test_signing_in_opens_nothing_without_a_link(client, call, admin_user):
    client.force_login(admin_user)
    assert client.get(f"/calls/{call.public_id}/recording/redirect").status_code == 404


def test_a_call_without_recording_has_none(client, call):
    path = audio_path(call)
    call.recording_url = ""
    call.recording_sid = ""
    call.save()
    assert not call.has_recording
    assert client.get(path).status_code == 404


def test_a_range_is_answered_with_206(client, call):
    whole = client.get(audio_path(call)).content
    response = client.get(audio_path(call), HTTP_RANGE="bytes=100-199")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-199/{len(whole)}"
    assert response["Content-Length"] == "100"
    assert response.content == whole[100:200]

    tail = client.get(audio_path(call), HTTP_RANGE="bytes=-10")
    assert (tail.status_code, tail.content) == (206, whole[-10:])
    rest = client.get(audio_path(call), HTTP_RANGE=f"bytes={len(whole) - 5}-")
    assert (rest.status_code, rest.content) == (206, whole[-5:])
    past_the_end = client.get(audio_path(call), HTTP_RANGE=f"bytes={len(whole) - 5}-{len(whole) + 100}")
    assert past_the_end["Content-Range"] == f"bytes {len(whole) - 5}-{len(whole) - 1}/{len(whole)}"


@pytest.mark.parametrize("header", ["bytes=999999999-", "bytes=20-10", "bytes=abc", "bytes=-0", "bytes=1-x"])
def test_a_bad_range_is_416(client, call, header):
    size = len(client.get(audio_path(call)).content)
    response = client.get(audio_path(call), HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{size}"


def test_ranges_it_does_not_serve_get_everything(client, call):
    assert client.get(audio_path(call), HTTP_RANGE="bytes=0-1,5-6").status_code == 200
    assert client.get(audio_path(call), HTTP_RANGE="items=0-1").status_code == 200
    # If-Range names another file: the range is dropped.
    assert client.get(audio_path(call), HTTP_RANGE="bytes=0-1", HTTP_IF_RANGE='"other"').status_code == 200
    etag = client.get(audio_path(call))["ETag"]
    assert client.get(audio_path(call), HTTP_RANGE="bytes=0-1", HTTP_IF_RANGE=etag).status_code == 206


def test_byte_range_parsing():
    assert byte_range("bytes=0-0", 10) == ByteRange(0, 0, 10)
    assert byte_range("bytes = 2-", 10) == ByteRange(2, 9, 10)
    assert byte_range("bytes=-20", 10) == ByteRange(0, 9, 10)
    assert byte_range("bytes=0-1, 3-4", 10) is None
    for header in ("bytes=10-", "bytes=-", "bytes=", "bytes=3-2", "bytes=0-1", "bytes=+1-2"):
        with pytest.raises(RangeNotSatisfiable):
            byte_range(header, 10 if header != "bytes=0-1" else 0)


def test_head_answers_the_headers_only(client, call):
    response = client.head(audio_path(call))
    assert response.status_code == 200
    assert response.content == b""
    assert int(response["Content-Length"]) > 1000


def test_it_refuses_writes(client, call):
    assert client.post(audio_path(call)).status_code == 405


def test_a_carrier_failure_is_a_502(client, call):
    with mock.patch("telephony.simulated_carrier.SimulatedCarrier.fetch_recording", side_effect=CarrierError("down")):
        assert client.get(audio_path(call)).status_code == 502


def test_the_player_page_plays_our_own_link(client, call):
    expires = recording_link_expiry(call.account)
    response = client.get(recording_player_path(call.public_id, expires))
    assert response.status_code == 200
    assert audio_path(call, expires=expires).replace("&", "&amp;").encode() in response.content
    assert b"api.twilio.com" not in response.content
    assert b"<style" not in response.content  # no inline styles (Content-Security-Policy)
    # Embeddable: no X-Frame-Options.
    assert "X-Frame-Options" not in response
    assert client.get(recording_player_path(call.public_id, int(time.time()) - 10)).status_code == 404


def test_digits_that_are_not_ascii_are_refused_not_a_crash(client, call):
    # "¹".isdigit() is true, and int("¹") fails.
    path = audio_path(call)
    assert client.get(path.split("&expires=")[0] + "&expires=¹²³").status_code == 404
    assert client.get(path, HTTP_RANGE="bytes=¹-").status_code == 416
