from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.http import QueryDict

from api.v3.dates import DateRangeError, date_window

NY = ZoneInfo("America/New_York")
NOW = datetime(2024, 3, 15, 15, 0, tzinfo=ZoneInfo("UTC"))  # 11:00 in New York


def window(query):
    return date_window(QueryDict(query), None if "time_zone" in query else _User(), now=NOW)


class _User:
    effective_time_zone = "America/New_York"


def local(moment):
    return moment.astimezone(NY).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("name", "start", "end"),
    [
        ("recent", "2024-02-15 00:00", "2024-03-16 00:00"),
        ("today", "2024-03-15 00:00", "2024-03-16 00:00"),
        ("yesterday", "2024-03-14 00:00", "2024-03-15 00:00"),
        ("last_7_days", "2024-03-08 00:00", "2024-03-15 00:00"),
        ("last_30_days", "2024-02-14 00:00", "2024-03-15 00:00"),
        ("this_month", "2024-03-01 00:00", "2024-03-16 00:00"),
        ("last_month", "2024-02-01 00:00", "2024-03-01 00:00"),
        ("this_year", "2024-01-01 00:00", "2024-03-16 00:00"),
        ("last_year", "2023-01-01 00:00", "2024-01-01 00:00"),
        ("all_time", "2022-02-15 00:00", "2024-03-16 00:00"),
    ],
)
def test_named_ranges(name, start, end):
    found = window(f"date_range={name}")
    assert (local(found.start), local(found.end)) == (start, end)


def test_default_is_recent():
    assert window("").start == window("date_range=recent").start


def test_dates_are_inclusive_and_datetimes_exact():
    same_day = window("start_date=2024-03-01&end_date=2024-03-01")
    assert (local(same_day.start), local(same_day.end)) == ("2024-03-01 00:00", "2024-03-02 00:00")
    assert same_day.echo()["end_date"] == "2024-03-01T23:59:59-0500"
    exact = window("start_date=2024-03-01T10:00&end_date=2024-03-05T14:30")
    assert (local(exact.start), local(exact.end)) == ("2024-03-01 10:00", "2024-03-05 14:30")


def test_explicit_dates_win_and_time_zone_applies():
    found = date_window(QueryDict("date_range=today&start_date=2024-03-01&time_zone=UTC"), None, now=NOW)
    assert found.start == datetime(2024, 3, 1, tzinfo=ZoneInfo("UTC"))
    assert found.tz_name == "UTC"


@pytest.mark.parametrize(
    "query",
    [
        "date_range=forever",
        "start_date=03/01/2024",
        "start_date=2024-03-05&end_date=2024-03-01",
        "start_date=2021-01-01",
        "time_zone=Nowhere/Special",
    ],
)
def test_bad_input_is_a_400(query):
    with pytest.raises(DateRangeError) as error:
        window(query)
    assert error.value.status_code == 400
