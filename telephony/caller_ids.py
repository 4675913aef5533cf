"""Outbound caller id verification: proving a business owns a phone number before
it is shown as caller id on outbound calls (reference "Outbound Caller IDs").

Registering a number places a call to it from one of the account's tracking
numbers; whoever answers keys in the 6-digit ``validation_code`` the API returned.
A missed call means registering the number again, which issues a new code.
"""

import hmac
import logging
import secrets

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import path

from accounts.models import Account, Company
from telephony.carrier import CarrierError, get_carrier
from telephony.links import public_url
from telephony.models import OutboundCallerId
from telephony.twilio import VoiceResponse
from telephony.views import attempt_param, no_content, twilio_webhook, twiml
from tracking.models import TrackingNumber

logger = logging.getLogger(__name__)

# Wrong codes a caller may key in before the call ends.
MAX_ATTEMPTS = 3


class CallerIdError(Exception):
    """The number cannot be registered (message meant for the API client)."""


class VerificationCallFailed(Exception):
    """The carrier refused or failed the verification call."""


def _new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def _calling_number(company: Company) -> str | None:
    """A number to place the verification call from: the company's own tracking
    number first (the callee recognises the business), else any of the account's."""
    active = TrackingNumber.objects.filter(status=TrackingNumber.Status.ACTIVE, tracker__status="active")
    own = active.filter(tracker__company=company).order_by("created_at").values_list("number", flat=True).first()
    if own:
        return own
    return active.filter(account_id=company.account_id).order_by("created_at").values_list("number", flat=True).first()


def caller_id_register(*, account: Account, company: Company, phone_number: str, name: str) -> OutboundCallerId:
    """Register (or re-register) ``phone_number`` and place the verification call.

    Re-registering a number that is not verified yet reuses its row with a fresh code.
    """
    from_ = _calling_number(company)
    if from_ is None:
        raise CallerIdError("The account needs an active tracking number to place the verification call from.")
    with transaction.atomic():
        # Two registrations of one number at once must not make two rows or two calls.
        existing = (
            OutboundCallerId.objects.select_for_update()
            .filter(account=account, company=company, phone_number=phone_number)
            .first()
        )
        if existing is not None and existing.verified:
            raise CallerIdError(f"{phone_number} is already a verified caller id of this company.")
        caller_id = existing or OutboundCallerId(account=account, company=company, phone_number=phone_number)
        caller_id.name = name
        caller_id.validation_code = _new_code()
        caller_id.save()
    try:
        get_carrier().place_call(
            to=phone_number,
            from_=from_,
            url=public_url("caller-ids:verify", caller_id=caller_id.numeric_id),
            status_callback=public_url("caller-ids:status", caller_id=caller_id.numeric_id),
        )
    except CarrierError as exc:
        logger.warning("verification call to %s failed: %s", phone_number, exc)
        if existing is None:
            caller_id.delete()
        raise VerificationCallFailed(str(exc)) from exc
    return caller_id


def caller_id_code_check(*, caller_id: OutboundCallerId, digits: str) -> bool:
    """Mark the number verified when the keyed-in code matches."""
    if not caller_id.validation_code or not hmac.compare_digest(digits.strip(), caller_id.validation_code):
        return False
    OutboundCallerId.objects.filter(pk=caller_id.pk).update(verified=True)
    return True


def _spoken(code_length: int) -> str:
    return (
        f"This is a call to verify your phone number as an outbound caller I D. "
        f"Please enter the {code_length} digit validation code now."
    )


@twilio_webhook
def verify(request: HttpRequest, caller_id: int) -> HttpResponse:
    """The callee answered: ask for the code (again, after a wrong one)."""
    attempt = attempt_param(request)
    response = VoiceResponse()
    row = OutboundCallerId.objects.filter(numeric_id=caller_id).first()
    if row is None or row.verified:
        response.say("This number needs no verification. Goodbye.")
        response.hangup()
        return twiml(str(response))
    code_length = len(row.validation_code) or 6
    gather = response.gather(
        num_digits=code_length,
        timeout=10,
        action=public_url("caller-ids:digits", caller_id=caller_id, query={"attempt": attempt}),
        method="POST",
    )
    gather.say(_spoken(code_length) if attempt == 0 else "Please enter the code again.")
    response.say("No code was entered. Goodbye.")
    response.hangup()
    return twiml(str(response))


@twilio_webhook
def digits(request: HttpRequest, caller_id: int) -> HttpResponse:
    """The callee keyed in a code."""
    attempt = attempt_param(request) + 1
    response = VoiceResponse()
    row = OutboundCallerId.objects.filter(numeric_id=caller_id).first()
    if row is not None and caller_id_code_check(caller_id=row, digits=request.POST.get("Digits", "")):
        response.say("Thank you. Your number is verified. Goodbye.")
        response.hangup()
    elif row is not None and attempt < MAX_ATTEMPTS:
        response.say("That code is not correct.")
        response.redirect(
            public_url("caller-ids:verify", caller_id=caller_id, query={"attempt": attempt}), method="POST"
        )
    else:
        response.say("The number could not be verified. Goodbye.")
        response.hangup()
    return twiml(str(response))


@twilio_webhook
def status(request: HttpRequest, caller_id: int) -> HttpResponse:
    # A missed verification call changes nothing: the client registers the number again.
    logger.info("verification call for caller id %s: %s", caller_id, request.POST.get("CallStatus", ""))
    return no_content()


app_name = "caller-ids"

urlpatterns = [
    path("<int:caller_id>/verify", verify, name="verify"),
    path("<int:caller_id>/digits", digits, name="digits"),
    path("<int:caller_id>/status", status, name="status"),
]
