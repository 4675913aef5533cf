"""Dashboard pages over a large call table (``python -m bench dashboard`` under ``callrail.testenv``,
or ``make bench dashboard``).

Loads ``BENCH_DASHBOARD_CALLS`` calls (default 1,000,000) exactly as ``bench api`` does (20
companies of one account over 24 months, COPY), then measures server time in-process through
Django's test client, each page next to the API request that gives the same figures, in the
same run:

- the Overview over 30 and 90 days (and 30 days compared with the 30 before), against the API's
  summary grouped by source over the same days;
- the sources report over 30 and 90 days, against the same summary.

Prints p50 and p99 per measurement and the ratio of the p50s (target: the Overview within 2x
the API summary); each page is sampled in turn with its API request, and the ratio is of
those p50s. A measurement is one ``Bench.add`` line: a name, a request, and the name of
the measurement it is compared with. Needs PostgreSQL and Redis, which testenv provides.
``BENCH_DASHBOARD_ITERATIONS`` sets the samples per measurement (default 40).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from bench.bench_api import measure_interleaved
from bench.common import dashboard_clients, django_setup, measure

SUMMARY_FIELDS = "total_calls,missed_calls,answered_calls,first_time_callers,average_duration,leads"


@dataclass
class Measurement:
    name: str
    p50: float
    p99: float
    baseline: str | None
    baseline_p50: float | None = None  # the baseline's, sampled in turn with this one


@dataclass
class Bench:
    """Measurements taken in order, each compared with an earlier one (its baseline). A page
    and its baseline are sampled in turn, so a busy moment of a shared machine weighs on both."""

    iterations: int
    done: dict[str, Measurement] = field(default_factory=dict)
    requests: dict[str, Callable[[], Any]] = field(default_factory=dict)

    def add(self, name: str, request: Callable[[], Any], baseline: str | None = None) -> None:
        self.requests[name] = request
        if baseline is None:
            p50, p99 = measure(request, self.iterations)
            self.done[name] = Measurement(name, p50, p99, None)
            print(f"  {name}: p50 {p50:.1f} ms, p99 {p99:.1f} ms", flush=True)
            return
        (p50, p99), (base50, _) = measure_interleaved([request, self.requests[baseline]], self.iterations)
        self.done[name] = Measurement(name, p50, p99, baseline, base50)
        print(f"  {name}: p50 {p50:.1f} ms, p99 {p99:.1f} ms ({baseline} beside it: {base50:.1f} ms)", flush=True)

    def report(self) -> None:
        print(f"\n{'measurement':40} {'p50 ms':>8} {'p99 ms':>8}   {'compared with':32} {'p50 ms':>8} {'ratio':>6}")
        for item in self.done.values():
            line = f"{item.name:40} {item.p50:8.1f} {item.p99:8.1f}"
            if item.baseline and item.baseline_p50:
                line += f"   {item.baseline:32} {item.baseline_p50:8.1f} {item.p50 / item.baseline_p50:6.2f}"
            print(line)


def _days(count: int) -> dict[str, str]:
    """The last ``count`` whole days before today (the API's and the dashboard's custom range)."""
    today = date.today()
    return {
        "start_date": (today - timedelta(days=count)).isoformat(),
        "end_date": (today - timedelta(days=1)).isoformat(),
    }


def main() -> None:
    django_setup("dashboard")
    count = int(os.environ.get("BENCH_DASHBOARD_CALLS", "1000000"))
    iterations = int(os.environ.get("BENCH_DASHBOARD_ITERATIONS", "40"))
    account, api, browser = dashboard_clients(count)
    base = f"/v3/a/{account.public_id}"

    def get(client: Any, path: str, params: dict[str, str]) -> Callable[[], Any]:
        def run() -> Any:
            response = client.get(path, params)
            if response.status_code != 200:
                raise SystemExit(f"{path} {params} → {response.status_code} {response.content[:300]!r}")
            return response

        return run

    thirty, ninety = {"date_range": "last_30_days"}, _days(90)
    summary = {"group_by": "source", "fields": SUMMARY_FIELDS}
    bench = Bench(iterations)
    print(f"{count:,} calls, 20 companies, all companies shown; {iterations} samples each", flush=True)

    bench.add("API summary by source, 30 days", get(api, f"{base}/calls/summary.json", {**summary, **thirty}))
    bench.add("API summary by source, 90 days", get(api, f"{base}/calls/summary.json", {**summary, **ninety}))
    bench.add("overview, 30 days", get(browser, "/", thirty), "API summary by source, 30 days")
    bench.add("overview, 90 days", get(browser, "/", ninety), "API summary by source, 90 days")
    bench.add(
        "overview, 30 days vs previous 30",
        get(browser, "/", {**thirty, "compare": "previous"}),
        "API summary by source, 30 days",
    )
    bench.add("sources report, 30 days", get(browser, "/reports/source/", thirty), "API summary by source, 30 days")
    bench.add("sources report, 90 days", get(browser, "/reports/source/", ninety), "API summary by source, 90 days")
    bench.report()


if __name__ == "__main__":
    main()
