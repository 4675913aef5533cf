from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.tests.factories import CallFactory, FormSubmissionFactory
from callrail.celery import app
from tracking.models import NumberAssignment, PageView, VisitorSession
from tracking.retention import visitor_data_prune
from tracking.tasks import visitor_data_prune_task
from tracking.tests.factories import VisitorSessionFactory, session_tracker

DAYS = 760


def counts(sessions: int = 0, page_views: int = 0, assignments: int = 0) -> dict[str, int]:
    return {
        "tracking.VisitorSession": sessions,
        "tracking.PageView": page_views,
        "tracking.NumberAssignment": assignments,
    }


@pytest.fixture(autouse=True)
def _retention(settings):
    settings.DNI_SESSION_RETENTION_DAYS = DAYS


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def number(company):
    return session_tracker(company=company, size=1).numbers.get()


@pytest.fixture
def visit(company, number, now):
    """A session created ``created`` days ago and last seen ``seen`` days ago (the same by
    default), with that many page views and pool holds. Create them oldest first, as visits are."""

    def make(seen: float, *, created: float | None = None, page_views: int = 0, holds: int = 0) -> VisitorSession:
        session = VisitorSessionFactory(company=company)
        last_seen_at = now - timedelta(days=seen)
        created_at = now - timedelta(days=seen if created is None else created)
        VisitorSession.objects.filter(pk=session.pk).update(created_at=created_at, last_seen_at=last_seen_at)
        for n in range(page_views):
            PageView.objects.create(
                account=company.account, session=session, page_url=f"https://example.com/{n}", created_at=created_at
            )
        for n in range(holds):
            started_at = created_at + timedelta(minutes=10 * n)
            NumberAssignment.objects.create(
                account=company.account,
                tracker=number.tracker,
                tracking_number=number,
                session=session,
                started_at=started_at,
                expires_at=started_at + timedelta(minutes=30),
                ended_at=started_at + timedelta(minutes=10) if n < holds - 1 else None,
            )
        return session

    return make


def remaining(*sessions: VisitorSession) -> set[int]:
    return set(VisitorSession.objects.filter(pk__in=[s.pk for s in sessions]).values_list("pk", flat=True))


def test_old_sessions_go_with_their_page_views_and_assignments(visit, now):
    old = visit(DAYS + 40, page_views=3, holds=2)
    recent = visit(10, page_views=2, holds=1)

    assert visitor_data_prune(now=now) == counts(sessions=1, page_views=3, assignments=2)

    assert remaining(old, recent) == {recent.pk}
    assert not PageView.objects.filter(session_id=old.pk).exists()
    assert not NumberAssignment.objects.filter(session_id=old.pk).exists()
    assert recent.page_views.count() == 2 and recent.assignments.count() == 1


def test_the_cutoff_is_the_last_activity(visit, now):
    gone = visit(DAYS + 0.01)
    kept = visit(DAYS - 0.01)
    # Started long ago, still active: its age does not matter.
    long_lived = visit(1, created=DAYS + 100)

    assert visitor_data_prune(now=now) == counts(sessions=1)

    assert remaining(gone, kept, long_lived) == {kept.pk, long_lived.pk}


def test_sessions_a_call_or_a_form_points_at_are_kept_whole(visit, company, now):
    called = visit(DAYS + 100, page_views=2, holds=1)
    submitted = visit(DAYS + 90, page_views=1, holds=1)
    CallFactory(company=company, session=called, start_time=called.created_at)
    FormSubmissionFactory(company=company, session=submitted, submitted_at=submitted.created_at)

    assert visitor_data_prune(now=now) == counts()

    assert remaining(called, submitted) == {called.pk, submitted.pk}
    assert PageView.objects.filter(session__in=[called, submitted]).count() == 3
    assert NumberAssignment.objects.filter(session__in=[called, submitted]).count() == 2


def test_retention_zero_keeps_everything(visit, now, settings):
    old = visit(DAYS * 5, page_views=1, holds=1)
    settings.DNI_SESSION_RETENTION_DAYS = 0

    assert visitor_data_prune(now=now) == counts()

    assert remaining(old) == {old.pk}


def test_small_batches_still_clear_the_whole_backlog(visit, company, now):
    old = [visit(DAYS + 50 - n, page_views=2, holds=1) for n in range(5)]
    called = visit(DAYS + 20, page_views=1)
    CallFactory(company=company, session=called)
    later = [visit(DAYS + 10 - n, page_views=1) for n in range(2)]
    recent = [visit(5 - n) for n in range(3)]

    assert visitor_data_prune(now=now, batch=2) == counts(sessions=7, page_views=12, assignments=5)

    assert remaining(*old, called, *later, *recent) == {called.pk} | {s.pk for s in recent}
    assert visitor_data_prune(now=now, batch=2) == counts()


def test_rows_are_deleted_in_bulk_without_being_read(visit, now):
    for _ in range(3):
        visit(DAYS + 30, page_views=20, holds=3)

    with CaptureQueriesContext(connection) as queries:
        assert visitor_data_prune(now=now) == counts(sessions=3, page_views=60, assignments=9)

    statements = [q["sql"] for q in queries.captured_queries]
    deletes = [sql for sql in statements if sql.startswith("DELETE")]
    assert len(deletes) == 3
    reads = [sql for sql in statements if sql.startswith("SELECT")]
    assert not [sql for sql in reads if "tracking_pageview" in sql.split(" WHERE ")[0]]
    assert not [sql for sql in reads if "tracking_numberassignment" in sql.split(" WHERE ")[0]]


def test_the_nightly_task_is_scheduled_and_prunes(visit):
    entry = app.conf.beat_schedule["dni-visitor-data-prune"]
    assert entry["task"] == visitor_data_prune_task.name == "tracking.tasks.visitor_data_prune_task"
    assert entry["schedule"].hour == {3} and entry["schedule"].minute == {37}

    old = visit(DAYS + 1, page_views=1)
    assert visitor_data_prune_task() == counts(sessions=1, page_views=1)
    assert remaining(old) == set()


def test_the_walk_ends_at_sessions_created_after_the_cutoff(visit, now):
    old = [visit(DAYS + 10 - n) for n in range(2)]
    recent = [visit(30 - n) for n in range(6)]

    with CaptureQueriesContext(connection) as queries:
        assert visitor_data_prune(now=now, batch=2) == counts(sessions=2)

    windows = [q["sql"] for q in queries.captured_queries if q["sql"].endswith("LIMIT 2")]
    assert len(windows) == 2  # the old pair, then one pair of recent sessions
    assert remaining(*old, *recent) == {s.pk for s in recent}
