"""Outbound calls: the business phone rings first; when it answers, the customer is rung
and the two are bridged (reference: "Create an Outbound Phone Call")."""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, Company, User
from accounts.phone import us_or_canada_e164
from callrail.db import insert
from telephony.callflows.disclosure import RecordingPlan, announce, dial_recording_options
from telephony.carrier import get_carrier
from telephony.links import public_url
from telephony.models import Call, OutboundCallerId
from telephony.services.callers import caller_history
from telephony.services.lookups import company_tracking_number
from telephony.twilio import Dial, VoiceResponse, twilio_param
from tracking.people import person_for_phone


def outbound_call_start(
    *,
    account: Account,
    company: Company,
    caller_id: str,
    customer_phone_number: str,
    business_phone_number: str,
    recording_enabled: bool | None = None,
    outbound_greeting_text: str | None = None,
    outbound_greeting_recording_url: str | None = None,
    agent: User | None = None,
) -> Call:
    """Ring the business phone first; when it answers, ring the customer and connect them.

    ``caller_id`` must be one of the company's tracking numbers or a verified outbound
    caller id. Recording follows ``recording_enabled``, else the account's setting.
    """
    if company.account_id != account.pk:
        raise ValidationError("company_id does not belong to this account.")
    caller_id = us_or_canada_e164(caller_id, "caller_id")
    customer = us_or_canada_e164(customer_phone_number, "customer_phone_number")
    business = us_or_canada_e164(business_phone_number, "business_phone_number")
    tracking_number = company_tracking_number(account=account, company=company, number=caller_id)
    if (
        tracking_number is None
        and not OutboundCallerId.objects.filter(
            account=account, company=company, phone_number=caller_id, verified=True
        ).exists()
    ):
        raise ValidationError("caller_id must be a tracking number or a verified outbound caller id of the company.")
    if agent is not None and agent.account_id != account.pk:
        raise ValidationError("agent_id does not belong to this account.")
    if outbound_greeting_recording_url and not str(outbound_greeting_recording_url).startswith(("http://", "https://")):
        raise ValidationError("outbound_greeting_recording_url must be an http(s) URL.")
    record = account.outbound_recording_enabled if recording_enabled is None else bool(recording_enabled)
    history = caller_history(company_id=company.pk, phone_number=customer)
    call = Call(
        account=account,
        company=company,
        tracker=tracking_number.tracker if tracking_number else None,
        tracking_number_ref=tracking_number,
        agent=agent,
        direction=Call.Direction.OUTBOUND,
        status=Call.Status.QUEUED,
        start_time=timezone.now(),
        tracking_phone_number=caller_id,
        business_phone_number=business,
        customer_phone_number=customer,
        prior_calls=history.prior_calls,
        first_call=history.prior_calls == 0,
        source_name=tracking_number.tracker.name if tracking_number else "",
        flow_state={
            "outbound": {
                "record": record,
                "greeting_text": outbound_greeting_text or None,
                "greeting_recording_url": outbound_greeting_recording_url or None,
            }
        },
    )
    # The carrier first: a refused call leaves nothing behind. Twilio asks for the
    # call's TwiML only after the business phone answers, long after the insert below.
    call.call_sid = get_carrier().place_call(
        to=business,
        from_=caller_id,
        url=public_url("telephony:twilio-outbound", {"call": call.public_id}),
        status_callback=public_url("telephony:twilio-status", {"call": call.public_id}),
    )
    with transaction.atomic():
        call.person = person_for_phone(account_id=company.account_id, company_id=company.pk, phone_number=customer)
        if history.good_lead_before:
            call.lead_status = Call.LeadStatus.PREVIOUSLY_MARKED_GOOD_LEAD
        insert(call)
    return call


def _recording_plan(call: Call) -> RecordingPlan:
    return RecordingPlan.for_call(call.company, records=bool(call.flow_state.get("outbound", {}).get("record")))


def outbound_twiml(*, call: Call) -> str:
    """The business phone answered: ring the customer and bridge them."""
    settings = call.flow_state.get("outbound", {})
    plan = _recording_plan(call)
    options: dict[str, Any] = {
        "caller_id": call.tracking_phone_number,
        "action": public_url("telephony:twilio-flow", {"call": call.public_id, "event": "outbound"}),
        "answer_on_bridge": True,
    }
    if plan.on_dial:
        options.update(dial_recording_options(call))
    dial = Dial(**options)
    noun: dict[str, Any] = {
        "status_callback": public_url("telephony:twilio-dial-status", {"call": call.public_id}),
        "status_callback_event": "answered completed",
    }
    # The customer hears the recording announcement (then the greeting) when they answer.
    if plan.announce or settings.get("greeting_text") or settings.get("greeting_recording_url"):
        noun["url"] = public_url("telephony:twilio-whisper", {"call": call.public_id, "leg": "customer"})
    dial.number(call.customer_phone_number, **noun)
    response = VoiceResponse()
    response.append(dial)
    return str(response)


def outbound_greeting_twiml(*, call: Call) -> str:
    """Played to the customer when they answer an outbound call: the recording announcement
    first, then the greeting."""
    settings = call.flow_state.get("outbound", {})
    response = VoiceResponse()
    announce(response, call, _recording_plan(call))
    if settings.get("greeting_text"):
        response.say(settings["greeting_text"])
    elif settings.get("greeting_recording_url"):
        response.play(settings["greeting_recording_url"])
    return str(response)


def outbound_dial_finished(*, call: Call, params: Mapping[str, Any]) -> str:
    status = twilio_param(params, "DialCallStatus")
    fields = {"answered", "flow_state"}
    call.answered = status in ("completed", "answered")
    if call.answered and call.flow_state.get("outbound", {}).get("record"):
        call.flow_state["recording_expected"] = True
    call.save(update_fields=[*sorted(fields), "updated_at"])
    response = VoiceResponse()
    response.hangup()
    return str(response)
