"""How busy a pool is: the busiest moments (on PostgreSQL and through the ORM sweep),
exhaustion per local day, the live holders, and the advice on its size."""

import time
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tracking import pool_stats, pools
from tracking.models import NumberAssignment, PoolExhaustion, VisitorSession
from tracking.pool_stats import (
    ExhaustionShare,
    company_peak_visitors,
    peak_overlap,
    pool_advice,
    pool_exhaustions_by_day,
    pool_live_holds,
    pool_peak_in_use,
    pool_size_for,
    recent_exhaustion_share,
)
from tracking.tests.factories import VisitorSessionFactory, session_tracker

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(params=["postgresql", "sweep"])
def peak_path(request, monkeypatch):
    if request.param == "sweep":
        # The embedded default's path: intervals fetched and swept in Python.
        monkeypatch.setattr(pool_stats, "connection", SimpleNamespace(vendor="sqlite"))
    return request.param


def minutes(n):
    return T0 + timedelta(minutes=n)


def hold(tracker, number, key, start, expires, ended=None):
    session = VisitorSession.objects.filter(company=tracker.company, session_key=key).first()
    session = session or VisitorSessionFactory(company=tracker.company, session_key=key, visitor_id=f"v-{key}")
    return NumberAssignment.objects.create(
        account=tracker.account,
        tracker=tracker,
        tracking_number=number,
        session=session,
        started_at=minutes(start),
        expires_at=minutes(expires),
        ended_at=minutes(ended) if ended is not None else None,
    )


def test_overlaps_are_counted_at_their_busiest_moment():
    assert peak_overlap([]) == 0
    assert peak_overlap([(minutes(0), minutes(10)), (minutes(5), minutes(20)), (minutes(10), minutes(30))]) == 2
    # Touching intervals do not overlap; empty ones do not count.
    assert peak_overlap([(minutes(0), minutes(10)), (minutes(10), minutes(20)), (minutes(5), minutes(5))]) == 1


def test_the_most_numbers_held_at_once_follow_the_log(peak_path, company):
    tracker = session_tracker(company=company, size=4)
    n1, n2, n3, _ = tracker.numbers.order_by("id")
    hold(tracker, n1, "a", 0, 30)
    # Lapsed at 30 in the log, given to "b" at 40: the number's holds never overlap.
    hold(tracker, n1, "b", 40, 90)
    hold(tracker, n2, "c", 10, 60, ended=20)  # ended early (moved)
    hold(tracker, n3, "d", 15, 50)
    assert pool_peak_in_use(tracker=tracker, start=minutes(0), end=minutes(120)) == 3  # a, c, d at 15-20
    assert pool_peak_in_use(tracker=tracker, start=minutes(25), end=minutes(120)) == 2  # a and d, then b and d
    assert pool_peak_in_use(tracker=tracker, start=minutes(95), end=minutes(120)) == 0
    # A number's next holder cuts a hold the log had not ended (superseded, not closed).
    other = session_tracker(company=company, size=4)
    m1 = other.numbers.first()
    hold(other, m1, "e", 0, 60)
    hold(other, m1, "f", 20, 80)
    assert pool_peak_in_use(tracker=other, start=minutes(0), end=minutes(120)) == 1


def test_the_most_visitors_at_once_count_the_session_timeout(peak_path, company, other_company):
    for key, created, last in (("a", 0, 10), ("b", 20, 25), ("c", 50, 55), ("d", 200, 210)):
        session = VisitorSessionFactory(company=company, session_key=key)
        VisitorSession.objects.filter(pk=session.pk).update(created_at=minutes(created), last_seen_at=minutes(last))
    VisitorSessionFactory.create_batch(5, company=other_company)  # another company's visitors
    # A visit lasts 30 minutes past its last activity: a (0-40), b (20-55) and c (50-85) overlap in pairs.
    assert company_peak_visitors(company_id=company.pk, start=minutes(0), end=minutes(300), timeout=1800) == 2
    assert company_peak_visitors(company_id=company.pk, start=minutes(0), end=minutes(300), timeout=3600) == 3
    assert company_peak_visitors(company_id=company.pk, start=minutes(150), end=minutes(300), timeout=1800) == 1


def test_exhaustion_is_summed_per_local_day(company):
    tracker = session_tracker(company=company, size=4)
    # 03:00 UTC on the 3rd is still the 2nd in New York.
    for hour, count in ((datetime(2026, 11, 3, 3, tzinfo=UTC), 2), (datetime(2026, 11, 3, 15, tzinfo=UTC), 3)):
        PoolExhaustion.objects.create(tracker=tracker, hour=hour, count=count)
    days = [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)]
    assert pool_exhaustions_by_day(tracker=tracker, days=days, tz=NEW_YORK) == {
        date(2026, 11, 1): 0,
        date(2026, 11, 2): 2,
        date(2026, 11, 3): 3,
    }


def test_the_recent_share_is_yesterday_s_or_else_today_s(company):
    tracker = session_tracker(company=company, size=4)
    today = timezone.localtime(timezone.now(), NEW_YORK).date()
    assert recent_exhaustion_share(tracker=tracker, today=today, tz=NEW_YORK) is None
    number = tracker.numbers.get(number=tracker.numbers.values_list("number", flat=True)[0])
    now = timezone.now()
    for n in range(4):
        session = VisitorSessionFactory(company=company)
        NumberAssignment.objects.create(
            account=tracker.account,
            tracker=tracker,
            tracking_number=number,
            session=session,
            started_at=now - timedelta(seconds=n),
            expires_at=now + timedelta(minutes=30),
        )
    PoolExhaustion.objects.create(tracker=tracker, hour=now.replace(minute=0, second=0, microsecond=0), count=1)
    share = recent_exhaustion_share(tracker=tracker, today=today, tz=NEW_YORK)
    assert (share.label, share.exhausted, share.visitors, share.percent) == ("today", 1, 5, 20)


def test_the_advice_adds_numbers_for_visitors_turned_away():
    advice = pool_advice(
        size=4, peak_in_use=4, share=ExhaustionShare("today", exhausted=1, visitors=5), has_fallback=True
    )
    assert (advice.size, advice.change) == (7, 3)
    assert advice.message == "Add 3 numbers: 20 % of visitors today saw your fallback number."
    assert "about 5 wanted a number at once" in advice.reasoning
    busy = pool_advice(
        size=10, peak_in_use=10, share=ExhaustionShare("yesterday", exhausted=14, visitors=100), has_fallback=False
    )
    assert busy.message == (
        "Add 5 numbers: 14 % of visitors yesterday saw your own number instead of a tracking number."
    )
    full = pool_advice(size=50, peak_in_use=50, share=ExhaustionShare("today", 30, 100), has_fallback=True)
    assert full.change == 0 and full.message.startswith("The pool is at its largest (50 numbers)")


def test_the_advice_without_exhaustion_follows_the_busiest_moment():
    assert pool_advice(size=4, peak_in_use=3, share=None, has_fallback=True).message == (
        "The pool is the right size: no visitor recently found it full."
    )
    quiet = pool_advice(size=12, peak_in_use=2, share=ExhaustionShare("yesterday", 0, 40), has_fallback=True)
    assert (quiet.size, quiet.change) == (4, -8)
    assert quiet.message.startswith("You could release 8 numbers: at most 2 of 12 were in use at once")
    full = pool_advice(size=6, peak_in_use=6, share=None, has_fallback=True)
    assert (full.size, full.change) == (8, 2)
    assert pool_size_for(0) == 4 and pool_size_for(7) == 9 and pool_size_for(100) == 50


def test_the_live_holders_come_with_their_visit(company, redis_client):
    tracker = session_tracker(company=company, size=4)
    first, second = VisitorSessionFactory(company=company, source="google_paid"), VisitorSessionFactory(company=company)
    now = time.time()
    for n, session in enumerate((first, second)):
        got = pools.allocate(
            redis_client, scope=tracker.public_id, session_key=session.session_key, timeout=1800, pool=True, now=now
        )
        NumberAssignment.objects.create(
            account=tracker.account,
            tracker=tracker,
            tracking_number=tracker.numbers.get(number=got.number),
            session=session,
            started_at=timezone.now() - timedelta(minutes=10 - n),
            expires_at=timezone.now() + timedelta(minutes=20),
        )
    holds = pool_live_holds(tracker)
    assert [h.session_key for h in holds] == [first.session_key, second.session_key]  # longest held first
    assert (holds[0].visitor_id, holds[0].source, holds[0].landing_url) == (
        first.visitor_id,
        "google_paid",
        "https://example.com/",
    )
    assert holds[0].since is not None and holds[1].since is not None
    assert holds[0].since < holds[1].since
