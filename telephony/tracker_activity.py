"""How much each tracker rings: the calls of the last days and the latest call, per tracker
(the dashboard's list of tracking numbers)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Q

from telephony.models import Call


@dataclass(frozen=True)
class TrackerActivity:
    calls: int  # since the given moment
    last_call: datetime | None  # ever


def tracker_activity(*, tracker_ids: Iterable[int], since: datetime) -> dict[int, TrackerActivity]:
    """Calls (spam left out, as in every count) per tracker since ``since``, and each one's
    latest call; trackers without calls are absent."""
    rows = (
        Call.objects.not_spam()
        .filter(tracker_id__in=list(tracker_ids))
        .values("tracker_id")
        .annotate(calls=Count("id", filter=Q(start_time__gte=since)), last_call=Max("start_time"))
        .order_by()
    )
    return {row["tracker_id"]: TrackerActivity(row["calls"], row["last_call"]) for row in rows}
