"""Twilio's callbacks about a call in progress or over, inbound or outbound: a phone we
rang answered, the call's status moved on, the recording or its transcription arrived.
Once the call has ended and its media are in (or 20 minutes passed), Post-Call is
announced (``telephony.signals.call_completed``).

The caller (``telephony.views``) holds the call's row lock (``call_for_callback``).
"""

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.phone import to_e164_or_none
from callrail.deferred.services import enqueue_or_defer_on_commit
from telephony import signals
from telephony.callflows.validation import flow_steps
from telephony.models import Call
from telephony.services.callers import call_clicks_link
from telephony.twilio import twilio_int, twilio_param

logger = logging.getLogger(__name__)

# Twilio's final call states; anything else is still live.
FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
# How long Post-Call waits for a recording or transcription (CallRail: at most 20 minutes).
POST_CALL_DEADLINE = timedelta(minutes=20)


def call_leg_status(*, call: Call, params: Mapping[str, Any]) -> None:
    """A status event of a phone we rang (``<Number statusCallback>``): someone answered."""
    status = twilio_param(params, "CallStatus")
    if status != "in-progress":
        return
    changed = {"flow_state"}
    if not call.answered:
        call.answered = True
        changed.add("answered")
    answered_by = to_e164_or_none(twilio_param(params, "To", "Called"))
    if call.direction == Call.Direction.INBOUND and answered_by and call.business_phone_number != answered_by:
        call.business_phone_number = answered_by
        changed.add("business_phone_number")
    state = call.flow_state
    if call.tracker is not None and call.direction == Call.Direction.INBOUND:
        try:
            recording = flow_steps(call.tracker.call_flow).get("recording_enabled")
        except ValidationError:
            recording = False
        if recording:
            state["recording_expected"] = True
    first = not state.get("routed")
    state["routed"] = True
    call.save(update_fields=[*sorted(changed), "updated_at"])
    if first and call.direction == Call.Direction.INBOUND:
        signals.call_routed.send(sender=Call, call=call)


def call_status_update(*, call: Call, params: Mapping[str, Any], at: datetime | None = None) -> None:
    """Twilio's status callback: the call moved on, usually to its end (``at``, default now)."""
    status = twilio_param(params, "CallStatus")
    if status not in Call.Status.values:
        return
    fields = {"status"}
    if call.status in FINAL_STATUSES and status not in FINAL_STATUSES:
        return  # a late "ringing" after the end: out of order, ignore
    call.status = status
    duration = twilio_int(params, "CallDuration")
    if duration is not None:
        call.duration = duration
        fields.add("duration")
    if status in FINAL_STATUSES:
        if call.answered is None:
            call.answered = False
            fields.add("answered")
        if call.duration is None:
            call.duration = 0
            fields.add("duration")
        call.flow_state["ended"] = (at or timezone.now()).isoformat()
        fields.add("flow_state")
    call.save(update_fields=[*sorted(fields), "updated_at"])
    if status in FINAL_STATUSES:
        _post_call_maybe(call)


def call_recording_attach(*, call: Call, params: Mapping[str, Any], kind: str) -> None:
    """The recording callback: the file exists (or never will)."""
    status = twilio_param(params, "RecordingStatus")
    if status == "in-progress":
        return
    state = call.flow_state
    fields = {"flow_state"}
    changed: list[str] = []
    if status == "completed" and twilio_param(params, "RecordingUrl"):
        call.recording_url = twilio_param(params, "RecordingUrl")
        call.recording_sid = twilio_param(params, "RecordingSid")
        # A call may leave two recordings (the whole call and a voicemail): every one is
        # noted, so retention and erasure delete them all at the carrier.
        sids = state.setdefault("recording_sids", [])
        if call.recording_sid and call.recording_sid not in sids:
            sids.append(call.recording_sid)
        call.recording_duration = twilio_int(params, "RecordingDuration")
        fields |= {"recording_url", "recording_sid", "recording_duration"}
        changed.append("recording_duration")
        if kind == "voicemail" and not call.voicemail:
            call.voicemail = True
            fields.add("voicemail")
    else:
        # absent or failed: nothing to wait for, including its transcription.
        state.pop("transcription_expected", None)
    state["recording_received"] = True
    call.save(update_fields=[*sorted(fields), "updated_at"])
    if state.get("post_call_sent"):
        if changed:
            signals.call_modified.send(sender=Call, call=call, changes=changed)
    else:
        _post_call_maybe(call)


def call_transcription_attach(*, call: Call, params: Mapping[str, Any]) -> None:
    state = call.flow_state
    fields = {"flow_state"}
    if twilio_param(params, "TranscriptionStatus") == "completed":
        call.transcription = twilio_param(params, "TranscriptionText")
        fields.add("transcription")
    state["transcription_received"] = True
    call.save(update_fields=[*sorted(fields), "updated_at"])
    if state.get("post_call_sent"):
        if "transcription" in fields:
            signals.call_modified.send(sender=Call, call=call, changes=["transcription_text"])
    else:
        _post_call_maybe(call)


def _waiting_for_media(state: dict[str, Any]) -> bool:
    if state.get("recording_expected") and not state.get("recording_received"):
        return True
    return bool(state.get("transcription_expected") and not state.get("transcription_received"))


def _post_call_maybe(call: Call, *, force: bool = False) -> bool:
    """Announce the finished call once it has ended and its recording/transcription are in
    (or the deadline passed). Caller holds the row lock. Returns True when announced."""
    state = call.flow_state
    if state.get("post_call_sent") or not state.get("ended") or call.spam:
        return False
    if _waiting_for_media(state) and not force:
        if not state.get("deadline_scheduled"):
            # Imported here: the task module imports this one.
            from telephony.tasks import call_post_call_deadline as call_post_call_deadline_task

            state["deadline_scheduled"] = True
            call.save(update_fields=["flow_state", "updated_at"])
            # Kept in the database if the broker is down: a callback must not fail on it.
            enqueue_or_defer_on_commit(
                call_post_call_deadline_task, call.pk, countdown=int(POST_CALL_DEADLINE.total_seconds())
            )
        return False
    state["post_call_sent"] = True
    call.save(update_fields=["flow_state", "updated_at"])
    if call.direction == Call.Direction.INBOUND:
        _clicks_link(call)
    signals.call_completed.send(sender=Call, call=call)
    return True


def _clicks_link(call: Call) -> None:
    # Before the announcement, so its receivers (webhooks, conversions) see the clicks; in a
    # savepoint, so a failure never costs the call its completion.
    try:
        with transaction.atomic():
            call_clicks_link(call)
    except Exception:
        logger.exception("tel: clicks not linked to call %s", call.pk)


@transaction.atomic
def call_post_call_deadline(*, call_id: int) -> bool:
    """Post-Call fires at most 20 minutes after hangup, with or without the recording."""
    call = Call.objects.select_for_update().filter(pk=call_id).first()
    if call is None:
        return False
    return _post_call_maybe(call, force=True)
