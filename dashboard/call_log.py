"""The call log's URL, read: the filters, search, sort and keyset page a ``/calls/`` link
asks for, checked and turned into ``telephony.selectors`` terms. The parameters are the v3
API's own names (``answer_status``, ``lead_status``, ``tracker_id``, ``tags``, ``search``,
``sort``...), so the same question asked of both gives the same calls in the same order.

Nothing a user types makes an error page: a value that cannot be read is dropped, with a
notice saying so.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from accounts.fields import ascii_digits, parse_public_or_numeric
from callrail.keyset import token_decode, token_encode
from dashboard.state import DashboardState
from telephony.models import Call
from telephony.selectors import (
    CALL_SORTS,
    CallFilters,
    CallSort,
    Cursor,
)

PER_PAGE_CHOICES = (25, 50, 100)
DEFAULT_PER_PAGE = PER_PAGE_CHOICES[0]
PER_PAGE = "per_page"

ANSWER_STATUS_LABELS = {"answered": "Answered", "missed": "Missed", "voicemail": "Voicemail"}
LEAD_STATUS_LABELS = {"good_lead": "Good lead", "not_a_lead": "Not a lead", "not_scored": "Not scored"}
DIRECTION_LABELS = {"inbound": "Inbound", "outbound": "Outbound"}
YES_NO = {"true": "Yes", "false": "No"}

# The columns a person can sort by, and the sort keys (CALL_SORTS) behind them.
SORTABLE_COLUMNS = {
    "caller": "customer_name",
    "time": "start_time",
    "source": "source",
    "duration": "duration",
    "tags": "tags",
    "lead": "lead_status",
}
# The type a keyset cursor's key must have for each sort key: what a forged page link
# carries is checked before it reaches a query.
_KEY_TYPES: dict[str, type] = {
    "start_time": datetime,
    "duration": int,
    "answered": bool,
    "first_call": bool,
}


@dataclass(frozen=True)
class FilterParam:
    """One of the call log's filters: its URL parameter, label, and the ``CallFilters``
    field it sets."""

    name: str
    label: str
    target: str
    choices: dict[str, str] = field(default_factory=dict)


FILTERS: tuple[FilterParam, ...] = (
    FilterParam("search", "Search", "search"),
    FilterParam("answer_status", "Status", "answer_status", ANSWER_STATUS_LABELS),
    FilterParam("lead_status", "Lead status", "lead_status", LEAD_STATUS_LABELS),
    FilterParam("tracker_id", "Tracker", "trackers"),
    FilterParam("source", "Source", "source"),
    FilterParam("campaign", "Campaign", "campaign"),
    FilterParam("tags", "Tag", "tags"),
    FilterParam("direction", "Direction", "direction", DIRECTION_LABELS),
    FilterParam("first_time_callers", "First-time callers", "first_call", YES_NO),
    FilterParam("has_recording", "Recorded", "has_recording", YES_NO),
    FilterParam("min_duration", "Longer than (s)", "min_duration"),
    FilterParam("max_duration", "Shorter than (s)", "max_duration"),
)
FILTER_NAMES = tuple(item.name for item in FILTERS)


@dataclass
class CallLogQuery:
    """What one call log URL asks for."""

    filters: CallFilters
    sort: CallSort
    cursor: Cursor | None
    per_page: int
    notices: list[str]
    # The filters as given (name, value), for the chips that remove them one by one.
    applied: list[tuple[FilterParam, str]]

    @property
    def sort_param(self) -> str:
        """The sort as the URL writes it (``-duration``); empty for the default."""
        if self.sort == CallSort():
            return ""
        return ("-" if self.sort.descending else "") + self.sort.key


def _seconds(value: str) -> int | None:
    text = value.strip()
    return int(text) if ascii_digits(text) else None


def _boolean(value: str) -> bool | None:
    return {"true": True, "false": False}.get(value.strip().lower())


def _filter_value(item: FilterParam, values: list[str]) -> Any:
    """The ``CallFilters`` value of one parameter, or None when it cannot be read."""
    if item.name == "tags":
        return tuple(dict.fromkeys(values))
    value = values[0]
    if item.target in ("first_call", "has_recording"):
        return _boolean(value)
    if item.choices:
        return value if value in item.choices else None
    if item.target in ("min_duration", "max_duration"):
        return _seconds(value)
    if item.target == "trackers":
        return (value,) if parse_public_or_numeric(value, "TRK") else None
    return value.strip() or None


def _filters(state: DashboardState, notices: list[str]) -> tuple[CallFilters, list[tuple[FilterParam, str]]]:
    values: dict[str, Any] = {}
    applied: list[tuple[FilterParam, str]] = []
    for item in FILTERS:
        given = state.getlist(item.name)
        if not given:
            continue
        value = _filter_value(item, given)
        if value is None:
            notices.append(f"The {item.label.lower()} filter “{given[0]}” could not be read and is left out.")
            continue
        values[item.target] = value
        applied.extend((item, text) for text in (given if item.name == "tags" else given[:1]))
    return CallFilters(**values), applied


def _sort(state: DashboardState, notices: list[str]) -> CallSort:
    if not state.sort:
        return CallSort()
    key = state.sort.lstrip("-")
    if key not in CALL_SORTS:
        notices.append(f"The call log cannot be sorted by “{key}”: newest calls come first.")
        return CallSort()
    return CallSort(key=key, descending=state.sort.startswith("-"))


def cursor_token(cursor: Cursor) -> str:
    """A page link's ``page`` parameter: the cursor, readable only by ``_cursor``."""
    return token_encode([int(cursor.backwards), cursor.page, cursor.key, cursor.id])


def _cursor(state: DashboardState, sort: CallSort, notices: list[str]) -> Cursor | None:
    if not state.page:
        return None
    try:
        backwards, page, key, last_id = token_decode(state.page)
        expected = _KEY_TYPES.get(sort.key, str)
        if (
            backwards not in (0, 1)
            or not isinstance(page, int)
            or page < 1
            or not isinstance(last_id, int)
            or type(key) is not expected
            or (isinstance(key, datetime) and key.tzinfo is None)
        ):
            raise ValueError("not a cursor of this sort")
    except ValueError:
        notices.append("That page link could not be read: showing the first page.")
        return None
    return Cursor(key=key, id=last_id, backwards=bool(backwards), page=page)


def _per_page(state: DashboardState) -> int:
    value = state.get(PER_PAGE)
    return int(value) if value in {str(choice) for choice in PER_PAGE_CHOICES} else DEFAULT_PER_PAGE


def call_log_query(state: DashboardState) -> CallLogQuery:
    """Read a call log URL's filters, sort, page and page size."""
    notices: list[str] = []
    filters, applied = _filters(state, notices)
    sort = _sort(state, notices)
    return CallLogQuery(
        filters=filters,
        sort=sort,
        cursor=_cursor(state, sort, notices),
        per_page=_per_page(state),
        notices=notices,
        applied=applied,
    )


def status_of(call: Call) -> tuple[str, str]:
    """(key, label) of a call's outcome as the log shows it; the key names its colour."""
    if call.is_live:
        return "live", "In progress"
    if call.voicemail:
        return "voicemail", "Voicemail"
    if call.answered:
        return "answered", "Answered"
    return "missed", "Missed"


def sort_links(state: DashboardState, sort: CallSort) -> Iterator[tuple[str, dict[str, str]]]:
    """For each sortable column: its link (the other direction when it is the current sort,
    else the key's natural direction) and its ``aria-sort`` value."""
    for column, key in SORTABLE_COLUMNS.items():
        natural = CallSort.named(key)
        if sort.key == key:
            target = CallSort(key=key, descending=not sort.descending)
            aria = "descending" if sort.descending else "ascending"
        else:
            target, aria = natural, "none"
        param = "" if target == CallSort() else ("-" if target.descending else "") + key
        icon = {"ascending": "bi-arrow-up", "descending": "bi-arrow-down"}.get(aria, "bi-arrow-down-up sort-icon-idle")
        yield column, {"url": state.query(sort=param or None), "aria": aria, "icon": icon}
