"""Everything that touches the Twilio SDK: the REST client (numbers, calls, texts,
recordings), ``X-Twilio-Signature`` checking and the TwiML classes.

No other module imports ``twilio``; call flows build TwiML with the classes
re-exported here.
"""

import hashlib
import hmac
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import cache
from typing import Any
from urllib.parse import urlparse

import phonenumbers
import requests
from django.conf import settings
from django.http import HttpRequest
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Dial, Gather, Start, VoiceResponse

from telephony.carrier import AvailableNumber, CarrierError, NumberUnavailable, PurchasedNumber
from telephony.links import public_url

__all__ = [
    "Dial",
    "Gather",
    "MessagingResponse",
    "Start",
    "TwilioCarrier",
    "VoiceResponse",
    "signature_compute",
    "signature_valid",
    "twilio_int",
    "twilio_param",
    "twilio_time",
    "twilio_timestamp",
    "webhook_auth_token",
]

logger = logging.getLogger(__name__)

# Twilio error codes that mean "that number cannot be had" rather than a failure.
# 21422: number not available for purchase; 21452: no numbers found in the area code.
UNAVAILABLE_CODES = {21422, 21452}
# Radius for "near this number" searches, in miles (Twilio's default is 25, max 500).
NEAR_DISTANCE_MILES = 100
TRANSPORT_ERRORS = (requests.RequestException, TwilioException)


def twilio_param(params: Mapping[str, Any], *names: str) -> str:
    """The first of Twilio's parameter spellings that is present (``From``, then the legacy ``Caller``...)."""
    for name in names:
        value = params.get(name)
        if value:
            return str(value).strip()
    return ""


def twilio_int(params: Mapping[str, Any], name: str) -> int | None:
    """A whole-number parameter (``CallDuration``, ``RecordingDuration``), None when absent or malformed."""
    try:
        return int(str(params.get(name)))
    except (TypeError, ValueError):
        return None


def twilio_time(params: Mapping[str, Any]) -> datetime | None:
    """When the event happened, from Twilio's ``Timestamp`` parameter (RFC 2822, UTC), or None.

    Twilio puts it on status callbacks; the call simulator puts it on every request of a call
    it places in the past. The request is signed, so the time is Twilio's (or the simulator's,
    which holds the same token). Never later than now: a clock running ahead must not make a
    call that has not happened yet."""
    text = twilio_param(params, "Timestamp")
    if not text:
        return None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # "-0000": UTC, says RFC 2822
        moment = moment.replace(tzinfo=UTC)
    return min(moment.astimezone(UTC), datetime.now(UTC))


def twilio_timestamp(moment: datetime) -> str:
    """``moment`` as Twilio writes its ``Timestamp`` parameter."""
    return format_datetime(moment.astimezone(UTC))


def webhook_auth_token() -> str:
    """The key webhooks are signed with: Twilio's Auth Token, or (with the simulated
    carrier) a token derived from SECRET_KEY that ``simulate_call`` also derives."""
    if settings.TWILIO_AUTH_TOKEN:
        return settings.TWILIO_AUTH_TOKEN
    return hmac.new(settings.SECRET_KEY.encode(), b"simulated-carrier-auth-token", hashlib.sha256).hexdigest()[:32]


def request_public_url(request: HttpRequest) -> str:
    # Twilio signs the URL it called, i.e. the public one, not what a proxy forwarded to us.
    return settings.PUBLIC_BASE_URL + request.get_full_path()


def signature_valid(request: HttpRequest) -> bool:
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    validator = RequestValidator(webhook_auth_token())
    url = request_public_url(request)
    if request.content_type == "application/json":
        return validator.validate(url, request.body.decode("utf-8", errors="replace"), signature)
    params: Any = request.POST if request.method == "POST" else {}
    # Twilio signs the URL it was given, which is ours exactly: one HMAC settles almost
    # every request. The library's full check (the URL with and without a port, two
    # more HMACs) runs only when that one does not match.
    if hmac.compare_digest(validator.compute_signature(url, params).encode(), signature.encode()):
        return True
    return validator.validate(url, params, signature)


def signature_compute(url: str, params: dict[str, str]) -> str:
    """The ``X-Twilio-Signature`` Twilio would send for this request (the simulator signs with it)."""
    return RequestValidator(webhook_auth_token()).compute_signature(url, params)


@cache
def _client(account_sid: str, auth_token: str) -> Client:
    # One client per process: it keeps a pooled HTTPS session to Twilio.
    return Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=10))


def _country(e164_or_area_code: str) -> str:
    text = e164_or_area_code if e164_or_area_code.startswith("+") else f"+1{e164_or_area_code}5550100"
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(text))
    except phonenumbers.NumberParseException:
        return "US"
    return region if region in ("US", "CA") else (region or "US")


class TwilioCarrier:
    name = "twilio"

    def __init__(self, *, account_sid: str, auth_token: str, client: Client | None = None) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.client = client or _client(account_sid, auth_token)

    def search_numbers(
        self, *, area_code: str | None = None, near: str | None = None, toll_free: bool = False, limit: int = 1
    ) -> list[AvailableNumber]:
        try:
            if toll_free:
                kwargs: dict[str, Any] = {"limit": limit, "voice_enabled": True}
                if area_code:
                    kwargs["area_code"] = int(area_code)
                found = self.client.available_phone_numbers("US").toll_free.list(**kwargs)
            else:
                country = _country(area_code or near or "+1")
                kwargs = {"limit": limit, "voice_enabled": True}
                if area_code:
                    kwargs["area_code"] = int(area_code)
                elif near:
                    kwargs["near_number"] = near
                    kwargs["distance"] = NEAR_DISTANCE_MILES
                found = self.client.available_phone_numbers(country).local.list(**kwargs)
        except TwilioRestException as exc:
            if exc.code in UNAVAILABLE_CODES or exc.status == 404:
                return []
            raise CarrierError(f"Twilio number search failed: {exc.msg}") from exc
        except TRANSPORT_ERRORS as exc:
            raise CarrierError(f"Twilio number search failed: {exc}") from exc
        return [
            AvailableNumber(number=item.phone_number, toll_free=toll_free, region=item.region or "") for item in found
        ]

    def buy_number(self, number: str) -> PurchasedNumber:
        try:
            bought = self.client.incoming_phone_numbers.create(
                phone_number=number,
                voice_url=public_url("telephony:twilio-voice"),
                voice_method="POST",
                status_callback=public_url("telephony:twilio-status"),
                status_callback_method="POST",
                sms_url=public_url("telephony:twilio-sms"),
                sms_method="POST",
                voice_caller_id_lookup=True,
            )
        except TwilioRestException as exc:
            if exc.code in UNAVAILABLE_CODES:
                raise NumberUnavailable(f"{number} is no longer available.") from exc
            raise CarrierError(f"Twilio could not buy {number}: {exc.msg}") from exc
        except TRANSPORT_ERRORS as exc:
            raise CarrierError(f"Twilio could not buy {number}: {exc}") from exc
        toll_free = number[2:5] in {"800", "833", "844", "855", "866", "877", "888"}
        return PurchasedNumber(number=bought.phone_number, sid=bought.sid, toll_free=toll_free)

    def release_number(self, sid: str) -> None:
        try:
            self.client.incoming_phone_numbers(sid).delete()
        except TwilioRestException as exc:
            if exc.status == 404:
                return  # already released
            raise CarrierError(f"Twilio could not release {sid}: {exc.msg}") from exc
        except TRANSPORT_ERRORS as exc:
            raise CarrierError(f"Twilio could not release {sid}: {exc}") from exc

    def place_call(self, *, to: str, from_: str, url: str, status_callback: str) -> str:
        try:
            call = self.client.calls.create(
                to=to,
                from_=from_,
                url=url,
                method="POST",
                status_callback=status_callback,
                status_callback_method="POST",
                status_callback_event=["completed"],
            )
        except TwilioRestException as exc:
            raise CarrierError(f"Twilio could not place the call: {exc.msg}") from exc
        except TRANSPORT_ERRORS as exc:
            raise CarrierError(f"Twilio could not place the call: {exc}") from exc
        return call.sid

    def send_sms(self, *, to: str, from_: str, body: str, status_callback: str | None = None) -> str:
        kwargs: dict[str, Any] = {"to": to, "from_": from_, "body": body}
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            message = self.client.messages.create(**kwargs)
        except TwilioRestException as exc:
            raise CarrierError(f"Twilio could not send the text: {exc.msg}") from exc
        except TRANSPORT_ERRORS as exc:
            raise CarrierError(f"Twilio could not send the text: {exc}") from exc
        return message.sid

    def fetch_recording(self, url: str) -> tuple[bytes, str]:
        parsed = urlparse(url)
        # The credentials only ever go to Twilio's own API host.
        if parsed.scheme != "https" or parsed.hostname != "api.twilio.com":
            raise CarrierError("Recording URL is not a Twilio URL.")
        media_url = url if url.endswith((".mp3", ".wav")) else url + ".mp3"
        try:
            response = requests.get(media_url, auth=(self.account_sid, self.auth_token), timeout=20)
        except requests.RequestException as exc:
            raise CarrierError(f"Could not download the recording: {exc}") from exc
        if response.status_code != 200:
            raise CarrierError(f"Could not download the recording: HTTP {response.status_code}")
        return response.content, response.headers.get("Content-Type", "audio/mpeg")

    def recording_delete(self, sid: str) -> None:
        try:
            self.client.recordings(sid).delete()
        except TwilioRestException as exc:
            if exc.status == 404:
                return  # already deleted
            raise CarrierError(f"Twilio could not delete recording {sid}: {exc.msg}") from exc
        except TRANSPORT_ERRORS as exc:
            raise CarrierError(f"Twilio could not delete recording {sid}: {exc}") from exc
