"""A visitor reports in (page view or heartbeat): which numbers should their page show?

This is the service behind the DNI endpoint. For each swap target the best
matching tracker is chosen (``classification``); a pool tracker gives the
session a number of its own (``pools``), a source tracker its one number.

Hot path, a returning session: one Redis script per matched tracker renews the
hold and buffers the page view; the database is not touched. New session (or
a hold that lapsed): the allocation script (which buffers the page view too),
then ONE prepared database statement that upserts the session and appends the
hold to the assignment log, so attribution never depends on Redis alone; new
visits arriving together in a web process share it (``GroupCommit``), and each
is answered once committed. Buffered page views are written in bulk by a worker
(``tasks.page_views_flush_task``).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from typing import Any, NamedTuple

import redis
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Least

from accounts.models import Company
from callrail.db import prepared_cursor
from callrail.group_commit import GroupCommit
from callrail.redis import get_redis
from tracking import pools
from tracking.classification import Match, Touch, Visit, choose_trackers, classify_cached
from tracking.config_cache import CompanyConfig, TrackerConfig, company_config_forget
from tracking.models import NumberAssignment, PageView, PoolExhaustion, Tracker, VisitorSession
from tracking.signals import pool_exhausted

logger = logging.getLogger(__name__)


def new_holds_per_ip() -> int:
    """New holds one IP address may take from one pool per 10 minutes (0: no limit).

    A script or scraper cycling cookies must not drain a pool that real visitors
    need. Only public addresses count: a private or loopback address is a proxy
    in front of us (set DNI_TRUST_X_FORWARDED_FOR there), shared by everyone.
    """
    return getattr(settings, "DNI_NEW_HOLDS_PER_IP", 30)


def _limited_ip(ip: str | None) -> str:
    if not ip:
        return ""
    try:
        return ip if ipaddress.ip_address(ip).is_global else ""
    except ValueError:
        return ""


_MOBILE = re.compile(r"Mobi|Android|iPhone|iPod|IEMobile|Opera Mini|BlackBerry", re.I)
GA_COOKIES = ("_ga", "__utma", "__utmb", "__utmc", "__utmv", "__utmz")


@dataclass
class VisitReport:
    """What swap.js sends (parsed and checked by the view)."""

    visitor_id: str
    session_key: str
    page_url: str
    page_referrer: str = ""
    landing_url: str = ""
    landing_referrer: str = ""
    returning_visitor: bool = False
    # The browser's first report of this session (swap.js knows): nothing to renew yet.
    first_contact: bool = False
    cookies: dict[str, str] = field(default_factory=dict)
    user_agent: str = ""
    ip: str | None = None
    page_view: bool = True
    debug: bool = False


@dataclass
class VisitAnswer:
    numbers: dict[str, str]  # swap target (10 digits) -> number to show (E.164)
    ttl: int
    first_touch: dict[str, str] | None = None  # set when the visit inherits an earlier one
    debug: list[str] | None = None
    flush: list[str] = field(default_factory=list)  # page-view buffers a worker should write now


@dataclass
class _Outcome:
    tracker: TrackerConfig
    status: str  # ok | held | new | exhausted | limited
    number: str = ""
    first_exhaustion: bool = False
    count_exhaustion: bool = False


@lru_cache(maxsize=2048)
def device_type(user_agent: str) -> str:
    # Cached: a few hundred browser versions make most visits (as in ``dni.is_bot``).
    return "mobile" if _MOBILE.search(user_agent or "") else "desktop"


def visit_report(config: CompanyConfig, report: VisitReport, *, client: redis.Redis | None = None) -> VisitAnswer:
    """Answer a page view or heartbeat of one visitor session.

    Raises ``redis.RedisError`` or ``django.db.DatabaseError`` when a store is
    down; the page then keeps its own numbers (the view answers 503).
    """
    client = client or pools_client()
    now = time.time()
    seen = _classified(config, Visit(report.landing_url or report.page_url, report.landing_referrer))
    scopes = _scopes(config, seen.matches)
    answer = VisitAnswer(numbers={}, ttl=config.session_timeout)
    page_view = _page_view_entry(config, report, now)
    # Returning session: renew in Redis only.
    if report.first_contact:
        touched = [pools.Touch(status="miss") for _ in scopes]
    else:
        touched = _touch_all(client, config, report, scopes, page_view, now)
    missing = [tracker for tracker, result in zip(scopes, touched, strict=True) if result.status != "ok"]
    page_view_buffered = bool(page_view) and touched[0].status == "ok"
    outcomes, extend = _renewals(scopes, touched, answer)
    if missing:
        earlier = (
            _inherited_visit(config, report, seen.touch, now)
            if len(missing) == len(scopes) and report.returning_visitor
            else None
        )
        if earlier is not None:
            seen = _classified(config, earlier)
            scopes = missing = _scopes(config, seen.matches)
            answer.first_touch = {"l": earlier.landing_url, "r": earlier.referrer_url}
        page_view_buffered = _allocate_missing(
            client, report, missing, scopes, page_view, page_view_buffered, outcomes, answer, now
        )
        try:
            _record(
                config,
                report,
                seen.visit,
                seen.touch,
                scopes,
                outcomes,
                now,
                bool(page_view) and not page_view_buffered,
            )
        except Exception:
            _release_new_holds(client, report, outcomes)
            raise
    elif extend:
        _extend_log(config, report, extend, now)
    if not config.dni_active:
        Company.objects.filter(pk=config.id).exclude(dni_active=True).update(dni_active=True)
        config.dni_active = True
    answer.numbers.update(_numbers_shown(seen.matches, outcomes))
    if report.debug:
        answer.debug = _debug(seen.touch, seen.visit, seen.matches, outcomes, answer.numbers)
    return answer


class _Classified(NamedTuple):
    """A visit, its first touch, and the best tracker for each swap target."""

    visit: Visit
    touch: Touch
    matches: dict[str, Match]


def _classified(config: CompanyConfig, visit: Visit) -> _Classified:
    touch = classify_cached(visit)
    return _Classified(visit, touch, choose_trackers(config.trackers, touch, visit))


def _page_view_entry(config: CompanyConfig, report: VisitReport, now: float) -> str:
    """The page view as the pools buffer it ('' for a heartbeat)."""
    if not report.page_view:
        return ""
    return pools.page_view_entry(
        company_id=config.id,
        session_key=report.session_key,
        url=report.page_url,
        referrer=report.page_referrer,
        at=now,
    )


def _renewals(
    scopes: list[TrackerConfig], touched: list[pools.Touch], answer: VisitAnswer
) -> tuple[dict[str, _Outcome], list[TrackerConfig]]:
    """The holds renewed in Redis, and the trackers whose logged expiry is due to be extended."""
    outcomes: dict[str, _Outcome] = {}
    extend: list[TrackerConfig] = []
    for tracker, result in zip(scopes, touched, strict=True):
        if result.status == "ok":
            outcomes[tracker.public_id] = _Outcome(tracker, "ok", result.number)
            if result.extend_log:
                extend.append(tracker)
            if result.flush_page_views:
                answer.flush.append(tracker.public_id)
    return outcomes, extend


def _allocate_missing(
    client: redis.Redis,
    report: VisitReport,
    missing: list[TrackerConfig],
    scopes: list[TrackerConfig],
    page_view: str,
    page_view_buffered: bool,
    outcomes: dict[str, _Outcome],
    answer: VisitAnswer,
    now: float,
) -> bool:
    """Allocate a hold in each pool the session has none in (into ``outcomes``); returns whether
    the page view is now buffered in Redis."""
    for tracker in missing:
        # The page view waits in Redis with the others (written by a worker).
        buffer_here = bool(page_view) and not page_view_buffered and tracker is scopes[0]
        got = _allocate(client, tracker, report, now, page_view if buffer_here else "")
        page_view_buffered = page_view_buffered or buffer_here
        if got.flush_page_views:
            answer.flush.append(tracker.public_id)
        outcomes[tracker.public_id] = _Outcome(
            tracker, got.status, got.number, got.first_exhaustion, got.count_exhaustion
        )
    return page_view_buffered


def _release_new_holds(client: redis.Redis, report: VisitReport, outcomes: dict[str, _Outcome]) -> None:
    """Give back the numbers this visit was just given: its rows could not be written."""
    for outcome in outcomes.values():
        if outcome.status == "new":
            pools.release(client, scope=outcome.tracker.public_id, session_key=report.session_key)


def _numbers_shown(matches: dict[str, Match], outcomes: dict[str, _Outcome]) -> dict[str, str]:
    """Swap target -> the number to show, for the targets that get one."""
    numbers = {}
    for target, match in matches.items():
        shown = _number_shown(match.tracker, outcomes.get(match.tracker.public_id))
        if shown:
            numbers[target] = shown
    return numbers


def _allocate(
    client: redis.Redis, tracker: TrackerConfig, report: VisitReport, now: float, page_view: str
) -> pools.Allocation:
    for _ in range(2):
        got = pools.allocate(
            client,
            scope=tracker.public_id,
            session_key=report.session_key,
            timeout=tracker.session_timeout,
            pool=tracker.is_pool,
            ip=_limited_ip(report.ip),
            ip_limit=new_holds_per_ip(),
            page_view=page_view,
            now=now,
        )
        page_view = ""
        if not got.number or got.number in tracker.numbers:
            return got
        # The pool in Redis has a number this tracker no longer owns (moved or
        # released without a pool_sync): correct the pool and allocate again.
        logger.warning("Pool %s had a stale number; syncing it", tracker.public_id)
        pools.release(client, scope=tracker.public_id, session_key=report.session_key, now=now)
        pools.sync_numbers(client, scope=tracker.public_id, numbers=list(tracker.numbers))
    return pools.Allocation(status="exhausted")


def pools_client() -> redis.Redis:
    """The pools' Redis client: this thread's (``callrail.redis.get_redis``)."""
    return get_redis()


def _scopes(config: CompanyConfig, matches: dict[str, Match]) -> list[TrackerConfig]:
    """The trackers this visit needs, best first; a company-wide scope when none matched."""
    seen: dict[str, TrackerConfig] = {}
    for match in sorted(
        matches.values(), key=lambda m: (int(m.tier), m.tracker.type != "source", m.tracker.created_order)
    ):
        seen.setdefault(match.tracker.public_id, match.tracker)
    if seen:
        return list(seen.values())
    return [
        TrackerConfig(
            id=0,
            public_id=config.public_id,
            name="",
            type="none",
            source={},
            targets=[],
            created_order=0,
            session_timeout=config.session_timeout,
            fallback_number="",
            numbers={},
        )
    ]


def _touch_all(
    client: redis.Redis,
    config: CompanyConfig,
    report: VisitReport,
    scopes: list[TrackerConfig],
    page_view: str,
    now: float,
) -> list[pools.Touch]:
    return [
        pools.touch(
            client,
            scope=tracker.public_id,
            session_key=report.session_key,
            timeout=tracker.session_timeout,
            pool=tracker.is_pool,
            page_view=page_view if i == 0 else "",
            now=now,
        )
        for i, tracker in enumerate(scopes)
    ]


def _number_shown(tracker: TrackerConfig, outcome: _Outcome | None) -> str:
    if not tracker.is_pool:
        return tracker.source_number
    if outcome is None:
        return ""
    if outcome.number:
        return outcome.number
    # Pool exhausted: the fallback number, or (none set) the page keeps its own.
    return tracker.fallback_number


def _inherited_visit(config: CompanyConfig, report: VisitReport, touch: Touch, now: float) -> Visit | None:
    """A returning visitor keeps the first touch of their earlier visit (within the company's
    cookie duration), unless this visit is an ad click and ``swap_ppc_override`` is on, or
    lands with the ``swap_landing_override`` parameter."""
    if config.swap_ppc_override and touch.search_type == "paid":
        return None
    override = (config.swap_landing_override or "").strip().lower()
    if override and override in Visit(report.landing_url or report.page_url).params:
        return None
    since = datetime.fromtimestamp(now, tz=UTC) - timedelta(days=config.cookie_days)
    earlier = (
        VisitorSession.objects.filter(company_id=config.id, visitor_id=report.visitor_id, created_at__gte=since)
        .exclude(session_key=report.session_key)
        .order_by("-created_at")
        .values_list("landing_url", "referrer_url")
        .first()
    )
    if earlier is None or not earlier[0]:
        return None
    return Visit(earlier[0], earlier[1])


def session_fields(
    config: CompanyConfig, report: VisitReport, visit: Visit, touch: Touch, primary: TrackerConfig | None
) -> dict[str, Any]:
    cookies = {k: str(v)[:500] for k, v in report.cookies.items() if k in GA_COOKIES}
    return {
        "account_id": config.account_id,
        "company_id": config.id,
        "tracker_id": primary.id if primary and primary.id else None,
        "visitor_id": report.visitor_id,
        "session_key": report.session_key,
        "landing_url": visit.landing_url[:4000],
        "referrer_url": visit.referrer_url[:4000],
        "last_url": report.page_url[:4000],
        "utm_source": touch.utm.get("utm_source", ""),
        "utm_medium": touch.utm.get("utm_medium", ""),
        "utm_campaign": touch.utm.get("utm_campaign", ""),
        "utm_term": touch.utm.get("utm_term", ""),
        "utm_content": touch.utm.get("utm_content", ""),
        "gclid": touch.click_ids.get("gclid") or touch.click_ids.get("gbraid") or touch.click_ids.get("wbraid") or "",
        "fbclid": touch.click_ids.get("fbclid", ""),
        "msclkid": touch.click_ids.get("msclkid", ""),
        "cookies": cookies,
        "keywords": touch.keywords[:255],
        "device_type": device_type(report.user_agent),
        "user_agent": report.user_agent[:1000],
        "ip_address": report.ip,
        "source": touch.source[:64],
        "medium": touch.medium[:64],
    }


def _record(
    config: CompanyConfig,
    report: VisitReport,
    visit: Visit,
    touch: Touch,
    scopes: list[TrackerConfig],
    outcomes: dict[str, _Outcome],
    now: float,
    log_page_view: bool,
) -> None:
    """The durable write of the slow path (see the module docstring)."""
    primary = scopes[0] if scopes and scopes[0].id else None
    fields = session_fields(config, report, visit, touch, primary)
    at = datetime.fromtimestamp(now, tz=UTC)
    new = [o for o in outcomes.values() if o.status == "new" and o.number in o.tracker.numbers]
    held = [o for o in outcomes.values() if o.status == "held" and o.number in o.tracker.numbers]
    exhausted = [o for o in outcomes.values() if o.status == "exhausted" and o.count_exhaustion]
    first_exhausted = [o for o in exhausted if o.first_exhaustion]
    if connection.vendor == "postgresql" and not first_exhausted:
        _record_postgresql(fields, report, new, held, exhausted, at, log_page_view)
    else:
        _record_orm(fields, report, new, held, exhausted, at, log_page_view)
    if first_exhausted:
        company_config_forget(company_pk=config.id)


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


def _expiry(outcome: _Outcome, at: datetime) -> datetime:
    return at + timedelta(seconds=outcome.tracker.session_timeout)


def visits_write(rows: list[dict[str, Any]]) -> None:
    """Write the durable rows of these visits (``_record_postgresql``'s) in one statement."""
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


def _record_postgresql(
    fields: dict[str, Any],
    report: VisitReport,
    new: list[_Outcome],
    held: list[_Outcome],
    exhausted: list[_Outcome],
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
        "opened": [{"t": o.tracker.id, "n": o.tracker.numbers[o.number], "e": _expiry(o, at).isoformat()} for o in new],
        "held": [{"n": o.tracker.numbers[o.number], "e": _expiry(o, at).isoformat()} for o in held],
        "exhausted": [o.tracker.id for o in exhausted],
    }
    if connection.in_atomic_block or not settings.DNI_GROUP_COMMIT:
        # Inside a transaction the write belongs to it (and must see its rows).
        visits_write([row])
    else:
        visits_writer.submit(row)


@transaction.atomic
def _record_orm(
    fields: dict[str, Any],
    report: VisitReport,
    new: list[_Outcome],
    held: list[_Outcome],
    exhausted: list[_Outcome],
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
            expires_at=_expiry(outcome, at),
        )
    for outcome in held:
        NumberAssignment.objects.filter(
            ended_at__isnull=True,
            tracking_number_id=outcome.tracker.numbers[outcome.number],
            session=session,
            expires_at__lt=_expiry(outcome, at),
        ).update(expires_at=_expiry(outcome, at))
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


def _extend_log(config: CompanyConfig, report: VisitReport, trackers: list[TrackerConfig], now: float) -> None:
    """Push the logged expiry of a live hold forward (at most every half timeout per session)."""
    at = datetime.fromtimestamp(now, tz=UTC)
    for tracker in trackers:
        NumberAssignment.objects.filter(
            ended_at__isnull=True,
            tracker_id=tracker.id,
            session__company_id=config.id,
            session__session_key=report.session_key,
        ).update(expires_at=at + timedelta(seconds=tracker.session_timeout))


def _debug(
    touch: Touch, visit: Visit, matches: dict[str, Match], outcomes: dict[str, _Outcome], numbers: dict[str, str]
) -> list[str]:
    """What ``?calltrk_debug=1`` prints in the site owner's console, one line each."""
    lines = [
        f"source {touch.source} / {touch.medium} (landing {visit.landing_url or '-'}, referrer {visit.referrer_url or 'none'})"
    ]
    if not matches:
        lines.append("no tracker matches this visit: the page keeps its numbers")
    for target, match in matches.items():
        tracker = match.tracker
        outcome = outcomes.get(tracker.public_id)
        if not tracker.is_pool:
            what = "its number"
        elif outcome is None or outcome.status == "ok":
            what = "the number this session holds"
        elif outcome.status == "new":
            what = "a new number from the pool"
        elif outcome.status == "held":
            what = "the number this session still holds"
        elif tracker.fallback_number:
            what = "the fallback number: every pool number is held (the pool is too small)"
        else:
            what = "no number: every pool number is held and no fallback is set"
        shown = numbers.get(target)
        lines.append(
            f'{target}: {tracker.type} tracker "{tracker.name}" ({tracker.public_id}) matched as {match.reason}; '
            f"shows {what}{': ' + shown if shown else ''}"
        )
    return lines
