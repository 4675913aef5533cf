"""What a Twilio request is about: the tracking number that was dialed (cached, since every
call reads it), the call a callback names, and a company's own tracking numbers."""

from functools import lru_cache

from accounts.models import Account, Company
from accounts.phone import to_e164_or_none
from callrail.versioned_cache import VersionedCache
from telephony.models import Call
from tracking.models import TrackingNumber

# Dialed number -> tracking number with its tracker, flow and company. Every call reads
# it and it rarely changes: saving a number, tracker, flow or company bumps its version
# in Redis (``telephony.receivers``), so every process drops stale entries on its next call;
# TELEPHONY_NUMBER_CACHE_TTL bounds what a change made without a save can leave.
NUMBERS_VERSION_KEY = "{versions}:telephony:numbers"
_numbers = VersionedCache(NUMBERS_VERSION_KEY, ttl_setting="TELEPHONY_NUMBER_CACHE_TTL")


def numbers_forget() -> None:
    """Drop this process's cached numbers (and make every other process drop theirs)."""
    _numbers.forget()


@lru_cache(maxsize=4096)
def dialed_number(raw: str) -> str:
    """The dialed number as stored (E.164), or as sent if it is not a phone number.
    Our own numbers are few and dialed over and over: parsed once each."""
    return to_e164_or_none(raw) or raw


def tracking_number_for_call(number: str) -> TrackingNumber | None:
    """The active tracking number Twilio says was dialed, with its tracker, flow and company."""
    e164 = dialed_number(number)
    return _numbers.get_or_load(
        e164,
        lambda: (
            TrackingNumber.objects.filter(number=e164, status=TrackingNumber.Status.ACTIVE)
            .select_related("tracker__call_flow", "tracker__company")
            .first()
        ),
    )


def company_tracking_number(*, account: Account, company: Company, number: str) -> TrackingNumber | None:
    """One of the company's active tracking numbers, with its tracker (outbound caller ids, texts)."""
    return (
        TrackingNumber.objects.filter(
            account=account, tracker__company=company, number=number, status=TrackingNumber.Status.ACTIVE
        )
        .select_related("tracker")
        .first()
    )


def call_for_callback(public_id: str | None, call_sid: str | None) -> Call | None:
    """The call a callback is about, locked for the rest of the transaction (callbacks of
    one call arrive concurrently and out of order, and all touch ``flow_state``).

    The services that take this call (``call_status_update``, ``call_leg_status``...)
    run inside the caller's transaction, which holds the lock: they open none of their own
    (a savepoint would cost two more round trips per callback)."""
    calls = Call.objects.select_for_update(of=("self",)).select_related(
        "tracker__call_flow", "company", "tracking_number_ref"
    )
    if public_id:
        return calls.filter(public_id=public_id).first()
    if call_sid:
        return calls.filter(call_sid=call_sid).first()
    return None
