"""Call and form summaries and time series, aggregated by the database
(reference: "Summarizing Call Data", "... by Time Series", "Summarizing Form Data").

Every metric is a conditional aggregate over one filtered queryset, grouped by a
column (summaries) or by ``Trunc(start_time, interval, tzinfo=zone)`` (time series),
so a report is one or two SQL statements whatever the number of calls. Python only
names the groups and fills the empty time buckets.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Trunc
from rest_framework import exceptions

from accounts.fields import parse_public_or_numeric
from accounts.models import User
from api.v3 import formatting
from api.v3.dates import DateWindow
from api.v3.filters import parse_bool, query_list
from telephony.models import Call
from telephony.selectors import answer_status_q, lead_status_q, source_search_q

CALL_METRICS = (
    "total_calls",
    "missed_calls",
    "answered_calls",
    "first_time_callers",
    "average_duration",
    "formatted_average_duration",
    "leads",
    # Our extension: calls that followed a click on a tel: link or call button of the site.
    "calls_after_click",
)
FORM_METRICS = ("total_forms", "first_forms", "leads")

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
INTERVALS = ("hour", "day", "week", "month", "year")
MAX_DATA_POINTS = 200


def selected_metrics(params: Any, allowed: tuple[str, ...], default: str) -> list[str]:
    """``fields=`` picks metrics here (default: the total only). Unknown names are a 400."""
    raw = [name.strip() for name in str(params.get("fields") or "").split(",") if name.strip()]
    if not raw:
        return [default]
    unknown = [name for name in raw if name not in allowed]
    if unknown:
        raise exceptions.ValidationError(f"Invalid fields: {', '.join(unknown)}. Valid fields: {', '.join(allowed)}")
    # The total always comes first, as in every example.
    return [name for name in allowed if name in raw or name == default]


# --- calls --------------------------------------------------------------------------------


def call_aggregates(metrics: list[str]) -> dict[str, Any]:
    """The SQL aggregates behind the selected call metrics.

    Missed calls are the calls not answered, voicemails included: the reference's
    example adds up (110 answered + 20 missed = 130 total).
    """
    wanted = set(metrics)
    aggregates: dict[str, Any] = {"total_calls": Count("id")}
    if "missed_calls" in wanted:
        aggregates["missed_calls"] = Count("id", filter=~Q(answered=True))
    if "answered_calls" in wanted:
        aggregates["answered_calls"] = Count("id", filter=Q(answered=True))
    if "first_time_callers" in wanted:
        aggregates["first_time_callers"] = Count("id", filter=Q(first_call=True))
    if wanted & {"average_duration", "formatted_average_duration"}:
        # Sum and count rather than AVG, so group rows add up to the totals exactly.
        aggregates["duration_sum"] = Sum("duration")
        aggregates["duration_count"] = Count("duration")
    if "leads" in wanted:
        aggregates["leads"] = Count("id", filter=Q(lead_status="good_lead"))
    if "calls_after_click" in wanted:
        # A subquery, not a join: a call linked to several clicks still counts once.
        followed = Call.click_events.through.objects.filter(call_id=OuterRef("pk"))
        aggregates["calls_after_click"] = Count("id", filter=Q(Exists(followed)))
    return aggregates


def call_metrics_render(row: dict[str, Any], metrics: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    counted = row.get("duration_count") or 0
    average = int(round((row.get("duration_sum") or 0) / counted)) if counted else 0
    for name in metrics:
        if name == "average_duration":
            out[name] = average
        elif name == "formatted_average_duration":
            out[name] = formatting.duration_formatted(average)
        else:
            out[name] = int(row.get(name) or 0)
    return out


def choice_check(name: str, value: str, allowed: Collection[str]) -> None:
    """A 400 naming the valid values when ``value`` is not one of them."""
    if value not in allowed:
        raise exceptions.ValidationError(f"Invalid {name} '{value}'. Valid values: {', '.join(allowed)}")


def choice_param(params: Any, name: str, allowed: Collection[str]) -> str | None:
    """The query parameter ``name`` (None when absent or blank), one of ``allowed``."""
    value = params.get(name)
    if value in (None, ""):
        return None
    choice_check(name, value, allowed)
    return value


def _seconds(params: Any, name: str) -> int | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    try:
        return int(str(value))
    except ValueError as exc:
        raise exceptions.ValidationError(f"{name} must be a whole number of seconds") from exc


def call_report_filter(queryset: QuerySet, params: Any, user: User) -> QuerySet:
    """The filters shared by the call summary and time series."""
    device = choice_param(params, "device", ("desktop", "mobile", "all"))
    if device and device != "all":
        queryset = queryset.filter(device_type=device)
    low, high = _seconds(params, "min_duration"), _seconds(params, "max_duration")
    if low is not None:
        queryset = queryset.filter(duration__gte=low)
    if high is not None:
        queryset = queryset.filter(duration__lte=high)
    tags = query_list(params, "tags", split_commas=True)
    if tags:
        through = queryset.model.tags.through
        queryset = queryset.filter(pk__in=through.objects.filter(tag__name__in=tags).values("call_id"))
    tracker_ids = query_list(params, "tracker_ids", split_commas=True)
    if tracker_ids:
        condition = Q(pk__in=[])
        for value in tracker_ids:
            lookup = parse_public_or_numeric(value, "TRK")
            if lookup:
                condition |= Q(**{f"tracker__{key}": val for key, val in lookup.items()})
        queryset = queryset.filter(condition)
    direction = choice_param(params, "direction", ("inbound", "outbound", "all"))
    if direction and direction != "all":
        queryset = queryset.filter(direction=direction)
    answer_status = choice_param(params, "answer_status", ("answered", "missed", "voicemail", "all"))
    if answer_status and answer_status != "all":
        queryset = queryset.filter(answer_status_q(answer_status))
    first = params.get("first_time_callers")
    if first not in (None, ""):
        queryset = queryset.filter(first_call=parse_bool(first, "first_time_callers"))
    lead_status = choice_param(params, "lead_status", ("good_lead", "not_a_lead", "not_scored"))
    if lead_status:
        queryset = queryset.filter(lead_status_q(lead_status))
    agent = params.get("agent")
    if agent not in (None, ""):
        lookup = parse_public_or_numeric(agent, "USR")
        if lookup is None:
            raise exceptions.ValidationError("agent must be a user id")
        queryset = queryset.filter(**{f"agent__{key}": val for key, val in lookup.items()})
    search = (params.get("search") or "").strip()
    if search:
        queryset = queryset.filter(source_search_q(search))
    return queryset


def totals_of(rows: list[dict[str, Any]], aggregates: dict[str, Any]) -> dict[str, Any]:
    """The grand total of partitioning groups: every aggregate here is a sum or a count."""
    return {name: sum(row.get(name) or 0 for row in rows) for name in aggregates}


def group_key(group_by: str, value: Any) -> Any:
    if value in ("", None):
        return None
    if group_by == "source":
        return formatting.source_display(value)
    return value


def summary(
    queryset: QuerySet,
    *,
    window: DateWindow,
    metrics: list[str],
    group_by: str | None,
    groups: dict[str, str],
    aggregates: dict[str, Any],
    render: Any,
    order_metric: str,
) -> dict[str, Any]:
    queryset = queryset.order_by()
    if not group_by:
        return {**window.echo(), "total_results": render(queryset.aggregate(**aggregates), metrics)}
    column = groups[group_by]
    rows = list(
        queryset.annotate(group_key=F(column))
        .values("group_key")
        .annotate(**aggregates)
        .order_by(f"-{order_metric}", "group_key")
    )
    # One scan: the groups partition the rows, so the totals are their sums.
    return {
        **window.echo(),
        "total_results": render(totals_of(rows, aggregates), metrics),
        "grouped_by": group_by,
        "grouped_results": [{"key": group_key(group_by, row["group_key"]), **render(row, metrics)} for row in rows],
    }


# --- time series --------------------------------------------------------------------------


def _bucket_start(moment: datetime, interval: str) -> datetime:
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


def _next_bucket(start: datetime, interval: str) -> datetime:
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


def _bucket_label(start: datetime, interval: str) -> str:
    if interval == "hour":
        return start.strftime("%Y-%m-%dT%H:%M:%S%z")
    return start.strftime("%Y-%m-%d")


def _bucket_id(moment: datetime | date, interval: str, tz: Any) -> Any:
    if interval == "hour":
        return moment.timestamp() if isinstance(moment, datetime) else moment
    if isinstance(moment, datetime):
        moment = moment.astimezone(tz)
        return moment.date()
    return moment


def buckets(window: DateWindow, interval: str) -> list[datetime]:
    """Every bucket the window touches, empty or not; more than 200 is a 400."""
    tz = window.tz
    current = _bucket_start(window.start.astimezone(tz), interval)
    found: list[datetime] = []
    while current < window.end:
        found.append(current)
        if len(found) > MAX_DATA_POINTS:
            raise exceptions.ValidationError(
                f"Time series responses are limited to {MAX_DATA_POINTS} data points: "
                "request a shorter date range or a larger interval."
            )
        current = _next_bucket(current, interval)
    return found


def timeseries(
    queryset: QuerySet,
    *,
    field: str,
    window: DateWindow,
    interval: str,
    metrics: list[str],
    aggregates: dict[str, Any],
    render: Any,
) -> dict[str, Any]:
    slots = buckets(window, interval)
    queryset = queryset.order_by()
    rows = (
        queryset.annotate(bucket=Trunc(field, interval, tzinfo=window.tz))
        .values("bucket")
        .annotate(**aggregates)
        .order_by("bucket")
    )
    rows = list(rows)
    by_bucket = {_bucket_id(row["bucket"], interval, window.tz): row for row in rows}
    data = []
    for slot in slots:
        row = by_bucket.get(_bucket_id(slot, interval, window.tz), {})
        data.append({"date": _bucket_label(slot, interval), **render(row, metrics)})
    return {
        **window.echo(),
        # Every row of the window falls in one bucket: the totals are the buckets' sums.
        "total_results": render(totals_of(rows, aggregates), metrics),
        "data": data,
    }


# --- forms --------------------------------------------------------------------------------


def form_aggregates(metrics: list[str]) -> dict[str, Any]:
    wanted = set(metrics)
    aggregates: dict[str, Any] = {"total_forms": Count("id")}
    if "first_forms" in wanted:
        aggregates["first_forms"] = Count("id", filter=Q(first_form=True))
    if "leads" in wanted:
        aggregates["leads"] = Count("id", filter=Q(lead_status="good_lead"))
    if "calls_after_click" in wanted:
        # A subquery, not a join: a call linked to several clicks still counts once.
        followed = Call.click_events.through.objects.filter(call_id=OuterRef("pk"))
        aggregates["calls_after_click"] = Count("id", filter=Q(Exists(followed)))
    return aggregates


def form_metrics_render(row: dict[str, Any], metrics: list[str]) -> dict[str, Any]:
    return {name: int(row.get(name) or 0) for name in metrics}
