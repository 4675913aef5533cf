"""The visit service on both write paths: one PostgreSQL statement, and the ORM
(SQLite in the embedded default, and whenever the pool_exhausted event is sent)."""

import time
import uuid
from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from tracking import visit_log, visits
from tracking.attribution import session_for_number
from tracking.models import NumberAssignment, PageView, PoolExhaustion, VisitorSession
from tracking.page_views import page_views_flush
from tracking.pools import pool_sync
from tracking.tests.factories import dni_config, session_tracker

UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"


@pytest.fixture(params=["postgresql", "orm"])
def write_path(request, monkeypatch):
    if request.param == "orm":
        monkeypatch.setattr(visit_log, "record_postgresql", visit_log.record_orm)
    return request.param


def report(key=None, **extra):
    key = key or uuid.uuid4().hex
    fields = {"visitor_id": key, "session_key": key, "page_url": "https://shop.example/", "user_agent": UA}
    fields.update(extra)
    return visits.VisitReport(**fields)


def test_a_new_session_is_written_whole(write_path, company):
    tracker = session_tracker(company=company, size=2)
    r = report(
        landing_url="https://shop.example/?utm_source=google&utm_medium=cpc&utm_campaign=c&utm_term=k&gclid=g",
        landing_referrer="https://www.google.com/",
        cookies={"_ga": "GA1.1.1", "other": "x"},
        ip="203.0.113.9",
    )
    answer = visits.visit_report(dni_config(company), r)
    session = VisitorSession.objects.get(session_key=r.session_key)
    assert (session.source, session.medium, session.utm_campaign, session.keywords, session.gclid) == (
        "google_paid",
        "cpc",
        "c",
        "k",
        "g",
    )
    assert (session.device_type, session.ip_address, session.cookies) == ("mobile", "203.0.113.9", {"_ga": "GA1.1.1"})
    assert session.tracker == tracker
    row = NumberAssignment.objects.get(session=session)
    assert row.tracking_number.number == answer.numbers["4045551234"]
    assert (row.expires_at - row.started_at).total_seconds() == tracker.session_timeout
    assert page_views_flush(scope=tracker.public_id) == 1
    assert PageView.objects.filter(session=session).count() == 1


def test_a_lapsed_hold_given_to_someone_else_is_superseded_in_the_log(write_path, company, monkeypatch):
    tracker = session_tracker(company=company, size=1)
    tracker.session_timeout = 60
    tracker.save()
    config = dni_config(company)
    first, second = report(), report()
    number = visits.visit_report(config, first).numbers["4045551234"]
    later = time.time() + 120
    monkeypatch.setattr(visits.time, "time", lambda: later)
    assert visits.visit_report(config, second).numbers["4045551234"] == number
    monkeypatch.undo()
    rows = {r.session.session_key: r for r in NumberAssignment.objects.select_related("session")}
    # The log is only appended to: the later row supersedes the lapsed one.
    assert rows[first.session_key].ended_at is None and rows[second.session_key].ended_at is None
    assert rows[second.session_key].started_at > rows[first.session_key].expires_at
    tn = tracker.numbers.get()
    assert (
        session_for_number(tracking_number=tn, at=rows[first.session_key].started_at).session_key == first.session_key
    )
    assert (
        session_for_number(tracking_number=tn, at=rows[second.session_key].started_at).session_key == second.session_key
    )


def test_exhaustion_is_counted_once_per_session(write_path, company):
    tracker = session_tracker(company=company, size=1)
    config = dni_config(company)
    visits.visit_report(config, report())
    late = report()
    assert visits.visit_report(config, late).numbers == {}
    assert visits.visit_report(config, late).numbers == {}
    tracker.refresh_from_db()
    assert tracker.exhaustion_count == 1


def test_exhaustion_is_counted_per_hour_for_the_pool_s_history(write_path, company):
    tracker = session_tracker(company=company, size=1)
    config = dni_config(company)
    visits.visit_report(config, report())
    first_late, second_late = report(), report()
    for late in (first_late, second_late, first_late):  # the first again: counted once per session
        assert visits.visit_report(config, late).numbers == {}
    hour = PoolExhaustion.objects.get(tracker=tracker)
    assert hour.count == 2
    assert (hour.hour.minute, hour.hour.second) == (0, 0)
    assert timezone.now() - hour.hour < timedelta(hours=1)


def test_one_ip_cannot_drain_a_pool(write_path, company, settings):
    session_tracker(company=company, size=6)
    settings.DNI_NEW_HOLDS_PER_IP = 2
    config = dni_config(company)
    got = [visits.visit_report(config, report(ip="8.8.4.4")).numbers for _ in range(4)]
    assert [bool(n) for n in got] == [True, True, False, False]
    assert visits.visit_report(config, report(ip="8.8.8.8")).numbers
    # Private and loopback addresses are proxies shared by every visitor: never limited.
    assert all(visits.visit_report(config, report(ip="10.0.0.1")).numbers for _ in range(3))


def test_a_number_that_left_the_pool_is_not_shown(write_path, company, redis_client):
    tracker = session_tracker(company=company, size=2)
    config = dni_config(company)
    visits.visit_report(config, report())  # loads the pool
    gone = tracker.numbers.order_by("number").first()
    gone.tracker = session_tracker(company=company, size=0)
    gone.save()
    # The pool in Redis was not told (no pool_sync); the visit still only gets a number the tracker owns.
    config = dni_config(company)
    numbers = {visits.visit_report(config, report()).numbers.get("4045551234") for _ in range(2)}
    assert gone.number not in numbers


def test_a_session_that_lost_its_number_moves_to_another_in_the_log(write_path, company):
    tracker = session_tracker(company=company, size=3)
    config = dni_config(company)
    r = report()
    first = visits.visit_report(config, r).numbers["4045551234"]
    old = tracker.numbers.get(number=first)
    old.status = "released"
    old.save()
    pool_sync(tracker)
    config = dni_config(company)
    second = visits.visit_report(config, visits.VisitReport(**{**r.__dict__, "first_contact": False})).numbers
    assert second["4045551234"] != first
    rows = {row.tracking_number.number: row for row in NumberAssignment.objects.select_related("tracking_number")}
    assert rows[first].ended_at is not None
    assert rows[second["4045551234"]].ended_at is None
    assert rows[second["4045551234"]].session.session_key == r.session_key


def test_a_session_moved_by_a_redis_flush_ends_its_older_hold(write_path, company, redis_client):
    session_tracker(company=company, size=3)
    config = dni_config(company)
    r = report()
    first = visits.visit_report(config, r).numbers["4045551234"]
    # Redis lost the pool and the session's hold lapsed meanwhile: a new number, the old hold ends.
    redis_client.flushall()
    NumberAssignment.objects.update(expires_at=F("started_at") - timedelta(hours=2))
    second = visits.visit_report(config, visits.VisitReport(**{**r.__dict__, "first_contact": False})).numbers
    rows = {row.tracking_number.number: row for row in NumberAssignment.objects.select_related("tracking_number")}
    assert len(rows) == 2
    assert rows[first].ended_at is not None
    assert rows[second["4045551234"]].ended_at is None


def test_visits_written_together_come_out_as_if_written_one_by_one(company):
    """One statement for many visits (group commit): each visit's rows, and the exhaustion
    counter moved once per visit that found the pool full."""
    from datetime import UTC, datetime

    tracker = session_tracker(company=company, size=4)
    config = dni_config(company)
    n1, n2, n3, n4 = (n.id for n in tracker.numbers.order_by("id"))
    start = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    later = start + timedelta(minutes=5)

    def row(key, at, *, opened=(), held=(), moved=False, page=None, exhausted=False):
        r = report(key, first_contact=not moved and not held)
        primary = config.trackers[0]
        fields = visits.session_fields(
            config, r, visits.Visit(r.page_url, ""), visits.classify_cached(visits.Visit(r.page_url, "")), primary
        )
        expires = (at + timedelta(seconds=tracker.session_timeout)).isoformat()
        return {
            "session": fields,
            "at": at.isoformat(),
            "pv_url": page,
            "pv_referrer": "https://www.google.com/" if page else "",
            "moved": moved,
            "opened": [{"t": tracker.id, "n": n, "e": expires} for n in opened],
            "held": [{"n": n, "e": expires} for n in held],
            "exhausted": [tracker.id] if exhausted else [],
        }

    # Two sessions already holding numbers, written alone.
    visit_log.visits_write([row("moving", start, opened=[n2])])
    visit_log.visits_write([row("staying", start, opened=[n3])])
    visit_log.visits_write(
        [
            row("new", later, opened=[n1], page="https://shop.example/landing"),
            row("moving", later, opened=[n4], moved=True),
            row("staying", later, held=[n3]),
            row("full-1", later, exhausted=True),
            row("full-2", later, exhausted=True),
        ]
    )

    sessions = {s.session_key: s for s in VisitorSession.objects.all()}
    assert set(sessions) == {"new", "moving", "staying", "full-1", "full-2"}
    assert sessions["moving"].created_at == start and sessions["moving"].last_seen_at == later
    log = {(a.session.session_key, a.tracking_number_id): a for a in NumberAssignment.objects.select_related("session")}
    assert set(log) == {("new", n1), ("moving", n2), ("moving", n4), ("staying", n3)}
    assert log[("moving", n2)].ended_at == later  # its older hold ended when it moved
    assert log[("moving", n4)].ended_at is None and log[("moving", n4)].started_at == later
    assert log[("staying", n3)].expires_at == later + timedelta(seconds=tracker.session_timeout)
    assert log[("new", n1)].started_at == later
    view = PageView.objects.get()
    assert (view.session.session_key, view.page_url, view.created_at) == ("new", "https://shop.example/landing", later)
    tracker.refresh_from_db()
    assert (tracker.exhaustion_count, tracker.last_exhausted_at) == (2, later)


def test_visits_written_together_count_exhaustion_in_each_one_s_hour(company):
    from datetime import UTC, datetime

    tracker = session_tracker(company=company, size=1)
    config = dni_config(company)
    start = datetime(2026, 11, 23, 12, 59, tzinfo=UTC)

    def row(key, at):
        r = report(key, first_contact=True)
        touch = visits.classify_cached(visits.Visit(r.page_url, ""))
        fields = visits.session_fields(config, r, visits.Visit(r.page_url, ""), touch, config.trackers[0])
        return {
            "session": fields,
            "at": at.isoformat(),
            "pv_url": None,
            "pv_referrer": "",
            "moved": False,
            "opened": [],
            "held": [],
            "exhausted": [tracker.id],
        }

    visit_log.visits_write([row("a", start), row("b", start), row("c", start + timedelta(minutes=2))])
    visit_log.visits_write([row("d", start + timedelta(minutes=3))])
    counts = {e.hour: e.count for e in PoolExhaustion.objects.filter(tracker=tracker)}
    assert counts == {start.replace(minute=0): 2, start.replace(hour=13, minute=0): 2}
    tracker.refresh_from_db()
    assert tracker.exhaustion_count == 4


def test_the_visit_write_is_a_prepared_statement(company):
    # Parsing and planning it would cost PostgreSQL more than running it.
    from django.db import connection

    session_tracker(company=company, size=8)
    for _ in range(6):  # psycopg prepares a statement on its 5th run
        visits.visit_report(dni_config(company), report())
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%tracking_visitorsession%'")
        assert cursor.fetchone()[0] == 1
