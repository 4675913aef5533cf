"""Pruning of old visitor data (``DNI_SESSION_RETENTION_DAYS``)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from tracking.models import NumberAssignment, PageView, VisitorSession

logger = logging.getLogger(__name__)


# A session's own rows, deleted with it. Any other row pointing at a session (a call,
# a form submission, whatever points at one later) keeps it: it is part of that record.
_SESSION_OWN_DATA = (PageView, NumberAssignment)


def visitor_data_prune(*, now: datetime | None = None, batch: int = 5000) -> dict[str, int]:
    """Delete visitor sessions idle for longer than ``DNI_SESSION_RETENTION_DAYS`` (0: never),
    with their page views and number-assignment rows, unless something else points at them.

    Sessions are read in id order, ``batch`` at a time, and each batch is deleted in its own
    short transaction, so a large backlog never holds locks for long. Ids grow with
    ``created_at`` and ``last_seen_at`` starts there, so the walk ends at the first batch
    created entirely after the cutoff. Returns the rows deleted per model.
    """
    counts = {model._meta.label: 0 for model in (VisitorSession, *_SESSION_OWN_DATA)}
    days = settings.DNI_SESSION_RETENTION_DAYS
    if days <= 0:
        return counts
    cutoff = (now or timezone.now()) - timedelta(days=days)
    after = 0
    while True:
        window = list(
            VisitorSession.objects.filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", "created_at", "last_seen_at")[:batch]
        )
        if not window:
            break
        after = window[-1][0]
        idle = [pk for pk, _, last_seen_at in window if last_seen_at < cutoff]
        if idle:
            for label, deleted in _idle_sessions_delete(idle, cutoff=cutoff).items():
                counts[label] += deleted
        if min(created_at for _, created_at, _ in window) >= cutoff:
            break
    if counts[VisitorSession._meta.label]:
        logger.info("Pruned visitor data last seen before %s: %s", cutoff.isoformat(), counts)
    return counts


@transaction.atomic
def _idle_sessions_delete(ids: list[int], *, cutoff: datetime) -> dict[str, int]:
    """Delete those of these sessions still idle since before ``cutoff`` that nothing durable
    points at, with their own rows, in bulk (no model instances loaded)."""
    doomed = VisitorSession.objects.filter(pk__in=ids, last_seen_at__lt=cutoff)
    for relation in VisitorSession._meta.related_objects:
        if relation.related_model not in _SESSION_OWN_DATA:
            pointing = relation.related_model._base_manager.filter(**{f"{relation.field.name}__pk": OuterRef("pk")})
            doomed = doomed.filter(~Exists(pointing))
    # Locked until the delete: a visit touching one of them meanwhile waits for it.
    locked = list(doomed.order_by("pk").select_for_update(skip_locked=True).values_list("pk", flat=True))
    counts: dict[str, int] = {}
    if not locked:
        return counts
    for model in _SESSION_OWN_DATA:
        # Neither model has delete signal receivers or rows pointing at it: one DELETE each.
        counts[model._meta.label], _ = model._base_manager.filter(session_id__in=locked).delete()
    # Their own rows are gone and nothing else points at them: one DELETE, no collector.
    sessions = VisitorSession._base_manager.filter(pk__in=locked)
    counts[VisitorSession._meta.label] = sessions._raw_delete(sessions.db)
    return counts
