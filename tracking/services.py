"""Writes and lookups of the DNI engine that other parts of the system use.

``session_for_number`` is how a call finds the visit behind it; the rest keeps
the durable assignment log in step with the live pools in Redis.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import redis
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Least
from django.utils import timezone

from callrail.db import from_row, prepared_cursor, select_columns
from callrail.redis import get_redis
from tracking import pools
from tracking.models import NumberAssignment, PageView, Tracker, TrackingNumber, VisitorSession

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
        live = held.session_key and held.expiry is not None and held.since is not None
        if live and held.since <= at.timestamp() <= held.expiry + grace:
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
        for session in VisitorSession.objects.filter(company_id=company_id, session_key__in=keys).only(
            "id", "account_id", "session_key", "last_seen_at", "last_url"
        ):
            sessions[(company_id, session.session_key)] = session
    views = []
    unmatched = []
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
