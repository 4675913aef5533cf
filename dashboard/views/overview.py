"""The Overview: KPI cards against the comparison period, calls over time, top lists that
filter the page, and calls by hour of the week.

Its figures take a fixed number of statements: one for the calls per day over the period and
the one before it (cards and line chart) and per hour of the week (heat map), or per hour for
a day or two; one top list; and the form submissions of each period.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from dashboard import analytics
from dashboard.analytics import Analytics
from dashboard.views.pages import PageView
from telephony.dimensions import DIMENSIONS
from telephony.reports import call_days_and_week_hours, call_timeseries

# The tabs of the top lists: (parameter value, label).
TOP_LISTS = (
    ("source", "Source"),
    ("medium", "Medium"),
    ("campaign", "Campaign"),
    ("keyword", "Keyword"),
    ("landing_page", "Landing page"),
    ("tracker", "Tracker"),
)
# A tab's short name where a long one would not fit beside the others.
TAB_NAMES = {"landing_page": "Landing"}
TOP_ROWS = 10
KPI_METRICS = ("total_calls", "missed_calls", "answered_calls", "first_time_callers", "average_duration", "leads")
TOP_PARAM = "top"


class OverviewView(PageView):
    template_name = "dashboard/overview.html"
    title = "Overview"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.htmx and request.htmx.target == "top-lists":  # type: ignore[attr-defined]
            # A tab switched by htmx: only the list changes.
            page = Analytics(self.scope)
            context = {"state": self.scope.state, **self.top_list(page)}
            return TemplateResponse(request, "dashboard/overview/top_lists.html", context)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        scope = self.scope
        page = Analytics(scope)
        interval = analytics.interval_for(scope.window)
        calls = page.calls(page.span)
        # Every figure of the cards but the value, which they do not show.
        if interval == "day":
            # The days of the chart and the hours of the heat map in one statement.
            figures = call_days_and_week_hours(calls, window=page.span, since=scope.window.start, metrics=KPI_METRICS)
            current, previous = analytics.split_span(figures.days.points, scope.window)
            week_hours = {key: hour.calls for key, hour in figures.week_hours.items()}
        else:
            series = call_timeseries(calls, window=page.span, interval="hour", metrics=KPI_METRICS)
            current, previous = analytics.split_span(series.points, scope.window)
            week_hours = analytics.week_hours(current)
        now = analytics.total_of(current)
        before = analytics.total_of(previous) if scope.previous_window is not None else None
        top = self.top_list(page)
        heat = analytics.heat_map(week_hours)
        trackers = analytics.tracker_names(page.tracker_ids())
        context.update(
            filter_notices=page.notices,
            kpis=analytics.kpis(now, before, analytics.form_counts(page)),
            chart=analytics.line_chart(current, previous, interval, metric="calls", label="Calls", scope=scope),
            interval=interval,
            heat_map=heat,
            heat_map_rows=analytics.heat_map_rows(heat),
            hours=[analytics.hour_label(hour) for hour in range(24)],
            chips=page.chips(trackers),
            clear_query=page.clear_query,
            # Nothing to chart in either period: an empty state says so instead.
            has_calls=bool(now.calls or (before and before.calls)),
            **top,
        )
        return context

    def top_list(self, page: Analytics) -> dict[str, Any]:
        state = self.scope.state
        active = state.get(TOP_PARAM)
        if active not in dict(TOP_LISTS):
            active = TOP_LISTS[0][0]
        dimension = DIMENSIONS[active]
        _, groups = analytics.grouped(
            page, dimension, self.scope.window, limit=TOP_ROWS, with_total=False, metrics=("total_calls", "leads")
        )
        rows = analytics.rows_of(page, dimension, groups, None)
        top = max((row.figures.calls for row in rows), default=0)
        return {
            "top_tabs": [
                (value, TAB_NAMES.get(value, label), page.query(**{TOP_PARAM: value}), value == active)
                for value, label in TOP_LISTS
            ],
            "top_active": active,
            "top_label": dict(TOP_LISTS)[active],
            "top_rows": [(row, analytics.bar_class(row.figures.calls, top)) for row in rows],
        }
