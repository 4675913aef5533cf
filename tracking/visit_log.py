"""The durable record of a visit: the session row, its page view and its holds in the
assignment log, written in ONE statement on PostgreSQL (``record_postgresql``, shared by
visits that arrive together through ``visits_writer``) or through the ORM elsewhere.

``tracking.visits`` decides what a visit gets; this module only writes it down.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Least

from callrail.db import prepared_cursor
from callrail.group_commit import GroupCommit
from tracking.config_cache import TrackerConfig
from tracking.models import NumberAssignment, PageView, PoolExhaustion, Tracker, VisitorSession
from tracking.signals import pool_exhausted

if TYPE_CHECKING:
    from tracking.visits import VisitReport


@dataclass
class Outcome:
    tracker: TrackerConfig
    status: str  # ok | held | new | exhausted | limited
    number: str = ""
    first_exhaustion: bool = False
    count_exhaustion: bool = False


_UPSERT_COLUMNS = (
    "account_id",
    "company_id",
    "tracker_id",
    "visitor_id",
    "session_key",
    "landing_url",
    "referrer_url",
    "last_url",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "gclid",
    "fbclid",
    "msclkid",
    "cookies",
    "keywords",
    "device_type",
    "user_agent",
    "ip_address",
    "source",
    "medium",
)

# The durable write of the slow path, for one visit or for many at once (group
# commit, below): ONE statement upserts the sessions and appends their holds to
# the assignment log. A new hold only appends (the number's earlier rows are
# superseded by it); ``moved`` ends the session's older hold in the same pool,
# ``extended`` pushes the expiry of holds it kept. The visits travel as one JSON
# document (one parameter, however many visits), and only the parts the visits
# need are included.
_VISITS_SQL = """
WITH v AS (
    SELECT * FROM jsonb_to_recordset(%s::jsonb) AS v(
        session jsonb, at timestamptz, pv_url text, pv_referrer text,
        moved boolean, opened jsonb, held jsonb, exhausted jsonb
    )
), s AS (
    INSERT INTO tracking_visitorsession (created_at, updated_at, last_seen_at, {columns})
    SELECT v.at, v.at, v.at, {values}
    FROM v, jsonb_populate_record(NULL::tracking_visitorsession, v.session) AS r
    ON CONFLICT (company_id, session_key) DO UPDATE
        SET last_seen_at = EXCLUDED.last_seen_at, last_url = EXCLUDED.last_url, updated_at = EXCLUDED.updated_at
    RETURNING id, account_id, company_id, session_key
), sv AS (
    SELECT s.id, s.account_id, v.* FROM v
    JOIN s ON s.company_id = (v.session->>'company_id')::bigint AND s.session_key = v.session->>'session_key'
)""".format(columns=", ".join(_UPSERT_COLUMNS), values=", ".join(f"r.{c}" for c in _UPSERT_COLUMNS))
_PARTS = {
    "page_view": """pv AS (
    INSERT INTO tracking_pageview (account_id, session_id, page_url, referrer_url, created_at)
    SELECT sv.account_id, sv.id, sv.pv_url, sv.pv_referrer, sv.at FROM sv WHERE sv.pv_url IS NOT NULL
)""",
    "moved": """moved AS (
    UPDATE tracking_numberassignment a SET ended_at = LEAST(a.expires_at, sv.at)
    FROM sv, jsonb_to_recordset(sv.opened) AS x(t bigint, n bigint)
    WHERE sv.moved AND a.session_id = sv.id AND a.ended_at IS NULL AND a.tracker_id = x.t AND a.tracking_number_id <> x.n
)""",
    "opened": """opened AS (
    INSERT INTO tracking_numberassignment (account_id, tracker_id, tracking_number_id, session_id, started_at, expires_at)
    SELECT sv.account_id, x.t, x.n, sv.id, sv.at, x.e
    FROM sv, jsonb_to_recordset(sv.opened) AS x(t bigint, n bigint, e timestamptz)
)""",
    "extended": """extended AS (
    UPDATE tracking_numberassignment a SET expires_at = GREATEST(a.expires_at, x.e)
    FROM sv, jsonb_to_recordset(sv.held) AS x(n bigint, e timestamptz)
    WHERE a.session_id = sv.id AND a.ended_at IS NULL AND a.tracking_number_id = x.n
)""",
    "exhausted": """exhausted AS (
    UPDATE tracking_tracker t SET exhaustion_count = t.exhaustion_count + x.n, last_exhausted_at = x.at
    FROM (
        SELECT e.value::bigint AS id, count(*) AS n, max(v.at) AS at
        FROM v, jsonb_array_elements_text(v.exhausted) AS e GROUP BY 1
    ) AS x
    WHERE t.id = x.id
    RETURNING t.id
), exhausted_hours AS (
    -- Reading the tracker update's rows makes it run first: concurrent visits then lock the
    -- tracker before the hour's row, all in the same order (the sub-statements of a WITH
    -- otherwise run in no set order, and two such writes could deadlock).
    INSERT INTO tracking_poolexhaustion (tracker_id, hour, count)
    SELECT e.value::bigint, date_trunc('hour', v.at, 'UTC'), count(*)
    FROM v, jsonb_array_elements_text(v.exhausted) AS e
    WHERE e.value::bigint IN (SELECT id FROM exhausted)
    GROUP BY 1, 2
    ON CONFLICT (tracker_id, hour) DO UPDATE SET count = tracking_poolexhaustion.count + EXCLUDED.count
)""",
}


@cache
def _visits_sql(parts: tuple[str, ...]) -> str:
    return _VISITS_SQL + "".join(", " + _PARTS[part] for part in parts) + "\nSELECT count(*) FROM sv"


def expiry(outcome: Outcome, at: datetime) -> datetime:
    return at + timedelta(seconds=outcome.tracker.session_timeout)


def visits_write(rows: list[dict[str, Any]]) -> None:
    """Write the durable rows of these visits (``record_postgresql``'s) in one statement."""
    parts = tuple(
        part
        for part, key in (
            ("page_view", "pv_url"),
            ("moved", "moved"),
            ("opened", "opened"),
            ("extended", "held"),
            ("exhausted", "exhausted"),
        )
        if any(row[key] for row in rows)
    )
    # A prepared statement per shape: PostgreSQL does not parse and plan it again.
    with prepared_cursor() as cursor:
        cursor.execute(_visits_sql(parts), [json.dumps(rows)])


# New visits arriving together in a web process share one statement and one commit.
visits_writer = GroupCommit(
    "dni-visits-writer",
    visits_write,
    key=lambda row: (row["session"]["company_id"], row["session"]["session_key"]),
)


def record_postgresql(
    fields: dict[str, Any],
    report: VisitReport,
    new: list[Outcome],
    held: list[Outcome],
    exhausted: list[Outcome],
    at: datetime,
    log_page_view: bool,
) -> None:
    row = {
        "session": fields,
        "at": at.isoformat(),
        "pv_url": report.page_url[:4000] if log_page_view else None,
        "pv_referrer": report.page_referrer[:4000],
        # A brand-new session has no older hold to end.
        "moved": bool(new) and not report.first_contact,
        "opened": [{"t": o.tracker.id, "n": o.tracker.numbers[o.number], "e": expiry(o, at).isoformat()} for o in new],
        "held": [{"n": o.tracker.numbers[o.number], "e": expiry(o, at).isoformat()} for o in held],
        "exhausted": [o.tracker.id for o in exhausted],
    }
    if connection.in_atomic_block or not settings.DNI_GROUP_COMMIT:
        # Inside a transaction the write belongs to it (and must see its rows).
        visits_write([row])
    else:
        visits_writer.submit(row)


@transaction.atomic
def record_orm(
    fields: dict[str, Any],
    report: VisitReport,
    new: list[Outcome],
    held: list[Outcome],
    exhausted: list[Outcome],
    at: datetime,
    log_page_view: bool,
) -> None:
    """The same write for other databases (SQLite in the embedded default), and when the
    ``pool_exhausted`` event must be sent inside the transaction."""
    defaults = {k: v for k, v in fields.items() if k not in ("company_id", "session_key")}
    session, created = VisitorSession.objects.get_or_create(
        company_id=fields["company_id"],
        session_key=fields["session_key"],
        defaults={**defaults, "last_seen_at": at},
    )
    if not created:
        VisitorSession.objects.filter(pk=session.pk).update(last_seen_at=at, last_url=fields["last_url"], updated_at=at)
    elif session.created_at - at > timedelta(seconds=1):
        # A visit replayed at a past moment (``visit_report(at=…)``) starts then, as the
        # PostgreSQL statement writes it; the insert filled in the present.
        VisitorSession.objects.filter(pk=session.pk).update(created_at=at, updated_at=at)
    if log_page_view:
        PageView.objects.create(
            account_id=fields["account_id"],
            session=session,
            page_url=report.page_url[:4000],
            referrer_url=report.page_referrer[:4000],
            created_at=at,
        )
    for outcome in new:
        number_id = outcome.tracker.numbers[outcome.number]
        NumberAssignment.objects.filter(ended_at__isnull=True, tracker_id=outcome.tracker.id, session=session).update(
            ended_at=Least("expires_at", at)
        )
        NumberAssignment.objects.create(
            account_id=fields["account_id"],
            tracker_id=outcome.tracker.id,
            tracking_number_id=number_id,
            session=session,
            started_at=at,
            expires_at=expiry(outcome, at),
        )
    for outcome in held:
        NumberAssignment.objects.filter(
            ended_at__isnull=True,
            tracking_number_id=outcome.tracker.numbers[outcome.number],
            session=session,
            expires_at__lt=expiry(outcome, at),
        ).update(expires_at=expiry(outcome, at))
    for outcome in exhausted:
        Tracker.objects.filter(pk=outcome.tracker.id).update(
            exhaustion_count=F("exhaustion_count") + 1, last_exhausted_at=at
        )
        hour, _ = PoolExhaustion.objects.get_or_create(
            tracker_id=outcome.tracker.id, hour=at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        )
        PoolExhaustion.objects.filter(pk=hour.pk).update(count=F("count") + 1)
        if outcome.first_exhaustion:
            tracker = Tracker.objects.get(pk=outcome.tracker.id)
            pool_exhausted.send(sender=Tracker, tracker=tracker)
