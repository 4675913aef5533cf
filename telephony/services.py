"""Writes of the call lifecycle: inbound calls and their callbacks, outbound calls,
text messages and marketers' changes to calls.

Webhook views parse Twilio's request and call one of these; each does its writes
in one transaction and announces what happened with ``telephony.signals`` inside
that transaction.
"""

import logging
import re
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Model, Q
from django.utils import timezone

from accounts.models import Account, Company, Tag, User
from accounts.phone import is_us_or_canada, to_e164_or_none
from callrail.db import from_row, insert, prepared_cursor, select_columns
from callrail.versioned_cache import VersionedCache
from telephony import signals
from telephony.callflows import FlowRun, call_flows_with_tag_renamed, call_flows_without_tag
from telephony.carrier import CarrierError, get_carrier
from telephony.links import public_url
from telephony.models import Call, OutboundCallerId, TextConversation, TextMessage
from telephony.twilio import Dial, Gather, VoiceResponse
from tracking.models import Person, Tracker, TrackingNumber, VisitorSession
from tracking.services import person_for_phone, person_insert

logger = logging.getLogger(__name__)

# Twilio's final call states; anything else is still live.
FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
# How long Post-Call waits for a recording or transcription (CallRail: at most 20 minutes).
POST_CALL_DEADLINE = timedelta(minutes=20)
CHALLENGE_PROMPT = "To continue your call, press 1."
CHALLENGE_FAILED = "Goodbye."
# Opt-out keywords carriers honour; the reference lists the first five as approved wording.
OPT_OUT_KEYWORDS = ("STOP", "CANCEL", "UNSUBSCRIBE", "QUIT", "END", "STOPALL", "OPTOUT", "REVOKE")
OPT_IN_KEYWORDS = ("START", "UNSTOP", "YES")
OPT_OUT_NOTICE = "Reply STOP to unsubscribe."
TEXT_MAX_LENGTH = 140


def _param(params: Mapping[str, Any], *names: str) -> str:
    """The first of Twilio's parameter spellings that is present (From, then legacy Caller...)."""
    for name in names:
        value = params.get(name)
        if value:
            return str(value).strip()
    return ""


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


# --- lookups ---------------------------------------------------------------------------


# Dialed number -> tracking number with its tracker, flow and company. Every call reads
# it and it rarely changes: saving a number, tracker, flow or company bumps its version
# in Redis (``telephony.apps``), so every process drops stale entries on its next call;
# TELEPHONY_NUMBER_CACHE_TTL bounds what a change made without a save can leave.
NUMBERS_VERSION_KEY = "telephony:numbers:version"
_numbers = VersionedCache(NUMBERS_VERSION_KEY, ttl_setting="TELEPHONY_NUMBER_CACHE_TTL")


def numbers_forget(**kwargs: Any) -> None:
    from telephony import callflows

    callflows._flows.clear()
    _numbers.forget()


def tag_deleted(*, instance: Tag, origin: Any = None, **kwargs: Any) -> None:
    """A deleted tag stays deleted: the flows that would recreate it stop applying it.

    Runs inside the delete's transaction. A tag deleted because its company or account is
    (the only cascades that reach a tag) leaves nothing to do: their flows go too.
    """
    started_by = origin._meta.model if isinstance(origin, Model) else getattr(origin, "model", None)
    if started_by is not None and not issubclass(started_by, Tag):
        return
    call_flows_without_tag(tag=instance)


# The name a tag had in the database when its save started (set by ``tag_saving``).
_STORED_NAME = "_telephony_stored_name"


def tag_saving(*, instance: Tag, raw: bool = False, update_fields: Any = None, **kwargs: Any) -> None:
    """Remember the stored name of a tag about to be saved, for ``tag_saved`` to spot a rename."""
    instance.__dict__.pop(_STORED_NAME, None)
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and "name" not in update_fields:
        return
    stored = Tag.objects.filter(pk=instance.pk).values_list("name", flat=True).first()
    if stored is not None and stored != instance.name:
        setattr(instance, _STORED_NAME, stored)


def tag_saved(*, instance: Tag, created: bool = False, raw: bool = False, **kwargs: Any) -> None:
    """A renamed tag stays the tag its flows apply: their tag steps take the new name.

    Runs inside the save's transaction when there is one (the API's and the admin's).
    """
    old_name = instance.__dict__.pop(_STORED_NAME, None)
    if created or raw or old_name is None or old_name == instance.name:
        return
    call_flows_with_tag_renamed(tag=instance, old_name=old_name)


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


def _company_tracking_number(*, account: Account, company: Company, number: str) -> TrackingNumber | None:
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


# --- attribution and caller facts ---------------------------------------------------------

SESSION_FIELDS = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "gclid",
    "fbclid",
    "msclkid",
    "device_type",
    "keywords",
    "source",
    "medium",
)


def source_for_tracker(tracker: Tracker) -> tuple[str, str]:
    """(source, medium) for calls to a source tracker, from its ``source`` config."""
    config = tracker.source if isinstance(tracker.source, dict) else {}
    kind = config.get("type", "")
    if kind == "search":
        engine = config.get("search_engine") or "all"
        search_type = config.get("search_type") or "all"
        name = "search" if engine == "all" else engine
        if search_type in ("paid", "organic"):
            return f"{name}_{search_type}", "cpc" if search_type == "paid" else "organic"
        return name, ""
    if kind == "web_referrer":
        return (config.get("referrer") or "referral"), "referral"
    if kind == "direct":
        return "direct", "direct"
    if kind in ("landing_url", "landing_params"):
        return "landing_page", ""
    if kind == "offline":
        return "offline", "offline"
    if kind in ("google_ad_extension", "mobile_ad_extension"):
        return kind, "cpc"
    if kind == "google_my_business":
        return kind, "organic"
    return kind, ""


def call_attribute(*, call: Call, tracking_number: TrackingNumber) -> VisitorSession | None:
    """Copy the first touch of the visit behind the call onto it (source trackers: the
    tracker's own source). Returns the session, if one held the number."""
    from tracking.services import session_for_number

    tracker = tracking_number.tracker
    call.source_name = tracker.name
    if tracker.type == Tracker.Type.SOURCE:
        call.source, call.medium = source_for_tracker(tracker)
        call.campaign = tracker.campaign_name
        return None
    session = session_for_number(tracking_number=tracking_number, at=call.start_time)
    if session is None:
        return None
    call.session = session
    for name in SESSION_FIELDS:
        setattr(call, name, getattr(session, name) or "")
    call.campaign = session.utm_campaign or tracker.campaign_name
    call.keywords = session.keywords or session.utm_term
    call.landing_page_url = session.landing_url
    call.referring_url = session.referrer_url
    call.last_requested_url = session.last_url
    call.cookies = session.cookies or {}
    return session


def person_for_caller(*, company: Company, phone_number: str, name: str = "") -> Person:
    """The lead behind a phone number in a company (created on first contact)."""
    return person_for_phone(account_id=company.account_id, company_id=company.pk, phone_number=phone_number, name=name)


@dataclass(frozen=True)
class CallerHistory:
    prior_calls: int
    marked_spam: bool
    good_lead_before: bool


def _history_filters() -> dict[str, Q]:
    return {
        "prior": Q(spam=False),
        # Marked by a person (challenged calls of a spammer carry a "challenge" state).
        "spam": Q(spam=True, flow_state__challenge__isnull=True),
        "good": Q(lead_status=Call.LeadStatus.GOOD_LEAD),
    }


def caller_history(*, company_id: int, phone_number: str) -> CallerHistory:
    """What earlier calls say about this caller, in one index-backed query."""
    facts = Call.objects.from_caller(company_id=company_id, customer_phone_number=phone_number).aggregate(
        **{name: Count("id", filter=condition) for name, condition in _history_filters().items()}
    )
    return CallerHistory(prior_calls=facts["prior"], marked_spam=facts["spam"] > 0, good_lead_before=facts["good"] > 0)


def caller_lookup(*, company: Company, phone_number: str, name: str = "") -> tuple[Person, CallerHistory]:
    """The caller's person and history in one statement (plus the insert of a new person).

    Every inbound call runs it, so it is written as SQL: the ORM spelling of the same
    query cost more CPU to compile than the database took to answer it."""
    calls = connection.ops.quote_name(Call._meta.db_table)
    people = connection.ops.quote_name(Person._meta.db_table)
    if connection.vendor == "postgresql":
        by_hand = "NOT (flow_state ? 'challenge')"
    else:
        by_hand = "json_type(flow_state, '$.challenge') IS NULL"
    sql = (
        f"SELECT {select_columns(Person, 'p')}, h.prior_calls, h.marked_spam, h.good_leads FROM ("
        "SELECT count(*) FILTER (WHERE NOT spam) AS prior_calls,"
        # Marked by a person: the challenged calls of a known spammer carry a "challenge" state.
        f" count(*) FILTER (WHERE spam AND {by_hand}) AS marked_spam,"
        f" count(*) FILTER (WHERE lead_status = '{Call.LeadStatus.GOOD_LEAD}') AS good_leads"
        f" FROM {calls} WHERE company_id = %s AND customer_phone_number = %s) h"
        f" LEFT JOIN {people} p ON p.company_id = %s AND p.phone_number = %s"
    )
    with prepared_cursor() as cursor:
        cursor.execute(sql, [company.pk, phone_number, company.pk, phone_number])
        row = cursor.fetchone()
    prior_calls, marked_spam, good_leads = row[-3:]
    history = CallerHistory(prior_calls=prior_calls, marked_spam=marked_spam > 0, good_lead_before=good_leads > 0)
    if row[0] is not None:
        person = from_row(Person, row)
        person.company = company
        return person, history
    person = person_insert(account_id=company.account_id, company_id=company.pk, phone_number=phone_number, name=name)
    return person, history


# --- inbound calls ---------------------------------------------------------------------


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


def call_inbound_start(*, tracking_number: TrackingNumber, params: Mapping[str, Any]) -> tuple[Call, str]:
    """Record the call Twilio announced on ``tracking_number`` and answer it with TwiML.

    Idempotent on ``CallSid``: a retried webhook finds the same call and gets the
    same first answer. A caller who was marked spam meets the company's treatment.
    """
    call_sid = _param(params, "CallSid")
    for _ in range(3):
        try:
            return _inbound_start(tracking_number=tracking_number, params=params, call_sid=call_sid)
        except IntegrityError:
            # Retries are rare, so the unique CallSid decides instead of a lookup on every call.
            existing = Call.objects.select_related("company").filter(call_sid=call_sid).first() if call_sid else None
            if existing is not None:
                return existing, _first_answer(existing, tracking_number.tracker)
            # Otherwise the random 9-digit numeric id was taken (about 1 in 900 at a million
            # calls): the next attempt's call draws another.
    raise IntegrityError(f"could not store call {call_sid}")


def _inbound_start(*, tracking_number: TrackingNumber, params: Mapping[str, Any], call_sid: str) -> tuple[Call, str]:
    tracker = tracking_number.tracker
    raw_from = _param(params, "From", "Caller")
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
        start_time=timezone.now(),
        tracking_phone_number=tracking_number.number,
        customer_phone_number=(caller or raw_from or "")[:20],
        customer_name=_param(params, "CallerName")[:255],
        customer_city=_param(params, "FromCity", "CallerCity")[:100],
        customer_state=_param(params, "FromState", "CallerState")[:50],
        customer_country=_param(params, "FromCountry", "CallerCountry")[:50],
        customer_zip=_param(params, "FromZip", "CallerZip")[:20],
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
    run = FlowRun.for_call(call, call.tracker).start()
    call.save(update_fields=["spam", "flow_state", "keypad_entries", "answered", "updated_at"])
    run.apply_pending(call)
    signals.call_started.send(sender=Call, call=call)
    return run.twiml


def call_flow_continue(*, call: Call, event: str, step_id: str, params: Mapping[str, Any], attempt: int) -> str:
    """Twilio came back to the flow: a ``<Dial>`` ended, a key was pressed, a message was left."""
    run = FlowRun.for_call(call, call.tracker)
    routed = False
    if event == "dial":
        status = _param(params, "DialCallStatus")
        run.on_dial(step_id, status, attempt)
        if status in ("completed", "answered"):
            routed = _on_answered(call, run)
    elif event == "gather":
        run.on_gather(step_id, _param(params, "Digits"), attempt)
    elif event == "record":
        run.on_record(step_id, _param(params, "RecordingUrl"), _int_or_none(params.get("RecordingDuration")))
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


def call_leg_status(*, call: Call, params: Mapping[str, Any]) -> None:
    """A status event of a phone we rang (``<Number statusCallback>``): someone answered."""
    status = _param(params, "CallStatus")
    if status != "in-progress":
        return
    changed = {"flow_state"}
    if not call.answered:
        call.answered = True
        changed.add("answered")
    answered_by = to_e164_or_none(_param(params, "To", "Called"))
    if call.direction == Call.Direction.INBOUND and answered_by and call.business_phone_number != answered_by:
        call.business_phone_number = answered_by
        changed.add("business_phone_number")
    state = call.flow_state
    if call.tracker is not None and call.direction == Call.Direction.INBOUND:
        try:
            recording = FlowRun.for_call(call, call.tracker).flow.get("recording_enabled")
        except ValidationError:
            recording = False
        if recording:
            state["recording_expected"] = True
    first = not state.get("routed")
    state["routed"] = True
    call.save(update_fields=[*sorted(changed), "updated_at"])
    if first and call.direction == Call.Direction.INBOUND:
        signals.call_routed.send(sender=Call, call=call)


def call_status_update(*, call: Call, params: Mapping[str, Any]) -> None:
    """Twilio's status callback: the call moved on, usually to its end."""
    status = _param(params, "CallStatus")
    if status not in Call.Status.values:
        return
    fields = {"status"}
    if call.status in FINAL_STATUSES and status not in FINAL_STATUSES:
        return  # a late "ringing" after the end: out of order, ignore
    call.status = status
    duration = _int_or_none(params.get("CallDuration"))
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
        call.flow_state["ended"] = timezone.now().isoformat()
        fields.add("flow_state")
    call.save(update_fields=[*sorted(fields), "updated_at"])
    if status in FINAL_STATUSES:
        _post_call_maybe(call)


def call_recording_attach(*, call: Call, params: Mapping[str, Any], kind: str) -> None:
    """The recording callback: the file exists (or never will)."""
    status = _param(params, "RecordingStatus")
    if status == "in-progress":
        return
    state = call.flow_state
    fields = {"flow_state"}
    changed: list[str] = []
    if status == "completed" and _param(params, "RecordingUrl"):
        call.recording_url = _param(params, "RecordingUrl")
        call.recording_sid = _param(params, "RecordingSid")
        call.recording_duration = _int_or_none(params.get("RecordingDuration"))
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
    if _param(params, "TranscriptionStatus") == "completed":
        call.transcription = _param(params, "TranscriptionText")
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
            from callrail.deferred.services import enqueue_or_defer_on_commit
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
    signals.call_completed.send(sender=Call, call=call)
    return True


@transaction.atomic
def call_post_call_deadline(*, call_id: int) -> bool:
    """Post-Call fires at most 20 minutes after hangup, with or without the recording."""
    call = Call.objects.select_for_update().filter(pk=call_id).first()
    if call is None:
        return False
    return _post_call_maybe(call, force=True)


# --- outbound calls ---------------------------------------------------------------------


def _us_ca(value: Any, field_name: str) -> str:
    if value in (None, ""):
        raise ValidationError(f"{field_name} is required.")
    number = to_e164_or_none(str(value))
    if number is None or not is_us_or_canada(number):
        raise ValidationError(f"{field_name} must be a valid US or Canadian phone number.")
    return number


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
    caller_id = _us_ca(caller_id, "caller_id")
    customer = _us_ca(customer_phone_number, "customer_phone_number")
    business = _us_ca(business_phone_number, "business_phone_number")
    tracking_number = _company_tracking_number(account=account, company=company, number=caller_id)
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
        call.person = person_for_caller(company=company, phone_number=customer)
        if history.good_lead_before:
            call.lead_status = Call.LeadStatus.PREVIOUSLY_MARKED_GOOD_LEAD
        insert(call)
    return call


def outbound_twiml(*, call: Call) -> str:
    """The business phone answered: ring the customer and bridge them."""
    settings = call.flow_state.get("outbound", {})
    options: dict[str, Any] = {
        "caller_id": call.tracking_phone_number,
        "action": public_url("telephony:twilio-flow", {"call": call.public_id, "event": "outbound"}),
        "answer_on_bridge": True,
    }
    if settings.get("record"):
        options.update(
            record="record-from-answer-dual",
            recording_status_callback=public_url(
                "telephony:twilio-recording", {"call": call.public_id, "kind": "call"}
            ),
            recording_status_callback_event="completed absent",
        )
    dial = Dial(**options)
    noun: dict[str, Any] = {
        "status_callback": public_url("telephony:twilio-dial-status", {"call": call.public_id}),
        "status_callback_event": "answered completed",
    }
    if settings.get("greeting_text") or settings.get("greeting_recording_url"):
        noun["url"] = public_url("telephony:twilio-whisper", {"call": call.public_id, "leg": "customer"})
    dial.number(call.customer_phone_number, **noun)
    response = VoiceResponse()
    response.append(dial)
    return str(response)


def outbound_greeting_twiml(*, call: Call) -> str:
    """Played to the customer when they answer an outbound call."""
    settings = call.flow_state.get("outbound", {})
    response = VoiceResponse()
    if settings.get("greeting_text"):
        response.say(settings["greeting_text"])
    elif settings.get("greeting_recording_url"):
        response.play(settings["greeting_recording_url"])
    return str(response)


def outbound_dial_finished(*, call: Call, params: Mapping[str, Any]) -> str:
    status = _param(params, "DialCallStatus")
    fields = {"answered", "flow_state"}
    call.answered = status in ("completed", "answered")
    if call.answered and call.flow_state.get("outbound", {}).get("record"):
        call.flow_state["recording_expected"] = True
    call.save(update_fields=[*sorted(fields), "updated_at"])
    response = VoiceResponse()
    response.hangup()
    return str(response)


# --- marketers' changes -------------------------------------------------------------------


def _money(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    text = str(value).strip().replace("$", "").replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise ValidationError(f'value {value!r} is not an amount (e.g. "$1.00" or "1.00").') from exc
    if not amount.is_finite() or amount < 0 or amount >= Decimal("10000000000"):
        raise ValidationError(f'value {value!r} is not an amount (e.g. "$1.00" or "1.00").')
    return amount.quantize(Decimal("0.01"))


def _tags_for(call: Call, names: Any) -> list[Tag]:
    if names is None or names == "":
        return []
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise ValidationError("tags must be a list of tag names.")
    tags = []
    for raw in names:
        name = raw.strip()
        if not name:
            continue
        if len(name) > 100:
            raise ValidationError("A tag name is at most 100 characters.")
        tag = (
            Tag.objects.filter(account_id=call.account_id, company_id=call.company_id, name=name).first()
            or Tag.objects.filter(account_id=call.account_id, company__isnull=True, name=name).first()
        )
        if tag is None:
            # The reference: unknown tags are created in the call's company.
            tag, _ = Tag.objects.get_or_create(
                account_id=call.account_id,
                company_id=call.company_id,
                name=name,
                defaults={"tag_level": Tag.Level.COMPANY},
            )
        tags.append(tag)
    return tags


UPDATABLE = frozenset({"tags", "append_tags", "note", "value", "lead_status", "customer_name", "spam"})


@transaction.atomic
def call_update(*, call: Call, changes: dict, user: User | None = None) -> Call:
    """A marketer's changes to a call (the v3 call update). Keys left out stay as they
    are; ``null``/``""`` clear. ``spam`` can only be set, never unset. Sends
    ``call_modified`` with the names of what actually changed."""
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise ValidationError(f"Unknown field: {sorted(unknown)[0]}.")
    call = Call.objects.select_for_update().get(pk=call.pk)
    fields: set[str] = set()
    changed: list[str] = []

    if "lead_status" in changes:
        status = changes["lead_status"] or None
        if status not in (None, Call.LeadStatus.GOOD_LEAD, Call.LeadStatus.NOT_A_LEAD):
            raise ValidationError("lead_status must be good_lead, not_a_lead or null.")
        if status == Call.LeadStatus.GOOD_LEAD and call.lead_status == Call.LeadStatus.PREVIOUSLY_MARKED_GOOD_LEAD:
            raise ValidationError("This caller was already marked as a good lead on an earlier call.")
        if status != call.lead_status:
            call.lead_status = status
            fields.add("lead_status")
            changed.append("lead_status")
    if "note" in changes:
        note = changes["note"] or ""
        if not isinstance(note, str):
            raise ValidationError("note must be text.")
        if note != call.note:
            call.note = note
            fields.add("note")
            changed.append("note")
    if "value" in changes:
        value = _money(changes["value"])
        if value != call.value:
            call.value = value
            fields.add("value")
            changed.append("value")
    if "customer_name" in changes:
        name = changes["customer_name"] or ""
        if not isinstance(name, str) or len(name) > 255:
            raise ValidationError("customer_name must be text of at most 255 characters.")
        if name != call.customer_name:
            call.customer_name = name
            fields.add("customer_name")
            changed.append("customer_name")
            if call.person_id and name:
                Person.objects.filter(pk=call.person_id).update(name=name, updated_at=timezone.now())
    if "spam" in changes:
        spam = changes["spam"]
        if spam is not True:
            if spam in (False, None) and not call.spam:
                pass
            else:
                raise ValidationError("spam can only be set to true; a call marked as spam cannot be unmarked.")
        elif not call.spam:
            call.spam = True
            fields.add("spam")
            changed.append("spam")
    if "tags" in changes:
        append = changes.get("append_tags") is True
        tags = _tags_for(call, changes["tags"])
        before = set(call.tags.values_list("pk", flat=True))
        if append:
            call.tags.add(*tags)
            after = before | {tag.pk for tag in tags}
        else:
            call.tags.set(tags)
            after = {tag.pk for tag in tags}
        if after != before:
            changed.append("tags")
    if fields:
        call.save(update_fields=[*sorted(fields), "updated_at"])
    if changed:
        signals.call_modified.send(sender=Call, call=call, changes=changed)
    return call


# --- text messages ----------------------------------------------------------------------

_KEYWORD_RE = re.compile(r"\b(" + "|".join(OPT_OUT_KEYWORDS[:5]) + r")\b", re.IGNORECASE)


def _needs_opt_out_notice(content: str) -> bool:
    return not _KEYWORD_RE.search(content)


def _conversation_new(**fields: Any) -> TextConversation:
    # 5-character ids collide rarely (62^5); try again with a fresh one when they do.
    for _ in range(5):
        try:
            with transaction.atomic():
                return TextConversation.objects.create(**fields)
        except IntegrityError:
            existing = TextConversation.objects.filter(
                company=fields["company"], customer_phone_number=fields["customer_phone_number"]
            ).first()
            if existing is not None:
                return existing
    raise IntegrityError("Could not allocate a conversation id.")


def _conversation_touch(
    conversation: TextConversation, *, number: TrackingNumber, at: datetime, also: tuple[str, ...] = ()
) -> None:
    """A text went through ``number``: it becomes the conversation's current number."""
    conversation.current_tracker = number.tracker
    conversation.current_tracking_number = number.number
    conversation.last_message_at = at
    conversation.state = TextConversation.State.ACTIVE
    conversation.save(
        update_fields=[*also, "current_tracker", "current_tracking_number", "last_message_at", "state", "updated_at"]
    )


@transaction.atomic
def text_message_send(
    *,
    account: Account,
    company: Company,
    customer_phone_number: str,
    content: str,
    tracking_number: str | None = None,
    user: User | None = None,
) -> TextConversation:
    """Text a customer from one of the company's SMS-enabled tracking numbers.

    The first text to a lead gets opt-out wording when it has none of STOP, CANCEL,
    UNSUBSCRIBE, QUIT or END (the reference, 2024-09-10). A carrier failure is kept
    as a ``failed`` message."""
    if company.account_id != account.pk:
        raise ValidationError("company_id does not belong to this account.")
    customer = _us_ca(customer_phone_number, "customer_phone_number")
    if not isinstance(content, str) or not content.strip():
        raise ValidationError("content is required.")
    if len(content) > TEXT_MAX_LENGTH:
        raise ValidationError(f"content must be at most {TEXT_MAX_LENGTH} characters.")
    conversation = (
        TextConversation.objects.select_for_update()
        .filter(account=account, company=company, customer_phone_number=customer)
        .first()
    )
    if tracking_number in (None, ""):
        if conversation is None:
            raise ValidationError("tracking_number is required to start a conversation with this customer.")
        number_text = conversation.current_tracking_number
    else:
        number_text = _us_ca(tracking_number, "tracking_number")
    number = _company_tracking_number(account=account, company=company, number=number_text)
    if number is None:
        raise ValidationError(f"{number_text} is not an active tracking number of this company.")
    if not number.tracker.sms_enabled:
        raise ValidationError(f"Texting is not enabled on tracking number {number_text}.")
    if conversation is not None and conversation.opted_out:
        raise ValidationError("This customer has opted out of text messages.")
    now = timezone.now()
    person = person_for_caller(company=company, phone_number=customer)
    if conversation is None:
        conversation = _conversation_new(
            account=account,
            company=company,
            person=person,
            initial_tracker=number.tracker,
            current_tracker=number.tracker,
            initial_tracking_number=number.number,
            current_tracking_number=number.number,
            customer_phone_number=customer,
            customer_name=person.name,
            last_message_at=now,
        )
    first_to_lead = not conversation.messages.filter(direction=TextMessage.Direction.OUTGOING).exists()
    body = content.strip()
    if first_to_lead and _needs_opt_out_notice(body):
        body = f"{body} {OPT_OUT_NOTICE}"
    status = "sent"
    message_sid = None
    try:
        message_sid = get_carrier().send_sms(
            to=customer, from_=number.number, body=body, status_callback=public_url("telephony:twilio-sms-status")
        )
    except CarrierError:
        logger.exception("text to %s from %s failed", customer, number.number)
        status = "failed"
    message = TextMessage.objects.create(
        account=account,
        conversation=conversation,
        direction=TextMessage.Direction.OUTGOING,
        content=body,
        status=status,
        message_sid=message_sid,
        user=user,
    )
    _conversation_touch(conversation, number=number, at=now)
    if status == "sent":
        signals.text_message_sent.send(sender=TextMessage, message=message)
    return conversation


def _keyword(body: str) -> str:
    return body.strip().upper().rstrip(".!")


@transaction.atomic
def text_message_receive(*, params: Mapping[str, Any]) -> TextMessage | None:
    """An SMS arrived on a tracking number. Idempotent on ``MessageSid``. STOP and its
    synonyms opt the customer out of further texts; START opts them back in."""
    sid = _param(params, "MessageSid", "SmsMessageSid", "SmsSid")
    if sid:
        existing = TextMessage.objects.filter(message_sid=sid).first()
        if existing is not None:
            return existing
    number = tracking_number_for_call(_param(params, "To"))
    if number is None:
        return None
    tracker = number.tracker
    company = tracker.company
    raw_from = _param(params, "From")
    customer = to_e164_or_none(raw_from) or raw_from[:20]
    person = person_for_caller(company=company, phone_number=customer) if customer.startswith("+") else None
    now = timezone.now()
    conversation = (
        TextConversation.objects.select_for_update().filter(company=company, customer_phone_number=customer).first()
    )
    if conversation is None:
        conversation = _conversation_new(
            account_id=tracker.account_id,
            company=company,
            person=person,
            initial_tracker=tracker,
            current_tracker=tracker,
            initial_tracking_number=number.number,
            current_tracking_number=number.number,
            customer_phone_number=customer,
            customer_name=person.name if person else "",
            last_message_at=now,
        )
    body = _param(params, "Body")
    keyword = _keyword(body)
    if keyword in OPT_OUT_KEYWORDS or _param(params, "OptOutType").upper() == "STOP":
        conversation.opted_out = True
    elif keyword in OPT_IN_KEYWORDS or _param(params, "OptOutType").upper() == "START":
        conversation.opted_out = False
    _conversation_touch(conversation, number=number, at=now, also=("opted_out",))
    message = TextMessage.objects.create(
        account_id=tracker.account_id,
        conversation=conversation,
        direction=TextMessage.Direction.INCOMING,
        content=body,
        status=None,
        message_sid=sid or None,
    )
    signals.text_message_received.send(sender=TextMessage, message=message)
    return message


def text_message_status(*, params: Mapping[str, Any]) -> None:
    """Twilio's delivery report for a text we sent."""
    sid = _param(params, "MessageSid", "SmsSid")
    status = _param(params, "MessageStatus", "SmsStatus")
    if not sid:
        return
    if status in ("failed", "undelivered"):
        TextMessage.objects.filter(message_sid=sid).update(status="failed", updated_at=timezone.now())
    elif status in ("sent", "delivered"):
        TextMessage.objects.filter(message_sid=sid).exclude(status="sent").update(
            status="sent", updated_at=timezone.now()
        )
