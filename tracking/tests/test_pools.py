import time

import pytest
from redis.crc import key_slot

from tracking import pools
from tracking.models import Tracker, TrackingNumber
from tracking.tests.factories import TrackingNumberFactory, session_tracker

T = 1800


def alloc(client, tracker, key, now):
    return pools.allocate(client, scope=tracker.public_id, session_key=key, timeout=T, pool=True, now=now)


@pytest.fixture
def tracker(company):
    return session_tracker(company=company, size=4)


def test_it_gives_each_live_session_its_own_number(redis_client, tracker):
    now = time.time()
    numbers = [alloc(redis_client, tracker, f"s{i}", now) for i in range(4)]
    assert {a.status for a in numbers} == {"new"}
    assert len({a.number for a in numbers}) == 4
    assert {a.number for a in numbers} == set(tracker.numbers.values_list("number", flat=True))


def test_it_keeps_a_returning_sessions_number(redis_client, tracker):
    now = time.time()
    first = alloc(redis_client, tracker, "s1", now)
    again = alloc(redis_client, tracker, "s1", now + 60)
    assert again.status == "held"
    assert again.number == first.number
    touched = pools.touch(redis_client, scope=tracker.public_id, session_key="s1", timeout=T, pool=True, now=now + 120)
    assert touched.status == "ok"
    assert touched.number == first.number


def test_it_counts_exhaustion_once_per_episode(redis_client, tracker):
    now = time.time()
    for i in range(4):
        alloc(redis_client, tracker, f"s{i}", now)
    fifth = alloc(redis_client, tracker, "s5", now)
    sixth = alloc(redis_client, tracker, "s6", now)
    assert (fifth.status, fifth.number, fifth.first_exhaustion) == ("exhausted", "", True)
    assert (sixth.status, sixth.first_exhaustion) == ("exhausted", False)
    # The exhausted session is not holding anything: a touch asks for a new allocation.
    assert pools.touch(redis_client, scope=tracker.public_id, session_key="s5", timeout=T, pool=True).status == "lost"


def test_activity_renews_the_hold(redis_client, tracker):
    now = time.time()
    held = alloc(redis_client, tracker, "s1", now)
    pools.touch(redis_client, scope=tracker.public_id, session_key="s1", timeout=T, pool=True, now=now + T - 10)
    for i in range(3):
        alloc(redis_client, tracker, f"o{i}", now + T + 5)
    # Past the first timeout, but the touch renewed it: the last visitor finds the pool exhausted.
    assert alloc(redis_client, tracker, "late", now + T + 5).status == "exhausted"
    assert alloc(redis_client, tracker, "s1", now + T + 6).number == held.number


def test_a_lapsed_hold_goes_back_to_the_pool_least_recently_released_first(redis_client, tracker):
    now = time.time()
    for i in range(4):
        alloc(redis_client, tracker, f"s{i}", now)
    # s2 stays active the longest, s0 the shortest: their numbers come back in release order.
    numbers = {}
    for i, extra in ((0, 0), (1, 100), (2, 300), (3, 200)):
        numbers[i] = pools.touch(
            redis_client, scope=tracker.public_id, session_key=f"s{i}", timeout=T, pool=True, now=now + extra
        ).number
    later = now + 300 + T + 1
    got = [alloc(redis_client, tracker, f"n{i}", later + i).number for i in range(4)]
    assert got == [numbers[0], numbers[1], numbers[3], numbers[2]]
    # The old session lost its number to someone else.
    assert pools.touch(redis_client, scope=tracker.public_id, session_key="s0", timeout=T, pool=True).status in {
        "lost",
        "miss",
    }


def test_release_returns_the_number_first_in_line_after_never_used_numbers(redis_client, company):
    tracker = session_tracker(company=company, size=2)
    now = time.time()
    a = alloc(redis_client, tracker, "a", now)
    assert pools.release(redis_client, scope=tracker.public_id, session_key="a", now=now + 1) == a.number
    b = alloc(redis_client, tracker, "b", now + 2)
    assert b.number != a.number  # the never-used number goes first
    c = alloc(redis_client, tracker, "c", now + 3)
    assert c.number == a.number


def test_a_flushed_pool_is_rebuilt_from_the_database(redis_client, tracker):
    now = time.time()
    first = alloc(redis_client, tracker, "s1", now)
    redis_client.delete(*pools.PoolKeys.of(tracker.public_id).pool)
    # Nothing in the log: the pool comes back whole, and the session simply gets a number again.
    again = alloc(redis_client, tracker, "s1", now + 1)
    assert again.status == "new"
    assert first.number


def test_pool_sync_adds_and_removes_numbers(redis_client, tracker):
    now = time.time()
    held = alloc(redis_client, tracker, "s1", now)
    added = TrackingNumberFactory(tracker=tracker)
    gone = TrackingNumber.objects.get(number=held.number)
    gone.status = TrackingNumber.Status.RELEASED
    gone.save()
    pools.pool_sync(tracker)
    status = pools.pool_status(tracker, now=now + 1)
    assert status.size == 4
    assert status.live_sessions == []
    keys = pools.PoolKeys.of(tracker.public_id)
    assert redis_client.zscore(keys.free, added.number) == 0
    assert redis_client.zscore(keys.free, held.number) is None
    # The session lost its number and gets another one.
    assert pools.touch(redis_client, scope=tracker.public_id, session_key="s1", timeout=T, pool=True).status == "lost"
    again = alloc(redis_client, tracker, "s1", now + 2)
    assert again.status == "new"
    assert again.number != held.number


def test_pool_sync_empties_a_disabled_trackers_pool(redis_client, tracker):
    alloc(redis_client, tracker, "s1", time.time())
    tracker.status = Tracker.Status.DISABLED
    tracker.save()
    pools.pool_sync(tracker)
    status = pools.pool_status(tracker)
    assert (status.size, status.live_sessions, status.loaded) == (0, [], True)
    assert alloc(redis_client, tracker, "s2", time.time()).status == "exhausted"


def test_every_key_of_a_pool_is_in_one_hash_slot(redis_client, tracker):
    now = time.time()
    for i in range(6):
        alloc(redis_client, tracker, f"s{i}", now)
    pools.touch(
        redis_client,
        scope=tracker.public_id,
        session_key="s1",
        timeout=T,
        pool=True,
        page_view=pools.page_view_entry(company_id=1, session_key="s1", url="https://x/", referrer="", at=now),
    )
    keys = [k.decode() for k in redis_client.scan_iter(match=f"dni:{{{tracker.public_id}}}:*")]
    assert len(keys) >= 10
    assert {key_slot(k.encode()) for k in keys} == {key_slot(tracker.public_id.encode())}
