"""The API side of call and form summaries and time series (reference: "Summarizing Call
Data", "... by Time Series", "Summarizing Form Data"): reading the query parameters and
writing the response. The figures themselves come from ``telephony.reports``, which the
dashboard's pages use too, so both always agree.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from rest_framework import exceptions

from api.v3.filters import parse_bool, query_list
from callrail.dates import DateWindow
from telephony import reports
from telephony.dimensions import LEAD_STATUSES, invalid_choice, lead_status_q
from telephony.reports import (
    CALL_GROUPS,
    FORM_GROUPS,
    INTERVALS,
    FormFilters,
    Series,
    Summary,
)
from telephony.selectors import CallFilters, answer_status_q, source_search_q

# Re-exported for the call and form filtersets, which share these conditions with the reports.
__all__ = [
    "CALL_GROUPS",
    "CALL_METRICS",
    "FORM_GROUPS",
    "FORM_METRICS",
    "INTERVALS",
    "MAX_DATA_POINTS",
    "answer_status_q",
    "call_filters",
    "choice_check",
    "choice_param",
    "form_filters",
    "lead_status_q",
    "selected_metrics",
    "source_search_q",
    "summary_render",
    "timeseries_render",
]

CALL_METRICS = tuple(reports.CALL_METRICS)
FORM_METRICS = tuple(reports.FORM_METRICS)
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


def choice_check(name: str, value: str, allowed: Collection[str]) -> None:
    """A 400 naming the valid values when ``value`` is not one of them."""
    if value not in allowed:
        raise exceptions.ValidationError(invalid_choice(name, value, allowed))


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


def _bool(params: Any, name: str) -> bool | None:
    value = params.get(name)
    return None if value in (None, "") else parse_bool(value, name)


def call_filters(params: Any) -> CallFilters:
    """The filters shared by the call summary and time series, read in the order the
    reference lists them (the first bad one is the one reported)."""
    return CallFilters(
        device=choice_param(params, "device", reports.DEVICES) or "",
        min_duration=_seconds(params, "min_duration"),
        max_duration=_seconds(params, "max_duration"),
        tags=tuple(query_list(params, "tags", split_commas=True)),
        trackers=tuple(query_list(params, "tracker_ids", split_commas=True)),
        direction=choice_param(params, "direction", reports.DIRECTIONS) or "",
        answer_status=choice_param(params, "answer_status", reports.ANSWER_STATUSES) or "",
        first_call=_bool(params, "first_time_callers"),
        lead_status=choice_param(params, "lead_status", LEAD_STATUSES) or "",
        agent=params.get("agent") or "",
        # The summaries search the source only (the call list searches much more).
        source_search=(params.get("search") or "").strip(),
    )


def form_filters(params: Any) -> FormFilters:
    return FormFilters(
        tags=query_list(params, "tags", split_commas=True),
        form_ids=query_list(params, "custom_form_ids", split_commas=True),
        form_url=params.get("form_URL") or params.get("form_url") or "",
        lead_status=choice_param(params, "lead_status", LEAD_STATUSES),
    )


def summary_render(
    result: Summary[Any], *, window: DateWindow, metrics: list[str], group_by: str | None
) -> dict[str, Any]:
    """``calls/summary.json`` and ``forms/summary.json``: the totals, and the groups when grouped."""
    body: dict[str, Any] = {**window.echo(), "total_results": _metrics(result.total, metrics)}
    if group_by:
        body["grouped_by"] = group_by
        body["grouped_results"] = [
            {"key": reports.group_label(group_by, group.raw), **_metrics(group.figures, metrics)}
            for group in result.groups
        ]
    return body


def timeseries_render(result: Series[Any], *, window: DateWindow, interval: str, metrics: list[str]) -> dict[str, Any]:
    """``calls/timeseries.json``: one entry per bucket, empty buckets included."""
    return {
        **window.echo(),
        "total_results": _metrics(result.total, metrics),
        "data": [
            {"date": _bucket_label(start, interval), **_metrics(figures, metrics)} for start, figures in result.points
        ],
    }


def _metrics(figures: Any, metrics: list[str]) -> dict[str, Any]:
    return {name: figures.metric(name) for name in metrics}


def _bucket_label(start: datetime, interval: str) -> str:
    if interval == "hour":
        return start.strftime("%Y-%m-%dT%H:%M:%S%z")
    return start.strftime("%Y-%m-%d")
