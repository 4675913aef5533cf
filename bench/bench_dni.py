"""The DNI hot path (``python -m bench dni`` under ``callrail.testenv``).

Starts gunicorn as ``make run``/compose do (gthread, 2 workers x 4 threads) on
PostgreSQL and Redis, and measures with wrk on 64 keep-alive connections
(requests/s, p50, p99), each next to the same server's minimal view doing one
Redis round trip (``/dni/_baseline``) in the same run:

- the DNI endpoint for new sessions (classification, the allocation script, the
  durable write of session + page view + assignment log), each request a session
  of its own, built before the run and sent once;
- the DNI endpoint for returning sessions (one Redis script, page view buffered
  for a worker, whose bulk write is timed after the run), cycling through the
  last 4,000 new sessions sent;
- the allocation script alone against a plain Redis ``SET`` (one client, one
  command at a time, as a web worker calls them; pipelined x16 for information);
- swap.js swapping a 5,000-node page in headless Chromium.

The three web measurements run in interleaved rounds (baseline, new, returning, again and
again), so that a change of load on the machine weighs on all three alike. Each ratio is
printed twice: over the whole run, and as the median of its rounds' ratios (each round
against the baseline round just before it), which a short disturbance on a shared machine
does not move. At 64 connections on 8 server threads most of a request's latency is its
wait in the queue, so the three are measured again at one connection per server thread.

Environment: ``BENCH_DNI_SECONDS`` per web measurement (default 12), ``BENCH_DNI_ROUNDS`` (default 8),
``BENCH_DNI_CONNECTIONS`` (default 64), ``BENCH_DNI_POOL`` (default 60,000 numbers,
so new sessions never exhaust the pool during the run).
"""

from __future__ import annotations

import http.client
import json
import math
import os
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from bench.common import (
    Result,
    django_setup,
    fire,
    fire_baseline,
    free_port,
    gunicorn_shape,
    raw_request,
    start_gunicorn,
    stop,
)
from callrail.redis import get_redis
from callrail.run import WebShape
from tracking.tests.browser import CHROMIUM_ARGS

UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
TARGET = "+14045551234"


def _world(pool_size: int) -> tuple[str, str]:
    """A company with a session tracker whose pool is big enough for the whole run."""
    from accounts.models import Account, Company
    from tracking.models import CallFlow, Tracker, TrackingNumber

    account = Account.objects.create(name="DNI bench agency")
    company = Company.objects.create(account=account, name="DNI bench company")
    flow = CallFlow.objects.create(
        account=account,
        company=company,
        definition={"type": "basic", "destination_number": TARGET, "recording_enabled": False},
    )
    tracker = Tracker.objects.create(
        account=account,
        company=company,
        name="Website pool",
        type=Tracker.Type.SESSION,
        call_flow=flow,
        source={"type": "all"},
        swap_targets=[TARGET],
        pool_size=min(pool_size, 32767),  # the field is informational (and a small integer)
    )
    # Fictional numbers spread over area codes 200-999 (bench data only).
    TrackingNumber.objects.bulk_create(
        TrackingNumber(account=account, tracker=tracker, number=f"+1{200 + i // 10000}555{i % 10000:04d}")
        for i in range(pool_size)
    )
    return company.public_id, tracker.public_id


# Responses must contain this; requests are built for this many per second (a generous bound).
HAS_NUMBER = b'"4045551234"'
RATE = 12_000


def _visit(port: int, company_id: str, session: str, page: str, first: bool = False) -> bytes:
    """What swap.js sends: ``first`` marks the first report of a session (it also sends ``n``)."""
    body = json.dumps(
        {
            **({"n": 1} if first else {}),
            "v": session,
            "s": session,
            "u": f"https://shop.example/{page}",
            "r": "https://shop.example/",
            "l": "https://shop.example/?utm_source=google&utm_medium=cpc&utm_campaign=spring&gclid=bench",
            "lr": "https://www.google.com/",
        }
    ).encode()
    headers = {"User-Agent": UA, "Origin": "https://shop.example", "Content-Type": "text/plain"}
    return raw_request("POST", f"/dni/{company_id}/session", port, body, headers)


# --- Redis alone -------------------------------------------------------------------------------


def _redis_figures(n: int) -> dict[str, float]:
    """Operations/s of the allocation and touch scripts and of SET, one client, in this run."""
    from tracking import pools

    client = get_redis()
    scope = "TRKbench" + uuid.uuid4().hex[:24]
    keys = pools.PoolKeys.of(scope)
    numbers = [f"+1555{i:07d}" for i in range(n + 10)]

    def load_pool() -> None:
        pools.script(client, "rebuild")(keys=keys.pool, args=[len(numbers), *[x for num in numbers for x in (num, 0)]])

    load_pool()
    sessions = [uuid.uuid4().hex for _ in range(n)]
    figures: dict[str, float] = {}

    def timed(name: str, call: Callable[[int], object]) -> None:
        started = time.perf_counter()
        for i in range(n):
            call(i)
        figures[name] = n / (time.perf_counter() - started)

    now = time.time()
    allocate = pools.script(client, "allocate")

    # The keys and arguments pools.allocate() sends for a new session (no page view, no IP limit).
    def alloc_keys(session: str) -> list[str]:
        return [*keys.pool, keys.session(session), keys.ip(""), keys.page_views, keys.page_view_flag]

    def alloc_args(session: str) -> list[object]:
        return [now, 1800, session, "1", "", 0, "", pools.PV_FLUSH_SECONDS]

    touch = pools.script(client, "touch")
    timed("SET", lambda i: client.set(f"bench:set:{i}", sessions[i], ex=1800))
    timed(
        "allocate (new session)",
        lambda i: allocate(keys=alloc_keys(sessions[i]), args=alloc_args(sessions[i])),
    )
    timed(
        "touch (returning session)",
        lambda i: touch(
            keys=[keys.session(sessions[i]), keys.held, keys.holder, keys.owned, keys.page_views, keys.page_view_flag],
            args=[now, 1800, sessions[i], "1", "", pools.PV_FLUSH_SECONDS],
        ),
    )
    # Pipelined x16: what Redis itself spends, without the round trip.
    figures["SET, pipelined x16"] = _pipelined_rate(
        client, n, lambda p, i: p.set(f"bench:set:{i}", sessions[i], ex=1800)
    )
    client.delete(*keys.pool)
    load_pool()
    figures["allocate, pipelined x16"] = _pipelined_rate(
        client,
        n,
        lambda p, i: allocate(keys=alloc_keys("p" + sessions[i]), args=alloc_args("p" + sessions[i]), client=p),
    )
    client.delete(*keys.pool, *[f"bench:set:{i}" for i in range(n)])
    for session in sessions:
        client.delete(keys.session(session), keys.session("p" + session))
    return figures


def _pipelined_rate(client: redis.Redis, n: int, make: Callable[[Any, int], object]) -> float:
    """Operations/s of ``make(pipeline, i)`` for every ``i`` below ``n``, sent 16 at a time."""
    started = time.perf_counter()
    for start in range(0, n, 16):
        with client.pipeline(transaction=False) as pipe:
            for i in range(start, min(n, start + 16)):
                make(pipe, i)
            pipe.execute()
    return n / (time.perf_counter() - started)


# --- swap.js in Chromium -------------------------------------------------------------------------


def _swap_figures(port: int, company_id: str) -> dict[str, float] | None:
    """Milliseconds swap.js takes to swap a page of 5,000 DOM nodes (median of 15 runs)."""
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).exists():
        print(f"(no {chromium}: swap.js timing skipped)")
        return None
    from playwright.sync_api import sync_playwright

    paragraphs = []
    formats = ["(404) 555-1234", "404-555-1234", "404.555.1234", "+1 404 555 1234"]
    for i in range(2500):  # 2,500 elements + 2,500 text nodes
        if i % 10 == 0:
            paragraphs.append(f"<p>Call us at {formats[i // 10 % 4]} for service #{i}.</p>")
        else:
            paragraphs.append(f"<p>Item {i}: fittings and valves, order code 770-555-{i % 10000:04d}.</p>")
    body = "".join(paragraphs)
    # The page, its snippet (as the server serves it) and the DNI answer are all handed to the
    # browser by Playwright: what is timed is swapping, not the network.
    fetch = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    fetch.request("GET", f"/companies/{company_id}/swap.js")
    script = fetch.getresponse().read().decode()
    answer = json.dumps({"numbers": {"4045551234": "17705550100"}, "ttl": 1800})
    page_html = f"<!doctype html><html><head><script src='/swap.js'></script></head><body>{body}</body></html>"
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route("https://shop.example/", lambda route: route.fulfill(body=page_html, content_type="text/html"))
            page.route("https://shop.example/swap.js", lambda r: r.fulfill(body=script, content_type="text/javascript"))
            page.route("**/dni/**", lambda route: route.fulfill(body=answer, content_type="application/json"))
            page.goto("https://shop.example/")
            page.wait_for_function(
                "document.body.textContent.indexOf('(404) 555-1234') < 0", timeout=15_000, polling=50
            )
            nodes = page.evaluate(
                "(() => { let n = 0; const w = document.createTreeWalker(document.body, 5); while (w.nextNode()) n++; return n; })()"
            )
            times = page.evaluate(
                """html => {
                    const out = [];
                    for (let i = 0; i < 15; i++) {
                        document.body.innerHTML = html;
                        const t0 = performance.now();
                        CallTrk.swap();
                        out.push(performance.now() - t0);
                    }
                    return out;
                }""",
                body,
            )
            left = page.evaluate(
                "document.body.textContent.indexOf('404') >= 0 && document.body.textContent.match(/404.555.1234/g)"
            )
        finally:
            browser.close()
    if left:
        print(f"swap.js left {len(left)} target numbers unswapped")
    return {"nodes": nodes, "median_ms": statistics.median(times), "max_ms": max(times)}


# --- main -----------------------------------------------------------------------------------------


class _Visitors:
    """The requests wrk sends: new sessions, returning ones, and the baseline view's."""

    def __init__(self, port: int, company_id: str, connections: int) -> None:
        self.port = port
        self.company_id = company_id
        self.connections = connections
        self.made: list[str] = []  # the sessions of the new-session requests built for one run of wrk
        self.sent: list[str] = []  # those wrk sent, over all runs
        self.returning: list[str] = []  # the sessions returning visits cycle through
        self.pages = 0

    def kinds(self) -> dict[str, Callable[..., Result]]:
        return {
            "baseline: Django view + 1 Redis call": self.fire_base,
            "DNI, new sessions": self.fire_new,
            RETURNING: self.fire_returning,
        }

    def new_session(self) -> bytes:
        session = uuid.uuid4().hex
        self.made.append(session)
        return _visit(self.port, self.company_id, session, "landing", first=True)

    def fire_new(self, seconds: float, connections: int | None = None) -> Result:
        self.made.clear()
        result = fire(self.port, self.new_session, HAS_NUMBER, seconds, connections or self.connections, rate=RATE)
        self.sent.extend(self.made[i] for i in result.sent)
        return result

    def returning_session(self) -> bytes:
        self.pages += 1
        session = self.returning[self.pages % len(self.returning)]
        return _visit(self.port, self.company_id, session, f"page{self.pages % 50}")

    def fire_returning(self, seconds: float, connections: int | None = None) -> Result:
        return fire(
            self.port,
            self.returning_session,
            HAS_NUMBER,
            seconds,
            connections or self.connections,
            rate=RATE,
            repeat=True,
        )

    def fire_base(self, seconds: float, connections: int | None = None) -> Result:
        return fire_baseline(self.port, seconds, connections or self.connections, rate=RATE)

    def return_latest(self) -> None:
        """Returning visits from now on are those of the last 4,000 new sessions sent."""
        self.returning = self.sent[-4000:]


RETURNING = "DNI, returning sessions"


@dataclass
class _WebFigures:
    rows: list[tuple[str, Result]]  # each kind over all rounds, the baseline first
    per_round: dict[str, list[float]]  # each kind's req/s in each round
    short_queue: dict[str, Result]  # each kind at one connection per server thread
    threads: int

    def round_ratios(self, name: str) -> list[float]:
        """This kind's req/s over the baseline's, round by round, sorted; a round in which the
        baseline got no answer (a stalled server on a busy machine) has no ratio."""
        base_rounds = self.per_round[self.rows[0][0]]
        return sorted(rate / base for rate, base in zip(self.per_round[name], base_rounds, strict=True) if base)


def _web_figures(visitors: _Visitors, rounds: int, seconds: float) -> _WebFigures:
    """The three kinds in interleaved rounds, then again at one connection per server thread."""
    kinds = visitors.kinds()
    visitors.fire_base(1.0)  # warm up: every thread's connections, prepared statements and caches
    visitors.fire_new(2.0)
    visitors.return_latest()
    visitors.fire_returning(0.5)
    totals = {name: Result() for name in kinds}
    per_round: dict[str, list[float]] = {name: [] for name in kinds}
    for _ in range(rounds):
        for name, run in kinds.items():
            if name == RETURNING:
                visitors.return_latest()
            part = run(seconds / rounds)
            per_round[name].append(part.rate)
            totals[name].add(part)
    # The same at as many connections as the server has threads: its own latency, without
    # the wait of 64 connections queuing for 8 threads.
    shape = WebShape.configured()
    threads = shape.workers * shape.threads
    visitors.return_latest()
    short_queue = {name: run(3.0, threads) for name, run in kinds.items()}
    return _WebFigures(list(totals.items()), per_round, short_queue, threads)


def main() -> None:
    django_setup("dni")
    import logging

    logging.getLogger("tracking").setLevel(logging.WARNING)
    from django.db import connection

    seconds = float(os.environ.get("BENCH_DNI_SECONDS", "12"))
    rounds = int(os.environ.get("BENCH_DNI_ROUNDS", "8"))
    connections = int(os.environ.get("BENCH_DNI_CONNECTIONS", "64"))
    pool_size = int(os.environ.get("BENCH_DNI_POOL", "60000"))
    company_id, tracker_id = _world(pool_size)
    connection.close()

    port = free_port()
    server = start_gunicorn(port)
    try:
        web = _web_figures(_Visitors(port, company_id, connections), rounds, seconds)
        swap = _swap_figures(port, company_id)
    finally:
        stop(server)
    # Returning visitors' page views wait in Redis for a worker; write them as it would.
    from tracking.page_views import page_views_flush

    started = time.perf_counter()
    written = page_views_flush(scope=tracker_id, limit=10**7)
    flush_rate = written / max(time.perf_counter() - started, 1e-9)
    redis_ops = _redis_figures(int(os.environ.get("BENCH_DNI_REDIS_OPS", "20000")))

    print(
        f"{gunicorn_shape()}, {connections} connections, {seconds:.0f} s per measurement"
        f" in {rounds} rounds, pool of {pool_size:,}"
    )
    _print_web(web)
    _print_redis(redis_ops)
    print(f"\npage views buffered by returning visits, written by the worker: {written:,} at {flush_rate:,.0f} rows/s")
    if swap:
        print(
            f"\nswap.js, {swap['nodes']:,}-node page in Chromium: median {swap['median_ms']:.2f} ms, "
            f"max {swap['max_ms']:.2f} ms (15 runs)"
        )
    _print_targets(web, redis_ops, swap)


def _ratio(value: float, base: float) -> float:
    """``value / base``, NaN (printed ``nan%``) when the baseline measured nothing."""
    return value / base if base else math.nan


def _median(ratios: list[float]) -> float:
    return statistics.median(ratios) if ratios else math.nan


def _print_web(web: _WebFigures) -> None:
    baseline = web.rows[0][1].rate
    print(
        f"{'measurement':40} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs baseline':>12}"
        f" {'rounds: median (range)':>24}"
    )
    for name, result in web.rows:
        ratios = web.round_ratios(name)
        print(
            f"{name:40} {result.rate:8.0f} {result.pct(50):8.1f} {result.pct(99):8.1f} {result.errors:7d}"
            f" {_ratio(result.rate, baseline):11.0%}"
            f" {_median(ratios):12.0%} ({ratios[0] if ratios else math.nan:.0%}-{ratios[-1] if ratios else math.nan:.0%})"
        )
    print(f"\nat {web.threads} connections (one per server thread):")
    for name, result in web.short_queue.items():
        print(f"{name:40} {result.rate:8.0f} {result.pct(50):8.1f} {result.pct(99):8.1f} {result.errors:7d}")
    if any(result.errors for _, result in [*web.rows, *web.short_queue.items()]):
        print("errors: answers other than a 200 with the pool number (did the pool run out? raise BENCH_DNI_POOL)")


def _print_redis(redis_ops: dict[str, float]) -> None:
    print(f"\n{'Redis, one client':40} {'ops/s':>8} {'vs SET':>8}")
    for name in ("SET", "allocate (new session)", "touch (returning session)"):
        print(f"{name:40} {redis_ops[name]:8.0f} {redis_ops[name] / redis_ops['SET']:8.0%}")
    for name in ("SET, pipelined x16", "allocate, pipelined x16"):
        print(f"{name:40} {redis_ops[name]:8.0f} {redis_ops[name] / redis_ops['SET, pipelined x16']:8.0%}")


def _print_targets(web: _WebFigures, redis_ops: dict[str, float], swap: dict[str, float] | None) -> None:
    baseline = web.rows[0][1].rate
    (new_name, new), (returning_name, returning_result) = web.rows[1], web.rows[2]
    print(
        "\ntargets: returning >= 70% of baseline: {:.0%} (rounds' median {:.0%}); new >= 40%: {:.0%} "
        "(rounds' median {:.0%}); p99 <= 25 ms: {:.1f} / {:.1f} ms ({:.1f} / {:.1f} ms at {} connections); allocate >= 50% of SET: {:.0%}; "
        "swap <= 10 ms: {}".format(
            _ratio(returning_result.rate, baseline),
            _median(web.round_ratios(returning_name)),
            _ratio(new.rate, baseline),
            _median(web.round_ratios(new_name)),
            new.pct(99),
            returning_result.pct(99),
            web.short_queue[new_name].pct(99),
            web.short_queue[returning_name].pct(99),
            web.threads,
            redis_ops["allocate (new session)"] / redis_ops["SET"],
            f"{swap['median_ms']:.2f} ms" if swap else "n/a",
        )
    )
