"""Which visit is behind a call: the session that held a pool number at a given moment.

The live hold in Redis answers first; the durable assignment log answers when Redis lost it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.db import connection

from callrail.db import from_row, prepared_cursor, select_columns
from callrail.redis import get_redis
from tracking import pools
from tracking.models import NumberAssignment, Tracker, TrackingNumber, VisitorSession
from tracking.page_views import page_views_flush

logger = logging.getLogger(__name__)


def attribution_grace() -> timedelta:
    """How long after a hold lapsed a call still goes to the last visitor who held the number.

    The visitor may write the number down and call later; as long as nobody else
    was given that number since, they are still the best answer.
    """
    return timedelta(seconds=getattr(settings, "DNI_ATTRIBUTION_GRACE", 3600))


def session_for_number(*, tracking_number: TrackingNumber, at: datetime) -> VisitorSession | None:
    """The visitor session that held this pool number at ``at`` (None for source trackers).

    The live hold in Redis answers first; the durable ``NumberAssignment`` log
    answers when Redis has nothing (restart, flush) or fails. The latest holder
    whose hold had started by ``at`` wins, within ``attribution_grace()`` of the
    end of its hold: the number cannot have been given to anyone else since.
    """
    tracker = tracking_number.tracker
    if tracker.type != Tracker.Type.SESSION:
        return None
    grace = attribution_grace().total_seconds()
    buffered = 0
    try:
        client = get_redis()
        held = pools.holder(client, scope=tracker.public_id, number=tracking_number.number)
        buffered = held.buffered_page_views
        # The current holder answers only for a moment inside its own hold.
        if held.held_at(at.timestamp(), grace=grace):
            session = _session_by_key(tracker.company_id, held.session_key)
            if session is not None:
                if buffered:
                    _flush_quietly(tracker.public_id, client)
                return session
    except redis.RedisError:
        logger.warning("Redis unavailable for attribution of %s; using the assignment log", tracking_number.number)
        client = None
    row = (
        NumberAssignment.objects.filter(tracking_number=tracking_number, tracker=tracker, started_at__lte=at)
        .select_related("session")
        .order_by("-started_at", "-id")
        .first()
    )
    if row is None:
        return None
    end = row.ended_at or row.expires_at
    if at.timestamp() > end.timestamp() + grace:
        return None
    if client is not None and buffered:
        _flush_quietly(tracker.public_id, client)
    return row.session


def _session_by_key(company_id: int, session_key: str) -> VisitorSession | None:
    # Every inbound call runs this: plain SQL on the (company, session_key) unique key.
    table = connection.ops.quote_name(VisitorSession._meta.db_table)
    with prepared_cursor() as cursor:
        cursor.execute(
            f"SELECT {select_columns(VisitorSession, 's')} FROM {table} s WHERE s.company_id = %s AND s.session_key = %s",
            [company_id, session_key],
        )
        row = cursor.fetchone()
    return from_row(VisitorSession, row) if row else None


def _flush_quietly(scope: str, client: redis.Redis) -> None:
    """Write the pool's buffered page views, so the call sees the visitor's full path."""
    try:
        page_views_flush(scope=scope, client=client, limit=2000)
    except Exception:
        # Attribution must not fail because page views could not be written now.
        logger.warning("Could not flush buffered page views of %s", scope, exc_info=True)
