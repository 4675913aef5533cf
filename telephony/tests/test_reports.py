"""telephony.reports on its own: filters as plain values, dimensions, figures that add up,
and the streamed groups of an export agreeing with the grouped summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Company, Tag
from api.tests.factories import CallFactory, TrackerFactory
from callrail.dates import DateWindow
from telephony.dimensions import DIMENSIONS, NONE_VALUE
from telephony.models import Call
from telephony.reports import (
    CallFigures,
    call_days_and_week_hours,
    call_groups,
    call_report_filter,
    call_summary,
    call_timeseries,
)
from telephony.selectors import CallFilters

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"device": "tablet"}, "Invalid device 'tablet'. Valid values: desktop, mobile, all"),
        ({"lead_status": "great"}, "Invalid lead_status 'great'"),
        ({"dimensions": (("colour", "red"),)}, "Invalid dimension 'colour'"),
    ],
)
def test_filters_refuse_values_no_report_reads(filters, message):
    with pytest.raises(ValidationError) as caught:
        CallFilters(**filters)
    assert caught.value.messages[0].startswith(message)


def test_an_agent_must_be_a_user_id():
    with pytest.raises(ValidationError, match="agent must be a user id"):
        CallFilters(agent="bob").conditions()


def test_dimension_filters_match_what_reports_show(company):
    tracker = TrackerFactory(company=company)
    google = CallFactory(company=company, source="google_paid", campaign="Spring", tracker=tracker)
    direct = CallFactory(company=company, source="direct", campaign="")
    google.tags.add(Tag.objects.create(account=company.account, company=company, name="Booked"))

    def matching(*pairs: tuple[str, str]) -> set[int]:
        return set(call_report_filter(Call.objects.all(), CallFilters(dimensions=pairs)).values_list("pk", flat=True))

    assert matching(("source", "Google Ads")) == {google.pk}
    assert matching(("campaign", NONE_VALUE)) == {direct.pk}
    assert matching(("tracker", tracker.public_id)) == {google.pk}
    assert matching(("tracker", NONE_VALUE)) == {direct.pk}
    assert matching(("tag", "Booked")) == {google.pk}
    assert matching(("tag", NONE_VALUE)) == {direct.pk}
    assert matching(("lead_status", "not_scored")) == {google.pk, direct.pk}
    assert matching(("source", "Direct"), ("campaign", "Spring")) == set()


def test_the_hour_of_day_is_local(company):
    # 14:30 UTC is 9:30 in New York in winter.
    CallFactory(company=company, start_time=datetime(2026, 1, 15, 14, 30, tzinfo=UTC))
    new_york = ZoneInfo("America/New_York")
    calls = Call.objects.all()
    assert call_report_filter(calls, CallFilters(dimensions=(("hour", "9"),)), new_york).count() == 1
    assert call_report_filter(calls, CallFilters(dimensions=(("hour", "14"),)), new_york).count() == 0
    summary = call_summary(calls, dimension=DIMENSIONS["hour"], tz=new_york)
    assert [(group.raw, group.figures.calls) for group in summary.groups] == [(9, 1)]


def test_figures_add_up():
    a = CallFigures(calls=2, answered=1, duration_sum=100, duration_count=2, value=Decimal("10.50"))
    b = CallFigures(calls=1, answered=1, leads=1, duration_sum=35, duration_count=1)
    total = a + b
    assert (total.calls, total.missed, total.leads, total.value) == (3, 1, 1, Decimal("10.50"))
    assert total.average_duration == 45
    assert total.metric("formatted_average_duration") == "45s"
    assert CallFigures().answered_rate is None


def test_a_tagged_call_counts_once_in_the_total(company):
    call = CallFactory(company=company)
    for name in ("Booked", "Quote sent"):
        call.tags.add(Tag.objects.create(account=company.account, company=company, name=name))
    CallFactory(company=company)
    summary = call_summary(Call.objects.all(), dimension=DIMENSIONS["tag"])
    assert summary.total.calls == 2
    assert sorted((group.raw or "", group.figures.calls) for group in summary.groups) == [
        ("", 1),
        ("Booked", 1),
        ("Quote sent", 1),
    ]


def test_the_streamed_groups_are_the_summarys(company):
    tracker = TrackerFactory(company=company, name="Billboard")
    for index in range(7):
        CallFactory(company=company, landing_page_url=f"https://example.com/{index % 3}", tracker=tracker)
    calls = Call.objects.all()
    for name in ("landing_page", "tracker"):
        dimension = DIMENSIONS[name]
        summary = call_summary(calls, dimension=dimension)
        streamed = list(call_groups(calls, dimension, chunk_size=2))
        assert streamed == summary.groups
    assert summary.groups[0].label == "Billboard"


def test_a_series_fills_empty_buckets_and_totals_them(company):
    tz = ZoneInfo("America/New_York")
    today = timezone.now().astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    window = DateWindow(today - timedelta(days=3), today, tz, "America/New_York")
    CallFactory(company=company, start_time=today - timedelta(days=3, hours=-10))
    CallFactory(company=company, start_time=today - timedelta(hours=2), duration=30)
    series = call_timeseries(Call.objects.filter(**window.lookups("start_time")), window=window)
    assert [figures.calls for _, figures in series.points] == [1, 0, 1]
    assert series.total.calls == 2
    with pytest.raises(ValidationError):
        call_timeseries(Call.objects.all(), window=window, interval="hour", max_points=24)


def _hourly(company: Company, zone: str, day: datetime, starts: list[datetime]) -> list[tuple[str, int]]:
    """The hourly series of ``day`` (local midnight to midnight) with a call at each of ``starts``."""
    tz = ZoneInfo(zone)
    for start in starts:
        CallFactory(company=company, start_time=start)
    window = DateWindow(day.replace(tzinfo=tz), (day + timedelta(days=1)).replace(tzinfo=tz), tz, zone)
    series = call_timeseries(Call.objects.filter(**window.lookups("start_time")), window=window, interval="hour")
    assert series.total.calls == len(starts)
    return [(f"{slot:%H:%M%z}", figures.calls) for slot, figures in series.points if figures.calls]


def test_an_hour_repeated_when_clocks_go_back_counts_in_its_first(company):
    # 2026-11-01 in New York: 1 AM comes twice (EDT, then EST); a call in each.
    first, second = datetime(2026, 11, 1, 5, 30, tzinfo=UTC), datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert _hourly(company, "America/New_York", datetime(2026, 11, 1), [first, second]) == [("01:00-0400", 2)]


def test_hours_follow_a_half_hour_zone(company):
    # Kolkata is UTC+5:30: 10:10 local is 04:40 UTC, in the local hour that starts at 04:30 UTC.
    calls = [datetime(2026, 3, 10, 4, 40, tzinfo=UTC), datetime(2026, 3, 10, 5, 20, tzinfo=UTC)]
    assert _hourly(company, "Asia/Kolkata", datetime(2026, 3, 10), calls) == [("10:00+0530", 2)]


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"])
def test_days_and_week_hours_equal_the_daily_series_and_the_calls_local_hours(company, zone):
    # Three weeks around the clocks' change (New York, Lord Howe) with calls at every half hour or so.
    tz = ZoneInfo(zone)
    first = datetime(2026, 3, 25, tzinfo=tz) if "Lord" in zone else datetime(2026, 10, 20, tzinfo=tz)
    window = DateWindow(first, first + timedelta(days=21), tz, zone)
    since = first + timedelta(days=10)
    for n in range(0, 21 * 24 * 60, 97):
        CallFactory(company=company, start_time=first + timedelta(minutes=n), answered=n % 2 == 0)
    calls = Call.objects.filter(**window.lookups("start_time"))
    result = call_days_and_week_hours(calls, window=window, since=since)
    days = call_timeseries(calls, window=window, interval="day")
    assert result.days == days
    starts = [start.astimezone(tz) for start in calls.values_list("start_time", flat=True)]
    assert {slot.date(): figures.calls for slot, figures in days.points} == {
        day: sum(start.date() == day for start in starts) for day in {slot.date() for slot, _ in days.points}
    }
    weeks = call_timeseries(calls, window=window, interval="week")
    assert [figures.calls for _, figures in weeks.points] == [
        sum(slot.date() <= start.date() < slot.date() + timedelta(days=7) for start in starts)
        for slot, _ in weeks.points
    ]
    expected: dict[tuple[int, int], int] = {}
    for start in calls.filter(start_time__gte=since).values_list("start_time", flat=True):
        local = start.astimezone(tz)
        expected[(local.weekday(), local.hour)] = expected.get((local.weekday(), local.hour), 0) + 1
    assert {key: figures.calls for key, figures in result.week_hours.items()} == expected
