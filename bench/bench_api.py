"""v3 API read paths over a large call table (``python -m bench api`` under ``callrail.testenv``).

Loads ``BENCH_API_CALLS`` calls (default 1,000,000) spread over the last 24 months and
20 companies of one account with COPY, then measures in-process through Django's test
client, each next to ``SELECT count(*)`` over the same rows in the same run:

- the first page of the call list, and the 1,000th page reached by relative pagination;
- a summary grouped by source over 30 days;
- a daily time series over 90 days.

Needs PostgreSQL (``DATABASE_URL``) and Redis (``REDIS_URL``), which testenv provides.
``BENCH_API_ITERATIONS`` sets the samples per measurement (default 40).
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bench.common import django_setup, measure
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
    p50, p99 = measure(lambda: get(url), iterations)
    rows.append((f"calls list, page {pages} (relative)", p50, p99, "count(*) all calls", base50))

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
    print(f"{'measurement':38} {'p50 ms':>8} {'p99 ms':>8}   {'baseline':20} {'p50 ms':>8} {'p50 ratio':>9}")
    for name, p50, p99, baseline, baseline_p50 in rows:
        print(f"{name:38} {p50:8.1f} {p99:8.1f}   {baseline:20} {baseline_p50:8.1f} {p50 / baseline_p50:9.2f}")


if __name__ == "__main__":
    main()
