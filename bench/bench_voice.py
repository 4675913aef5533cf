"""The inbound voice webhook under load (``python -m bench voice`` under ``callrail.testenv``).

Loads visitor sessions, their number-assignment log and calls into PostgreSQL
(server-side ``INSERT … SELECT generate_series``), holds every pool number for a
live visit in Redis, starts gunicorn as ``make run``/compose do (gthread, 2 workers
× 4 threads), and sends signed Twilio voice webhooks (each with a CallSid of its
own, signed before the run and sent once) with wrk on 8 keep-alive connections:
requests/s, p50 and p99, next to the DNI benchmark's minimal view
(``/dni/_baseline``: one Redis round trip) measured the same way in the same run.
The webhook is measured twice, at a tenth of the rows and at all of them, to show
whether it stays flat as the tables grow.

Environment: ``BENCH_VOICE_CALLS`` (default 1,000,000), ``BENCH_VOICE_SESSIONS``
(default 100,000), ``BENCH_VOICE_SECONDS`` per measurement (default 8),
``BENCH_VOICE_CONNECTIONS`` (default 8).
"""

from __future__ import annotations

import contextlib
import os
import random
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

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
from telephony.twilio import signature_compute

COMPANIES = 40
WARM_UP_SECONDS = 5.0
POOL_SIZE = 8
CUSTOMERS = 250_000
DAYS = 730
SPAN = DAYS * 86400  # seconds the loaded rows spread over
SOURCES = ("google_paid", "google_organic", "bing_paid", "direct", "facebook.com", "yahoo_organic")


# --- data -------------------------------------------------------------------------------


@dataclass
class World:
    account: Any
    companies: list[Any]
    trackers: list[Any]  # one session tracker per company
    numbers: list[Any]  # POOL_SIZE per tracker, in tracker order
    session_total: int  # sessions and calls loaded by the end of the run
    call_total: int
    first_session_id: int = 0
    sessions: int = 0
    calls: int = 0


def _world(session_total: int, call_total: int) -> World:
    from accounts.models import Account, Company
    from tracking.models import CallFlow, Tracker, TrackingNumber

    account = Account.objects.create(name="Bench agency")
    companies, trackers, numbers = [], [], []
    for k in range(COMPANIES):
        company = Company.objects.create(account=account, name=f"Company {k:02d}")
        flow = CallFlow.objects.create(
            account=account,
            company=company,
            definition={
                "type": "basic",
                "destination_number": f"+1404555{k:04d}",
                "recording_enabled": True,
                "greeting_text": "This call may be recorded.",
                "greeting_recording_url": None,
            },
        )
        tracker = Tracker.objects.create(
            account=account,
            company=company,
            name=f"Website {k:02d}",
            type=Tracker.Type.SESSION,
            call_flow=flow,
            source={"type": "all"},
            pool_size=POOL_SIZE,
            whisper_message="Call from [source]",
        )
        for n in range(POOL_SIZE):
            area = 200 + (k * POOL_SIZE + n) // 100
            numbers.append(
                TrackingNumber.objects.create(
                    account=account, tracker=tracker, number=f"+1{area}5550{100 + (k * POOL_SIZE + n) % 100:03d}"
                )
            )
        companies.append(company)
        trackers.append(tracker)
    return World(
        account=account,
        companies=companies,
        trackers=trackers,
        numbers=numbers,
        session_total=session_total,
        call_total=call_total,
    )


def _columns(model: Any, overrides: dict[str, str]) -> tuple[list[str], list[str]]:
    """Column names and SQL expressions for every concrete column of ``model``."""
    columns, expressions = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if field.column in overrides:
            expressions.append(overrides[field.column])
        elif field.null:
            expressions.append("NULL")
        elif field.get_internal_type() == "JSONField":
            expressions.append("'[]'::jsonb" if field.get_default() == [] else "'{}'::jsonb")
        elif field.get_internal_type() == "BooleanField":
            expressions.append("false")
        elif field.get_internal_type() in ("DateTimeField",):
            expressions.append("now()")
        elif field.get_internal_type() in ("PositiveIntegerField", "IntegerField", "BigIntegerField"):
            expressions.append("0")
        else:
            expressions.append("''")
    return columns, expressions


def _load_sessions(world: World, start: int, count: int) -> None:
    """Sessions ``start`` .. ``start+count-1``, each with its (ended) hold in the assignment log."""
    from django.db import connection

    from tracking.models import NumberAssignment, VisitorSession

    company_ids = [c.pk for c in world.companies]
    tracker_ids = [t.pk for t in world.trackers]
    number_ids = [n.pk for n in world.numbers]
    when = f"now() - make_interval(secs => ({SPAN} - g * {SPAN / max(1, world.session_total)}))"
    columns, expressions = _columns(
        VisitorSession,
        {
            "created_at": when,
            "updated_at": when,
            "last_seen_at": when,
            "account_id": str(world.account.pk),
            "company_id": f"(%(companies)s::bigint[])[1 + mod(g, {COMPANIES})]",
            "tracker_id": f"(%(trackers)s::bigint[])[1 + mod(g, {COMPANIES})]",
            "visitor_id": "md5('v' || g)",
            "session_key": "'bench-' || g",
            "landing_url": "'https://example.com/landing?utm_source=google&gclid=' || g",
            "referrer_url": "'https://www.google.com/'",
            "utm_source": "'google'",
            "utm_medium": "'cpc'",
            "utm_campaign": "'campaign-' || mod(g, 50)",
            "gclid": "'gclid' || g",
            "source": f"(%(sources)s::text[])[1 + mod(g, {len(SOURCES)})]",
            "device_type": "CASE WHEN mod(g, 2) = 0 THEN 'mobile' ELSE 'desktop' END",
        },
    )
    params = {"companies": company_ids, "trackers": tracker_ids, "sources": list(SOURCES), "numbers": number_ids}
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {VisitorSession._meta.db_table} ({', '.join(columns)}) "
            f"SELECT {', '.join(expressions)} FROM generate_series({start}::bigint, {start + count - 1}::bigint) AS g",
            params,
        )
        cursor.execute(f"SELECT min(id) FROM {VisitorSession._meta.db_table} WHERE session_key LIKE 'bench-%%'")
        world.first_session_id = cursor.fetchone()[0]
        cursor.execute(
            f"INSERT INTO {NumberAssignment._meta.db_table} "
            "(account_id, tracker_id, tracking_number_id, session_id, started_at, expires_at, ended_at) "
            f"SELECT s.account_id, s.tracker_id, (%(numbers)s::bigint[])[1 + mod(g, {COMPANIES}) * {POOL_SIZE}"
            f" + mod(g / {COMPANIES}, {POOL_SIZE})], s.id, s.created_at, s.created_at + interval '30 minutes',"
            " s.created_at + interval '30 minutes' "
            f"FROM generate_series({start}::bigint, {start + count - 1}::bigint) AS g "
            f"JOIN {VisitorSession._meta.db_table} s ON s.company_id = (%(companies)s::bigint[])[1 + mod(g, {COMPANIES})]"
            " AND s.session_key = 'bench-' || g",
            params,
        )
    world.sessions += count


def _load_calls(world: World, start: int, count: int) -> None:
    """Calls ``start`` .. ``start+count-1``: each customer calls one company, about 4 times in all."""
    from django.db import connection

    from telephony.models import Call

    customer = f"mod(g * 7919, {CUSTOMERS})"
    company = f"mod({customer}, {COMPANIES})"
    number = f"(1 + {company} * {POOL_SIZE} + mod(g, {POOL_SIZE}))"
    when = f"now() - make_interval(secs => ({SPAN} - g * {SPAN / max(1, world.call_total)}))"
    columns, expressions = _columns(
        Call,
        {
            "created_at": when,
            "updated_at": when,
            "start_time": when,
            "public_id": "'CAL' || md5('c' || g)",
            "numeric_id": "100000000 + g",
            "account_id": str(world.account.pk),
            "company_id": f"(%(companies)s::bigint[])[1 + {company}]",
            "tracker_id": f"(%(trackers)s::bigint[])[1 + {company}]",
            "tracking_number_ref_id": f"(%(numbers)s::bigint[])[{number}]",
            "session_id": f"CASE WHEN mod(g, 3) = 0 THEN {world.first_session_id} + mod(g, {max(1, world.sessions)}) END",
            "call_sid": "'CA' || md5('s' || g)",
            "direction": "'inbound'",
            "status": "'completed'",
            "duration": "20 + mod(g, 400)",
            "answered": "mod(g, 5) <> 0",
            "voicemail": "mod(g, 10) = 0",
            "tracking_phone_number": f"(%(phones)s::text[])[{number}]",
            "business_phone_number": "''",
            "customer_phone_number": f"'+1770' || lpad((1000000 + {customer})::text, 7, '0')",
            "customer_city": "'DENVER'",
            "customer_state": "'CO'",
            "customer_country": "'US'",
            "source": f"(%(sources)s::text[])[1 + mod(g, {len(SOURCES)})]",
            "source_name": "'Website'",
            "flow_state": "'{\"dialed\": true}'::jsonb",
        },
    )
    params = {
        "companies": [c.pk for c in world.companies],
        "trackers": [t.pk for t in world.trackers],
        "numbers": [n.pk for n in world.numbers],
        "phones": [n.number for n in world.numbers],
        "sources": list(SOURCES),
    }
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Call._meta.db_table} ({', '.join(columns)}) "
            f"SELECT {', '.join(expressions)} FROM generate_series({start}::bigint, {start + count - 1}::bigint) AS g"
            # A call placed through the webhook meanwhile may hold one of these numeric ids.
            " ON CONFLICT DO NOTHING",
            params,
        )
        world.calls += cursor.rowcount


def _load_people(world: World) -> None:
    """One lead per customer (each customer calls one company), as calls and forms create them."""
    from django.db import connection

    from tracking.models import Person

    columns, expressions = _columns(
        Person,
        {
            "public_id": "'PER' || md5('p' || g)",
            "account_id": str(world.account.pk),
            "company_id": f"(%(companies)s::bigint[])[1 + mod(g, {COMPANIES})]",
            "phone_number": "'+1770' || lpad((1000000 + g)::text, 7, '0')",
            "name": "'Caller ' || g",
        },
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Person._meta.db_table} ({', '.join(columns)}) "
            f"SELECT {', '.join(expressions)} FROM generate_series(0::bigint, {CUSTOMERS - 1}::bigint) AS g",
            {"companies": [c.pk for c in world.companies]},
        )


def _analyze() -> None:
    from django.db import DatabaseError, connection

    with connection.cursor() as cursor:
        for table in ("telephony_call", "tracking_visitorsession", "tracking_numberassignment", "tracking_person"):
            cursor.execute(f"VACUUM ANALYZE {table}")
        # Write the loaded pages out now rather than during the measurement (needs a
        # superuser, as testenv's cluster has; otherwise a checkpoint may overlap).
        with contextlib.suppress(DatabaseError):
            cursor.execute("CHECKPOINT")


def _hold_pools(world: World) -> None:
    """Every pool number held by a visit that is live now (Redis + the assignment log)."""
    from django.utils import timezone

    from tracking import pools
    from tracking.assignments import assignment_open
    from tracking.models import VisitorSession

    client = get_redis()
    now = timezone.now()
    for k, tracker in enumerate(world.trackers):
        for n in range(POOL_SIZE):
            session = VisitorSession.objects.create(
                account=world.account,
                company=world.companies[k],
                tracker=tracker,
                visitor_id=uuid.uuid4().hex,
                session_key=f"live-{k}-{n}",
                landing_url="https://example.com/?utm_source=google&utm_medium=cpc",
                source="google_paid",
                medium="cpc",
                utm_source="google",
                utm_medium="cpc",
            )
            got = pools.allocate(
                client,
                scope=tracker.public_id,
                session_key=session.session_key,
                timeout=tracker.session_timeout,
                pool=True,
                now=now.timestamp(),
            )
            if got.number:
                number = tracker.numbers.get(number=got.number)
                assignment_open(tracker=tracker, tracking_number=number, session=session, at=now)


# --- load generation ----------------------------------------------------------------------


# Responses must contain these; requests are built for this many per second (a generous bound:
# the webhook answers hundreds per second, the baseline a few thousand).
DIAL = b"<Dial"
VOICE_RATE = 3_000
BASELINE_RATE = 12_000


def _voice_requests(world: World, port: int) -> Any:
    """A generator of signed voice webhooks: a random pool number, a caller who may have called before."""
    url = f"http://127.0.0.1:{port}/telephony/twilio/voice"
    rng = random.Random(7)
    lock = threading.Lock()

    def make() -> bytes:
        with lock:
            customer = rng.randrange(CUSTOMERS)
            slot = rng.randrange(POOL_SIZE)
        company = customer % COMPANIES
        number = world.numbers[company * POOL_SIZE + slot].number
        caller = f"+1770{1000000 + customer:07d}"
        params = {
            "AccountSid": "AC" + "5" * 32,
            "ApiVersion": "2010-04-01",
            "CallSid": "CA" + secrets.token_hex(16),
            "CallStatus": "ringing",
            "Called": number,
            "Caller": caller,
            "CallerCity": "DENVER",
            "CallerCountry": "US",
            "CallerState": "CO",
            "CallerZip": "80202",
            "Direction": "inbound",
            "From": caller,
            "FromCity": "DENVER",
            "FromCountry": "US",
            "FromState": "CO",
            "FromZip": "80202",
            "To": number,
            "ToCountry": "US",
        }
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature_compute(url, params),
        }
        return raw_request("POST", "/telephony/twilio/voice", port, urlencode(params).encode(), headers)

    return make


def main() -> None:
    django_setup("voice")
    import logging

    logging.getLogger("tracking").setLevel(logging.WARNING)
    from django.conf import settings
    from django.db import connection

    call_total = int(os.environ.get("BENCH_VOICE_CALLS", "1000000"))
    session_total = int(os.environ.get("BENCH_VOICE_SESSIONS", "100000"))
    seconds = float(os.environ.get("BENCH_VOICE_SECONDS", "8"))
    connections = int(os.environ.get("BENCH_VOICE_CONNECTIONS", "8"))
    # The server signs nothing itself; both sides derive the webhook token from the same secret.
    settings.SECRET_KEY = os.environ.get("SECRET_KEY") or "bench-secret-key"
    settings.TWILIO_AUTH_TOKEN = ""

    world = _world(session_total, call_total)
    started = time.perf_counter()
    _load_people(world)
    tenth_sessions, tenth_calls = session_total // 10, call_total // 10
    _load_sessions(world, 0, tenth_sessions)
    _load_calls(world, 0, tenth_calls)
    _analyze()
    print(
        f"loaded {CUSTOMERS:,} people, {world.calls:,} calls and {world.sessions:,} sessions"
        f" in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    _hold_pools(world)
    connection.close()

    port = free_port()
    server = start_gunicorn(port, env={"TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": ""})
    print(
        f"{connections} connections, {seconds:.0f} s per measurement, {gunicorn_shape()}",
        flush=True,
    )
    print(f"{'measurement':52} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'p50 ratio':>10}", flush=True)
    base: list[Result] = []

    def report(name: str, result: Result) -> None:
        if not base:
            base.append(result)
        print(
            f"{name:52} {result.rate:8.0f} {result.pct(50):8.1f} {result.pct(99):8.1f} {result.errors:7d}"
            f" {result.pct(50) / base[0].pct(50):10.2f}",
            flush=True,
        )

    def fire_voice(seconds: float) -> Result:
        return fire(port, _voice_requests(world, port), DIAL, seconds, connections, rate=VOICE_RATE)

    def fire_base(seconds: float) -> Result:
        return fire_baseline(port, seconds, connections, rate=BASELINE_RATE)

    try:
        # Warm up both paths: long enough for every worker thread to have looked up each of the
        # pool numbers once (a cold lookup costs ~4 ms) and prepared its statements, so the
        # figures are of the steady state the second measurement sees too.
        fire_base(1.5)
        fire_voice(WARM_UP_SECONDS)
        report("baseline /dni/_baseline", fire_base(seconds))
        report(f"voice webhook, {world.calls:,} calls / {world.sessions:,} sessions", fire_voice(seconds))
        started = time.perf_counter()
        _load_sessions(world, tenth_sessions, session_total - tenth_sessions)
        _load_calls(world, tenth_calls, call_total - tenth_calls)
        _analyze()
        connection.close()
        print(
            f"(loaded the rest: now {world.calls:,} calls and {world.sessions:,} sessions,"
            f" in {time.perf_counter() - started:.1f} s)",
            flush=True,
        )
        fire_voice(1.5)
        report(f"voice webhook, {world.calls:,} calls / {world.sessions:,} sessions", fire_voice(seconds))
        report("baseline /dni/_baseline (again)", fire_base(seconds))
    finally:
        stop(server)


if __name__ == "__main__":
    main()
