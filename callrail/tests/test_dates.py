"""The shared date windows: named ranges in a time zone, DST days, month edges, the comparison period."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from callrail.dates import DateRangeError, DateWindow, named_range, retention_start, window_from_params

NY = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")


def local(moment: datetime, tz: ZoneInfo = NY) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %z")


def window(query: dict[str, str], now: datetime, tz: ZoneInfo = NY) -> DateWindow:
    found = window_from_params(query, tz, str(tz), now=now)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("name", "start", "end"),
    [
        # 2024-03-10 is the spring-forward Sunday in New York: that day has 23 hours.
        ("today", "2024-03-10 00:00 -0500", "2024-03-11 00:00 -0400"),
        ("yesterday", "2024-03-09 00:00 -0500", "2024-03-10 00:00 -0500"),
        ("last_7_days", "2024-03-03 00:00 -0500", "2024-03-10 00:00 -0500"),
        ("last_30_days", "2024-02-09 00:00 -0500", "2024-03-10 00:00 -0500"),
        ("this_month", "2024-03-01 00:00 -0500", "2024-03-11 00:00 -0400"),
        ("last_month", "2024-02-01 00:00 -0500", "2024-03-01 00:00 -0500"),
    ],
)
def test_named_ranges_start_and_end_at_local_midnights_on_a_dst_day(name, start, end):
    now = datetime(2024, 3, 10, 16, 0, tzinfo=UTC)  # noon in New York, after the change
    found = window({"date_range": name}, now)
    assert (local(found.start), local(found.end)) == (start, end)


def test_today_on_the_fall_back_day_is_25_hours_long():
    now = datetime(2024, 11, 3, 18, 0, tzinfo=UTC)
    found = window({"date_range": "today"}, now)
    assert (found.end.astimezone(UTC) - found.start.astimezone(UTC)).total_seconds() == 25 * 3600


def test_the_day_follows_the_zone_not_utc():
    # 02:30 UTC on the 1st is still the last evening of the previous month in New York.
    now = datetime(2024, 4, 1, 2, 30, tzinfo=UTC)
    assert local(window({"date_range": "today"}, now).start) == "2024-03-31 00:00 -0400"
    assert local(window({"date_range": "this_month"}, now).start) == "2024-03-01 00:00 -0500"
    # ...and already the 1st in Sydney.
    assert local(window({"date_range": "this_month"}, now, SYDNEY).start, SYDNEY) == "2024-04-01 00:00 +1100"


@pytest.mark.parametrize(
    ("today", "start", "end"),
    [
        (date(2024, 3, 1), date(2024, 2, 1), date(2024, 3, 1)),  # leap February
        (date(2023, 3, 31), date(2023, 2, 1), date(2023, 3, 1)),
        (date(2024, 1, 15), date(2023, 12, 1), date(2024, 1, 1)),  # across the year
    ],
)
def test_last_month_at_month_edges(today, start, end):
    found = named_range("last_month", today, NY)
    assert found == (datetime.combine(start, datetime.min.time(), NY), datetime.combine(end, datetime.min.time(), NY))


def test_this_month_on_the_first_is_one_day():
    start, end = named_range("this_month", date(2024, 5, 1), NY)
    assert (local(start), local(end)) == ("2024-05-01 00:00 -0400", "2024-05-02 00:00 -0400")


def test_custom_dates_include_the_end_day():
    found = window({"start_date": "2024-03-09", "end_date": "2024-03-10"}, datetime(2024, 4, 1, tzinfo=UTC))
    assert (local(found.start), local(found.end)) == ("2024-03-09 00:00 -0500", "2024-03-11 00:00 -0400")
    assert (found.first_day, found.last_day) == (date(2024, 3, 9), date(2024, 3, 10))


def test_the_previous_period_has_as_many_local_days_across_dst():
    now = datetime(2024, 3, 12, 16, 0, tzinfo=UTC)
    found = window({"date_range": "last_7_days"}, now)  # Mar 5 - Mar 11, spans the change
    previous = found.previous()
    assert (local(previous.start), local(previous.end)) == ("2024-02-27 00:00 -0500", "2024-03-05 00:00 -0500")
    assert previous.whole_days


def test_the_previous_period_of_a_month_is_the_days_just_before():
    found = window({"date_range": "last_month"}, datetime(2024, 3, 15, 16, 0, tzinfo=UTC))  # February 2024, 29 days
    previous = found.previous()
    assert (previous.first_day, previous.last_day) == (date(2024, 1, 3), date(2024, 1, 31))


def test_the_previous_period_of_exact_times_has_the_same_length():
    found = window({"start_date": "2024-03-09T22:00", "end_date": "2024-03-10T10:00"}, datetime(2024, 4, 1, tzinfo=UTC))
    previous = found.previous()
    assert previous.end == found.start
    assert previous.end.astimezone(UTC) - previous.start.astimezone(UTC) == found.end.astimezone(
        UTC
    ) - found.start.astimezone(UTC)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"date_range": "fortnight"}, "Invalid date_range 'fortnight'"),
        ({"start_date": "2024-02-30"}, "Invalid start_date '2024-02-30'"),
        ({"start_date": "2024-03-05", "end_date": "2024-03-01"}, "end_date must be after start_date."),
        ({"start_date": "2019-01-01"}, "Communication records are kept for 25 months."),
    ],
)
def test_bad_requests_raise_a_readable_error(query, message):
    with pytest.raises(DateRangeError, match=message.replace("(", r"\(").replace(".", r"\.")):
        window(query, datetime(2024, 3, 15, tzinfo=UTC))


def test_retention_starts_25_months_back_at_midnight():
    assert local(retention_start(NY, datetime(2024, 3, 31, 16, tzinfo=UTC))) == "2022-02-28 00:00 -0500"
