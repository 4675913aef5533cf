"""Call and form reports: the figures behind the v3 API's summaries and time series and
behind the dashboard's overview and report pages, computed here once so that both always
agree (API reference: "Summarizing Call Data", "... by Time Series", "Summarizing Form Data").

Every figure is a conditional aggregate over one filtered queryset, grouped by a column
(summaries, report rows) or by ``Trunc(start_time, interval, tzinfo=zone)`` (time series),
so a table or a series is one SQL statement whatever the number of calls. Python only names
the groups, fills the empty time buckets and adds groups up: every aggregate is a count or a
sum, so the groups of a partition add up to its total exactly.

Filters arrive as plain values (``telephony.selectors.CallFilters``, the call lists' own, and
``FormFilters``); a value no report understands is a ``django.core.exceptions.ValidationError``
with a message meant for the user.
Each interface turns that into its own answer (the API's ``{"error": ...}``, a notice on a page).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Generic, Self, TypeVar
from zoneinfo import ZoneInfo

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connections
from django.db.models import (
    Aggregate,
    Count,
    DateTimeField,
    Exists,
    Expression,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Trunc

from callrail.dates import DateWindow
from telephony.dimensions import (
    DIMENSIONS,
    LEAD_STATUSES,
    UTC_ZONE,
    Dimension,
    choice_check,
    lead_status_q,
    tagged,
)
from telephony.models import Call
from telephony.selectors import (
    REPORT_ANSWER_STATUSES,
    REPORT_DEVICES,
    REPORT_DIRECTIONS,
    CallFilters,
)
from tracking.source_names import source_display

# The summaries' choices: a call list's, and ``all`` for no filter (as the reference has it).
DEVICES = REPORT_DEVICES
DIRECTIONS = REPORT_DIRECTIONS
ANSWER_STATUSES = REPORT_ANSWER_STATUSES
INTERVALS = ("hour", "day", "week", "month", "year")


def duration_formatted(seconds: int | float | None) -> str:
    """``179`` → ``2m 59s``; ``45`` → ``45s``; ``None``/``0`` → ``0s``."""
    total = int(round(seconds or 0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m {secs}s"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


# The API's ``group_by`` values (reference: "Summarizing Call Data"), by the column they group.
CALL_GROUPS = {
    "source": "source",
    "keywords": "keywords",
    "campaign": "campaign",
    "referrer": "referring_url",
    "landing_page": "landing_page_url",
    "company": "company__name",
    "company_id": "company__public_id",
}
FORM_GROUPS = {
    "source": "source",
    "keywords": "keywords",
    "campaign": "campaign",
    "referrer": "referrer",
    "landing_page": "landing_page_url",
    "form_name": "form_name",
    "company": "company__name",
}


def call_report_filter(queryset: QuerySet, filters: CallFilters, tz: ZoneInfo = UTC_ZONE) -> QuerySet:
    """``queryset`` (calls) narrowed by ``filters``; ``tz`` is the zone of an hour-of-day filter."""
    conditions = filters.conditions(tz)
    return queryset.filter(*conditions) if conditions else queryset


@dataclass(frozen=True)
class FormFilters:
    """The filters of a form report (the API's form summary parameters, and the dimensions a
    dashboard page is filtered by: those forms have)."""

    tags: Sequence[str] = ()
    form_ids: Sequence[str] = ()
    form_url: str = ""
    lead_status: str | None = None
    dimensions: Sequence[tuple[str, str]] = field(default=())

    def __post_init__(self) -> None:
        choice_check("lead_status", self.lead_status, LEAD_STATUSES)

    @property
    def applicable(self) -> bool:
        """False when a dimension has no meaning for forms (a tracker, an hour of day)."""
        return all(DIMENSIONS[name].form_column is not None for name, _ in self.dimensions)

    def conditions(self) -> list[Q]:
        found: list[Q | None] = [
            Q(pk__in=tagged("tracking.FormSubmission", self.tags)) if self.tags else None,
            # Forms are identified by their FOR… ids here: a captured form has no separate
            # custom-form record, so the id names the submissions themselves.
            Q(public_id__in=list(self.form_ids)) if self.form_ids else None,
            Q(form_url__iexact=self.form_url) if self.form_url else None,
            lead_status_q(self.lead_status) if self.lead_status else None,
            *(DIMENSIONS[name].form_condition(value) for name, value in self.dimensions),
        ]
        return [condition for condition in found if condition is not None]


def form_report_filter(queryset: QuerySet, filters: FormFilters) -> QuerySet:
    conditions = filters.conditions()
    return queryset.filter(*conditions) if conditions else queryset


# --- figures ----------------------------------------------------------------------------------


# The aggregates every call figure comes from, by the names the SQL gives them (not a field's).
CALL_AGGREGATES: dict[str, Aggregate] = {
    "n_calls": Count("id"),
    "n_answered": Count("id", filter=Q(answered=True)),
    "n_first": Count("id", filter=Q(first_call=True)),
    "n_leads": Count("id", filter=Q(lead_status="good_lead")),
    # Sum and count rather than AVG, so groups add up to their totals exactly.
    "duration_sum": Sum("duration"),
    "duration_count": Count("duration"),
    "value_sum": Sum("value"),
    # A subquery, not a join: a call linked to several tel: clicks still counts once.
    "n_after_click": Count("id", filter=Q(Exists(Call.click_events.through.objects.filter(call_id=OuterRef("pk"))))),
}
# The API's call metrics and the aggregates each needs (the API computes only those asked for).
CALL_METRICS: dict[str, tuple[str, ...]] = {
    "total_calls": ("n_calls",),
    # Missed calls are the calls not answered, voicemails included: the reference's
    # example adds up (110 answered + 20 missed = 130 total).
    "missed_calls": ("n_calls", "n_answered"),
    "answered_calls": ("n_answered",),
    "first_time_callers": ("n_first",),
    "average_duration": ("duration_sum", "duration_count"),
    "formatted_average_duration": ("duration_sum", "duration_count"),
    "leads": ("n_leads",),
    # Our extension: calls that followed a click on a tel: link or call button of the site.
    "calls_after_click": ("n_after_click",),
}
FORM_AGGREGATES: dict[str, Aggregate] = {
    "n_forms": Count("id"),
    "n_first": Count("id", filter=Q(first_form=True)),
    "n_leads": Count("id", filter=Q(lead_status="good_lead")),
}
FORM_METRICS: dict[str, tuple[str, ...]] = {
    "total_forms": ("n_forms",),
    "first_forms": ("n_first",),
    "leads": ("n_leads",),
}


def aggregates_for(
    metrics: Iterable[str] | None, available: dict[str, Aggregate], needs: dict[str, tuple[str, ...]]
) -> dict[str, Aggregate]:
    """The aggregates ``metrics`` need (all of them for ``None``), the first always included."""
    if metrics is None:
        return dict(available)
    names = {next(iter(available))} | {name for metric in metrics for name in needs[metric]}
    return {name: aggregate for name, aggregate in available.items() if name in names}


def _int(row: dict[str, Any], name: str) -> int:
    return int(row.get(name) or 0)


# Slots, not frozen: a 90-day hourly series makes and adds thousands of these per page, and a
# frozen dataclass's __init__ costs several times more. Treat them as values all the same.
@dataclass(slots=True)
class CallFigures:
    """A set of calls in numbers. Figures add up: ``a + b`` is the figures of both sets."""

    calls: int = 0
    answered: int = 0
    first_time: int = 0
    leads: int = 0
    duration_sum: int = 0
    duration_count: int = 0
    value: Decimal = Decimal(0)
    after_click: int = 0

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Self:
        get = row.get
        value = get("value_sum")
        return cls(
            get("n_calls") or 0,
            get("n_answered") or 0,
            get("n_first") or 0,
            get("n_leads") or 0,
            get("duration_sum") or 0,
            get("duration_count") or 0,
            value if isinstance(value, Decimal) else Decimal(value or 0),
            get("n_after_click") or 0,
        )

    def __add__(self, other: CallFigures) -> CallFigures:
        # Spelled out: series add up hundreds of these per page.
        return CallFigures(
            self.calls + other.calls,
            self.answered + other.answered,
            self.first_time + other.first_time,
            self.leads + other.leads,
            self.duration_sum + other.duration_sum,
            self.duration_count + other.duration_count,
            self.value + other.value,
            self.after_click + other.after_click,
        )

    @property
    def missed(self) -> int:
        return self.calls - self.answered

    @property
    def average_duration(self) -> int:
        """Whole seconds, over the calls with a duration (live calls have none yet)."""
        return int(round(self.duration_sum / self.duration_count)) if self.duration_count else 0

    @property
    def answered_rate(self) -> float | None:
        return self.answered / self.calls if self.calls else None

    @property
    def lead_rate(self) -> float | None:
        return self.leads / self.calls if self.calls else None

    def metric(self, name: str) -> int | str:
        """One of the API's ``CALL_METRICS`` by name."""
        values: dict[str, Callable[[], int | str]] = {
            "total_calls": lambda: self.calls,
            "missed_calls": lambda: self.missed,
            "answered_calls": lambda: self.answered,
            "first_time_callers": lambda: self.first_time,
            "average_duration": lambda: self.average_duration,
            "formatted_average_duration": lambda: duration_formatted(self.average_duration),
            "leads": lambda: self.leads,
            "calls_after_click": lambda: self.after_click,
        }
        return values[name]()


@dataclass(slots=True)
class FormFigures:
    forms: int = 0
    first_forms: int = 0
    leads: int = 0

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Self:
        return cls(forms=_int(row, "n_forms"), first_forms=_int(row, "n_first"), leads=_int(row, "n_leads"))

    def __add__(self, other: FormFigures) -> FormFigures:
        return FormFigures(self.forms + other.forms, self.first_forms + other.first_forms, self.leads + other.leads)

    def metric(self, name: str) -> int:
        return {"total_forms": self.forms, "first_forms": self.first_forms, "leads": self.leads}[name]


FiguresT = TypeVar("FiguresT", CallFigures, FormFigures)


@dataclass(frozen=True)
class Group(Generic[FiguresT]):
    """One row of a grouped report: the stored value it groups (``raw``), its figures, and
    the group's name when the dimension reads one (``label_column``)."""

    raw: Any
    figures: FiguresT
    label: str | None = None


@dataclass(frozen=True)
class Summary(Generic[FiguresT]):
    total: FiguresT
    groups: list[Group[FiguresT]]


# --- grouping ---------------------------------------------------------------------------------


def _grouped_query(
    queryset: QuerySet,
    key: Expression | F,
    aggregates: dict[str, Aggregate],
    order: str,
    label: str | None = None,
) -> QuerySet:
    keys = ("group_key", "group_label") if label else ("group_key",)
    annotations = {"group_key": key, **({"group_label": F(label)} if label else {})}
    return (
        queryset.order_by()
        .annotate(**annotations)
        .values(*keys)
        .annotate(**aggregates)
        .order_by(f"-{order}", "group_key")
    )


def _grouped_rows(
    queryset: QuerySet,
    key: Expression | F,
    aggregates: dict[str, Aggregate],
    order: str,
    limit: int | None,
    label: str | None = None,
) -> list[dict[str, Any]]:
    rows = _grouped_query(queryset, key, aggregates, order, label)
    return list(rows[:limit] if limit is not None else rows)


def _total(rows: list[dict[str, Any]], aggregates: dict[str, Aggregate]) -> dict[str, Any]:
    """The grand total of partitioning groups: every aggregate here is a sum or a count."""
    return {name: sum(row.get(name) or 0 for row in rows) for name in aggregates}


def summarize(
    queryset: QuerySet,
    figures: type[FiguresT],
    aggregates: dict[str, Aggregate],
    *,
    key: Expression | F | None = None,
    partitions: bool = True,
    limit: int | None = None,
    with_total: bool = True,
    label: str | None = None,
) -> Summary[FiguresT]:
    """``queryset``'s figures in total and, with ``key``, by group (largest first, ``limit`` of them).

    Groups that partition the rows and are all fetched give the total by their sum (one
    statement); otherwise the total takes a statement of its own, unless ``with_total`` is
    False (then it is left empty).
    """
    order = next(iter(aggregates))
    if key is None:
        return Summary(figures.from_row(queryset.order_by().aggregate(**aggregates)), [])
    rows = _grouped_rows(queryset, key, aggregates, order, limit, label)
    groups = [Group(row["group_key"], figures.from_row(row), row.get("group_label")) for row in rows]
    if partitions and limit is None:
        return Summary(figures.from_row(_total(rows, aggregates)), groups)
    total = queryset.order_by().aggregate(**aggregates) if with_total else {}
    return Summary(figures.from_row(total), groups)


def call_summary(
    queryset: QuerySet,
    *,
    group_by: str | None = None,
    dimension: Dimension | None = None,
    tz: ZoneInfo = UTC_ZONE,
    metrics: Iterable[str] | None = None,
    limit: int | None = None,
    with_total: bool = True,
) -> Summary[CallFigures]:
    """Calls in total and grouped by an API ``group_by`` column or a ``dimension``.
    ``metrics`` (API names) limits the aggregates computed; ``None`` computes every figure."""
    aggregates = aggregates_for(metrics, CALL_AGGREGATES, CALL_METRICS)
    if dimension is not None:
        return summarize(
            queryset,
            CallFigures,
            aggregates,
            key=dimension.expression(tz),
            partitions=dimension.partitions,
            limit=limit,
            with_total=with_total,
            label=dimension.label_column,
        )
    key = F(CALL_GROUPS[group_by]) if group_by else None
    return summarize(queryset, CallFigures, aggregates, key=key, limit=limit, with_total=with_total)


def call_groups(
    queryset: QuerySet, dimension: Dimension, *, tz: ZoneInfo = UTC_ZONE, chunk_size: int = 2000
) -> Iterator[Group[CallFigures]]:
    """Every group of ``call_summary(queryset, dimension=...)``, in the same order, read from
    the database a chunk at a time (for exports of any size)."""
    rows = _grouped_query(queryset, dimension.expression(tz), CALL_AGGREGATES, "n_calls", dimension.label_column)
    for row in rows.iterator(chunk_size=chunk_size):
        yield Group(row["group_key"], CallFigures.from_row(row), row.get("group_label"))


def form_summary(
    queryset: QuerySet, *, group_by: str | None = None, metrics: Iterable[str] | None = None
) -> Summary[FormFigures]:
    aggregates = aggregates_for(metrics, FORM_AGGREGATES, FORM_METRICS)
    key = F(FORM_GROUPS[group_by]) if group_by else None
    return summarize(queryset, FormFigures, aggregates, key=key)


def group_label(group_by: str, raw: Any) -> Any:
    """How the API names a ``group_by`` group: sources by their marketing name, blanks as null."""
    if raw in ("", None):
        return None
    return source_display(raw) if group_by == "source" else raw


# --- time series ------------------------------------------------------------------------------


def bucket_start(moment: datetime, interval: str) -> datetime:
    if interval == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if interval == "day":
        return day
    if interval == "week":  # ISO weeks start on Monday, as PostgreSQL's date_trunc does
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def next_bucket(start: datetime, interval: str) -> datetime:
    if interval == "hour":
        # Step in absolute time: local hours repeat or vanish across DST changes.
        return (start.astimezone(UTC) + timedelta(hours=1)).astimezone(start.tzinfo)
    if interval == "day":
        return (start + timedelta(days=1)).replace(hour=0)
    if interval == "week":
        return (start + timedelta(days=7)).replace(hour=0)
    if interval == "month":
        return start.replace(year=start.year + (start.month == 12), month=start.month % 12 + 1)
    return start.replace(year=start.year + 1)


def buckets(window: DateWindow, interval: str, max_points: int | None = None) -> list[datetime]:
    """The start of every bucket the window touches, empty or not (local times of its zone)."""
    choice_check("interval", interval, INTERVALS)
    current = bucket_start(window.start.astimezone(window.tz), interval)
    if interval == "hour":
        # Steps in absolute time, each shown in the zone: local hours repeat or vanish across DST changes.
        start = current.astimezone(UTC)
        count = math.ceil((window.end - start) / timedelta(hours=1))
        if max_points is not None and count > max_points:
            raise ValidationError(_too_many_points(max_points))
        return [(start + timedelta(hours=n)).astimezone(window.tz) for n in range(count)]
    found: list[datetime] = []
    while current < window.end:
        found.append(current)
        if max_points is not None and len(found) > max_points:
            raise ValidationError(_too_many_points(max_points))
        current = next_bucket(current, interval)
    return found


def _too_many_points(max_points: int) -> str:
    return (
        f"Time series responses are limited to {max_points} data points: "
        "request a shorter date range or a larger interval."
    )


@dataclass(frozen=True)
class Series(Generic[FiguresT]):
    """Figures per time bucket (``points``: every bucket of the window, in order) and in total."""

    total: FiguresT
    points: list[tuple[datetime, FiguresT]]


def _hour_origin(moments: Iterable[datetime]) -> datetime | None:
    """A moment on the zone's hour boundaries at all of ``moments`` (local times: a window's
    hours, or its days and its end), or None when an offset change moves them within the
    hour (Lord Howe Island's half-hour DST)."""
    residues = {int(moment.utcoffset().total_seconds()) % 3600 for moment in moments}  # type: ignore[union-attr]
    if len(residues) != 1:
        return None
    return datetime(2000, 1, 1, tzinfo=UTC) - timedelta(seconds=residues.pop())


def _date_bin_hour(field: str, origin: datetime) -> Func:
    """``field``'s hour, counted in absolute time from ``origin`` (a time stamp, no zone involved)."""
    return Func(Value(timedelta(hours=1)), F(field), Value(origin), function="DATE_BIN", output_field=DateTimeField())


def _hours_sql(
    queryset: QuerySet, aggregates: dict[str, Aggregate], *, field: str, origin: datetime | None, tz: ZoneInfo
) -> tuple[str | None, list[Any], str, str]:
    """A statement giving ``queryset``'s aggregates per hour (``bin``), for a statement that
    adds the hours up (its SQL and parameters); the sums of its aggregates for that statement
    (``SUM(n_calls)::bigint AS n_calls, ...``); and the expression of an hour's local time.

    The hours are binned in absolute time from ``origin`` (``date_bin``: arithmetic, where
    converting every call to the zone costs more than the rest of the statement), so the
    zone's conversions apply to the hours; without an origin they are truncated in the zone.
    """
    if origin is not None:
        bin_expression: Expression = _date_bin_hour(field, origin)
        # The zone as a literal (an IANA name, quoted): it appears several times in a statement.
        zone = tz.key.replace("'", "''")
        local = f"(bin AT TIME ZONE '{zone}')"
    else:
        # Clocks that move by half an hour: hours truncated in the zone, call by call.
        bin_expression = ExpressionWrapper(Trunc(field, "hour", tzinfo=tz), output_field=DateTimeField())
        local = "bin"
    hours = queryset.order_by().annotate(bin=bin_expression).values("bin").annotate(**aggregates)
    try:
        sql, params = hours.query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:  # e.g. the companies of a user who has none
        sql, params = None, ()
    resolved = hours.query.annotations
    sums = ", ".join(
        # Sums of counts come back as numeric: read as the integers they are.
        f"SUM({name})"
        + ("" if resolved[name].output_field.get_internal_type() == "DecimalField" else "::bigint")
        + f" AS {name}"
        for name in aggregates
    )
    return sql, list(params), sums, local


def _fetch(queryset: QuerySet, sql: str | None, params: Sequence[Any]) -> list[dict[str, Any]]:
    """The rows of ``sql``; none when it is None (a queryset that can match nothing)."""
    if sql is None:
        return []
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def _bucket_rows(
    queryset: QuerySet,
    aggregates: dict[str, Aggregate],
    *,
    field: str,
    window: DateWindow,
    interval: str,
    slots: list[datetime],
) -> dict[datetime, dict[str, Any]]:
    """``queryset``'s aggregates per bucket, keyed by the bucket's wall time in the zone (naive).

    No ORDER BY: the slots give the order, and without one PostgreSQL hashes the rows rather
    than sorting them. Hours are binned in absolute time (``date_bin``); longer buckets add
    those hours up, truncated in the zone (``_hours_sql``). Wall times come back naive and are
    matched to the slots as they are rather than made aware row by row.
    """
    if interval == "hour":
        origin = _hour_origin(slots)
        if origin is None:
            bucket = ExpressionWrapper(Trunc(field, interval, tzinfo=window.tz), output_field=DateTimeField())
            return {
                row["bucket"]: row
                for row in queryset.order_by().annotate(bucket=bucket).values("bucket").annotate(**aggregates)
            }
        by_wall_time: dict[datetime, dict[str, Any]] = {}
        for row in (
            queryset.order_by().annotate(bucket=_date_bin_hour(field, origin)).values("bucket").annotate(**aggregates)
        ):
            wall_time = row["bucket"].astimezone(window.tz).replace(tzinfo=None)
            if wall_time in by_wall_time:  # the hour repeated when clocks go back: one wall time
                row = {"bucket": row["bucket"], **_total([by_wall_time[wall_time], row], aggregates)}
            by_wall_time[wall_time] = row
        return by_wall_time
    # Offsets change at most once a day: the days' starts and the end show every one.
    days = slots if interval == "day" else buckets(window, "day")
    origin = _hour_origin([*days, window.end.astimezone(window.tz)])
    hours_sql, params, sums, local = _hours_sql(queryset, aggregates, field=field, origin=origin, tz=window.tz)
    sql = f"SELECT date_trunc('{interval}', {local}) AS bucket, {sums} FROM ({hours_sql}) AS bins GROUP BY 1"
    return {row["bucket"]: row for row in _fetch(queryset, sql if hours_sql is not None else None, params)}


def timeseries(
    queryset: QuerySet,
    figures: type[FiguresT],
    aggregates: dict[str, Aggregate],
    *,
    field: str,
    window: DateWindow,
    interval: str,
    max_points: int | None = None,
) -> Series[FiguresT]:
    """``queryset`` (already limited to ``window``) bucketed by ``field`` in the window's zone."""
    slots = buckets(window, interval, max_points)
    by_bucket = _bucket_rows(queryset, aggregates, field=field, window=window, interval=interval, slots=slots)
    # Every row of the window falls in one bucket: the total is the buckets' sum.
    total = figures.from_row(_total(list(by_bucket.values()), aggregates))
    empty = figures()
    points = []
    for slot in slots:
        # A repeated wall-clock hour counts in its first occurrence, as PostgreSQL truncates it.
        row = by_bucket.pop(slot.replace(tzinfo=None), None)
        points.append((slot, figures.from_row(row) if row is not None else empty))
    return Series(total, points)


def call_timeseries(
    queryset: QuerySet,
    *,
    window: DateWindow,
    interval: str = "day",
    metrics: Iterable[str] | None = None,
    max_points: int | None = None,
) -> Series[CallFigures]:
    aggregates = aggregates_for(metrics, CALL_AGGREGATES, CALL_METRICS)
    return timeseries(
        queryset,
        CallFigures,
        aggregates,
        field="start_time",
        window=window,
        interval=interval,
        max_points=max_points,
    )


@dataclass(frozen=True)
class DaysAndWeekHours:
    """A set of calls per local day, and per local weekday (0 = Monday) and hour from ``since``."""

    days: Series[CallFigures]
    week_hours: dict[tuple[int, int], CallFigures]


def call_days_and_week_hours(
    queryset: QuerySet, *, window: DateWindow, since: datetime, metrics: Iterable[str] | None = None
) -> DaysAndWeekHours:
    """``call_timeseries(queryset, window=window, interval="day")`` and, in the same statement,
    the calls from ``since`` by local weekday and hour (a heat map of the week).

    The calls are counted per hour first, then those hours are added up both ways (``GROUPING
    SETS``): exact, since every aggregate is a count or a sum and a local day or hour is made
    of whole hour bins. The zone's conversions apply to the hours, not to every call.
    """
    aggregates = aggregates_for(metrics, CALL_AGGREGATES, CALL_METRICS)
    slots = buckets(window, "day")
    # Offsets change at most once a day: the days' starts and the end show every one.
    origin = _hour_origin([*slots, window.end.astimezone(window.tz)])
    hours_sql, params, sums, local = _hours_sql(queryset, aggregates, field="start_time", origin=origin, tz=window.tz)
    since_param = since if origin is not None else since.astimezone(window.tz).replace(tzinfo=None)
    sql = (
        f"SELECT GROUPING(local_day) AS week_hour, local_day, weekday, hour, in_period, {sums}"
        f" FROM (SELECT date_trunc('day', {local}) AS local_day, EXTRACT(ISODOW FROM {local})::int AS weekday,"
        f" EXTRACT(HOUR FROM {local})::int AS hour, bin >= %s AS in_period, *"
        f" FROM ({hours_sql}) AS bins) AS hours"
        " GROUP BY GROUPING SETS ((local_day), (in_period, weekday, hour))"
    )
    rows = _fetch(queryset, sql if hours_sql is not None else None, [since_param, *params])
    by_day: dict[datetime, dict[str, Any]] = {}
    week_hours: dict[tuple[int, int], CallFigures] = {}
    for row in rows:
        if not row["week_hour"]:
            by_day[row["local_day"]] = row
        elif row["in_period"]:
            week_hours[(row["weekday"] - 1, row["hour"])] = CallFigures.from_row(row)
    empty = CallFigures()
    points = []
    for slot in slots:
        found = by_day.get(slot.replace(tzinfo=None))
        points.append((slot, CallFigures.from_row(found) if found is not None else empty))
    total = CallFigures.from_row(_total(list(by_day.values()), aggregates))
    return DaysAndWeekHours(Series(total, points), week_hours)
