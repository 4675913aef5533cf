"""A dashboard page's state, kept in its query string so that a link can be shared and the
back button works: the company, the date range and comparison, and the page's own
filters, sort and page.

``DashboardState.from_query(request.GET)`` reads and checks it (nothing a user types makes
an error page: what cannot be read falls back to the default, with a notice);
``state.query(sort="-duration")`` writes a link that changes one thing and keeps the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.http import QueryDict

from callrail import dates
from callrail.dates import DateRangeError, DateWindow

# The date-range presets the dashboard offers, in the API's own ``date_range`` names so a
# page's figures can be checked against the API with the same parameters.
PRESETS: dict[str, str] = {
    "today": "Today",
    "yesterday": "Yesterday",
    "last_7_days": "Last 7 days",
    "last_30_days": "Last 30 days",
    "this_month": "This month",
    "last_month": "Last month",
}
CUSTOM = "custom"
DATE_RANGE_CHOICES: dict[str, str] = {**PRESETS, CUSTOM: "Custom"}
DEFAULT_PRESET = "last_30_days"
COMPARE_PREVIOUS = "previous"
FALLBACK = f"showing {PRESETS[DEFAULT_PRESET].lower()} instead"

# Parameters every page understands; any other parameter is a page's own filter.
COMPANY, DATE_RANGE, START_DATE, END_DATE, COMPARE, SORT, PAGE = (
    "company",
    "date_range",
    "start_date",
    "end_date",
    "compare",
    "sort",
    "page",
)
# What follows the user from page to page (the navigation links keep these, not filters).
SHARED = (COMPANY, DATE_RANGE, START_DATE, END_DATE, COMPARE)
CORE = (*SHARED, SORT, PAGE)

_SORT = re.compile(r"^-?[a-z][a-z0-9_]{0,63}$")
_MAX_VALUE = 200  # longer values are not anything a page wrote


def _clean(value: str | None) -> str:
    # A NUL byte is nothing anyone typed, and PostgreSQL refuses it in any text it compares.
    return (value or "").replace("\x00", "").strip()[:_MAX_VALUE]


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def _query_pairs(query: QueryDict | Mapping[str, str]) -> list[tuple[str, str]]:
    """Every (name, value) of the query in order, cleaned; empty values are what a GET form
    sends for an unused field: the same as absent."""
    if isinstance(query, QueryDict):
        pairs = [(key, _clean(value)) for key, values in query.lists() for value in values]
    else:
        pairs = [(key, _clean(value)) for key, value in query.items()]
    return [(key, value) for key, value in pairs if value]


def _period(first: Mapping[str, str]) -> tuple[str, date | None, date | None, list[str]]:
    """The date range the query asks for (with its dates when custom), or the default one
    with a notice saying why the query's could not be used."""
    notices: list[str] = []
    date_range = first.get(DATE_RANGE, "")
    start, end = _date(first.get(START_DATE, "")), _date(first.get(END_DATE, ""))
    if not date_range and (START_DATE in first or END_DATE in first):
        date_range = CUSTOM
    if date_range == CUSTOM:
        if (START_DATE in first and start is None) or (END_DATE in first and end is None):
            notices.append(f"The custom dates could not be read (use YYYY-MM-DD): {FALLBACK}.")
            date_range, start, end = DEFAULT_PRESET, None, None
        elif start and end and end < start:
            notices.append(f"The custom range ends before it starts: {FALLBACK}.")
            date_range, start, end = DEFAULT_PRESET, None, None
    elif date_range not in PRESETS:
        if date_range:
            notices.append(f"Unknown date range “{date_range}”: {FALLBACK}.")
        date_range, start, end = DEFAULT_PRESET, None, None
    else:
        start = end = None
    return date_range, start, end, notices


@dataclass(frozen=True)
class DashboardState:
    """The query string of a dashboard page, read and checked.

    ``company`` is a public id as written in the URL; whether the user may see it is decided
    with the user at hand (``dashboard.access``). ``date_range`` is a preset name or
    ``custom`` (then ``start_date``/``end_date`` are set, both inclusive days).
    """

    params: tuple[tuple[str, str], ...] = ()
    company: str | None = None
    date_range: str = DEFAULT_PRESET
    start_date: date | None = None
    end_date: date | None = None
    compare: bool = False
    sort: str = ""
    page: str = ""
    notices: tuple[str, ...] = field(default=())

    @classmethod
    def from_query(cls, query: QueryDict | Mapping[str, str]) -> DashboardState:
        pairs = _query_pairs(query)
        first: dict[str, str] = {}
        for key, value in pairs:
            first.setdefault(key, value)

        # Kept as given: the access check answers 404 for any company the user cannot see.
        company = first.get(COMPANY)

        date_range, start, end, notices = _period(first)
        dropped: set[str] = set()
        if notices:
            # What could not be read is not carried into the page's links.
            dropped |= {DATE_RANGE, START_DATE, END_DATE}
        elif date_range != CUSTOM:
            # Nor are dates left over from a custom range.
            dropped |= {START_DATE, END_DATE}
        sort = first.get(SORT, "")
        if not _SORT.match(sort):
            dropped.add(SORT)
        pairs = [(key, value) for key, value in pairs if key not in dropped]

        return cls(
            params=tuple(pairs),
            company=company,
            date_range=date_range,
            start_date=start,
            end_date=end,
            compare=first.get(COMPARE) == COMPARE_PREVIOUS,
            sort=sort if SORT not in dropped else "",
            page=first.get(PAGE, ""),
            notices=tuple(notices),
        )

    # --- reading a page's own parameters -------------------------------------------------

    def get(self, name: str, default: str = "") -> str:
        return next((value for key, value in self.params if key == name), default)

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self.params if key == name]

    @property
    def filters(self) -> dict[str, list[str]]:
        """The page's own parameters (anything but the shared state, sort and page)."""
        found: dict[str, list[str]] = {}
        for key, value in self.params:
            if key not in CORE:
                found.setdefault(key, []).append(value)
        return found

    # --- the period ------------------------------------------------------------------------

    @property
    def is_custom(self) -> bool:
        return self.date_range == CUSTOM

    @property
    def date_range_label(self) -> str:
        return DATE_RANGE_CHOICES[self.date_range]

    def window(self, tz_name: str, *, now: datetime | None = None) -> tuple[DateWindow, str | None]:
        """The period in ``tz_name`` (the company's zone, or the user's for all companies),
        computed exactly as the API's ``date_range``/``start_date``/``end_date``; a custom range
        the rules refuse (before the retention limit) falls back to the default, with a notice."""
        tz = dates.zone_get(tz_name)
        if self.is_custom:
            today = dates.local_today(tz, now)
            end = self.end_date or today
            start = self.start_date or min(end, today) - timedelta(days=29)
            params = {START_DATE: start.isoformat(), END_DATE: end.isoformat()}
            try:
                window = dates.window_from_params(params, tz, tz_name, now=now)
            except DateRangeError as exc:
                fallback = dates.window_from_params({DATE_RANGE: DEFAULT_PRESET}, tz, tz_name, now=now)
                assert fallback is not None
                return fallback, f"{exc} Showing {PRESETS[DEFAULT_PRESET].lower()} instead."
        else:
            window = dates.window_from_params({DATE_RANGE: self.date_range}, tz, tz_name, now=now)
        assert window is not None
        return window, None

    # --- writing links ---------------------------------------------------------------------

    def query(self, _keep: Iterable[str] | None = None, **changes: str | Iterable[str] | None) -> str:
        """This state as a query string (``?…``, or ``""`` when empty) with ``changes`` applied.

        A change to ``None`` or ``""`` removes the parameter; a list sets several values.
        Any change but to ``page`` goes back to the first page (the rows are a new question).
        ``_keep`` limits the parameters carried over (e.g. ``SHARED`` for another page).
        """
        keep = set(_keep) if _keep is not None else None
        if changes and PAGE not in changes:
            changes[PAGE] = None
        pairs: list[tuple[str, str]] = []
        done: set[str] = set()
        for key, value in self.params:
            if keep is not None and key not in keep:
                continue
            if key in changes:
                if key not in done:
                    pairs.extend(_pairs(key, changes[key]))
                    done.add(key)
                continue
            pairs.append((key, value))
        for key, value in changes.items():
            if key not in done:
                pairs.extend(_pairs(key, value))
        return f"?{urlencode(pairs)}" if pairs else ""

    @property
    def shared_query(self) -> str:
        """The query string the navigation links carry: company and period, no filters."""
        return self.query(SHARED)

    def hidden_fields(self, *exclude: str) -> list[tuple[str, str]]:
        """The parameters a GET form must resend to keep the rest of the state (the page
        always goes back to the first)."""
        skipped = {*exclude, PAGE}
        return [(key, value) for key, value in self.params if key not in skipped]


def _pairs(key: str, value: str | Iterable[str] | None) -> list[tuple[str, str]]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [(key, value)]
    return [(key, item) for item in value if item]
