"""v3 API read paths over a large call table (``python -m bench api`` under ``callrail.testenv``).

Loads ``BENCH_API_CALLS`` calls (default 1,000,000) spread over the last 24 months and
20 companies of one account with COPY, then measures in-process through Django's test
client, each next to ``SELECT count(*)`` over the same rows in the same run:

- the first page of the call list; its 1,000th page reached by relative pagination
  (following ``next_page``, whose cursor the page seeks from), and the same page asked
  for with ``offset=999`` and no cursor, as CallRail's own ``next_page`` links and
  clients that build page URLs do: reached by a walk by offset, and jumped to; beside
  them the page's query with SQL ``OFFSET``, the way such pages were read before;
- a summary grouped by source over 30 days;
- a daily time series over 90 days.

Needs PostgreSQL (``DATABASE_URL``) and Redis (``REDIS_URL``), which testenv provides.
``BENCH_API_ITERATIONS`` sets the samples per measurement (default 40).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bench.common import django_setup, measure, percentile
from callrail.db import column_name

SOURCES = ("google_paid", "google_organic", "bing_paid", "direct", "facebook.com", "offline", "yahoo_organic")
COMPANIES = 20
DAYS = 720


def _load(count: int) -> tuple[Any, list[Any]]:
    """One account, 20 companies, ``count`` calls in time order (as they would arrive)."""
    from django.db import connection

    from accounts.models import Account, Company
    from telephony.models import Call

    account = Account.objects.create(name="Bench agency", time_zone="America/New_York")
    companies = [Company.objects.create(account=account, name=f"Company {n:02d}") for n in range(COMPANIES)]
    fields = [f for f in Call._meta.concrete_fields if not f.primary_key]
    columns = [column_name(f) for f in fields]
    now = datetime.now().astimezone()
    start = now - timedelta(days=DAYS)
    step = (DAYS * 86400) / count
    varied = _varied_columns(account.pk, [company.pk for company in companies], random.Random(42))
    fillers = [varied.get(field.name) or _default_filler(field) for field in fields]

    started = time.perf_counter()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {Call._meta.db_table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for i in range(count):
            moment = start + timedelta(seconds=i * step)
            copy.write_row([fill(i, moment) for fill in fillers])
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {Call._meta.db_table}")
        # One pass straight after the bulk load leaves much of the visibility map unset; a
        # second sets the rest, as autovacuum has on a table in steady state. Index-only
        # scans (counts, where an offset page starts) depend on it.
        cursor.execute(f"VACUUM {Call._meta.db_table}")
    print(f"loaded {count:,} calls in {time.perf_counter() - started:.1f} s", flush=True)
    return account, companies


# The value of one column of the i-th call, which starts at ``moment``.
Filler = Callable[[int, datetime], Any]


def _varied_columns(account_pk: int, company_pks: list[int], rng: random.Random) -> dict[str, Filler]:
    """How the columns that vary from call to call are filled, by field name."""
    return {
        "public_id": lambda i, moment: "CAL" + uuid.UUID(int=rng.getrandbits(128), version=4).hex,
        "numeric_id": lambda i, moment: 100_000_000 + i,
        "account": lambda i, moment: account_pk,
        "company": lambda i, moment: company_pks[i % COMPANIES],
        "start_time": lambda i, moment: moment,
        "created_at": lambda i, moment: moment,
        "updated_at": lambda i, moment: moment,
        "answered": lambda i, moment: i % 5 != 0,
        "voicemail": lambda i, moment: i % 10 == 0,
        "duration": lambda i, moment: 20 + i % 400,
        "status": lambda i, moment: "completed",
        "direction": lambda i, moment: "outbound" if i % 17 == 0 else "inbound",
        "source": lambda i, moment: SOURCES[i % len(SOURCES)],
        "first_call": lambda i, moment: i % 3 == 0,
        "lead_status": lambda i, moment: "good_lead" if i % 7 == 0 else None,
        "spam": lambda i, moment: i % 101 == 0,
        "device_type": lambda i, moment: "mobile" if i % 2 else "desktop",
        "tracking_phone_number": lambda i, moment: f"+1404555{i % 10000:04d}",
        "customer_phone_number": lambda i, moment: f"+1770{i % 9000000 + 1000000}",
        "customer_name": lambda i, moment: f"Caller {i}",
    }


def _default_filler(field: Any) -> Filler:
    """Any other column: NULL when it may be and has no default, else its default (JSON as text)."""
    if field.null and not field.has_default():
        return lambda i, moment: None

    def default(i: int, moment: datetime) -> Any:
        value = field.get_default()
        return json.dumps(value) if isinstance(value, (dict, list)) else value

    return default


def measure_interleaved(fns: list[Callable[[], Any]], iterations: int) -> list[tuple[float, float]]:
    """Like ``measure``, for several calls sampled in turn; (median, p99) ms for each."""
    for fn in fns:
        fn()
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(iterations):
        for fn, taken in zip(fns, samples, strict=True):
            started = time.perf_counter()
            fn()
            taken.append((time.perf_counter() - started) * 1000)
    return [(statistics.median(taken), percentile(taken, 99)) for taken in samples]


def main() -> None:
    django_setup("api")
    from django.conf import settings
    from django.db import connection
    from rest_framework.test import APIClient

    from accounts.models import User
    from accounts.services import api_key_create

    count = int(os.environ.get("BENCH_API_CALLS", "1000000"))
    iterations = int(os.environ.get("BENCH_API_ITERATIONS", "40"))
    # The bench sends thousands of requests: the per-account API budget is not under test.
    settings.API_RATE_LIMITS = {"general": (10**9, 10**9)}
    settings.ALLOWED_HOSTS = ["*"]

    account, _ = _load(count)
    user = User.objects.create_user(email="bench@example.com", account=account, role=User.Role.ADMIN)
    _, key = api_key_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f'Token token="{key}"')
    base = f"/v3/a/{account.public_id}"

    def get(path: str) -> dict[str, Any]:
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path} → {response.status_code} {response.content[:300]!r}")
        return response.json()

    def count_rows(days: int | None) -> Callable[[], int]:
        sql = "SELECT count(*) FROM telephony_call WHERE account_id = %s AND spam = false"
        params: list[Any] = [account.pk]
        if days is not None:
            sql += " AND start_time >= now() - make_interval(days => %s) AND start_time < now()"
            params.append(days)

        def run() -> int:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchone()[0]

        return run

    rows: list[tuple[str, float, float, str, float]] = []

    first_page = f"{base}/calls.json?relative_pagination=true&per_page=100&date_range=all_time"
    p50, p99 = measure(lambda: get(first_page), iterations)
    base50, _ = measure(count_rows(None), iterations)
    rows.append(("calls list, first page (100 rows)", p50, p99, "count(*) all calls", base50))

    # Walk to the 1,000th page the way a client does: by following next_page.
    url = first_page
    visible = count_rows(None)()
    pages = min(1000, max(1, visible // 100))
    walk_started = time.perf_counter()
    for _ in range(pages - 1):
        url = get(url)["next_page"].replace("http://testserver", "")
    walk = time.perf_counter() - walk_started
    # The same page by offset alone: first as a walk by offset reaches it (page 999 was
    # served just before, so where page 1,000 starts is known), then as a jump to it
    # (a query not seen before: the start is read from the index). Each set of samples
    # is taken in alternation with the cursor page, so load on the machine hits both alike.
    offset_url = f"{first_page}&offset={pages - 1}"
    get(f"{first_page}&offset={pages - 2}")
    if [row["id"] for row in get(offset_url)["calls"]] != [row["id"] for row in get(url)["calls"]]:
        raise SystemExit(f"offset={pages - 1} and the cursor disagree on page {pages}")
    jumps = iter(range(10**6))
    (cursor50, cursor99), (walk50, walk99), (jump50, jump99) = measure_interleaved(
        [lambda: get(url), lambda: get(offset_url), lambda: get(f"{offset_url}&sample={next(jumps)}")], iterations
    )
    rows.append((f"calls list, page {pages} (cursor)", cursor50, cursor99, "count(*) all calls", base50))
    rows.append((f"  page {pages} by offset, walking by offset", walk50, walk99, "count(*) all calls", base50))
    rows.append((f"  page {pages} by offset, jumping to it", jump50, jump99, "count(*) all calls", base50))

    # For comparison, what the offset page cost before: the page's own query with SQL OFFSET
    # (the query alone, without the request around it).
    from telephony.models import Call

    skipped = (pages - 1) * 100
    by_offset = Call.objects.filter(account=account, spam=False).select_related("agent").order_by("-start_time", "-id")
    p50, p99 = measure(lambda: list(by_offset[skipped : skipped + 101]), iterations)
    rows.append((f"  (before: page {pages} query alone, SQL OFFSET)", p50, p99, "count(*) all calls", base50))

    summary = (
        f"{base}/calls/summary.json?group_by=source&date_range=last_30_days"
        "&fields=total_calls,missed_calls,answered_calls,first_time_callers,average_duration,leads"
    )
    p50, p99 = measure(lambda: get(summary), iterations)
    base30, _ = measure(count_rows(30), iterations)
    rows.append(("summary by source, 30 days", p50, p99, "count(*) 30 days", base30))

    today = datetime.now().date()
    series = (
        f"{base}/calls/timeseries.json?interval=day&start_date={(today - timedelta(days=89)).isoformat()}"
        f"&end_date={today.isoformat()}&fields=total_calls,answered_calls,average_duration,leads"
    )
    p50, p99 = measure(lambda: get(series), iterations)
    base90, _ = measure(count_rows(90), iterations)
    rows.append(("timeseries daily, 90 days", p50, p99, "count(*) 90 days", base90))

    print(
        f"{count:,} calls, {COMPANIES} companies; {iterations} samples each; walked {pages - 1} pages in {walk:.1f} s"
    )
    print(f"{'measurement':44} {'p50 ms':>8} {'p99 ms':>8}   {'baseline':20} {'p50 ms':>8} {'p50 ratio':>9}")
    for name, p50, p99, baseline, baseline_p50 in rows:
        print(f"{name:44} {p50:8.1f} {p99:8.1f}   {baseline:20} {baseline_p50:8.1f} {p50 / baseline_p50:9.2f}")
    print(f"page {pages} by offset / by cursor (p50): walking {walk50 / cursor50:.2f}, jumping {jump50 / cursor50:.2f}")


if __name__ == "__main__":
    main()
