"""The simulated carrier: the default when no Twilio credentials are set.

It sells fictional numbers from the ranges reserved for fiction (NXX-555-0100
to NXX-555-0199, and the same line numbers in the toll-free area codes), and
instead of reaching the phone network it writes what it would have sent to
``SimulatedCarrierRequest``. Inbound calls are driven by ``manage.py simulate_call``,
which posts to the real webhooks exactly as Twilio would.
"""

import io
import math
import uuid
import wave
from functools import cache, lru_cache

import phonenumbers
from django.db import transaction
from phonenumbers import geocoder

from telephony.carrier import AvailableNumber, NumberUnavailable, PurchasedNumber
from telephony.links import public_url
from telephony.models import Call, SimulatedCarrierRequest
from tracking.models import TrackingNumber

# Twilio's toll-free area codes; CallRail prefers 888 > 877 > 866 > 855.
TOLL_FREE_AREA_CODES = ("888", "877", "866", "855", "844", "833", "800")
LINES = [f"01{n:02d}" for n in range(100)]  # 555-0100 .. 555-0199


def new_sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


@cache
def _region_of(area_code: str) -> str:
    """The state or province an area code serves ('' for toll-free or unknown codes)."""
    try:
        parsed = phonenumbers.parse(f"+1{area_code}5550100")
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(parsed):
        return ""
    return geocoder.description_for_number(parsed, "en")


@cache
def _area_codes_by_region() -> dict[str, list[str]]:
    regions: dict[str, list[str]] = {}
    for npa in range(200, 1000):
        code = str(npa)
        if code in TOLL_FREE_AREA_CODES:
            continue
        region = _region_of(code)
        if region:
            regions.setdefault(region, []).append(code)
    return regions


def area_code_exists(area_code: str) -> bool:
    return area_code in TOLL_FREE_AREA_CODES or bool(_region_of(area_code))


# The simulated recordings: 8 kHz mono like phone audio, 8-bit so a long call stays small.
_RATE = 8000
_DEFAULT_SECONDS = 30
_MAX_SECONDS = 600


def _beep(frequency: float) -> bytes:
    """One second of audio: a soft 0.4 s tone (faded in and out, so it does not click), then quiet."""
    tone = int(0.4 * _RATE)
    fade = int(0.02 * _RATE)
    samples = bytearray()
    for i in range(_RATE):
        level = 0.0
        if i < tone:
            envelope = min(1.0, i / fade, (tone - i) / fade)
            level = 0.45 * envelope * math.sin(2 * math.pi * frequency * i / _RATE)
        samples.append(128 + int(127 * level))  # unsigned 8-bit PCM: silence is 128
    return bytes(samples)


@lru_cache(maxsize=4)
def wav_recording(seconds: int) -> bytes:
    """A stand-in for a recording ``seconds`` long: a WAV file that beeps once a second,
    alternating two pitches, so a player's seeking can be heard and measured."""
    high, low = _beep(660.0), _beep(440.0)
    frames = b"".join(high if second % 2 == 0 else low for second in range(seconds))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(_RATE)
        out.writeframes(frames)
    return buffer.getvalue()


class SimulatedCarrier:
    name = "simulated"

    def _taken(self) -> set[str]:
        owned = set(
            SimulatedCarrierRequest.objects.filter(action=SimulatedCarrierRequest.Action.BUY_NUMBER).values_list(
                "number", flat=True
            )
        )
        released = set(
            SimulatedCarrierRequest.objects.filter(action=SimulatedCarrierRequest.Action.RELEASE_NUMBER).values_list(
                "number", flat=True
            )
        )
        active = set(
            TrackingNumber.objects.filter(status=TrackingNumber.Status.ACTIVE).values_list("number", flat=True)
        )
        return (owned - released) | active

    def _stock(self, area_codes: list[str], taken: set[str], limit: int, toll_free: bool) -> list[AvailableNumber]:
        found: list[AvailableNumber] = []
        for code in area_codes:
            for line in LINES:
                number = f"+1{code}555{line}"
                if number not in taken:
                    found.append(AvailableNumber(number=number, toll_free=toll_free, region=_region_of(code)))
                    if len(found) >= limit:
                        return found
        return found

    def search_numbers(
        self, *, area_code: str | None = None, near: str | None = None, toll_free: bool = False, limit: int = 1
    ) -> list[AvailableNumber]:
        taken = self._taken()
        if toll_free:
            codes = [area_code] if area_code else list(TOLL_FREE_AREA_CODES)
            codes = [code for code in codes if code in TOLL_FREE_AREA_CODES]
            return self._stock(codes, taken, limit, toll_free=True)
        if area_code:
            if area_code in TOLL_FREE_AREA_CODES or not _region_of(area_code):
                return []
            return self._stock([area_code], taken, limit, toll_free=False)
        if near:
            # Like Twilio's NearNumber: the number's own area code, then others in its region.
            own = near[2:5] if near.startswith("+1") and len(near) == 12 else ""
            region = _region_of(own) if own else ""
            codes = [own] if region else []
            codes += [code for code in _area_codes_by_region().get(region, []) if code != own]
            return self._stock(codes, taken, limit, toll_free=False)
        return []

    @transaction.atomic
    def buy_number(self, number: str) -> PurchasedNumber:
        # Serialise purchases so two trackers cannot buy the same fictional number.
        SimulatedCarrierRequest.objects.select_for_update().filter(
            action=SimulatedCarrierRequest.Action.BUY_NUMBER, number=number
        ).exists()
        if number in self._taken():
            raise NumberUnavailable(f"{number} is no longer available.")
        sid = new_sid("PN")
        SimulatedCarrierRequest.objects.create(
            action=SimulatedCarrierRequest.Action.BUY_NUMBER, sid=sid, number=number, payload=_number_urls()
        )
        return PurchasedNumber(number=number, sid=sid, toll_free=number[2:5] in TOLL_FREE_AREA_CODES)

    def release_number(self, sid: str) -> None:
        bought = SimulatedCarrierRequest.objects.filter(
            action=SimulatedCarrierRequest.Action.BUY_NUMBER, sid=sid
        ).first()
        SimulatedCarrierRequest.objects.create(
            action=SimulatedCarrierRequest.Action.RELEASE_NUMBER, sid=sid, number=bought.number if bought else ""
        )

    def place_call(self, *, to: str, from_: str, url: str, status_callback: str) -> str:
        sid = new_sid("CA")
        SimulatedCarrierRequest.objects.create(
            action=SimulatedCarrierRequest.Action.PLACE_CALL,
            sid=sid,
            payload={"To": to, "From": from_, "Url": url, "StatusCallback": status_callback},
        )
        return sid

    def send_sms(self, *, to: str, from_: str, body: str, status_callback: str | None = None) -> str:
        sid = new_sid("SM")
        SimulatedCarrierRequest.objects.create(
            action=SimulatedCarrierRequest.Action.SEND_SMS,
            sid=sid,
            payload={"To": to, "From": from_, "Body": body, "StatusCallback": status_callback or ""},
        )
        return sid

    def fetch_recording(self, url: str) -> tuple[bytes, str]:
        # As long as the recording the call says it has, so the player shows the same length.
        seconds = (
            Call.objects.filter(recording_url=url)
            .exclude(recording_duration=None)
            .values_list("recording_duration", flat=True)
            .first()
        ) or _DEFAULT_SECONDS
        return wav_recording(min(max(1, seconds), _MAX_SECONDS)), "audio/wav"

    def recording_delete(self, sid: str) -> None:
        SimulatedCarrierRequest.objects.create(action=SimulatedCarrierRequest.Action.DELETE_RECORDING, sid=sid)


def _number_urls() -> dict[str, str]:
    return {
        "VoiceUrl": public_url("telephony:twilio-voice"),
        "StatusCallback": public_url("telephony:twilio-status"),
        "SmsUrl": public_url("telephony:twilio-sms"),
    }
