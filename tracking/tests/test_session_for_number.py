from datetime import timedelta
from unittest import mock

import pytest
import redis
from django.utils import timezone

from tracking import pools
from tracking.assignments import assignment_open
from tracking.attribution import session_for_number
from tracking.tests.factories import TrackerFactory, TrackingNumberFactory, VisitorSessionFactory, session_tracker

T = 1800


@pytest.fixture
def tracker(company):
    return session_tracker(company=company, size=4)


def hold(redis_client, tracker, session, at):
    """What the DNI endpoint does for a new visit: allocate in Redis, then log it."""
    got = pools.allocate(
        redis_client, scope=tracker.public_id, session_key=session.session_key, timeout=T, pool=True, now=at.timestamp()
    )
    number = tracker.numbers.get(number=got.number)
    assignment_open(tracker=tracker, tracking_number=number, session=session, at=at)
    return number


def test_it_finds_the_live_holder(redis_client, tracker, company):
    now = timezone.now()
    session = VisitorSessionFactory(company=company)
    number = hold(redis_client, tracker, session, now)
    assert session_for_number(tracking_number=number, at=now + timedelta(seconds=30)) == session


def test_attribution_survives_a_redis_flush(redis_client, tracker, company):
    now = timezone.now()
    sessions = [VisitorSessionFactory(company=company) for _ in range(3)]
    numbers = [hold(redis_client, tracker, s, now) for s in sessions]
    redis_client.flushall()
    for session, number in zip(sessions, numbers, strict=True):
        assert session_for_number(tracking_number=number, at=now + timedelta(seconds=60)) == session
    # The rebuilt pool keeps those holds: a newcomer gets the one number left.
    newcomer = pools.allocate(
        redis_client, scope=tracker.public_id, session_key="new", timeout=T, pool=True, now=now.timestamp() + 61
    )
    assert newcomer.status == "new"
    assert newcomer.number not in {n.number for n in numbers}
    again = pools.allocate(
        redis_client,
        scope=tracker.public_id,
        session_key=sessions[0].session_key,
        timeout=T,
        pool=True,
        now=now.timestamp() + 62,
    )
    assert (again.status, again.number) == ("held", numbers[0].number)


def test_it_falls_back_to_the_log_when_redis_fails(redis_client, tracker, company):
    now = timezone.now()
    session = VisitorSessionFactory(company=company)
    number = hold(redis_client, tracker, session, now)
    broken = redis.Redis(unix_socket_path="/nonexistent/redis.sock", socket_connect_timeout=0.1)
    with mock.patch("tracking.attribution.get_redis", return_value=broken):
        assert session_for_number(tracking_number=number, at=now + timedelta(seconds=5)) == session


def test_it_picks_the_holder_at_that_moment(redis_client, company):
    tracker = session_tracker(company=company, size=1)
    start = timezone.now() - timedelta(hours=3)
    first, second = VisitorSessionFactory(company=company), VisitorSessionFactory(company=company)
    number = hold(redis_client, tracker, first, start)
    later = start + timedelta(seconds=T + 60)
    assert hold(redis_client, tracker, second, later) == number
    assert session_for_number(tracking_number=number, at=start + timedelta(minutes=5)) == first
    assert session_for_number(tracking_number=number, at=later + timedelta(minutes=5)) == second
    assert session_for_number(tracking_number=number, at=start - timedelta(minutes=1)) is None


def test_a_call_long_after_the_hold_is_not_attributed(redis_client, tracker, company, settings):
    settings.DNI_ATTRIBUTION_GRACE = 600
    start = timezone.now() - timedelta(hours=5)
    session = VisitorSessionFactory(company=company)
    number = hold(redis_client, tracker, session, start)
    assert session_for_number(tracking_number=number, at=start + timedelta(seconds=T + 300)) == session
    assert session_for_number(tracking_number=number, at=start + timedelta(hours=2)) is None


def test_source_trackers_have_no_sessions(company):
    number = TrackingNumberFactory(tracker=TrackerFactory(company=company, type="source", source={"type": "direct"}))
    assert session_for_number(tracking_number=number, at=timezone.now()) is None


def test_a_number_that_moved_to_another_tracker_forgets_the_old_visits(redis_client, tracker, company):
    now = timezone.now()
    session = VisitorSessionFactory(company=company)
    number = hold(redis_client, tracker, session, now)
    other = TrackerFactory(company=company)
    number.tracker = other
    number.save()
    pools.pool_sync(tracker)
    pools.pool_sync(other)
    assert session_for_number(tracking_number=number, at=now + timedelta(seconds=10)) is None


def test_a_released_number_ends_its_hold_in_the_log(redis_client, tracker, company):
    now = timezone.now()
    session = VisitorSessionFactory(company=company)
    number = hold(redis_client, tracker, session, now)
    number.status = "released"
    number.save()
    pools.pool_sync(tracker)
    row = number.assignments.get()
    assert row.ended_at is not None
    assert session_for_number(tracking_number=number, at=now + timedelta(seconds=1)) == session
    assert session_for_number(tracking_number=number, at=now + timedelta(hours=2)) is None
