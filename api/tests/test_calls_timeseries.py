from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from api.tests.factories import CallFactory

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")


def url(account, query=""):
    return f"/v3/a/{account.public_id}/calls/timeseries.json" + (f"?{query}" if query else "")


def day(days_ago: int, hour: int = 12) -> datetime:
    today = timezone.now().astimezone(UTC).date()
    return datetime.combine(today - timedelta(days=days_ago), datetime.min.time(), tzinfo=UTC).replace(hour=hour)


def test_it_buckets_days_with_zero_days_filled(api_client, account, company):
    CallFactory(company=company, start_time=day(3), answered=True, duration=30)
    CallFactory(company=company, start_time=day(3, 13), answered=False, duration=60)
    CallFactory(company=company, start_time=day(1), answered=True, lead_status="good_lead", duration=15)
    start, end = day(3).date().isoformat(), day(1).date().isoformat()
    fields = "missed_calls,answered_calls,first_time_callers,average_duration,formatted_average_duration,leads"
    response = api_client.get(url(account, f"start_date={start}&end_date={end}&time_zone=UTC&fields={fields}"))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {"start_date", "end_date", "time_zone", "total_results", "data"}
    assert body["time_zone"] == "UTC"
    assert body["start_date"] == f"{start}T00:00:00+0000"
    assert body["end_date"] == f"{end}T23:59:59+0000"
    assert [row["date"] for row in body["data"]] == [day(n).date().isoformat() for n in (3, 2, 1)]
    assert body["data"][0]["total_calls"] == 2
    assert body["data"][0]["missed_calls"] == 1
    assert body["data"][0]["average_duration"] == 45
    assert body["data"][1] == {
        "date": day(2).date().isoformat(),
        "total_calls": 0,
        "missed_calls": 0,
        "answered_calls": 0,
        "first_time_callers": 0,
        "average_duration": 0,
        "formatted_average_duration": "0s",
        "leads": 0,
    }
    assert body["total_results"]["total_calls"] == 3
    assert body["total_results"]["leads"] == 1


def test_hour_buckets_carry_the_zone_offset(api_client, account, company):
    CallFactory(company=company, start_time=day(1, 14))
    start = day(1).date().isoformat()
    body = api_client.get(url(account, f"start_date={start}&end_date={start}&interval=hour&time_zone=EST")).json()
    assert len(body["data"]) == 24
    assert body["data"][0]["date"] == f"{start}T00:00:00-0500"
    assert body["data"][9]["total_calls"] == 1  # 14:00 UTC is 09:00 EST
    assert body["time_zone"] == "EST"


@pytest.mark.parametrize(("interval", "count"), [("week", None), ("month", None), ("year", 1)])
def test_it_buckets_weeks_months_and_years(api_client, account, company, interval, count):
    CallFactory(company=company, start_time=day(2))
    body = api_client.get(url(account, f"interval={interval}&date_range=this_year&time_zone=UTC")).json()
    assert sum(row["total_calls"] for row in body["data"]) == 1
    if count:
        assert len(body["data"]) == count


def test_it_limits_the_series_to_200_points(api_client, account):
    response = api_client.get(url(account, "date_range=last_30_days&interval=hour"))
    assert response.status_code == 400
    assert "200" in response.json()["error"]
    assert api_client.get(url(account, "interval=fortnight")).status_code == 400


def test_it_hides_other_accounts(api_client, account, other_company):
    CallFactory(company=other_company)
    assert api_client.get(url(account)).json()["total_results"]["total_calls"] == 0


def test_it_needs_a_key(client, account):
    assert client.get(url(account)).status_code == 401
