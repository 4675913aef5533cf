"""The carrier interface. ``telephony/twilio.py`` implements it for Twilio (the only
module that imports the Twilio SDK); ``telephony/simulated_carrier.py`` implements it for
the embedded default and the tests. ``get_carrier()`` picks one from settings."""

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings


class CarrierError(Exception):
    """The carrier refused or failed a request (network, auth, bad number)."""


class NumberUnavailable(CarrierError):
    """No number matches the request (area code exhausted, no toll-free left...)."""


@dataclass(frozen=True)
class AvailableNumber:
    number: str  # E.164
    toll_free: bool = False
    region: str = ""  # state / province, when the carrier says


@dataclass(frozen=True)
class PurchasedNumber:
    number: str  # E.164
    sid: str  # the carrier's id for the number (Twilio: PN…)
    toll_free: bool = False


class Carrier(Protocol):
    name: str

    def search_numbers(
        self, *, area_code: str | None = None, near: str | None = None, toll_free: bool = False, limit: int = 1
    ) -> list[AvailableNumber]:
        """Numbers for sale. ``area_code`` restricts to one NPA; ``near`` (E.164) asks for
        numbers geographically close to that number; ``toll_free`` searches toll-free stock."""
        ...

    def buy_number(self, number: str) -> PurchasedNumber:
        """Buy ``number`` and point its voice, status and SMS webhooks at this server.

        Raises ``NumberUnavailable`` when someone else bought it since the search."""
        ...

    def release_number(self, sid: str) -> None: ...

    def place_call(self, *, to: str, from_: str, url: str, status_callback: str) -> str:
        """Start an outbound call; Twilio fetches TwiML from ``url``. Returns the CallSid."""
        ...

    def send_sms(self, *, to: str, from_: str, body: str, status_callback: str | None = None) -> str:
        """Send a text. Returns the MessageSid."""
        ...

    def fetch_recording(self, url: str) -> tuple[bytes, str]:
        """Download a recording with the carrier's credentials. Returns (bytes, content type)."""
        ...

    def recording_delete(self, sid: str) -> None:
        """Delete a recording (``RE…``) at the carrier, for good. A recording already gone is
        not an error, so retention and erasure can run again after a crash."""
        ...


def get_carrier() -> Carrier:
    """Twilio when credentials are configured, otherwise the simulated carrier."""
    # Imported here: both implementations import this module's types.
    if settings.TWILIO_ACCOUNT_SID:
        from telephony.twilio import TwilioCarrier

        return TwilioCarrier(account_sid=settings.TWILIO_ACCOUNT_SID, auth_token=settings.TWILIO_AUTH_TOKEN)
    from telephony.simulated_carrier import SimulatedCarrier

    return SimulatedCarrier()
