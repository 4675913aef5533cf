"""The durable number-assignment log: who held which pool number, and when.

Redis holds the live pools; this log is the system of record that attribution falls back
on and that a pool is rebuilt from after Redis lost it (see ``tracking.pools``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models.functions import Least
from django.utils import timezone

from tracking.models import NumberAssignment, Tracker, TrackingNumber, VisitorSession


@transaction.atomic
def assignment_open(
    *, tracker: Tracker, tracking_number: TrackingNumber, session: VisitorSession, at: datetime
) -> NumberAssignment:
    """Log that ``session`` now holds ``tracking_number`` (the number's earlier rows are
    superseded by this one; the session's earlier hold in this pool ends here)."""
    NumberAssignment.objects.filter(tracker=tracker, session=session, ended_at__isnull=True).update(
        ended_at=Least("expires_at", at)
    )
    return NumberAssignment.objects.create(
        account_id=tracker.account_id,
        tracker=tracker,
        tracking_number=tracking_number,
        session=session,
        started_at=at,
        expires_at=at + timedelta(seconds=tracker.session_timeout),
    )


def latest_assignments(tracking_number_ids: Iterable[int]) -> dict[int, NumberAssignment]:
    """Each number's latest row in the log (its current or last holder)."""
    ids = list(tracking_number_ids)
    if not ids:
        return {}
    rows = NumberAssignment.objects.filter(tracking_number_id__in=ids).select_related("session")
    if connection.vendor == "postgresql":
        latest = rows.order_by("tracking_number_id", "-started_at", "-id").distinct("tracking_number_id")
        return {row.tracking_number_id: row for row in latest}
    found = {}
    for number_id in ids:
        row = rows.filter(tracking_number_id=number_id).order_by("-started_at", "-id").first()
        if row is not None:
            found[number_id] = row
    return found


def assignments_end(*, tracking_number_ids: Iterable[int], at: datetime) -> int:
    """End the current holds of these numbers at ``at`` (or when they lapsed, if earlier)."""
    open_ids = [row.id for row in latest_assignments(tracking_number_ids).values() if row.ended_at is None]
    return NumberAssignment.objects.filter(id__in=open_ids).update(ended_at=Least("expires_at", at))


def assignments_close(*, tracker: Tracker, keep_numbers: Iterable[str]) -> int:
    """End the holds on the tracker's numbers that are no longer in its pool (released,
    or all of them when the tracker is disabled). A number that moved to another
    tracker needs nothing: attribution only reads the rows of the number's tracker."""
    keep = set(keep_numbers)
    leaving = TrackingNumber.objects.filter(tracker=tracker).exclude(number__in=keep, status="active")
    return assignments_end(tracking_number_ids=leaving.values_list("id", flat=True), at=timezone.now())
