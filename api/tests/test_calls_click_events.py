"""Our extension of the call object: the tel: clicks the call followed (``fields=click_events``)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from api.tests.factories import CallFactory, VisitorSessionFactory
from tracking.models import ClickEvent

pytestmark = pytest.mark.django_db


def test_click_events_are_listed_on_request_with_few_queries(
    api_client, account, company, django_assert_max_num_queries
):
    now = timezone.now()
    for i in range(5):
        visit = VisitorSessionFactory(company=company)
        call = CallFactory(company=company, session=visit, start_time=now - timedelta(minutes=i))
        click = ClickEvent.objects.create(
            account=account,
            company=company,
            session=visit,
            visitor_id=visit.visitor_id,
            phone_number="14045551234",
            page_url="https://example.com/contact",
            clicked_at=call.start_time - timedelta(minutes=1),
        )
        call.click_events.add(click)
    CallFactory(company=company, start_time=now - timedelta(hours=1))
    base = f"/v3/a/{account.public_id}/calls.json"
    assert "click_events" not in api_client.get(base).json()["calls"][0]
    with django_assert_max_num_queries(8):
        rows = api_client.get(base + "?fields=click_events").json()["calls"]
    assert [len(row["click_events"]) for row in rows] == [1, 1, 1, 1, 1, 0]
    event = rows[0]["click_events"][0]
    assert set(event) == {"phone_number", "page_url", "clicked_at"}
    assert event["phone_number"] == "14045551234"
    assert event["clicked_at"][19] == "."


def test_the_summary_counts_calls_that_followed_a_click(api_client, account, company):
    visit = VisitorSessionFactory(company=company)
    clicks = [
        ClickEvent.objects.create(
            account=account, company=company, session=visit, visitor_id=visit.visitor_id, phone_number="14045551234"
        )
        for _ in range(2)
    ]
    followed = CallFactory(company=company, source="google_paid", session=visit)
    followed.click_events.add(*clicks)  # two clicks, one call
    CallFactory(company=company, source="google_paid")
    CallFactory(company=company, source="direct")
    query = "group_by=source&fields=total_calls,calls_after_click"
    body = api_client.get(f"/v3/a/{account.public_id}/calls/summary.json?{query}").json()
    assert body["total_results"] == {"total_calls": 3, "calls_after_click": 1}
    by_source = {row["key"]: (row["total_calls"], row["calls_after_click"]) for row in body["grouped_results"]}
    assert sorted(by_source.values()) == [(1, 0), (2, 1)]
