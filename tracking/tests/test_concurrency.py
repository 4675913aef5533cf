"""Many visitors at once: a number is never held by two live sessions, and every
live hold is in the durable assignment log."""

import random
import threading
import time
import uuid
from collections import Counter

import pytest
from django.db import connection

from tracking import pools, visit_log
from tracking.models import NumberAssignment
from tracking.tests.factories import dni_config, session_tracker
from tracking.visits import VisitReport, visit_report

THREADS = 12
SESSIONS_PER_THREAD = 15
POOL = 25
UA = "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0"


@pytest.mark.django_db(transaction=True)
def test_concurrent_visitors_never_share_a_live_number(company):
    tracker = session_tracker(company=company, size=POOL)
    tracker.fallback_number = "+14045550999"
    tracker.save()
    answers: dict[str, list[str]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def visitor_thread(seed: int) -> None:
        rng = random.Random(seed)
        try:
            config = dni_config(company)
            keys = [uuid.uuid4().hex for _ in range(SESSIONS_PER_THREAD)]
            start.wait()
            for _ in range(SESSIONS_PER_THREAD * 3):
                key = rng.choice(keys)  # new sessions and returning ones, interleaved
                report = VisitReport(
                    visitor_id=key,
                    session_key=key,
                    page_url="https://shop.example/",
                    user_agent=UA,
                    ip=f"10.0.{seed}.1",
                )
                number = visit_report(config, report).numbers.get("4045551234", "")
                answers.setdefault(key, []).append(number)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=visitor_thread, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []

    # A session that got a pool number kept it on every later request.
    for numbers in answers.values():
        pool_numbers = [n for n in numbers if n != "+14045550999"]
        assert len(set(pool_numbers)) <= 1
    holders = {numbers[-1]: key for key, numbers in answers.items() if numbers[-1] != "+14045550999"}
    final = Counter(numbers[-1] for numbers in answers.values())
    assert all(count == 1 for number, count in final.items() if number != "+14045550999")
    # The pool was fully used: more sessions than numbers.
    assert len(holders) == POOL

    live = pools.pool_status(tracker).live_sessions
    assert len(live) == POOL
    assert len({number for number, _, _ in live}) == POOL
    open_rows = NumberAssignment.objects.filter(tracker=tracker, ended_at__isnull=True).select_related(
        "session", "tracking_number"
    )
    logged = {row.tracking_number.number: row.session.session_key for row in open_rows}
    assert len(open_rows) == POOL  # one open hold per number, no more
    assert logged == {number: key for number, key, _ in live}
    assert logged == holders
    tracker.refresh_from_db()
    assert tracker.exhaustion_count == len(answers) - POOL


def test_the_allocation_script_alone_under_many_threads(redis_client, company):
    tracker = session_tracker(company=company, size=10)
    # Load the pool here: the threads' own database connections cannot see this test's rows.
    pools.pool_rebuild(redis_client, scope=tracker.public_id)
    results: list[tuple[str, str]] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        for j in range(200):
            key = f"t{i}-{j}"
            got = pools.allocate(redis_client, scope=tracker.public_id, session_key=key, timeout=1800, pool=True)
            with lock:
                results.append((key, got.number))
            if got.number and j % 3 == 0:
                pools.release(redis_client, scope=tracker.public_id, session_key=key)
                with lock:
                    results.append((key, "released"))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    status = pools.pool_status(tracker)
    assert len(status.live_sessions) + status.free == 10
    held = [number for number, _, _ in status.live_sessions]
    assert len(held) == len(set(held))
    keys = pools.PoolKeys.of(tracker.public_id)
    owned = {k.decode(): v.decode() for k, v in redis_client.hgetall(keys.owned).items()}
    assert {v: k for k, v in owned.items()} == {number: key for number, key, _ in status.live_sessions}


@pytest.mark.django_db(transaction=True)
def test_new_visits_arriving_together_share_a_write(company, monkeypatch):
    """Group commit: while the writer is busy, new visits queue up and go in one statement;
    each visitor is answered only once their rows are in the database."""
    tracker = session_tracker(company=company, size=POOL)
    writer = visit_log.visits_writer
    written = writer.write
    batches: list[int] = []
    first = threading.Event()

    def slow_write(rows):
        batches.append(len(rows))
        if len(batches) == 1:
            first.set()
            time.sleep(0.3)  # the others arrive meanwhile
        written(rows)

    monkeypatch.setattr(writer, "write", slow_write)
    config = dni_config(company)
    keys = [uuid.uuid4().hex for _ in range(8)]
    seen: dict[str, tuple[str, bool]] = {}

    def visitor(key: str) -> None:
        try:
            report = VisitReport(visitor_id=key, session_key=key, page_url="https://shop.example/", user_agent=UA)
            number = visit_report(config, report).numbers["4045551234"]
            # Answered: the visit's row is already committed, visible from another connection.
            seen[key] = (number, NumberAssignment.objects.filter(session__session_key=key).exists())
        finally:
            connection.close()

    threads = [threading.Thread(target=visitor, args=(keys[0],))]
    threads[0].start()
    assert first.wait(10)
    threads += [threading.Thread(target=visitor, args=(key,)) for key in keys[1:]]
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join()
    assert batches[0] == 1 and sum(batches) == 8 and len(batches) < 8
    assert all(committed for _, committed in seen.values()) and len(seen) == 8
    assert len({number for number, _ in seen.values()}) == 8
    assert NumberAssignment.objects.filter(tracker=tracker).count() == 8


@pytest.mark.django_db(transaction=True)
def test_a_database_that_fails_the_shared_write_leaves_nothing_half_done(company, monkeypatch, client):
    """The writer's error reaches the visitor (503, the page keeps its numbers) and the number
    taken in Redis for them goes back to the pool."""
    from django.db import OperationalError

    tracker = session_tracker(company=company, size=2)

    def down(rows):
        raise OperationalError("the database is gone")

    monkeypatch.setattr(visit_log.visits_writer, "write", down)
    key = uuid.uuid4().hex
    response = client.post(
        f"/dni/{company.public_id}/session",
        data=f'{{"v": "{key}", "s": "{key}", "u": "https://shop.example/", "n": 1}}',
        content_type="text/plain",
        HTTP_USER_AGENT=UA,
    )
    assert response.status_code == 503
    status = pools.pool_status(tracker)
    assert (status.free, status.live_sessions) == (2, [])
    assert not NumberAssignment.objects.exists()
