"""Date windows shared by every interface: the v3 API's ``date_range``/``start_date``/``end_date``
rules and the dashboard's date-range control compute their periods here, so both agree to
the second (API reference: "Filtering Data by Date", "Time Zones", "Working with Time Zones").

Every window is half-open, ``start <= t < end``, with both ends at local times of the
effective time zone. The reference's inclusive wording maps onto that: ``end_date=2016-10-17``
means "up to 23:59:59 that day", so the exclusive end is the next midnight;
``end_date=2015-09-05T10:00`` means "before 10 AM", so the exclusive end is that instant.

Errors are plain ``ValueError`` subclasses: each interface turns them into its own answer.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

DATE_RANGES = (
    "recent",
    "today",
    "yesterday",
    "last_7_days",
    "last_30_days",
    "this_month",
    "last_month",
    "this_year",
    "last_year",
    "all_time",
)
DEFAULT_DATE_RANGE = "recent"
RETENTION_MONTHS = 25
# An account's default ``data_retention_days``: the reference's 25 months, in days.
DEFAULT_RETENTION_DAYS = 760
RETENTION_MESSAGE = (
    "Communication records are kept for 25 months. The requested dates fall outside that window: "
    "please revise your date range."
)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class DateRangeError(ValueError):
    """A malformed or out-of-retention date parameter; the message is meant for the user."""


def zone_get(name: str) -> ZoneInfo:
    """The IANA zone ``name`` (the tz database also carries ``EST``, which the reference uses)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise DateRangeError(f"Invalid time_zone '{name}'.") from exc


def months_before(day: date, months: int) -> date:
    year, month_index = divmod(day.year * 12 + (day.month - 1) - months, 12)
    month = month_index + 1
    # The 31st of a shorter month is that month's last day.
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def local_today(tz: ZoneInfo, now: datetime | None = None) -> date:
    return timezone.localtime(now or timezone.now(), tz).date()


def retention_start(tz: ZoneInfo, now: datetime | None = None, days: int | None = None) -> datetime:
    """The oldest instant whose records are all still kept.

    Without ``days``, the reference's rule: midnight, 25 months ago. With an account's
    ``data_retention_days``, the first local midnight at or after the purge's cutoff
    (``now - days``), so a range starting there holds nothing the purge deleted. Keeping
    records forever (``days`` 0) leaves the 25 months as what ``all_time`` covers; see
    ``retention_horizon`` for what explicit dates may reach.
    """
    if not days or days < 0:
        return local_midnight(months_before(local_today(tz, now), RETENTION_MONTHS), tz)
    cutoff = timezone.localtime((now or timezone.now()) - timedelta(days=days), tz)
    midnight = local_midnight(cutoff.date(), tz)
    return midnight if midnight >= cutoff else local_midnight(cutoff.date() + timedelta(days=1), tz)


def retention_horizon(tz: ZoneInfo, now: datetime | None = None, days: int | None = None) -> datetime | None:
    """The earliest start a date range may have (None: any; the account keeps everything)."""
    if days == 0:
        return None
    return retention_start(tz, now, days)


def retention_message(days: int | None) -> str:
    """The reference's out-of-retention error, naming the account's own period."""
    if days is None or days == DEFAULT_RETENTION_DAYS:
        return RETENTION_MESSAGE
    return (
        f"Communication records are kept for {days} days. The requested dates fall outside that window: "
        "please revise your date range."
    )


@dataclass(frozen=True)
class DateWindow:
    start: datetime  # inclusive, aware
    end: datetime  # exclusive, aware
    tz: ZoneInfo
    tz_name: str

    @property
    def last_second(self) -> datetime:
        """The inclusive end the summaries echo (``…T23:59:59``)."""
        return (self.end - timedelta(seconds=1)).astimezone(self.tz).replace(microsecond=0)

    @property
    def first_day(self) -> date:
        return self.start.astimezone(self.tz).date()

    @property
    def last_day(self) -> date:
        """The local day of the last instant in the window (inclusive)."""
        return self.last_second.date()

    @property
    def whole_days(self) -> bool:
        """True when both ends fall on local midnights (every named range and date-only custom range)."""
        return all(moment.astimezone(self.tz).time() == time.min for moment in (self.start, self.end))

    def echo(self) -> dict[str, str]:
        """``start_date``/``end_date``/``time_zone`` as the summary endpoints print them."""
        return {
            "start_date": self.start.astimezone(self.tz).strftime("%Y-%m-%dT%H:%M:%S%z"),
            "end_date": self.last_second.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "time_zone": self.tz_name,
        }

    def lookups(self, field: str) -> dict[str, datetime]:
        return {f"{field}__gte": self.start, f"{field}__lt": self.end}

    def previous(self) -> DateWindow:
        """The comparison period: as long as this one and ending where it starts.

        A window of whole local days is shifted by local days, not by its length in hours,
        so "the 7 days before" a DST change still starts and ends at midnight.
        """
        if self.whole_days:
            first, end_day = self.first_day, self.end.astimezone(self.tz).date()
            days = (end_day - first).days
            start = local_midnight(first - timedelta(days=days), self.tz)
            return DateWindow(start, local_midnight(first, self.tz), self.tz, self.tz_name)
        # Aware arithmetic within one zone is wall-clock arithmetic: subtract in UTC instead.
        start_utc = self.start.astimezone(UTC)
        length = self.end.astimezone(UTC) - start_utc
        return DateWindow((start_utc - length).astimezone(self.tz), self.start, self.tz, self.tz_name)


def _last_month(today: date) -> tuple[date, date]:
    first = today.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1), first


# The named ranges made of whole local days: ``today`` -> (first day, the day after the last).
_DAY_RANGES: dict[str, Callable[[date], tuple[date, date]]] = {
    "recent": lambda today: (today - timedelta(days=29), today + timedelta(days=1)),  # 30 days including today
    "today": lambda today: (today, today + timedelta(days=1)),
    "yesterday": lambda today: (today - timedelta(days=1), today),
    "last_7_days": lambda today: (today - timedelta(days=7), today),  # excluding today
    "last_30_days": lambda today: (today - timedelta(days=30), today),
    "this_month": lambda today: (today.replace(day=1), today + timedelta(days=1)),
    "last_month": _last_month,
    "this_year": lambda today: (today.replace(month=1, day=1), today + timedelta(days=1)),
    "last_year": lambda today: (date(today.year - 1, 1, 1), date(today.year, 1, 1)),
}


def named_range(
    name: str, today: date, tz: ZoneInfo, now: datetime | None = None, retention_days: int | None = None
) -> tuple[datetime, datetime]:
    """The ``[start, end)`` of a named ``date_range`` (one of ``DATE_RANGES``) for ``today`` in ``tz``."""
    if name == "all_time":
        # The reference says all_time can also meet the retention error; clients (reporting
        # connectors) use it to mean "everything", so it is read as "everything inside the
        # retention window" rather than always failing.
        return retention_start(tz, now, retention_days), local_midnight(today + timedelta(days=1), tz)
    days = _DAY_RANGES.get(name)
    if days is None:
        raise DateRangeError(f"Invalid date_range '{name}'. Valid values: {', '.join(DATE_RANGES)}.")
    first, after_last = days(today)
    return local_midnight(first, tz), local_midnight(after_last, tz)


def parse_date_param(value: str, tz: ZoneInfo, *, is_end: bool, name: str) -> datetime:
    """``2016-10-17`` or ``2015-09-05T14:00`` (offset optional) → an aware instant.

    A date-only ``end_date`` covers that whole day (the exclusive end is the next midnight).
    """
    text = value.strip()
    if _DATE.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError as exc:
            raise DateRangeError(f"Invalid {name} '{value}': use YYYY-MM-DD or YYYY-MM-DDThh:mm.") from exc
        return local_midnight(day + timedelta(days=1) if is_end else day, tz)
    try:
        # A '+' in an offset arrives as a space when the client did not escape it.
        moment = datetime.fromisoformat(text.replace(" ", "+") if "T" in text else text)
    except ValueError as exc:
        raise DateRangeError(f"Invalid {name} '{value}': use YYYY-MM-DD or YYYY-MM-DDThh:mm.") from exc
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=tz)
    return moment


def window_from_params(
    params: Mapping[str, str],
    tz: ZoneInfo,
    tz_name: str,
    *,
    now: datetime | None = None,
    default_range: str | None = DEFAULT_DATE_RANGE,
    retention_days: int | None = None,
) -> DateWindow | None:
    """The window ``date_range``/``start_date``/``end_date`` ask for, checked against retention.

    Explicit ``start_date``/``end_date`` win over ``date_range`` (the reference does not
    say; dates are the more specific request). A lone ``start_date`` runs to the end of
    today; a lone ``end_date`` starts at the retention limit. With no date parameter the
    default range applies; ``default_range=None`` means "no date filter".

    ``retention_days`` is the account's ``data_retention_days`` (None: the reference's 25
    months): a window reaching past it would count purged records as if there had been none.
    """
    now = now or timezone.now()
    today = local_today(tz, now)
    horizon = retention_horizon(tz, now, retention_days)
    start_raw, end_raw = params.get("start_date"), params.get("end_date")
    range_name = params.get("date_range")

    if start_raw or end_raw:
        start = (
            parse_date_param(start_raw, tz, is_end=False, name="start_date")
            if start_raw
            else retention_start(tz, now, retention_days)
        )
        end = (
            parse_date_param(end_raw, tz, is_end=True, name="end_date")
            if end_raw
            else local_midnight(today + timedelta(days=1), tz)
        )
        if end <= start:
            raise DateRangeError("end_date must be after start_date.")
        if horizon is not None and start < horizon:
            raise DateRangeError(retention_message(retention_days))
        return DateWindow(start, end, tz, tz_name)

    if not range_name:
        if default_range is None:
            return None
        range_name = default_range
    start, end = named_range(range_name, today, tz, now, retention_days)
    if horizon is not None and start < horizon:
        raise DateRangeError(retention_message(retention_days))
    return DateWindow(start, end, tz, tz_name)
