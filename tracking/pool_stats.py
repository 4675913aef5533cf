"""Reads about how busy a company's visitors keep its number pools: the most numbers held
at once, the most visitors at once, exhaustion per day and who holds a number right now.

What a pool needs is the most visitors it must serve at the same moment, so both peaks
sweep over intervals (a hold from its start to its end; a visit from its first request
to its last activity plus the session timeout) and keep the highest count of overlaps.
PostgreSQL does the sweep with a window function; other databases (SQLite in the
embedded default) fetch the intervals and sweep them here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import F, Sum
from django.db.models.functions import Coalesce

from callrail.dates import local_midnight
from tracking.models import NumberAssignment, PoolExhaustion, Tracker, TrackingNumber, VisitorSession
from tracking.pools import pool_status

# Headroom over the busiest moment seen (visits cluster; a pool sized to the exact peak
# turns visitors away the next time it is reached), and the reference's pool limits.
POOL_HEADROOM = 1.25
POOL_SIZE_MIN, POOL_SIZE_MAX = 4, 50  # the reference: "Must be between 4 and 50"
DEFAULT_SESSION_TIMEOUT = 1800


def pool_size_for(peak_visitors: int | float) -> int:
    """The pool that serves ``peak_visitors`` at once with headroom, within the limits."""
    return min(POOL_SIZE_MAX, max(POOL_SIZE_MIN, math.ceil(peak_visitors * POOL_HEADROOM)))


def peak_overlap(intervals: Iterable[tuple[datetime, datetime]]) -> int:
    """The most intervals ``[start, end)`` that overlap at one moment (an end and a start
    at the same instant do not overlap)."""
    events: list[tuple[datetime, int]] = []
    for start, end in intervals:
        if end > start:
            events += [(start, 1), (end, -1)]
    events.sort()  # at the same instant, -1 sorts before +1
    peak = current = 0
    for _, change in events:
        current += change
        peak = max(peak, current)
    return peak


# The sweep of ``_INTERVALS`` (a query giving ``s`` and ``e``) in one statement.
_PEAK_SQL = """
WITH intervals AS ({intervals})
SELECT coalesce(max(n), 0) FROM (
    SELECT sum(d) OVER (ORDER BY t, d ROWS UNBOUNDED PRECEDING) AS n FROM (
        SELECT s AS t, 1 AS d FROM intervals WHERE e > s
        UNION ALL
        SELECT e AS t, -1 AS d FROM intervals WHERE e > s
    ) AS events
) AS running
"""

# A hold lasts from its start until it ended, lapsed, or the number went to its next
# holder (a lapsed hold is superseded, not closed: see NumberAssignment).
_HOLDS_SQL = """
SELECT greatest(a.started_at, %(start)s) AS s,
       least(
           coalesce(a.ended_at, a.expires_at),
           coalesce(lead(a.started_at) OVER (PARTITION BY a.tracking_number_id ORDER BY a.started_at, a.id),
                    'infinity'::timestamptz),
           %(end)s
       ) AS e
FROM tracking_numberassignment a
WHERE a.tracking_number_id = ANY(%(numbers)s) AND a.tracker_id = %(tracker)s
  AND a.started_at < %(end)s AND coalesce(a.ended_at, a.expires_at) > %(start)s
"""

_VISITS_SQL = """
SELECT greatest(v.created_at, %(start)s) AS s,
       least(v.last_seen_at + make_interval(secs => %(timeout)s), %(end)s) AS e
FROM tracking_visitorsession v
WHERE v.company_id = %(company)s AND v.created_at < %(end)s
  AND v.last_seen_at > %(start)s - make_interval(secs => %(timeout)s)
"""


def _peak_sql(intervals: str, params: dict[str, Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(_PEAK_SQL.format(intervals=intervals), params)
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def pool_peak_in_use(*, tracker: Tracker, start: datetime, end: datetime) -> int:
    """The most of the tracker's pool numbers held at once in ``[start, end)``, per the
    assignment log (its expiry may trail a live hold a little: never an overstatement)."""
    numbers = list(TrackingNumber.objects.filter(tracker=tracker).values_list("id", flat=True))
    if not numbers:
        return 0
    if connection.vendor == "postgresql":
        return _peak_sql(_HOLDS_SQL, {"start": start, "end": end, "numbers": numbers, "tracker": tracker.pk})
    rows = (
        NumberAssignment.objects.filter(tracking_number_id__in=numbers, tracker=tracker, started_at__lt=end)
        .annotate(until=Coalesce("ended_at", "expires_at"))
        .filter(until__gt=start)
        .order_by("tracking_number_id", "started_at", "id")
        .values_list("tracking_number_id", "started_at", "until")
    )
    intervals: list[tuple[datetime, datetime]] = []
    previous: tuple[int, datetime, datetime] | None = None
    for number_id, started, until in rows:
        if previous is not None:
            # The number's next holder ends the previous hold, if nothing ended it before.
            cut = started if previous[0] == number_id else previous[2]
            intervals.append((previous[1], min(previous[2], cut)))
        previous = (number_id, started, until)
    if previous is not None:
        intervals.append((previous[1], previous[2]))
    return peak_overlap((max(s, start), min(e, end)) for s, e in intervals)


def company_peak_visitors(*, company_id: int, start: datetime, end: datetime, timeout: int) -> int:
    """The most visits to the company's site open at once in ``[start, end)``: a visit is
    open from its first request until ``timeout`` seconds after its last activity, as long
    as it would have kept a pool number."""
    if connection.vendor == "postgresql":
        return _peak_sql(_VISITS_SQL, {"start": start, "end": end, "company": company_id, "timeout": timeout})
    rows = VisitorSession.objects.filter(
        company_id=company_id, created_at__lt=end, last_seen_at__gt=start - timedelta(seconds=timeout)
    ).values_list("created_at", "last_seen_at")
    return peak_overlap(
        (max(created, start), min(last + timedelta(seconds=timeout), end)) for created, last in rows.iterator()
    )


def pool_exhaustions_by_day(*, tracker: Tracker, days: list[date], tz: ZoneInfo) -> dict[date, int]:
    """Visitors who found the pool exhausted, per local day (every day of ``days``, 0 when none)."""
    counts = dict.fromkeys(days, 0)
    if not days:
        return counts
    start, end = local_midnight(days[0], tz), local_midnight(days[-1] + timedelta(days=1), tz)
    for hour, count in PoolExhaustion.objects.filter(tracker=tracker, hour__gte=start, hour__lt=end).values_list(
        "hour", "count"
    ):
        day = hour.astimezone(tz).date()
        if day in counts:
            counts[day] += count
    return counts


def pool_exhaustions_between(*, tracker: Tracker, start: datetime, end: datetime) -> int:
    """Visitors who found the pool exhausted in the hours starting in ``[start, end)``."""
    total = PoolExhaustion.objects.filter(tracker=tracker, hour__gte=start, hour__lt=end).aggregate(n=Sum("count"))
    return int(total["n"] or 0)


def pool_holds_between(*, tracker: Tracker, start: datetime, end: datetime) -> int:
    """Pool numbers given to visitors in ``[start, end)`` (each new hold once)."""
    numbers = TrackingNumber.objects.filter(tracker=tracker).values_list("id", flat=True)
    return NumberAssignment.objects.filter(
        tracking_number_id__in=list(numbers), tracker=tracker, started_at__gte=start, started_at__lt=end
    ).count()


@dataclass(frozen=True)
class LiveHold:
    """A visitor holding one of the pool's numbers right now."""

    number: str
    session_key: str
    visitor_id: str
    source: str
    landing_url: str
    since: datetime | None
    expires_at: datetime


def pool_live_holds(tracker: Tracker) -> list[LiveHold]:
    """Who holds the pool's numbers now (live in Redis), longest held first, with their
    visit. Raises ``redis.RedisError`` when Redis is out of reach."""
    live = pool_status(tracker).live_sessions
    if not live:
        return []
    rows = {
        (row.tracking_number.number, row.session.session_key): row
        for row in NumberAssignment.objects.filter(
            tracker=tracker,
            ended_at__isnull=True,
            session__company_id=tracker.company_id,
            session__session_key__in=[key for _, key, _ in live],
        )
        .select_related("session", "tracking_number")
        .order_by(F("started_at").asc())
    }
    holds = []
    for number, key, expires in live:
        row = rows.get((number, key))
        session = row.session if row else None
        holds.append(
            LiveHold(
                number=number,
                session_key=key,
                visitor_id=session.visitor_id if session else "",
                source=session.source if session else "",
                landing_url=session.landing_url if session else "",
                since=row.started_at if row else None,
                expires_at=expires,
            )
        )
    return sorted(holds, key=lambda hold: (hold.since is None, hold.since or hold.expires_at))


@dataclass(frozen=True)
class ExhaustionShare:
    """Of the visitors a pool served in one period (``label``: "yesterday", "today"), how
    many found it exhausted."""

    label: str
    exhausted: int
    visitors: int

    @property
    def percent(self) -> int:
        return round(100 * self.exhausted / self.visitors) if self.visitors else 0


@dataclass(frozen=True)
class PoolAdvice:
    """What to do about a pool's size, in plain words, and the size that does it."""

    size: int  # the recommended number of pool numbers
    change: int  # numbers to buy (> 0) or release (< 0)
    message: str
    reasoning: str


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def pool_advice(*, size: int, peak_in_use: int, share: ExhaustionShare | None, has_fallback: bool) -> PoolAdvice:
    """Advice for a pool of ``size`` numbers, from the most held at once in the period shown
    and the share of recent visitors who found it exhausted.

    Visitors turned away show demand the pool could not see: with a share ``f`` of them
    turned away while all ``size`` numbers were held, about ``size / (1 - f)`` visitors
    wanted one at once, and never more than ``size`` plus every visitor turned away.
    """
    saw = "saw your fallback number" if has_fallback else "saw your own number instead of a tracking number"
    if share is not None and share.exhausted:
        turned_away = share.exhausted / share.visitors if share.visitors else 1.0
        demand = size + share.exhausted if turned_away >= 1 else min(size / (1 - turned_away), size + share.exhausted)
        target = pool_size_for(demand)
        reasoning = (
            f"{_plural(share.exhausted, 'visitor')} of {share.visitors} {share.label} found all {size} numbers "
            f"taken, so about {math.ceil(demand)} wanted a number at once; {target} numbers serve that "
            f"with 25 % to spare."
        )
        if target <= size:
            return PoolAdvice(
                size,
                0,
                f"The pool is at its largest ({POOL_SIZE_MAX} numbers): {share.percent} % of visitors "
                f"{share.label} {saw}.",
                reasoning,
            )
        return PoolAdvice(
            target,
            target - size,
            f"Add {_plural(target - size, 'number')}: {share.percent} % of visitors {share.label} {saw}.",
            reasoning,
        )
    target = pool_size_for(peak_in_use)
    reasoning = (
        f"At most {peak_in_use} of {size} numbers were in use at once in this period; {target} numbers "
        f"serve that with 25 % to spare (and a pool has at least {POOL_SIZE_MIN})."
    )
    if target > size:
        return PoolAdvice(
            target,
            target - size,
            f"Add {_plural(target - size, 'number')}: all {size} numbers were in use at once, so the next "
            "busy moment will turn visitors away.",
            reasoning,
        )
    if target < size:
        return PoolAdvice(
            target,
            target - size,
            f"You could release {_plural(size - target, 'number')}: at most {peak_in_use} of {size} were in use "
            "at once in this period, and no visitor recently found the pool full.",
            reasoning,
        )
    return PoolAdvice(size, 0, "The pool is the right size: no visitor recently found it full.", reasoning)


def recent_exhaustion_share(*, tracker: Tracker, today: date, tz: ZoneInfo) -> ExhaustionShare | None:
    """The share of visitors who found the pool exhausted yesterday (local day), or today
    when the pool served nobody yesterday; None when it served nobody either day."""
    for label, day in (("yesterday", today - timedelta(days=1)), ("today", today)):
        start, end = local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz)
        exhausted = pool_exhaustions_between(tracker=tracker, start=start, end=end)
        served = pool_holds_between(tracker=tracker, start=start, end=end)
        if exhausted or served:
            return ExhaustionShare(label=label, exhausted=exhausted, visitors=exhausted + served)
    return None


@dataclass(frozen=True)
class PoolSizeAdvice:
    """The size recommended for a new pool, from the company's recent visitors."""

    size: int
    peak_visitors: int
    days: int
    timeout: int  # seconds a visit counts after its last activity


def new_pool_size(*, company_id: int, now: datetime, days: int = 7) -> PoolSizeAdvice:
    """Peak concurrent visits over the last ``days`` × 1.25, at least 4 (see ``pool_size_for``);
    a visit counts until the company's pools' session timeout after its last activity."""
    timeouts = Tracker.objects.filter(
        company_id=company_id, type=Tracker.Type.SESSION, status=Tracker.Status.ACTIVE
    ).values_list("session_timeout", flat=True)
    timeout = max(timeouts, default=DEFAULT_SESSION_TIMEOUT)
    peak = company_peak_visitors(company_id=company_id, start=now - timedelta(days=days), end=now, timeout=timeout)
    return PoolSizeAdvice(size=pool_size_for(peak), peak_visitors=peak, days=days, timeout=timeout)
