"""The nightly retention purge: every account's calls (with their recordings, deleted at the
carrier too), transcriptions, texts, form submissions, visitor sessions (with their page
views, number-assignment rows and tel: clicks), clicks recorded without a session (by
their own time), people left with nothing, and webhook and alert-email
logs older than its ``data_retention_days`` (0: kept forever).

Everything goes in short batches, each in its own transaction, so a large backlog never
holds locks for long and a run cut short leaves nothing half done: the next one carries on.
The audit trail of HIPAA accounts (``CallAccess``) and the log of erasures are kept.

Installation-wide, visitor sessions nothing points at also go after
``DNI_SESSION_RETENTION_DAYS`` (``tracking.retention.visitor_data_prune``), whichever is shorter.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from accounts.models import Account
from integrations.models import NotificationEmail, WebhookDelivery, WebhookEvent
from telephony.carrier import CarrierError, get_carrier
from telephony.models import Call, TextConversation, TextMessage
from tracking.models import ClickEvent, FormSubmission, Person, VisitorSession
from tracking.retention import visitor_data_prune

logger = logging.getLogger(__name__)

BATCH = 500


def retention_cutoff(account: Account, now: datetime) -> datetime | None:
    """Records of ``account`` from before this moment are purged (None: kept forever)."""
    if account.data_retention_days <= 0:
        return None
    return now - timedelta(days=account.data_retention_days)


def retention_purge(*, now: datetime | None = None, batch: int = BATCH) -> dict[str, int]:
    """Purge every account's expired records, then idle visitor sessions past
    ``DNI_SESSION_RETENTION_DAYS``. Returns the rows deleted per kind."""
    now = now or timezone.now()
    counts: Counter[str] = Counter()
    cutoffs: dict[int, datetime] = {}
    for account in Account.objects.filter(data_retention_days__gt=0).order_by("pk"):
        cutoff = retention_cutoff(account, now)
        if cutoff is None:
            continue
        cutoffs[account.pk] = cutoff
        counts.update(account_purge(account=account, cutoff=cutoff, batch=batch))
    counts.update(_sessions_purge(cutoffs, batch=batch))
    counts.update(_people_purge(cutoffs, batch=batch))
    for label, deleted in visitor_data_prune(now=now).items():
        counts[_VISITOR_LABELS[label]] += deleted
    result = {kind: n for kind, n in counts.items() if n}
    if result:
        logger.info("retention purge deleted %s", result)
    return result


_VISITOR_LABELS = {
    VisitorSession._meta.label: "visitor_sessions",
    "tracking.PageView": "page_views",
    "tracking.NumberAssignment": "number_assignments",
    ClickEvent._meta.label: "click_events",
}


def account_purge(*, account: Account, cutoff: datetime, batch: int = BATCH) -> Counter[str]:
    """Delete ``account``'s calls, texts, forms and logs from before ``cutoff`` (visitor
    sessions and people are walked for every account at once, by ``retention_purge``)."""
    counts: Counter[str] = Counter()
    counts.update(_calls_purge(account, cutoff, batch))
    counts["text_messages"] += _delete_in_batches(
        TextMessage.objects.filter(account=account, created_at__lt=cutoff), batch
    )
    # A conversation whose every message is gone goes too (its STOP stays with the carrier).
    has_messages = TextMessage.objects.filter(conversation_id=OuterRef("pk"))
    counts["text_conversations"] += _delete_in_batches(
        TextConversation.objects.filter(account=account, created_at__lt=cutoff).filter(~Exists(has_messages)), batch
    )
    counts["form_submissions"] += _delete_in_batches(
        FormSubmission.objects.filter(account=account, submitted_at__lt=cutoff), batch
    )
    # A click whose session never reached us belongs to no session the walk below deletes:
    # it goes by its own time (clicks with a session go with it).
    counts["click_events"] += _delete_in_batches(
        ClickEvent.objects.filter(account=account, session__isnull=True, clicked_at__lt=cutoff), batch
    )
    counts["webhook_deliveries"] += _delete_in_batches(
        WebhookDelivery.objects.filter(account=account, created_at__lt=cutoff), batch
    )
    counts["webhook_events"] += _delete_in_batches(
        WebhookEvent.objects.filter(account=account, created_at__lt=cutoff), batch
    )
    counts["notification_emails"] += _delete_in_batches(
        NotificationEmail.objects.filter(account=account, created_at__lt=cutoff), batch
    )
    return counts


def _delete_in_batches(queryset: QuerySet, batch: int) -> int:
    """Delete the rows of ``queryset`` ``batch`` at a time, each batch in its own
    transaction. Returns how many rows of its model were deleted."""
    model = queryset.model
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch])
            if not ids:
                return deleted
            _, per_model = model._base_manager.filter(pk__in=ids).delete()
        deleted += per_model.get(model._meta.label, 0)


def _calls_purge(account: Account, cutoff: datetime, batch: int) -> Counter[str]:
    """Old calls, their recordings deleted at the carrier first. A recording the carrier
    could not delete keeps its call (and the link to it) for the next night's run."""
    counts: Counter[str] = Counter()
    carrier = get_carrier()
    kept: set[int] = set()
    while True:
        rows = list(
            Call.objects.filter(account=account, start_time__lt=cutoff)
            .exclude(pk__in=kept)
            .order_by("pk")
            .only("pk", "recording_sid", "flow_state")[:batch]
        )
        if not rows:
            return counts
        doomed: list[int] = []
        for call in rows:
            try:
                for sid in call.recording_sids:
                    carrier.recording_delete(sid)
                    counts["recordings"] += 1
            except CarrierError:
                logger.warning("recording of call %s not deleted at the carrier; kept for the next run", call.pk)
                kept.add(call.pk)
                continue
            doomed.append(call.pk)
        with transaction.atomic():
            _, per_model = Call.objects.filter(pk__in=doomed).delete()
        counts["calls"] += per_model.get(Call._meta.label, 0)


def _windows(batch: int) -> Iterator[list[tuple[int, int, datetime, datetime]]]:
    """Visitor sessions in id order, ``batch`` at a time, as (id, account, created, last seen)."""
    after = 0
    while True:
        window = list(
            VisitorSession.objects.filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", "account_id", "created_at", "last_seen_at")[:batch]
        )
        if not window:
            return
        after = window[-1][0]
        yield window


def _sessions_purge(cutoffs: dict[int, datetime], *, batch: int) -> Counter[str]:
    """Visitor sessions last seen before their account's cutoff, with their page views and
    number-assignment rows; calls and forms pointing at them forget them.

    Sessions have no index by account or time (they are written on the DNI hot path), so
    they are walked in id order, which follows ``created_at``; the walk ends at the first
    window created entirely after the latest cutoff (no session there can be expired)."""
    counts: Counter[str] = Counter()
    if not cutoffs:
        return counts
    latest = max(cutoffs.values())
    for window in _windows(batch):
        expired = [
            pk
            for pk, account_id, _, last_seen_at in window
            if account_id in cutoffs and last_seen_at < cutoffs[account_id]
        ]
        if expired:
            with transaction.atomic():
                # Locked rows are being touched by a visit right now: left for the next run.
                locked = list(
                    VisitorSession.objects.filter(pk__in=expired)
                    .select_for_update(skip_locked=True)
                    .values_list("pk", flat=True)
                )
                _, per_model = VisitorSession.objects.filter(pk__in=locked).delete()
            for label, deleted in per_model.items():
                if label in _VISITOR_LABELS:
                    counts[_VISITOR_LABELS[label]] += deleted
        if min(created_at for _, _, created_at, _ in window) >= latest:
            break
    return counts


def _people_purge(cutoffs: dict[int, datetime], *, batch: int) -> Counter[str]:
    """People with nothing left (no call, text, form or visit), first seen before the cutoff."""
    counts: Counter[str] = Counter()
    for account_id, cutoff in cutoffs.items():
        counts["people"] += _delete_in_batches(people_with_nothing_left(account_id, cutoff), batch)
    return counts


def people_with_nothing_left(account_id: int, created_before: datetime) -> QuerySet[Person]:
    """An account's people that no call, text conversation, form or visit points at any more."""
    person = OuterRef("pk")
    return Person.objects.filter(account_id=account_id, created_at__lt=created_before).filter(
        ~Exists(Call.objects.filter(person_id=person)),
        ~Exists(FormSubmission.objects.filter(person_id=person)),
        ~Exists(VisitorSession.objects.filter(person_id=person)),
        ~Exists(TextConversation.objects.filter(person_id=person)),
    )
