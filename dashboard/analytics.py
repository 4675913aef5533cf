"""What the Overview and Reports pages show, read through ``telephony.reports`` (the module
behind the API's summaries and time series, so a page and the API give the same figures for
the same filters) and shaped for their templates: KPI cards, chart data, top lists, the
hour-of-week heat map, report rows.

A page's own filters are dimensions of a call (``?source=Google+Ads&campaign=spring``), shown
as removable chips; a value no report can read is dropped with a notice, never an error page.
Every figure is computed by a fixed number of SQL statements, whatever the number of calls.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from callrail.dates import DateWindow
from dashboard.access import Scope
from telephony.dimensions import DIMENSIONS, NONE_VALUE, Dimension
from telephony.models import Call
from telephony.reports import (
    CallFigures,
    FormFilters,
    call_report_filter,
    call_summary,
    duration_formatted,
    form_report_filter,
    form_summary,
)
from telephony.selectors import CallFilters
from tracking.models import FormSubmission, Tracker

# The page parameters that filter by a dimension, in the order their chips appear.
DIMENSION_LABELS: dict[str, str] = {
    "source": "Source",
    "medium": "Medium",
    "campaign": "Campaign",
    "keyword": "Keyword",
    "landing_page": "Landing page",
    "tracker": "Tracker",
    "tag": "Tag",
    "lead_status": "Lead status",
    "hour": "Hour of day",
}
LEAD_STATUS_LABELS = {
    "good_lead": "Good lead",
    "not_a_lead": "Not a lead",
    "not_scored": "Not scored",
    "previously_marked_good_lead": "Previously marked good lead",
}
NOT_SET = {"tag": "No tag", "tracker": "No tracker", "source": "Unknown"}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Dimensions whose values are stored as shown, and may be many (one per landing page).
MANY_VALUED = ("medium", "campaign", "keyword", "landing_page", "tracker")
# Windows up to this many days are charted by the hour (one or two days of dots say little).
HOURLY_UP_TO_DAYS = 2


def hour_label(hour: int) -> str:
    """``0`` → ``12 AM``; ``13`` → ``1 PM``."""
    return f"{hour % 12 or 12} {'AM' if hour < 12 else 'PM'}"


def value_label(name: str, value: Any) -> str:
    """How a dimension's value reads on a page (``None``: not set)."""
    if value is None or value == NONE_VALUE:
        return NOT_SET.get(name, "(not set)")
    if name == "lead_status":
        return LEAD_STATUS_LABELS.get(str(value), str(value))
    if name == "hour":
        return hour_label(int(value))
    return str(value)


def filter_value(value: Any) -> str:
    """A group's value as a page filter writes it."""
    return NONE_VALUE if value is None else str(value)


def number(value: int) -> str:
    return f"{value:,}"


def money(value: Decimal) -> str:
    return f"${value:,.2f}"


def percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate * 100:.1f}%"


# --- comparison -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """The change of a figure against the comparison period, as a page shows it."""

    text: str  # "+12%", "−3.5 pts", "new"
    direction: str  # "up", "down" or "flat"
    good: bool | None  # whether the change is welcome (missed calls going up is not)

    @property
    def tone(self) -> str:
        if self.good is None or self.direction == "flat":
            return "neutral"
        return "good" if self.good else "bad"

    @property
    def icon(self) -> str:
        return {"up": "arrow-up-right", "down": "arrow-down-right"}.get(self.direction, "dash")

    @property
    def spoken(self) -> str:
        """The change in words, for screen readers."""
        if self.text == "new":
            return "new in this period"
        word = {"up": "up", "down": "down"}.get(self.direction, "no change")
        return f"{word} {self.text.lstrip('+−')}" if self.direction != "flat" else word


def change_between(current: float, previous: float, *, higher_is_better: bool | None = True) -> Change:
    """Relative change of a count or a duration."""
    if previous == 0:
        if current == 0:
            return Change("0%", "flat", None)
        return Change("new", "up", higher_is_better)
    ratio = (current - previous) / previous
    rounded = round(ratio * 100)
    if rounded == 0:
        return Change("0%", "flat", None)
    direction = "up" if rounded > 0 else "down"
    good = None if higher_is_better is None else (direction == "up") == higher_is_better
    return Change(f"{'+' if rounded > 0 else '−'}{abs(rounded)}%", direction, good)


def rate_change(current: float | None, previous: float | None, *, higher_is_better: bool = True) -> Change | None:
    """Change of a rate, in percentage points."""
    if current is None or previous is None:
        return None
    points = round((current - previous) * 100, 1)
    if points == 0:
        return Change("0 pts", "flat", None)
    direction = "up" if points > 0 else "down"
    return Change(
        f"{'+' if points > 0 else '−'}{abs(points):.1f} pts", direction, (direction == "up") == higher_is_better
    )


# --- the page's filters -----------------------------------------------------------------------


@dataclass(frozen=True)
class ActiveFilter:
    """A filter chip: what it filters on, and the link that removes it."""

    name: str
    value: str
    label: str
    text: str
    remove_query: str


class Analytics:
    """The calls and forms a page's figures cover: the scope's companies and period, and the
    page's dimension filters."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.tz = scope.window.tz
        self.notices: list[str] = []
        self.dropped: list[str] = []
        self.pairs = self._read_filters()
        self.filters = CallFilters(dimensions=self.pairs)
        self.form_filters = FormFilters(dimensions=self.pairs)

    def _read_filters(self) -> tuple[tuple[str, str], ...]:
        pairs: list[tuple[str, str]] = []
        for name in DIMENSION_LABELS:
            value = self.scope.state.get(name)
            if not value:
                continue
            try:
                DIMENSIONS[name].condition(value, self.tz)
            except ValidationError as exc:
                self.notices.append(
                    f"{' '.join(exc.messages)} The {DIMENSION_LABELS[name].lower()} filter was left out."
                )
                self.dropped.append(name)
                continue
            pairs.append((name, value))
        return tuple(pairs)

    def query(self, **changes: str | None) -> str:
        """A link to this page with ``changes`` (``state.query``), leaving out filters that could not be read."""
        return self.scope.state.query(**{**dict.fromkeys(self.dropped), **changes})

    # --- what the figures cover ---

    def calls(self, window: DateWindow) -> QuerySet[Call]:
        """Non-spam calls of the period and companies, filtered as the page asks (the same
        base the API's reports start from)."""
        queryset = Call.objects.filter(account=self.scope.account, spam=False, **window.lookups("start_time"))
        return call_report_filter(self._companies(queryset), self.filters, self.tz)

    def forms(self, window: DateWindow) -> QuerySet[FormSubmission] | None:
        """Form submissions likewise; None when a filter has no meaning for forms (a tracker)."""
        if not self.form_filters.applicable:
            return None
        queryset = FormSubmission.objects.filter(account=self.scope.account, **window.lookups("submitted_at"))
        return form_report_filter(self._companies(queryset), self.form_filters)

    def _companies(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # As in the API: a company picked, or the companies a non-admin may see (an admin sees
        # every company of the account, so the account alone is enough).
        if self.scope.company is not None:
            return queryset.filter(company=self.scope.company)
        if not self.scope.user.is_admin:
            return queryset.filter(company_id__in=self.scope.company_ids)
        return queryset

    @property
    def span(self) -> DateWindow:
        """The period and, when comparing, the one before it: one window, read in one statement."""
        window, previous = self.scope.window, self.scope.previous_window
        if previous is None:
            return window
        return DateWindow(previous.start, window.end, window.tz, window.tz_name)

    # --- chips ---

    def chips(self, tracker_names: dict[str, str] | None = None) -> list[ActiveFilter]:
        names = tracker_names or {}
        chips = []
        for name, value in self.pairs:
            text = names.get(value) or value_label(name, value)
            chips.append(ActiveFilter(name, value, DIMENSION_LABELS[name], text, self.query(**{name: None})))
        return chips

    @property
    def clear_query(self) -> str:
        return self.query(**dict.fromkeys(DIMENSION_LABELS))

    def tracker_ids(self) -> list[str]:
        return [value for name, value in self.pairs if name == "tracker" and value != NONE_VALUE]


def tracker_names(public_ids: Iterable[str]) -> dict[str, str]:
    ids = [value for value in public_ids if value and value != NONE_VALUE]
    if not ids:
        return {}
    return dict(Tracker.objects.filter(public_id__in=ids).values_list("public_id", "name"))


# --- time series ------------------------------------------------------------------------------


class Point(NamedTuple):
    """One bucket of a series (a tuple: a 90-day hourly series holds thousands)."""

    start: datetime
    figures: CallFigures


def interval_for(window: DateWindow) -> str:
    days = (window.last_day - window.first_day).days + 1
    return "hour" if days <= HOURLY_UP_TO_DAYS else "day"


def point_label(start: datetime, interval: str) -> str:
    if interval == "hour":
        return f"{start:%a} {hour_label(start.hour)}"
    return f"{start:%b} {start.day}"


def point_long_label(start: datetime, interval: str) -> str:
    if interval == "hour":
        return f"{start:%a %b} {start.day}, {hour_label(start.hour)}"
    return f"{start:%a %b} {start.day}, {start.year}"


def split_span(points: list[tuple[datetime, CallFigures]], window: DateWindow) -> tuple[list[Point], list[Point]]:
    """A series over ``Analytics.span`` cut into the period and the one before it."""
    # The buckets are in time order: cut once where the period starts.
    cut = bisect_left([start for start, _ in points], window.start)
    return [Point(*point) for point in points[cut:]], [Point(*point) for point in points[:cut]]


def total_of(points: Iterable[Point]) -> CallFigures:
    total = CallFigures()
    for point in points:
        total = total + point.figures
    return total


def week_hours(points: Iterable[Point]) -> dict[tuple[int, int], int]:
    """Hourly points' calls by local weekday (0 = Monday) and hour."""
    calls: dict[tuple[int, int], int] = {}
    for point in points:
        key = (point.start.weekday(), point.start.hour)
        calls[key] = calls.get(key, 0) + point.figures.calls
    return calls


@dataclass(frozen=True)
class ChartRow:
    label: str
    value: str
    previous_label: str
    previous_value: str


def line_chart(
    current: list[Point], previous: list[Point], interval: str, *, metric: str, label: str, scope: Scope
) -> dict[str, Any]:
    """The data of a line chart (``charts.js``): this period solid, the one before dashed,
    aligned bucket by bucket; and the rows of its text alternative."""

    def values(points: list[Point]) -> list[int]:
        return [int(getattr(point.figures, metric)) for point in points]

    data: dict[str, Any] = {
        "type": "line",
        "labels": [point_label(point.start, interval) for point in current],
        "series": [{"label": label, "data": values(current)}],
    }
    if scope.previous_window is not None:
        data["series"].append({"label": f"{label}, previous period", "data": values(previous), "dashed": True})
    rows = [
        ChartRow(
            point_long_label(point.start, interval),
            number(int(getattr(point.figures, metric))),
            point_long_label(previous[i].start, interval) if i < len(previous) else "",
            number(int(getattr(previous[i].figures, metric))) if i < len(previous) else "",
        )
        for i, point in enumerate(current)
    ]
    return {"data": data, "rows": rows}


# --- KPI cards --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    value: str
    previous: str | None
    change: Change | None
    icon: str
    hint: str = ""


def kpis(current: CallFigures, previous: CallFigures | None, forms: tuple[int, int | None] | None) -> list[Kpi]:
    """The overview's cards. ``forms``: this period's and the previous period's submissions
    (None when the page's filters do not apply to forms)."""

    def count(key: str, label: str, icon: str, now: int, before: int | None, better: bool | None = True) -> Kpi:
        change = change_between(now, before, higher_is_better=better) if before is not None else None
        return Kpi(key, label, number(now), number(before) if before is not None else None, change, icon)

    cards = [
        count("calls", "Calls", "telephone", current.calls, previous.calls if previous else None),
        Kpi(
            "answered",
            "Answered",
            percent(current.answered_rate),
            percent(previous.answered_rate) if previous else None,
            rate_change(current.answered_rate, previous.answered_rate) if previous else None,
            "telephone-inbound",
            f"{number(current.answered)} of {number(current.calls)} calls" if current.calls else "",
        ),
        count("missed", "Missed", "telephone-x", current.missed, previous.missed if previous else None, False),
        count("first_time", "First-time callers", "person-plus", current.first_time, _or(previous, "first_time")),
        count("leads", "Good leads", "star", current.leads, _or(previous, "leads")),
        Kpi(
            "duration",
            "Avg. duration",
            duration_formatted(current.average_duration),
            duration_formatted(previous.average_duration) if previous else None,
            change_between(current.average_duration, previous.average_duration) if previous else None,
            "stopwatch",
        ),
    ]
    if forms is None:
        cards.append(Kpi("forms", "Form submissions", "–", None, None, "ui-checks", "Not tracked for these filters"))
    else:
        cards.append(count("forms", "Form submissions", "ui-checks", forms[0], forms[1]))
    return cards


def _or(figures: CallFigures | None, name: str) -> int | None:
    return getattr(figures, name) if figures is not None else None


def form_counts(analytics: Analytics) -> tuple[int, int | None] | None:
    """This period's and the previous period's form submissions (two statements at most)."""
    queryset = analytics.forms(analytics.scope.window)
    if queryset is None:
        return None
    now = form_summary(queryset).total.forms
    previous_window = analytics.scope.previous_window
    if previous_window is None:
        return now, None
    before = analytics.forms(previous_window)
    assert before is not None
    return now, form_summary(before).total.forms


# --- the heat map -----------------------------------------------------------------------------


@dataclass(frozen=True)
class HeatCell:
    calls: int
    level: int  # 0 (none) to 5 (the busiest hour)
    title: str


def heat_map_rows(heat: list[tuple[str, str, list[HeatCell]]]) -> SafeString:
    """The heat map's body rows as HTML: 168 cells are built here rather than by the template
    engine, which takes several times longer over that many nodes."""
    cell = '<td class="heat heat-{}" title="{}">{}</td>'
    zero = mark_safe('<span class="visually-hidden">0</span>')
    return format_html_join(
        "\n",
        '<tr><th scope="row"><abbr title="{}">{}</abbr></th>{}</tr>',
        (
            (long, short, format_html_join("", cell, ((c.level, c.title, c.calls or zero) for c in cells)))
            for short, long, cells in heat
        ),
    )


def heat_map(calls: dict[tuple[int, int], int]) -> list[tuple[str, str, list[HeatCell]]]:
    """Calls by local weekday (0 = Monday) and hour: (short day, full day, 24 cells) for Monday to Sunday."""
    grid = [[calls.get((day, hour), 0) for hour in range(24)] for day in range(len(WEEKDAYS))]
    busiest = max((max(row) for row in grid), default=0)

    def level(calls: int) -> int:
        return 0 if not calls or not busiest else max(1, min(5, -(-calls * 5 // busiest)))

    return [
        (
            WEEKDAYS[day],
            WEEKDAY_NAMES[day],
            [
                HeatCell(calls, level(calls), f"{WEEKDAY_NAMES[day]}, {hour_label(hour)}: {number(calls)} calls")
                for hour, calls in enumerate(grid[day])
            ],
        )
        for day in range(7)
    ]


# --- grouped rows -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One entry of a top list or a report table."""

    name: str  # the dimension
    value: Any  # the group's key, None for "not set"
    label: str
    figures: CallFigures
    previous: CallFigures | None
    filter_query: str

    @property
    def filter_value(self) -> str:
        return filter_value(self.value)

    def change_of(self, metric: str = "calls") -> Change | None:
        """The change of ``metric`` (a ``CallFigures`` attribute) against the comparison period."""
        if self.previous is None:
            return None
        # More missed calls is not progress.
        better = metric != "missed"
        return change_between(getattr(self.figures, metric), getattr(self.previous, metric), higher_is_better=better)


# A group of a report: its key, its name when read with it, its figures.
Grouped = tuple[Any, str | None, CallFigures]


def grouped(
    analytics: Analytics,
    dimension: Dimension,
    window: DateWindow,
    *,
    limit: int | None,
    with_total: bool = True,
    metrics: Iterable[str] | None = None,
) -> tuple[CallFigures, list[Grouped]]:
    """Calls of ``window`` by ``dimension``: the total, and the groups as (key, name, figures)
    (the name read with them, a tracker's, or None). ``metrics`` (the API's names) limits the
    figures computed, as in the API."""
    summary = call_summary(
        analytics.calls(window),
        dimension=dimension,
        tz=analytics.tz,
        limit=limit,
        with_total=with_total,
        metrics=metrics,
    )
    return summary.total, [(dimension.key(group.raw), group.label, group.figures) for group in summary.groups]


def rows_of(
    analytics: Analytics,
    dimension: Dimension,
    groups: Iterable[Grouped],
    previous: dict[Any, CallFigures] | None,
) -> list[Row]:
    rows = []
    for key, name, figures in groups:
        label = name or value_label(dimension.name, key)
        before = previous.get(key, CallFigures()) if previous is not None else None
        query = analytics.query(**{dimension.name: filter_value(key)})
        rows.append(Row(dimension.name, key, label, figures, before, query))
    return rows


def previous_groups(analytics: Analytics, dimension: Dimension, keys: list[Any]) -> dict[Any, CallFigures] | None:
    """The comparison period's figures of the groups ``keys`` (one statement), or None."""
    window = analytics.scope.previous_window
    if window is None:
        return None
    queryset = analytics.calls(window)
    if keys and dimension.name in MANY_VALUED:
        # Only the groups on the page: a dimension with thousands of values stays cheap.
        condition = Q(**{f"{dimension.column}__in": [key for key in keys if key is not None]})
        if None in keys:
            condition |= dimension.condition(NONE_VALUE, analytics.tz)
        queryset = queryset.filter(condition)
    summary = call_summary(queryset, dimension=dimension, tz=analytics.tz, with_total=False)
    return {dimension.key(group.raw): group.figures for group in summary.groups}


def bar_class(calls: int, top: int) -> str:
    """A width class for a row's bar (``bar-35``: 35% of the widest), in 5% steps: the
    Content-Security-Policy refuses inline styles."""
    if not top or not calls:
        return "bar-0"
    return f"bar-{max(5, round(calls * 20 / top) * 5)}"


def iter_csv_rows(rows: Iterable[Row], comparing: bool, metric: str = "calls") -> Iterator[list[str]]:
    """A report's rows as CSV cells; with the comparison, ``metric`` before and its change."""
    for row in rows:
        figures = row.figures
        cells = [
            row.label,
            str(figures.calls),
            str(figures.answered),
            str(figures.missed),
            str(figures.first_time),
            str(figures.leads),
            percent(figures.lead_rate) if figures.calls else "",
            str(figures.average_duration),
            f"{figures.value:.2f}",
        ]
        if comparing and row.previous is not None:
            change = row.change_of(metric)
            cells += [str(getattr(row.previous, metric)), change.text if change else ""]
        yield cells
