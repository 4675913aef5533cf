"""Date windows for the reporting endpoints: ``date_range``, ``start_date``/``end_date``,
``time_zone`` and the retention rule (the account's ``data_retention_days``) (reference: "Filtering Data by Date",
"Time Zones", "Working with Time Zones").

The computation lives in ``callrail/dates.py``, shared with the dashboard so both agree;
this module resolves the API's ``time_zone`` parameter and answers errors the API's way
(400, ``{"error": ...}``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rest_framework import exceptions

from callrail import dates
from callrail.dates import DEFAULT_DATE_RANGE, DateWindow


class DateRangeError(exceptions.ValidationError):
    """A malformed or out-of-retention date parameter (400, ``{"error": ...}``)."""


def zone_resolve(name: str | None, user: Any = None) -> tuple[ZoneInfo, str]:
    """The zone for ``time_zone`` (``user`` or absent: the API key user's zone).

    Accepts any IANA name (the reference's timeseries example uses ``EST``, which
    the tz database also carries). Returns the zone and the name to echo back.
    """
    if not name or name == "user":
        name = user.effective_time_zone if user is not None else "UTC"
    try:
        return dates.zone_get(name), name
    except dates.DateRangeError as exc:
        raise DateRangeError(str(exc)) from exc


def date_window(
    params: Any,
    user: Any = None,
    *,
    now: datetime | None = None,
    default_range: str | None = DEFAULT_DATE_RANGE,
    account: Any = None,
) -> DateWindow | None:
    """The window a request asks for, checked against the retention rule
    (``callrail.dates.window_from_params``, in the zone ``time_zone`` names): the
    ``account``'s ``data_retention_days``, or the reference's 25 months without one."""
    tz, tz_name = zone_resolve(params.get("time_zone"), user)
    retention_days = account.data_retention_days if account is not None else None
    try:
        return dates.window_from_params(
            params, tz, tz_name, now=now, default_range=default_range, retention_days=retention_days
        )
    except dates.DateRangeError as exc:
        raise DateRangeError(str(exc)) from exc
