"""A pool's hash slot moves from one master of a Redis Cluster to another while visitors take
numbers from it (CLUSTER SETSLOT IMPORTING/MIGRATING, MIGRATE, SETSLOT NODE, as a resharding
does). Every visitor gets a number nobody else holds, returning visitors keep theirs, and
afterwards Redis, on its new master, and the assignment log agree on every hold."""

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import redis
from django.db import connection
from redis.crc import key_slot

from callrail.redis import get_redis
from callrail.tests.redis_cluster import node_clients, on_cluster, redis_cluster  # noqa: F401 - fixtures
from tracking import pools
from tracking.config_cache import CompanyConfig
from tracking.models import NumberAssignment
from tracking.tests.factories import dni_config, session_tracker
from tracking.visits import VisitReport, visit_report

POOL = 200
THREADS = 6
BEFORE_MOVE = 30  # new sessions before the slot starts moving
AFTER_MOVE = 6  # new sessions per thread once it moved
TARGET = "4045551234"
UA = "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0"

pytestmark = pytest.mark.slow


@dataclass
class Move:
    slot: int
    source: redis.Redis
    target: redis.Redis
    others: list[redis.Redis]
    started: float = 0.0
    ended: float = 0.0
    keys: int = 0
    batches: int = 0
    done: threading.Event = field(default_factory=threading.Event)

    def run(self, midway: Callable[[], None], batch: int = 10) -> None:
        """Move the slot the way ``redis-cli --cluster reshard`` does, ``batch`` keys per MIGRATE;
        ``midway`` runs once after the first batch moved (the slot's keys on both masters)."""
        source_id = self.source.execute_command("CLUSTER", "MYID")
        target_id = self.target.execute_command("CLUSTER", "MYID")
        target_port = self.target.connection_pool.connection_kwargs["port"]
        self.started = time.monotonic()
        self.target.execute_command("CLUSTER", "SETSLOT", self.slot, "IMPORTING", source_id)
        self.source.execute_command("CLUSTER", "SETSLOT", self.slot, "MIGRATING", target_id)
        while names := self.source.execute_command("CLUSTER", "GETKEYSINSLOT", self.slot, batch):
            self.source.execute_command("MIGRATE", "127.0.0.1", target_port, "", 0, 5000, "KEYS", *names)
            self.keys += len(names)
            self.batches += 1
            if self.batches == 1:
                midway()
        for node in (self.target, self.source, *self.others):
            node.execute_command("CLUSTER", "SETSLOT", self.slot, "NODE", target_id)
        self.ended = time.monotonic()
        self.done.set()


def slot_owner_port(node: redis.Redis, slot: int) -> int:
    for start, end, master, *_ in node.execute_command("CLUSTER", "SLOTS"):
        if start <= slot <= end:
            return int(master[1])
    raise AssertionError(f"slot {slot} has no owner")


def redirects(nodes: list[redis.Redis]) -> dict[str, int]:
    """Redirections the masters answered with since their stats were reset (INFO errorstats)."""
    counts = dict.fromkeys(("MOVED", "ASK", "TRYAGAIN"), 0)
    for node in nodes:
        for name, value in node.info("errorstats").items():
            kind = name.removeprefix("errorstat_")
            if kind in counts:
                counts[kind] += int(value["count"])
    return counts


@pytest.mark.django_db(transaction=True)
def test_a_pool_slot_moves_between_masters_while_visitors_take_numbers(on_cluster, company):  # noqa: F811
    tracker = session_tracker(company=company, size=POOL)
    keys = pools.PoolKeys.of(tracker.public_id)
    slot = key_slot(keys.free.encode())
    nodes = node_clients(on_cluster)
    ports = on_cluster.ports
    source = nodes[ports.index(slot_owner_port(nodes[0], slot))]
    target = next(node for node in nodes if node is not source)
    move = Move(slot=slot, source=source, target=target, others=[n for n in nodes if n not in (source, target)])
    for node in nodes:
        node.config_resetstat()

    lock = threading.Lock()
    given: dict[str, str] = {}  # session key -> number, for every new session
    spans: list[tuple[float, float]] = []  # (start, end) of every allocation of a new session
    returning = [0]
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS + 1)

    def visit(config: CompanyConfig, key: str, ip: str) -> str:
        report = VisitReport(visitor_id=key, session_key=key, page_url="https://shop.example/", user_agent=UA, ip=ip)
        return visit_report(config, report).numbers.get(TARGET, "")

    def visitor(seed: int) -> None:
        mine: list[tuple[str, str]] = []
        after = 0
        try:
            config = dni_config(company)
            start.wait()
            while after < AFTER_MOVE:
                if move.done.is_set():
                    after += 1
                key = uuid.uuid4().hex
                began = time.monotonic()
                ip = f"10.{seed}.{len(mine) // 250}.{len(mine) % 250}"
                number = visit(config, key, ip)
                with lock:
                    given[key] = number
                    spans.append((began, time.monotonic()))
                mine.append((key, ip))
                # A visitor from before comes back: same number, whichever master answers now.
                back, back_ip = mine[len(mine) // 2]
                assert visit(config, back, back_ip) == given[back], "a returning visitor lost their number"
                with lock:
                    returning[0] += 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            move.done.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    start.wait()
    while len(given) < BEFORE_MOVE and not errors:
        time.sleep(0.005)
    moved_at = len(given)
    # The pool as the admin reads it, midway: its keys on two masters; the reads of those
    # already moved are redirected (ASK) to the target.
    midway: list[pools.PoolStatus] = []
    move.run(midway=lambda: midway.append(pools.pool_status(tracker)))
    assert midway[0].loaded
    assert midway[0].size == POOL
    for thread in threads:
        thread.join()
    assert errors == []

    # Every new session got a pool number of its own.
    numbers = list(given.values())
    assert "" not in numbers
    assert len(set(numbers)) == len(numbers)
    assert set(numbers) <= set(tracker.numbers.values_list("number", flat=True))

    # The slot and every key in it now live on the target, and the app's client knows it.
    assert {slot_owner_port(node, slot) for node in nodes} == {ports[nodes.index(target)]}
    assert source.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 0
    assert target.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) > 0
    client = get_redis()
    assert client.nodes_manager.get_node_from_slot(slot).port == ports[nodes.index(target)]  # type: ignore[attr-defined]

    # No hold lost or doubled: Redis (on the target) holds exactly the numbers given, to the
    # sessions they were given to, and so does the durable assignment log.
    status = pools.pool_status(tracker)
    live = {number: key for number, key, _ in status.live_sessions}
    assert live == {number: key for key, number in given.items()}
    assert status.free == POOL - len(given)
    owned = {k.decode(): v.decode() for k, v in client.hgetall(keys.owned).items()}
    assert owned == given
    logged = {
        row.tracking_number.number: row.session.session_key
        for row in NumberAssignment.objects.filter(tracker=tracker, ended_at__isnull=True).select_related(
            "session", "tracking_number"
        )
    }
    assert logged == live

    # The clients were redirected while the slot moved and after, and followed.
    seen = redirects(nodes)
    during = sum(1 for began, ended in spans if began < move.ended and ended > move.started)
    print(
        f"\nslot {slot}: {move.keys} keys in {move.batches} MIGRATE batches, moved in "
        f"{(move.ended - move.started) * 1000:.1f} ms after {moved_at} allocations; "
        f"{len(given)} new sessions ({during} in flight during the move), {returning[0]} returning visits; "
        f"redirects answered: {seen}"
    )
    assert seen["MOVED"] > 0
    assert seen["ASK"] > 0
