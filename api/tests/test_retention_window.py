"""Date ranges follow the account's ``data_retention_days``: a range reaching past it would
count purged records as if there had been none, so it is refused with the reference's error."""

from datetime import timedelta

import pytest
from django.utils import timezone

from api.tests.factories import CallFactory

pytestmark = pytest.mark.django_db


def calls(account, query):
    return f"/v3/a/{account.public_id}/calls.json?{query}"


def summary(account, query):
    return f"/v3/a/{account.public_id}/calls/summary.json?{query}"


def day(days_back: int) -> str:
    return (timezone.localdate() - timedelta(days=days_back)).isoformat()


@pytest.fixture
def short(account):
    account.data_retention_days = 30
    account.save()
    return account


def test_a_range_past_a_short_period_is_refused(api_client, short):
    response = api_client.get(calls(short, f"start_date={day(40)}"))
    assert response.status_code == 400
    assert response.json() == {
        "error": "Communication records are kept for 30 days. The requested dates fall outside that window: "
        "please revise your date range."
    }
    assert api_client.get(summary(short, "date_range=last_year")).status_code == 400
    assert api_client.get(summary(short, "date_range=last_7_days")).status_code == 200
    assert api_client.get(calls(short, f"start_date={day(20)}")).status_code == 200


def test_all_time_starts_at_the_horizon(api_client, short, company):
    recent = CallFactory(company=company, start_time=timezone.now() - timedelta(days=10))
    body = api_client.get(summary(short, "date_range=all_time&time_zone=UTC")).json()
    start = body["start_date"][:10]
    assert day(31) <= start <= day(29)
    rows = api_client.get(calls(short, "date_range=all_time")).json()["calls"]
    assert [row["id"] for row in rows] == [recent.public_id]


def test_the_default_period_keeps_the_references_message(api_client, account):
    response = api_client.get(calls(account, f"start_date={day(800)}"))
    assert response.status_code == 400
    assert "25 months" in response.json()["error"]
    assert api_client.get(calls(account, f"start_date={day(700)}")).status_code == 200


def test_an_account_keeping_everything_serves_any_range(api_client, account, company):
    account.data_retention_days = 0
    account.save()
    old = CallFactory(company=company, start_time=timezone.now() - timedelta(days=2000))
    response = api_client.get(calls(account, "start_date=2015-01-01"))
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["calls"]] == [old.public_id]
