"""An inbound call: recorded, attributed and answered from its call flow when Twilio
announces it (``call_inbound_start``), then carried on as Twilio comes back to the flow
(a ``<Dial>`` ended, a key was pressed, a message was left, a spam challenge answered).

Each service does its writes in one transaction and announces what happened with
``telephony.signals`` inside that transaction.
"""

import logging
from collections.abc import Mapping
from contextlib import nullcontext
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Company
from accounts.phone import to_e164_or_none
from callrail.db import insert
from telephony import signals
from telephony.callflows.runtime import FlowRun
from telephony.links import public_url
from telephony.models import Call
from telephony.services.callers import CallerHistory, call_attribute, caller_lookup
from telephony.twilio import Gather, VoiceResponse, twilio_int, twilio_param
from tracking.models import Tracker, TrackingNumber, VisitorSession

logger = logging.getLogger(__name__)

CHALLENGE_PROMPT = "To continue your call, press 1."
CHALLENGE_FAILED = "Goodbye."


def _spam_twiml(call: Call) -> str:
    response = VoiceResponse()
    if call.company.spam_treatment == Company.SpamTreatment.REJECT:
        # Refused before answering: the caller hears busy and nobody pays for the call.
        response.reject(reason="busy")
        return str(response)
    action = public_url("telephony:twilio-flow", {"call": call.public_id, "event": "challenge"})
    gather = Gather(num_digits=1, action=action, timeout=5)
    gather.say(CHALLENGE_PROMPT)
    response.append(gather)
    response.say(CHALLENGE_FAILED)
    response.hangup()
    return str(response)


def call_inbound_start(
    *, tracking_number: TrackingNumber, params: Mapping[str, Any], at: datetime | None = None
) -> tuple[Call, str]:
    """Record the call Twilio announced on ``tracking_number`` and answer it with TwiML.

    Idempotent on ``CallSid``: a retried webhook finds the same call and gets the
    same first answer. A caller who was marked spam meets the company's treatment.
    ``at`` is when the call started (default now; the simulator places calls in the
    past), and the moment its visit is looked up for.
    """
    call_sid = twilio_param(params, "CallSid")
    for _ in range(3):
        try:
            return _inbound_start(tracking_number=tracking_number, params=params, call_sid=call_sid, at=at)
        except IntegrityError:
            # Retries are rare, so the unique CallSid decides instead of a lookup on every call.
            existing = Call.objects.select_related("company").filter(call_sid=call_sid).first() if call_sid else None
            if existing is not None:
                return existing, _first_answer(existing, tracking_number.tracker)
            # Otherwise the random 9-digit numeric id was taken (about 1 in 900 at a million
            # calls): the next attempt's call draws another.
    raise IntegrityError(f"could not store call {call_sid}")


def _inbound_start(
    *, tracking_number: TrackingNumber, params: Mapping[str, Any], call_sid: str, at: datetime | None
) -> tuple[Call, str]:
    tracker = tracking_number.tracker
    raw_from = twilio_param(params, "From", "Caller")
    caller = to_e164_or_none(raw_from) if raw_from and raw_from[0] in "+0123456789(" else None
    company = tracker.company
    call = Call(
        account_id=tracker.account_id,
        company=company,
        tracker=tracker,
        tracking_number_ref=tracking_number,
        call_sid=call_sid or None,
        direction=Call.Direction.INBOUND,
        status=Call.Status.RINGING,
        start_time=at or timezone.now(),
        tracking_phone_number=tracking_number.number,
        customer_phone_number=(caller or raw_from or "")[:20],
        customer_name=twilio_param(params, "CallerName")[:255],
        customer_city=twilio_param(params, "FromCity", "CallerCity")[:100],
        customer_state=twilio_param(params, "FromState", "CallerState")[:50],
        customer_country=twilio_param(params, "FromCountry", "CallerCountry")[:50],
        customer_zip=twilio_param(params, "FromZip", "CallerZip")[:20],
    )
    try:
        # Attribution must never cost the call: any failure leaves it unattributed. It
        # only reads, so outside a transaction it needs none (one round trip less).
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            session = call_attribute(call=call, tracking_number=tracking_number)
    except Exception:
        logger.exception("attribution failed for call %s to %s", call_sid, tracking_number.number)
        session = None
        call.session = None

    with transaction.atomic():
        if caller:
            person, history = caller_lookup(company=company, phone_number=caller, name=call.customer_name)
            call.person = person
            call.prior_calls = history.prior_calls
            call.first_call = history.prior_calls == 0
            if not call.customer_name and person.name:
                call.customer_name = person.name
            if history.good_lead_before:
                call.lead_status = Call.LeadStatus.PREVIOUSLY_MARKED_GOOD_LEAD
            if session is not None and session.person_id is None:
                VisitorSession.objects.filter(pk=session.pk, person__isnull=True).update(person=person)
        else:
            history = CallerHistory(prior_calls=0, marked_spam=False, good_lead_before=False)

        if history.marked_spam:
            call.spam = True
            if company.spam_treatment == Company.SpamTreatment.REJECT:
                call.status = Call.Status.BUSY
            else:
                call.flow_state = {"challenge": "pending"}
            twiml = _spam_twiml(call)
            insert(call)
            return call, twiml

        run = FlowRun.for_call(call, tracker).start()
        insert(call)
        run.apply_pending(call)
        signals.call_started.send(sender=Call, call=call)
    return call, run.twiml


def _first_answer(call: Call, tracker: Tracker) -> str:
    """The TwiML of the call's first request again (for Twilio's retries)."""
    if call.spam:
        return _spam_twiml(call)
    run = FlowRun.for_call(call, tracker).start()
    # Round-robin turns and visited steps were recorded by the first answer already.
    return run.twiml


def _flow_tracker(call: Call) -> Tracker:
    """The tracker whose flow a call is in; Twilio only comes back to calls a flow answered."""
    if call.tracker is None:
        # The caller (``telephony.views.flow``) rings the fallback destination on any error.
        raise ValueError(f"call {call.public_id} has no tracker, so no flow to continue")
    return call.tracker


def flow_state_update(call: Call, run: FlowRun) -> None:
    fields = set(run.changed)
    if fields:
        call.save(update_fields=[*sorted(fields), "updated_at"])
    run.apply_pending(call)


def call_challenge_answer(*, call: Call, digits: str) -> str:
    """A suspected spammer answered the "press 1" challenge: a person gets through."""
    if digits.strip() != "1":
        call.flow_state = {**call.flow_state, "challenge": "failed"}
        call.save(update_fields=["flow_state", "updated_at"])
        response = VoiceResponse()
        response.say(CHALLENGE_FAILED)
        response.hangup()
        return str(response)
    call.spam = False
    call.flow_state = {**call.flow_state, "challenge": "passed"}
    run = FlowRun.for_call(call, _flow_tracker(call)).start()
    call.save(update_fields=["spam", "flow_state", "keypad_entries", "answered", "updated_at"])
    run.apply_pending(call)
    signals.call_started.send(sender=Call, call=call)
    return run.twiml


def call_flow_continue(*, call: Call, event: str, step_id: str, params: Mapping[str, Any], attempt: int) -> str:
    """Twilio came back to the flow: a ``<Dial>`` ended, a key was pressed, a message was left."""
    run = FlowRun.for_call(call, _flow_tracker(call))
    routed = False
    if event == "dial":
        status = twilio_param(params, "DialCallStatus")
        run.on_dial(step_id, status, attempt)
        if status in ("completed", "answered"):
            routed = _on_answered(call, run)
    elif event == "gather":
        run.on_gather(step_id, twilio_param(params, "Digits"), attempt)
    elif event == "record":
        run.on_record(step_id, twilio_param(params, "RecordingUrl"), twilio_int(params, "RecordingDuration"))
    else:
        run.response.hangup()
    flow_state_update(call, run)
    if routed:
        signals.call_routed.send(sender=Call, call=call)
    return run.twiml


def _on_answered(call: Call, run: FlowRun) -> bool:
    """Note the answer; True when Call Routing Complete is still to be announced (the
    leg status callback usually announced it while the call was live)."""
    state = call.flow_state
    if run.flow.get("recording_enabled") and call.direction == Call.Direction.INBOUND:
        state["recording_expected"] = True
        run.changed.add("flow_state")
    if state.get("routed"):
        return False
    state["routed"] = True
    run.changed.add("flow_state")
    return True
