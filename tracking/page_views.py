"""Page views buffered in Redis by returning visitors, written to the database in bulk."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import redis
from django.db import connection, transaction

from callrail.redis import get_redis
from tracking import pools
from tracking.models import PageView, VisitorSession


def page_views_flush(*, scope: str, client: redis.Redis | None = None, limit: int = 20_000) -> int:
    """Write the page views buffered in Redis for one pool (or company) to the database.

    Returning visitors' page views are buffered by the ``touch`` script so that
    a repeat page view costs no database write; this drains them in bulk.
    Returns the number of page views written.
    """
    client = client or get_redis()
    keys = pools.PoolKeys.of(scope)
    written = drained = 0
    retry: list[bytes] = []
    while drained < limit:
        items = pools.script(client, "drain")(keys=[keys.page_views], args=[1000])
        if not items:
            break
        drained += len(items)
        entries = [json.loads(item) for item in items]
        try:
            # A savepoint when called inside a transaction (a call being recorded).
            with transaction.atomic():
                count, unmatched = _page_views_write(entries)
        except Exception:
            # Put them back for the next flush rather than lose them.
            client.rpush(keys.page_views, *items)
            raise
        written += count
        # A page view can arrive a moment before its new session's row is committed:
        # keep recent ones for the next flush.
        cutoff = time.time() - 60
        retry += [items[i] for i in unmatched if float(entries[i][2]) > cutoff]
    if retry:
        client.rpush(keys.page_views, *retry)
    return written


# One round trip per batch: the page views joined to their sessions, and each
# session's last page and time moved forward.
_PAGE_VIEWS_SQL = """
WITH x AS (
    SELECT * FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[], %s::text[], %s::text[]) WITH ORDINALITY
        AS x(company_id, session_key, at, url, referrer, ord)
), pv AS (
    INSERT INTO tracking_pageview (account_id, session_id, page_url, referrer_url, created_at)
    SELECT v.account_id, v.id, x.url, x.referrer, x.at
    FROM x JOIN tracking_visitorsession v ON v.company_id = x.company_id AND v.session_key = x.session_key
    RETURNING session_id, created_at, page_url
), latest AS (
    SELECT DISTINCT ON (session_id) session_id, created_at, page_url FROM pv ORDER BY session_id, created_at DESC
), touched AS (
    UPDATE tracking_visitorsession v SET last_seen_at = latest.created_at, last_url = latest.page_url
    FROM latest WHERE v.id = latest.session_id AND v.last_seen_at <= latest.created_at
)
SELECT (SELECT count(*) FROM pv), ARRAY(
    SELECT x.ord - 1 FROM x WHERE NOT EXISTS (
        SELECT 1 FROM tracking_visitorsession v WHERE v.company_id = x.company_id AND v.session_key = x.session_key
    )
)
"""


def _page_views_write(entries: list[list]) -> tuple[int, list[int]]:
    """Write page views; returns how many, and the positions of those whose session is unknown."""
    rows = [
        (int(company_id), str(key), datetime.fromtimestamp(float(at), tz=UTC), str(url), str(referrer))
        for company_id, key, at, url, referrer in entries
    ]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_PAGE_VIEWS_SQL, [list(column) for column in zip(*rows, strict=True)])
            count, unmatched = cursor.fetchone()
            return count, list(unmatched)
    return _page_views_write_orm(rows)


def _page_views_write_orm(rows: list[tuple[int, str, datetime, str, str]]) -> tuple[int, list[int]]:
    """The same write for other databases (SQLite in the embedded default)."""
    by_company: dict[int, set[str]] = {}
    for company_id, key, *_ in rows:
        by_company.setdefault(company_id, set()).add(key)
    sessions: dict[tuple[int, str], VisitorSession] = {}
    for company_id, keys in by_company.items():
        for found in VisitorSession.objects.filter(company_id=company_id, session_key__in=keys).only(
            "id", "account_id", "session_key", "last_seen_at", "last_url"
        ):
            sessions[(company_id, found.session_key)] = found
    views: list[PageView] = []
    unmatched: list[int] = []
    touched: dict[int, VisitorSession] = {}
    for position, (company_id, key, created, url, referrer) in enumerate(rows):
        session = sessions.get((company_id, key))
        if session is None:
            unmatched.append(position)
            continue
        views.append(
            PageView(
                account_id=session.account_id,
                session_id=session.id,
                page_url=url,
                referrer_url=referrer,
                created_at=created,
            )
        )
        if created >= session.last_seen_at:
            session.last_seen_at, session.last_url = created, url
            touched[session.id] = session
    with transaction.atomic():
        PageView.objects.bulk_create(views)
        for session in touched.values():
            VisitorSession.objects.filter(pk=session.pk).update(
                last_seen_at=session.last_seen_at, last_url=session.last_url
            )
    return len(views), unmatched
