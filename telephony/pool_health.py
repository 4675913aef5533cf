"""A session tracker's pool at a glance (the dashboard's pool page): numbers in use now
against the pool's size, the busiest moment of a period, visitors turned away over time,
calls no single visitor could be tied to, and what to do about the pool's size."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

import redis
from django.utils import timezone

from callrail.dates import DateWindow, local_midnight, local_today
from telephony.models import Call
from tracking.models import Tracker, TrackingNumber
from tracking.pool_stats import (
    LiveHold,
    PoolAdvice,
    pool_advice,
    pool_exhaustions_between,
    pool_exhaustions_by_day,
    pool_live_holds,
    pool_peak_in_use,
    recent_exhaustion_share,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PoolHealth:
    tracker: Tracker
    period: DateWindow  # the chosen period, through today when it ended where today begins
    size: int  # the pool's active numbers
    live: list[LiveHold] | None  # None when Redis could not say
    peak_in_use: int
    exhaustions_by_day: list[tuple[date, int]]
    exhaustions_today: int
    unattributed_calls: int
    calls: int
    advice: PoolAdvice

    @property
    def in_use(self) -> int | None:
        return None if self.live is None else len(self.live)

    @property
    def exhaustions(self) -> int:
        return sum(count for _, count in self.exhaustions_by_day)

    @property
    def free(self) -> int:
        return max(0, self.size - (self.in_use or 0))

    @property
    def use_percent(self) -> int:
        return round(100 * (self.in_use or 0) / self.size) if self.size else 0


def pool_period(window: DateWindow) -> DateWindow:
    """The period a pool's figures cover: the chosen one, carried on through today when it
    ends where today begins (the dashboard's "last 7 / 30 days" stop at midnight, and a
    pool is watched live)."""
    today = local_today(window.tz)
    if window.end != local_midnight(today, window.tz):
        return window
    tomorrow = local_midnight(today + timedelta(days=1), window.tz)
    return DateWindow(window.start, tomorrow, window.tz, window.tz_name)


def _days(window: DateWindow) -> list[date]:
    first, last = window.first_day, window.last_day
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def pool_health(*, tracker: Tracker, window: DateWindow) -> PoolHealth:
    """The pool of ``tracker`` over ``window`` (see ``pool_period``; live figures as of now)."""
    window = pool_period(window)
    size = TrackingNumber.objects.filter(tracker=tracker, status=TrackingNumber.Status.ACTIVE).count()
    try:
        live: list[LiveHold] | None = pool_live_holds(tracker)
    except redis.RedisError:
        logger.warning("live pool of %s unavailable", tracker.public_id, exc_info=True)
        live = None
    peak = pool_peak_in_use(tracker=tracker, start=window.start, end=window.end)
    if live is not None and window.start <= timezone.now() < window.end:
        # The period includes this moment, whose holds the log may trail a little.
        peak = max(peak, len(live))
    calls = Call.objects.not_spam().filter(
        tracker=tracker, direction=Call.Direction.INBOUND, **window.lookups("start_time")
    )
    today = local_today(window.tz)
    share = recent_exhaustion_share(tracker=tracker, today=today, tz=window.tz)
    return PoolHealth(
        tracker=tracker,
        period=window,
        size=size,
        live=live,
        peak_in_use=peak,
        exhaustions_by_day=sorted(pool_exhaustions_by_day(tracker=tracker, days=_days(window), tz=window.tz).items()),
        exhaustions_today=pool_exhaustions_between(
            tracker=tracker,
            start=local_midnight(today, window.tz),
            end=local_midnight(today + timedelta(days=1), window.tz),
        ),
        unattributed_calls=calls.filter(session__isnull=True).count(),
        calls=calls.count(),
        advice=pool_advice(size=size, peak_in_use=peak, share=share, has_fallback=bool(tracker.fallback_number)),
    )
