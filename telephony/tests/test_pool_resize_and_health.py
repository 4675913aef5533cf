"""The dashboard's one-click pool resize (grows by buying, shrinks by releasing idle
numbers only) and the pool's health figures."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from api.tests.factories import CallFactory
from callrail.dates import DateWindow
from callrail.redis import get_redis
from telephony.models import SimulatedCarrierRequest
from telephony.pool_health import pool_health
from telephony.tests.test_voice_webhook import hold as hold_live
from telephony.trackers import tracker_create, tracker_pool_resize
from tracking import pools
from tracking.models import NumberAssignment, PoolExhaustion, TrackingNumber
from tracking.tests.factories import TrackerFactory, VisitorSessionFactory, session_tracker

pytestmark = pytest.mark.django_db

BASIC_FLOW = {"type": "basic", "recording_enabled": False, "destination_number": "+14045551234"}


@pytest.fixture
def pool(account, company, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return tracker_create(
            account=account,
            company=company,
            data={
                "type": "session",
                "name": "Website",
                "pool_size": 6,
                "pool_numbers": {"area_code": "470"},
                "call_flow": BASIC_FLOW,
                "source": "all",
            },
        )


def active(tracker):
    return set(tracker.numbers.filter(status=TrackingNumber.Status.ACTIVE).values_list("number", flat=True))


def take(tracker, key):
    got = pools.allocate(get_redis(), scope=tracker.public_id, session_key=key, timeout=1800, pool=True)
    assert got.number
    return got.number


def test_growing_buys_numbers_like_the_api(pool, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        grown = tracker_pool_resize(tracker=pool, size=9)
    assert grown.pool_size == 9
    assert len(active(pool)) == 9
    assert all(number.startswith("+1470") for number in active(pool))
    assert pools.pool_status(pool).size == 9


def test_shrinking_releases_idle_numbers_and_keeps_those_visitors_hold(pool, django_capture_on_commit_callbacks):
    held = {take(pool, "visitor-a"), take(pool, "visitor-b")}
    with django_capture_on_commit_callbacks(execute=True):
        shrunk = tracker_pool_resize(tracker=pool, size=4)
    assert shrunk.pool_size == 4
    assert held <= active(pool) and len(active(pool)) == 4
    gone = set(pool.numbers.filter(status=TrackingNumber.Status.RELEASED).values_list("number", flat=True))
    assert len(gone) == 2
    released_at_carrier = set(
        SimulatedCarrierRequest.objects.filter(action=SimulatedCarrierRequest.Action.RELEASE_NUMBER).values_list(
            "number", flat=True
        )
    )
    assert released_at_carrier == gone
    status = pools.pool_status(pool)
    assert status.size == 4 and len(status.live_sessions) == 2


def test_the_numbers_idle_the_longest_go_first(pool, company, django_capture_on_commit_callbacks):
    numbers = list(pool.numbers.order_by("id"))
    session = VisitorSessionFactory(company=company)
    now = timezone.now()
    # All but the last two were held recently; those two never were.
    for n, number in enumerate(numbers[:4]):
        NumberAssignment.objects.create(
            account=pool.account,
            tracker=pool,
            tracking_number=number,
            session=session,
            started_at=now - timedelta(hours=3),
            expires_at=now - timedelta(hours=2, minutes=n),
        )
    with django_capture_on_commit_callbacks(execute=True):
        tracker_pool_resize(tracker=pool, size=4)
    assert {n.number for n in numbers[4:]} == set(
        pool.numbers.filter(status=TrackingNumber.Status.RELEASED).values_list("number", flat=True)
    )


def test_a_pool_whose_numbers_are_held_cannot_shrink_below_them(pool):
    for n in range(5):
        take(pool, f"visitor-{n}")
    with pytest.raises(ValidationError) as error:
        tracker_pool_resize(tracker=pool, size=4)
    assert error.value.messages == [
        "pool_size: 5 numbers are held by visitors right now, so the pool can shrink to 5 numbers at most until "
        "they leave."
    ]
    assert len(active(pool)) == 6


@pytest.mark.parametrize(("size", "message"), [(3, "pool_size: must be between 4 and 50."), ("x", "pool_size")])
def test_sizes_outside_the_limits_are_refused(pool, size, message):
    with pytest.raises(ValidationError) as error:
        tracker_pool_resize(tracker=pool, size=size)
    assert message in error.value.messages[0]


def test_source_trackers_have_no_pool_to_resize(company):
    with pytest.raises(ValidationError):
        tracker_pool_resize(tracker=TrackerFactory(company=company, type="source"), size=5)


def test_health_counts_use_peak_exhaustion_and_unattributed_calls(company):
    tracker = session_tracker(company=company, size=4)
    window = DateWindow(
        timezone.now() - timedelta(days=1), timezone.now() + timedelta(hours=1), timezone.get_current_timezone(), "UTC"
    )
    for n in range(3):
        take(tracker, f"visitor-{n}")
    PoolExhaustion.objects.create(tracker=tracker, hour=timezone.now().replace(minute=0, second=0, microsecond=0))
    PoolExhaustion.objects.filter(tracker=tracker).update(count=2)
    hold_live(tracker, VisitorSessionFactory(company=company, source="google_organic"), timezone.now())
    CallFactory(company=company, tracker=tracker, session=None, start_time=timezone.now())
    CallFactory(company=company, tracker=tracker, session=VisitorSessionFactory(company=company))
    health = pool_health(tracker=tracker, window=window)
    assert (health.size, health.in_use, health.peak_in_use) == (4, 4, 4)
    assert health.exhaustions == 2
    assert (health.unattributed_calls, health.calls) == (1, 2)
    assert health.advice.change > 0
    assert [hold.source for hold in health.live if hold.source] == ["google_organic"]
