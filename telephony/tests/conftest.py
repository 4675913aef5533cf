"""Helpers to talk to our webhooks exactly as Twilio does: its parameters, form
encoding, and a valid ``X-Twilio-Signature`` over PUBLIC_BASE_URL + path."""

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client

from callrail.redis import get_redis
from telephony.twilio import signature_compute

if TYPE_CHECKING:
    # What the test client returns (a type the stubs describe; it does not exist at run time).
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

ACCOUNT_SID = "AC" + "0" * 32


def new_call_sid() -> str:
    return "CA" + uuid.uuid4().hex


def voice_params(*, to: str, from_: str = "+13035550123", call_sid: str | None = None, **extra: str) -> dict[str, str]:
    """What Twilio posts to a number's VoiceUrl when it rings (Direction=inbound)."""
    params = {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": call_sid or new_call_sid(),
        "CallStatus": "ringing",
        "CallToken": "%7B%22parentCallInfoToken%22%3A%22eyJ%22%7D",
        "Called": to,
        "CalledCity": "",
        "CalledCountry": "US",
        "CalledState": "GA",
        "CalledZip": "",
        "Caller": from_,
        "CallerCity": "DENVER",
        "CallerCountry": "US",
        "CallerState": "CO",
        "CallerZip": "80202",
        "Direction": "inbound",
        "From": from_,
        "FromCity": "DENVER",
        "FromCountry": "US",
        "FromState": "CO",
        "FromZip": "80202",
        "To": to,
        "ToCity": "",
        "ToCountry": "US",
        "ToState": "GA",
        "ToZip": "",
    }
    params.update(extra)
    return params


def canonical(xml: str | bytes) -> str:
    text = xml.decode() if isinstance(xml, bytes) else xml
    return ET.canonicalize(xml_data=text, strip_text=True)


def assert_twiml(response: "TestResponse", expected: str) -> None:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/xml")
    assert canonical(response.content) == canonical(expected)


@pytest.fixture
def twilio_post(client: Client) -> Callable:
    """POST ``params`` to ``url`` (a path or an absolute PUBLIC_BASE_URL URL) signed as Twilio would."""

    def post(url: str, params: dict[str, str], *, signature: str | None = None) -> "TestResponse":
        path = url[len(settings.PUBLIC_BASE_URL) :] if url.startswith(settings.PUBLIC_BASE_URL) else url
        full = settings.PUBLIC_BASE_URL + path
        sign = signature if signature is not None else signature_compute(full, params)
        return client.post(
            path,
            data=urlencode(params),
            content_type="application/x-www-form-urlencoded",
            HTTP_X_TWILIO_SIGNATURE=sign,
        )

    return post


@pytest.fixture
def redis_client():
    return get_redis()


def base(url: str) -> str:
    return settings.PUBLIC_BASE_URL + url
