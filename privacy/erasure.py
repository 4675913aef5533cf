"""Erasing one person on request (``Erasure``), across every company of an account.

The person is found by phone number and/or email. Their calls stay, as anonymous rows with
their source, duration, tracker, tags and lead status, so reports still add up; the number,
name, city, zip, note, click ids, cookies, keypad entries, recordings (deleted at the
carrier too) and transcriptions go. Their texts, visitor sessions (every visit of the same
browser) and page views are deleted; their form submissions lose their fields and contact
details; the webhook events and deliveries about all of these lose their bodies; the alert
emails' log rows go; then the person rows themselves. A later contact from the same number
starts a new person.

The work runs in steps (``STEPS``), each a series of short transactions that also record
where the erasure stands, so a worker killed half-way leaves a row another worker resumes:
every batch is either done and counted, or not done at all. The rows to erase are collected
first, as primary keys, so a resumed run erases exactly what the first one set out to.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.audit import UNSET, audit_record
from accounts.models import Account, User
from accounts.phone import dashed, formatted, to_e164
from callrail.deferred.services import task_publish
from integrations.models import NotificationEmail, WebhookDelivery, WebhookEvent
from privacy.models import Erasure
from telephony.carrier import get_carrier
from telephony.models import Call, TextConversation, TextMessage
from tracking.models import FormSubmission, PageView, Person, VisitorSession

logger = logging.getLogger(__name__)

BATCH = 100
# How long a worker holds an erasure without showing progress before another may take it.
LOCK = timedelta(minutes=5)
# Runs that ended in an error before the erasure is marked failed.
MAX_ATTEMPTS = 5
# A pending erasure nobody started this long after its last change had its task lost.
PENDING_GRACE = timedelta(minutes=1)

# What a call keeps: everything else that could name the caller is blanked.
CALL_BLANKS: dict[str, Any] = {
    "customer_phone_number": "",
    "customer_name": "",
    "customer_city": "",
    "customer_zip": "",
    "note": "",
    "transcription": "",
    "recording_sid": "",
    "recording_url": "",
    "recording_duration": None,
    "keypad_entries": [],
    "cookies": {},
    "gclid": "",
    "fbclid": "",
    "msclkid": "",
    "person": None,
    "session": None,
}
FORM_BLANKS: dict[str, Any] = {
    "form_data": {},
    "customer_phone_number": "",
    "customer_name": "",
    "customer_email": "",
    "note": "",
    "person": None,
    "session": None,
}
# Free-text fields kept for reports unless the person's number or email appears in them
# (a landing page with ``?email=…``).
CALL_TEXTS = ("landing_page_url", "referring_url", "last_requested_url", "keywords", "campaign", "utm_term")
FORM_TEXTS = ("form_url", "landing_page_url", "referring_url", "keywords", "campaign", "form_name")


class ErasureLost(Exception):
    """Another worker took the erasure over (this one was presumed dead)."""


# --- requests --------------------------------------------------------------------------------


def erasure_request(
    *,
    account: Account,
    phone_number: str = "",
    email: str = "",
    requested_by: User | None = None,
    via: str = Erasure.Via.API,
    enqueue: bool = True,
) -> Erasure:
    """Record a request to erase the person known by ``phone_number`` and/or ``email``, and
    (``enqueue``) hand it to a worker once committed. Raises ``ValidationError``."""
    phone = to_e164(phone_number.strip()) if phone_number and phone_number.strip() else ""
    address = (email or "").strip().lower()
    if address:
        try:
            validate_email(address)
        except ValidationError as exc:
            raise ValidationError("email is not a valid email address.") from exc
    if not (phone or address):
        raise ValidationError("phone_number or email is required.")
    erasure = Erasure.objects.create(
        account=account,
        requested_by=requested_by,
        requested_via=via,
        phone_number=phone,
        email=address,
        by_phone_number=bool(phone),
        by_email=bool(address),
    )
    # The trail says what the request named, never the number or address themselves.
    audit_record(
        account=account,
        action="erasure.requested",
        target=erasure,
        changes={"by_phone_number": (None, erasure.by_phone_number), "by_email": (None, erasure.by_email)},
        actor=requested_by if requested_by is not None else UNSET,
    )
    logger.info("erasure %s requested by %s (%s)", erasure.public_id, requested_by or "-", via)
    if enqueue:
        transaction.on_commit(lambda: _enqueue(erasure.pk), robust=True)
    return erasure


def _enqueue(erasure_id: int) -> None:
    # Imported here: the tasks module imports this one.
    from privacy.tasks import erasure_run as erasure_run_task

    try:
        # retry=False: never hold the request on a broker that is down; the sweeper
        # (``erasures_resume``) starts erasures whose task never left.
        task_publish(erasure_run_task, erasure_id)
    except Exception:
        logger.warning("erasure %s not enqueued; the sweeper will start it", erasure_id, exc_info=True)


# --- running ---------------------------------------------------------------------------------


def erasure_run(*, erasure_id: int, batch: int = BATCH, max_batches: int | None = None) -> Erasure | None:
    """Run an erasure to the end, unless another live worker holds it or it is finished.

    ``max_batches`` stops after that many batches, leaving the erasure held as a worker
    killed at that point would (tests use it). An error leaves it for the sweeper to run
    again, until ``MAX_ATTEMPTS`` runs failed."""
    token = _claim(erasure_id)
    if token is None:
        return Erasure.objects.filter(pk=erasure_id).first()
    done = 0
    try:
        while _advance(erasure_id, token, batch):
            done += 1
            if max_batches is not None and done >= max_batches:
                break
    except ErasureLost:
        logger.warning("erasure %s was taken over by another worker", erasure_id)
    except Exception as exc:
        logger.exception("erasure %s stopped", erasure_id)
        _release(erasure_id, token, exc)
    return Erasure.objects.filter(pk=erasure_id).first()


@transaction.atomic
def _claim(erasure_id: int) -> str | None:
    """Take the erasure for this worker, unless it is finished or a live worker holds it
    (the row lock makes two workers racing for it take turns)."""
    now = timezone.now()
    erasure = Erasure.objects.select_for_update().filter(pk=erasure_id).first()
    if erasure is None or erasure.is_finished:
        return None
    if erasure.status == Erasure.Status.RUNNING and erasure.locked_until and erasure.locked_until > now:
        return None
    if erasure.attempts >= MAX_ATTEMPTS:
        erasure.status = Erasure.Status.FAILED
        erasure.locked_until = None
        erasure.save(update_fields=["status", "locked_until", "updated_at"])
        logger.error("erasure %s failed after %s attempts", erasure.public_id, erasure.attempts)
        return None
    erasure.status = Erasure.Status.RUNNING
    erasure.attempts += 1
    erasure.run_token = uuid.uuid4().hex
    erasure.locked_until = now + LOCK
    erasure.started_at = erasure.started_at or now
    erasure.step = erasure.step or STEPS[0]
    erasure.save()
    return erasure.run_token


@transaction.atomic
def _release(erasure_id: int, token: str, exc: Exception) -> None:
    """After an error: back to pending for the sweeper, or failed after too many attempts.
    Only the step and the kind of error are kept (messages may quote the data)."""
    erasure = Erasure.objects.select_for_update().filter(pk=erasure_id, run_token=token).first()
    if erasure is None:
        return
    erasure.error = f"{erasure.step}: {type(exc).__name__}"[:255]
    erasure.status = Erasure.Status.FAILED if erasure.attempts >= MAX_ATTEMPTS else Erasure.Status.PENDING
    erasure.locked_until = None
    erasure.run_token = ""
    erasure.save()


@transaction.atomic
def _advance(erasure_id: int, token: str, batch: int) -> bool:
    """One batch of the current step, committed with the erasure's new position and counts.
    Returns False once the erasure is complete."""
    erasure = Erasure.objects.select_for_update().get(pk=erasure_id)
    if erasure.run_token != token or erasure.status != Erasure.Status.RUNNING:
        raise ErasureLost(erasure.public_id)
    if erasure.step == "collect":
        erasure.targets = _collect(erasure)
        _next_step(erasure)
    elif erasure.step in STEP_WORK:
        target, work = STEP_WORK[erasure.step]
        ids = erasure.targets.get(target, [])[erasure.cursor : erasure.cursor + batch]
        if ids:
            for kind, count in work(erasure, ids).items():
                erasure.counts[kind] = erasure.counts.get(kind, 0) + count
            erasure.cursor += len(ids)
            # Progress: only runs failing in a row, without any, count towards MAX_ATTEMPTS.
            erasure.attempts = 0
        else:
            _next_step(erasure)
    else:
        _complete(erasure)
        return False
    erasure.locked_until = timezone.now() + LOCK
    erasure.save()
    return True


def _next_step(erasure: Erasure) -> None:
    index = STEPS.index(erasure.step)
    erasure.step = STEPS[index + 1] if index + 1 < len(STEPS) else "finish"
    erasure.cursor = 0


def _complete(erasure: Erasure) -> None:
    # The identifiers found the rows; with the rows gone, the log keeps only the counts.
    erasure.phone_number = ""
    erasure.email = ""
    erasure.targets = {}
    erasure.status = Erasure.Status.COMPLETED
    erasure.step = ""
    erasure.cursor = 0
    erasure.error = ""
    erasure.locked_until = None
    erasure.run_token = ""
    erasure.completed_at = timezone.now()
    erasure.save()
    logger.info("erasure %s completed: %s", erasure.public_id, erasure.counts)


def erasures_resume(*, now: datetime | None = None) -> int:
    """Hand unfinished erasures to workers again: pending ones whose task was lost, and
    running ones whose worker stopped showing progress (killed). Returns how many."""
    # Imported here: the tasks module imports this one.
    from privacy.tasks import erasure_run as erasure_run_task

    now = now or timezone.now()
    stalled = Erasure.objects.filter(
        Q(status=Erasure.Status.PENDING, updated_at__lt=now - PENDING_GRACE)
        | Q(status=Erasure.Status.RUNNING, locked_until__lt=now)
    )
    ids = list(stalled.order_by("created_at").values_list("pk", flat=True)[:100])
    for pk in ids:
        erasure_run_task.delay(pk)  # the beat's sweeper: no request waits on it
    return len(ids)


# --- finding the person's rows ---------------------------------------------------------------


def phone_needles(e164: str) -> list[str]:
    """The spellings a number is stored in: E.164, ``404-555-1234``, ``(404) 555-1234``, digits."""
    if not e164:
        return []
    spellings = [e164, dashed(e164) or "", formatted(e164) or "", re.sub(r"\D", "", dashed(e164) or "")]
    return [s for s in dict.fromkeys(spellings) if len(s) >= 7]


def _needles(erasure: Erasure) -> list[str]:
    return phone_needles(erasure.phone_number) + ([erasure.email] if erasure.email else [])


def _mentions(value: Any, digits: set[str], email: str) -> bool:
    """Whether a form field's value is the person's number (however written) or email."""
    if isinstance(value, dict):
        return any(_mentions(item, digits, email) for item in value.values())
    if isinstance(value, list):
        return any(_mentions(item, digits, email) for item in value)
    text = str(value)
    if email and email in text.lower():
        return True
    return bool(digits) and re.sub(r"\D", "", text) in digits


def _forms_mentioning(account_id: int, phone: str, email: str) -> list[int]:
    """Form submissions whose fields hold the number or email, whatever the field names."""
    national = re.sub(r"\D", "", dashed(phone) or "") if phone else ""
    digits = {national, "1" + national, phone.lstrip("+")} - {""}
    condition = Q(pk__in=[])
    if email:
        condition |= Q(text__icontains=email)
    if national:
        condition |= Q(text__contains=national[-4:])
    candidates = (
        FormSubmission.objects.filter(account_id=account_id)
        .annotate(text=Cast("form_data", TextField()))
        .filter(condition)
        .values_list("pk", "form_data")
    )
    return [pk for pk, data in candidates.iterator() if _mentions(data, digits, email)]


def _collect(erasure: Erasure) -> dict[str, list[int]]:
    """The primary keys of every row to erase, in each kind's order of work."""
    account_id, phone, email = erasure.account_id, erasure.phone_number, erasure.email
    people_q = Q(pk__in=[])
    if phone:
        people_q |= Q(phone_number=phone)
    if email:
        people_q |= Q(email__iexact=email)
    people = list(Person.objects.filter(account_id=account_id).filter(people_q).values_list("pk", flat=True))

    by_phone = Q(customer_phone_number=phone) if phone else Q(pk__in=[])
    calls = Call.objects.filter(account_id=account_id).filter(Q(person_id__in=people) | by_phone)
    conversations = TextConversation.objects.filter(account_id=account_id).filter(Q(person_id__in=people) | by_phone)
    form_q = Q(person_id__in=people) | by_phone | Q(pk__in=_forms_mentioning(account_id, phone, email))
    if email:
        form_q |= Q(customer_email__iexact=email)
    forms = FormSubmission.objects.filter(account_id=account_id).filter(form_q)

    call_rows = list(calls.order_by("pk").values_list("pk", "public_id", "session_id"))
    form_rows = list(forms.order_by("pk").values_list("pk", "public_id", "session_id"))
    conversation_rows = list(conversations.order_by("pk").values_list("pk", "public_id"))
    message_ids = list(
        TextMessage.objects.filter(conversation_id__in=[pk for pk, _ in conversation_rows]).values_list(
            "public_id", flat=True
        )
    )
    session_ids = {row[2] for row in call_rows + form_rows if row[2]}
    sessions = _browser_sessions(account_id, people, session_ids)

    subjects = [row[1] for row in call_rows + form_rows] + message_ids
    keys = [row[1] for row in call_rows + form_rows] + [
        f"conversation:{public_id}" for _, public_id in conversation_rows
    ]
    events_q = Q(ordering_key__in=keys)
    for needle in _needles(erasure):
        events_q |= Q(body__icontains=needle)
    events = WebhookEvent.objects.filter(account_id=account_id).filter(events_q)
    emails = NotificationEmail.objects.filter(account_id=account_id, subject_id__in=subjects)
    return {
        "calls": [row[0] for row in call_rows],
        "conversations": [pk for pk, _ in conversation_rows],
        "forms": [row[0] for row in form_rows],
        "sessions": sorted(sessions),
        "webhook_events": list(events.order_by("pk").values_list("pk", flat=True)),
        "notification_emails": list(emails.order_by("pk").values_list("pk", flat=True)),
        "people": sorted(people),
    }


def _browser_sessions(account_id: int, people: list[int], session_ids: set[int]) -> set[int]:
    """The person's visits, and every other visit of the same browsers (``calltrk_uuid``)."""
    seen = VisitorSession.objects.filter(account_id=account_id).filter(Q(person_id__in=people) | Q(pk__in=session_ids))
    found: set[int] = set()
    for pk, company_id, visitor_id in seen.values_list("pk", "company_id", "visitor_id"):
        found.add(pk)
        if visitor_id:
            found |= set(
                VisitorSession.objects.filter(company_id=company_id, visitor_id=visitor_id).values_list("pk", flat=True)
            )
    return found


# --- erasing, one batch at a time ------------------------------------------------------------


def _scrub(queryset: QuerySet, fields: tuple[str, ...], needles: list[str]) -> None:
    """Blank the free-text fields where the person's number or email appears."""
    for field in fields:
        for needle in needles:
            queryset.filter(**{f"{field}__icontains": needle}).update(**{field: ""})


def _recordings_erase(erasure: Erasure, ids: list[int]) -> dict[str, int]:
    """Delete the calls' recordings at the carrier (idempotent there), then forget them."""
    carrier = get_carrier()
    deleted = 0
    for call in Call.objects.filter(pk__in=ids).only("pk", "recording_sid", "flow_state"):
        for sid in call.recording_sids:
            carrier.recording_delete(sid)
            deleted += 1
        if call.flow_state.pop("recording_sids", None) is not None:
            Call.objects.filter(pk=call.pk).update(flow_state=call.flow_state)
    Call.objects.filter(pk__in=ids).update(recording_sid="", recording_url="", recording_duration=None)
    return {"recordings": deleted}


def _calls_erase(erasure: Erasure, ids: list[int]) -> dict[str, int]:
    calls = Call.objects.filter(pk__in=ids)
    _scrub(calls, CALL_TEXTS, _needles(erasure))
    return {"calls": calls.update(**CALL_BLANKS, updated_at=timezone.now())}


def _texts_erase(erasure: Erasure, ids: list[int]) -> dict[str, int]:
    messages, _ = TextMessage.objects.filter(conversation_id__in=ids).delete()
    conversations, _ = TextConversation.objects.filter(pk__in=ids).delete()
    return {"text_messages": messages, "text_conversations": conversations}


def _forms_erase(erasure: Erasure, ids: list[int]) -> dict[str, int]:
    forms = FormSubmission.objects.filter(pk__in=ids)
    _scrub(forms, FORM_TEXTS, _needles(erasure))
    return {"form_submissions": forms.update(**FORM_BLANKS, updated_at=timezone.now())}


def _sessions_erase(erasure: Erasure, ids: list[int]) -> dict[str, int]:
    page_views = PageView.objects.filter(session_id__in=ids).count()
    _, per_model = VisitorSession.objects.filter(pk__in=ids).delete()
    return {"visitor_sessions": per_model.get(VisitorSession._meta.label, 0), "page_views": page_views}


def _webhooks_erase(erasure: Erasure, ids: list[int]) -> dict[str, int]:
    """The events' bodies go (receivers already have what they were sent); events still owed
    are not sent any more."""
    now = timezone.now()
    events = WebhookEvent.objects.filter(pk__in=ids)
    unfinished = (WebhookEvent.State.PENDING, WebhookEvent.State.DELIVERING)
    events.filter(state__in=unfinished).update(state=WebhookEvent.State.CANCELED, finished_at=now, locked_until=None)
    erased = events.update(body="{}")
    deliveries = WebhookDelivery.objects.filter(webhook_event_id__in=ids).update(
        response_body="", response_headers={}, error=""
    )
    return {"webhook_events": erased, "webhook_deliveries": deliveries}


def _emails_erase(erasure: Erasure, ids: list[int]) -> dict[str, int]:
    deleted, _ = NotificationEmail.objects.filter(pk__in=ids).delete()
    return {"notification_emails": deleted}


def _people_erase(erasure: Erasure, ids: list[int]) -> dict[str, int]:
    _, per_model = Person.objects.filter(pk__in=ids).delete()
    return {"people": per_model.get(Person._meta.label, 0)}


STEPS = ("collect", "recordings", "calls", "texts", "forms", "sessions", "webhooks", "emails", "people")

# Each step after "collect": the list of targets it walks, and the work on one batch of them.
STEP_WORK: dict[str, tuple[str, Callable[[Erasure, list[int]], dict[str, int]]]] = {
    "recordings": ("calls", _recordings_erase),
    "calls": ("calls", _calls_erase),
    "texts": ("conversations", _texts_erase),
    "forms": ("forms", _forms_erase),
    "sessions": ("sessions", _sessions_erase),
    "webhooks": ("webhook_events", _webhooks_erase),
    "emails": ("notification_emails", _emails_erase),
    "people": ("people", _people_erase),
}
