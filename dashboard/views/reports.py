"""Reports: calls by one dimension at a time (source, medium, campaign, keyword, landing page,
tracker, tag, lead status, time of day, missed calls), each as a bar chart of the top
entries, a line over time and a table with the change against the comparison period,
exportable as CSV. The figures come from ``telephony.reports``, as the API's summaries do.

A report page takes a fixed number of statements: the groups of the period, those of the
comparison period, and one series over both periods (which also gives the totals).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.urls import reverse
from django.views import View

from dashboard import analytics
from dashboard.access import DashboardMixin
from dashboard.analytics import Analytics, Row
from dashboard.views.pages import PageView
from telephony.dimensions import DIMENSIONS
from telephony.reports import CallFigures, call_groups, call_timeseries

# Rows a report page lists; the CSV export has them all.
PAGE_ROWS = 100
# Entries in a report's bar chart.
CHART_ROWS = 10


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    dimension: str
    icon: str
    description: str
    column: str  # the heading of the table's first column
    # "missed": the missed calls report, whose chart, line and order follow missed calls.
    focus: str = "calls"
    # Every group fits on the page (hours of the day, lead statuses): no limit, and hours in order.
    bounded: bool = False

    @property
    def metric(self) -> str:
        return "missed" if self.focus == "missed" else "calls"

    @property
    def metric_label(self) -> str:
        return "Missed calls" if self.focus == "missed" else "Calls"


REPORTS: tuple[Report, ...] = (
    Report(
        "source", "Sources", "source", "signpost-split", "Search engines, ads, referrals and direct visits.", "Source"
    ),
    Report(
        "medium", "Mediums", "medium", "diagram-3", "Paid, organic, email, social: how each visit was bought.", "Medium"
    ),
    Report("campaign", "Campaigns", "campaign", "megaphone", "Which campaigns make the phone ring.", "Campaign"),
    Report("keyword", "Keywords", "keyword", "search", "The search terms behind each call.", "Keyword"),
    Report(
        "landing_page", "Landing pages", "landing_page", "window", "The pages callers landed on first.", "Landing page"
    ),
    Report("tracker", "Trackers", "tracker", "hash", "Calls by tracking number set.", "Tracker"),
    Report("tag", "Tags", "tag", "tags", "Calls by the tags your team gave them.", "Tag"),
    Report(
        "lead_status",
        "Lead status",
        "lead_status",
        "star",
        "Good leads, not leads, and calls not scored yet.",
        "Lead status",
        bounded=True,
    ),
    Report("time_of_day", "Time of day", "hour", "clock", "When callers call, hour by hour.", "Hour", bounded=True),
    Report(
        "missed",
        "Missed calls",
        "source",
        "telephone-x",
        "Unanswered calls and voicemails, by source.",
        "Source",
        focus="missed",
        bounded=True,
    ),
)
REPORTS_BY_SLUG = {report.slug: report for report in REPORTS}


def report_for(slug: str) -> Report:
    try:
        return REPORTS_BY_SLUG[slug]
    except KeyError:
        raise Http404("No such report.") from None


def report_links(state_query: Any, current: str = "") -> list[tuple[Report, str, bool]]:
    """Each report with its link (keeping the page's state and filters)."""
    return [
        (report, reverse("dashboard:report", args=[report.slug]) + state_query, report.slug == current)
        for report in REPORTS
    ]


class ReportsView(PageView):
    """The index of reports."""

    template_name = "dashboard/reports/index.html"
    title = "Reports"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page = Analytics(self.scope)
        names = analytics.tracker_names(page.tracker_ids())
        context.update(
            reports=report_links(page.query()),
            has_calls=page.calls(self.scope.window).exists(),
            chips=page.chips(names),
            clear_query=page.clear_query,
            filter_notices=page.notices,
        )
        return context


class ReportView(PageView):
    template_name = "dashboard/reports/report.html"
    nav = "Reports"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        report = report_for(self.kwargs["slug"])
        self.title = report.title
        context = super().get_context_data(**kwargs)
        scope = self.scope
        page = Analytics(scope)
        series = call_timeseries(page.calls(page.span), window=page.span, interval=analytics.interval_for(scope.window))
        current, previous = analytics.split_span(series.points, scope.window)
        interval = analytics.interval_for(scope.window)
        total = analytics.total_of(current)
        previous_total = analytics.total_of(previous) if scope.previous_window is not None else None

        rows = report_rows(page, report, limit=None if report.bounded else PAGE_ROWS)
        names = analytics.tracker_names(page.tracker_ids())
        context.update(
            report=report,
            reports=report_links(page.query(), report.slug),
            rows=rows,
            more=not report.bounded and len(rows) == PAGE_ROWS,
            total=total,
            total_change=analytics.change_between(
                getattr(total, report.metric),
                getattr(previous_total, report.metric),
                higher_is_better=report.focus != "missed",
            )
            if previous_total is not None
            else None,
            line=analytics.line_chart(
                current, previous, interval, metric=report.metric, label=report.metric_label, scope=scope
            ),
            interval=interval,
            bar=bar_chart(report, rows),
            chips=page.chips(names),
            clear_query=page.clear_query,
            filter_notices=page.notices,
            export_url=reverse("dashboard:report-export", args=[report.slug]) + page.query(),
            comparing=scope.previous_window is not None,
            show_missed=report.focus == "missed",
        )
        return context


def report_rows(page: Analytics, report: Report, *, limit: int | None) -> list[Row]:
    """The report's rows, largest first (hours of the day in order, all 24)."""
    dimension = DIMENSIONS[report.dimension]
    _, groups = analytics.grouped(page, dimension, page.scope.window, limit=limit, with_total=False)
    if report.dimension == "hour":
        found = {key: figures for key, _, figures in groups}
        groups = [(hour, None, found.get(hour, CallFigures())) for hour in range(24)]
    elif report.focus == "missed":
        groups = sorted((group for group in groups if group[2].missed), key=lambda group: -group[2].missed)
    previous = analytics.previous_groups(page, dimension, [key for key, _, _ in groups])
    return analytics.rows_of(page, dimension, groups, previous)


def bar_chart(report: Report, rows: list[Row]) -> dict[str, Any]:
    """The top entries as bars (all 24 hours, upright, for the time of day)."""
    shown = rows if report.dimension == "hour" else rows[:CHART_ROWS]
    series = [{"label": report.metric_label, "data": [getattr(row.figures, report.metric) for row in shown]}]
    if shown and shown[0].previous is not None:
        series.append(
            {
                "label": f"{report.metric_label}, previous period",
                "data": [getattr(row.previous, report.metric) for row in shown],
            }
        )
    return {
        "type": "bar",
        "horizontal": report.dimension != "hour",
        "labels": [row.label for row in shown],
        "series": series,
    }


CSV_HEADER = [
    "Calls",
    "Answered",
    "Missed",
    "First-time callers",
    "Good leads",
    "Good-lead rate",
    "Average duration (s)",
    "Value",
]


class _Echo:
    """A file-like object whose ``write`` hands back what it is given (for streaming csv rows)."""

    def write(self, value: str) -> str:
        return value


class ReportExportView(DashboardMixin, View):
    """Every row of a report as CSV, streamed (a report of any size never sits in memory)."""

    def get(self, request: HttpRequest, slug: str) -> StreamingHttpResponse:
        report = report_for(slug)
        scope = self.scope
        page = Analytics(scope)
        comparing = scope.previous_window is not None
        compared = [f"{report.metric_label}, previous period", "Change"] if comparing else []
        header = [report.column, *CSV_HEADER, *compared]
        writer = csv.writer(_Echo())

        def lines() -> Iterator[str]:
            yield writer.writerow(header)
            for cells in analytics.iter_csv_rows(export_rows(page, report), comparing, report.metric):
                yield writer.writerow(cells)

        window = scope.window
        name = f"{report.slug}-{window.first_day:%Y-%m-%d}-to-{window.last_day:%Y-%m-%d}.csv"
        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


def export_rows(page: Analytics, report: Report) -> Iterator[Row]:
    """The rows of the whole report in the page's order; the bounded reports are the page's rows."""
    if report.bounded:
        yield from report_rows(page, report, limit=None)
        return
    dimension = DIMENSIONS[report.dimension]
    # The comparison period is read whole first (one statement); the period then streams.
    previous = analytics.previous_groups(page, dimension, [])
    for group in call_groups(page.calls(page.scope.window), dimension, tz=page.tz):
        key = dimension.key(group.raw)
        yield from analytics.rows_of(page, dimension, [(key, group.label, group.figures)], previous)
