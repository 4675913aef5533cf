"""Who is on the companies' sites right now: each pool's numbers in use against its size,
and the visitors holding them, with where they came from.

Cheap enough to poll every few seconds: one query for the pools, one Redis round trip for
every pool's live holds, one query for the visits behind the holds shown.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis
from django.db.models import Count, Q

from accounts.models import Account
from callrail.redis import get_redis
from tracking import pools
from tracking.models import Tracker, TrackingNumber, VisitorSession

logger = logging.getLogger(__name__)

# A page shows this many pools and visitors at most (the busiest sites have hundreds).
POOLS_SHOWN = 50
VISITORS_SHOWN = 50


@dataclass(frozen=True)
class PoolUse:
    """A session tracker's pool: ``in_use`` of its ``size`` numbers held by live visits."""

    tracker: Tracker
    size: int
    in_use: int

    @property
    def percent(self) -> int:
        return round(100 * self.in_use / self.size) if self.size else 0

    @property
    def full(self) -> bool:
        """Every number is held: the next visitor sees the fallback number."""
        return self.size > 0 and self.in_use >= self.size


@dataclass(frozen=True)
class Visitor:
    """A live visit holding a pool number (``session`` is None if its row is not written yet)."""

    number: str
    tracker: Tracker
    session: VisitorSession | None
    last_active: datetime  # the visit's latest page view or heartbeat


@dataclass(frozen=True)
class SitesNow:
    pools: list[PoolUse]
    visitors: list[Visitor]  # the most recently active first, at most VISITORS_SHOWN
    visitor_count: int  # every live hold, shown or not
    available: bool = True  # False: Redis could not be read (nothing live is known)

    @property
    def numbers_in_use(self) -> int:
        return sum(pool.in_use for pool in self.pools)

    @property
    def numbers_total(self) -> int:
        return sum(pool.size for pool in self.pools)


def sites_now(*, account: Account, company_ids: list[int], now: float | None = None) -> SitesNow:
    """The pools of these companies' active session trackers and their live visitors."""
    now = now if now is not None else time.time()
    trackers = list(
        Tracker.objects.filter(
            account=account, company_id__in=company_ids, type=Tracker.Type.SESSION, status=Tracker.Status.ACTIVE
        )
        .select_related("company")
        .annotate(size=Count("numbers", filter=Q(numbers__status=TrackingNumber.Status.ACTIVE)))
        .order_by("company__name", "name", "id")[:POOLS_SHOWN]
    )
    if not trackers:
        return SitesNow(pools=[], visitors=[], visitor_count=0)
    try:
        holds = pools.pools_live_holds(get_redis(), [tracker.public_id for tracker in trackers], now=now)
    except redis.RedisError:
        logger.warning("Redis unavailable: the live view shows no visitors")
        return SitesNow(
            pools=[PoolUse(tracker, tracker.size, 0) for tracker in trackers],
            visitors=[],
            visitor_count=0,
            available=False,
        )
    uses = [PoolUse(tracker, tracker.size, len(holds[tracker.public_id])) for tracker in trackers]
    live = [(hold, tracker) for tracker in trackers for hold in holds[tracker.public_id] if hold.session_key]
    # A hold's expiry is its last activity plus the tracker's timeout: the latest expiry is
    # the visitor seen last.
    live.sort(key=lambda pair: pair[0].expires_at - timedelta(seconds=pair[1].session_timeout), reverse=True)
    shown = live[:VISITORS_SHOWN]
    sessions = _sessions(shown)
    visitors = [
        Visitor(
            number=hold.number,
            tracker=tracker,
            session=sessions.get((tracker.company_id, hold.session_key)),
            last_active=min(
                hold.expires_at - timedelta(seconds=tracker.session_timeout), datetime.fromtimestamp(now, tz=UTC)
            ),
        )
        for hold, tracker in shown
    ]
    return SitesNow(pools=uses, visitors=visitors, visitor_count=len(live))


def _sessions(shown: Sequence[tuple[pools.LiveHold, Tracker]]) -> dict[tuple[int, str], VisitorSession]:
    """The visits behind the holds shown, in one query on the (company, session_key) key."""
    if not shown:
        return {}
    company_ids = {tracker.company_id for _, tracker in shown}
    keys = {hold.session_key for hold, _ in shown}
    rows = VisitorSession.objects.filter(company_id__in=company_ids, session_key__in=keys).only(
        "company_id",
        "session_key",
        "created_at",
        "source",
        "medium",
        "utm_campaign",
        "keywords",
        "landing_url",
        "last_url",
        "referrer_url",
        "device_type",
    )
    return {(row.company_id, row.session_key): row for row in rows}
