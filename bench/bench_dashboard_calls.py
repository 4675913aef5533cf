"""The dashboard's call log over a large call table, next to the v3 API's call list for the
same question in the same run (``python -m bench dashboard_calls`` under ``callrail.testenv``).

Loads ``BENCH_DASHBOARD_CALLS`` calls (default 1,000,000) spread over the last 24 months and 20
companies of one account (the API benchmark's loader), then measures in process, through
Django's test client, the server time of:

- the call log's first page, and its 1,000th page (reached by its keyset link), with a filter
  (answered calls) and a search, 25 rows a page, over the whole two years;
- the API's call list for the same filter, search, period and page size: the first page and
  the 1,000th by relative pagination (its ``next_page`` cursor).

Both pages ask the database the same question (``telephony.selectors``); the call log also
renders its filters and a page of HTML. Target: the call log within 1.5x the API's list.
The two are called in turn, sample after sample, so a busy moment of a shared machine weighs
on both alike. ``BENCH_DASHBOARD_ITERATIONS`` sets the samples per measurement (default 40).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import urlencode

from bench.common import dashboard_clients, django_setup, percentile

PER_PAGE = 25
PAGE = 1000
TARGET = 1.5


def measure_alternately(fns: list[Callable[[], Any]], iterations: int) -> list[tuple[float, float]]:
    """Like ``bench.common.measure`` for several functions at once, called in turn, so that
    a busy moment of a shared machine slows them all alike; (median, p99) ms for each."""
    for fn in fns:
        fn()  # warm caches and query plans
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(iterations):
        for fn, times in zip(fns, samples, strict=True):
            started = time.perf_counter()
            fn()
            times.append((time.perf_counter() - started) * 1000)
    return [(statistics.median(times), percentile(times, 99)) for times in samples]


def _deep_cursor(account: Any, filters: Any, window: Any) -> Any:
    """The keyset cursor of page ``PAGE`` (or the last full page, with fewer calls): the last
    row of the page before, found once with an OFFSET here (outside the timings), exactly where
    walking the pages would arrive."""
    from telephony.selectors import CallSort, Cursor, call_log

    sort = CallSort()
    queryset = call_log(
        account=account, company_ids=None, start=window.start, end=window.end, filters=filters, sort=sort
    )
    page = min(PAGE, max(2, queryset.count() // PER_PAGE))
    last = queryset[(page - 1) * PER_PAGE - 1]
    return Cursor(key=last.start_time, id=last.pk, page=page)


def main() -> None:
    django_setup("dashboard_calls")
    from api.v3.pagination import encode_cursor
    from callrail import dates
    from dashboard.call_log import cursor_token
    from dashboard.state import DashboardState
    from telephony.selectors import CallFilters

    count = int(os.environ.get("BENCH_DASHBOARD_CALLS", "1000000"))
    iterations = int(os.environ.get("BENCH_DASHBOARD_ITERATIONS", "40"))
    account, api, browser = dashboard_clients(count)

    # Two years of calls, the filter and the search both interfaces are asked.
    zone = account.time_zone
    today = dates.local_today(dates.zone_get(zone))
    period = {"start_date": (today - timedelta(days=719)).isoformat(), "end_date": today.isoformat()}
    question = {"answer_status": "answered", "search": "caller 1"}
    log_query = {**period, **question, "per_page": str(PER_PAGE)}
    api_query = {**period, **question, "per_page": str(PER_PAGE), "time_zone": zone, "relative_pagination": "true"}
    window, _ = DashboardState.from_query(period).window(zone)
    cursor = _deep_cursor(account, CallFilters(answer_status="answered", search="caller 1"), window)

    def get(client: Any, path: str) -> Any:
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path} → {response.status_code} {response.content[:300]!r}")
        return response

    log_first = "/calls/?" + urlencode(log_query)
    log_deep = "/calls/?" + urlencode({**log_query, "page": cursor_token(cursor)})
    api_first = f"/v3/a/{account.public_id}/calls.json?" + urlencode(api_query)
    api_deep = api_first + "&" + urlencode({"cursor": encode_cursor(cursor.key, cursor.id), "offset": cursor.page - 1})

    # Both deep pages must be the same calls, or the comparison means nothing.
    deep_ids = [row["id"] for row in get(api, api_deep).json()["calls"]]
    assert deep_ids and all(
        f'data-call-id="{call_id}"' in get(browser, log_deep).content.decode() for call_id in deep_ids
    )

    rows = []
    for name, log_path, api_path in (
        ("page 1", log_first, api_first),
        (f"page {cursor.page:,}", log_deep, api_deep),
    ):
        (log50, log99), (api50, api99) = measure_alternately(
            [partial(get, browser, log_path), partial(get, api, api_path)], iterations
        )
        rows.append((name, log50, log99, api50, api99))

    print(f"{count:,} calls; answered + search 'caller 1' over 720 days; {PER_PAGE} rows a page; {iterations} samples")
    header = f"{'call log':14} {'log p50':>8} {'log p99':>8}   {'API p50':>8} {'API p99':>8} {'p50 ratio':>9}"
    print(header)
    worst = 0.0
    for name, log50, log99, api50, api99 in rows:
        ratio = log50 / api50
        worst = max(worst, ratio)
        print(f"{name:14} {log50:8.1f} {log99:8.1f}   {api50:8.1f} {api99:8.1f} {ratio:9.2f}")
    print(f"target: the call log within {TARGET}x the API's list: {'met' if worst <= TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
