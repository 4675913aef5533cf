from datetime import timedelta

import pytest
from django.utils import timezone

from api.tests.factories import CallFactory, PageViewFactory, VisitorSessionFactory

pytestmark = pytest.mark.django_db


def url(account, call, query=""):
    return f"/v3/a/{account.public_id}/calls/{call.public_id}/page_views.json" + (f"?{query}" if query else "")


def test_it_lists_the_pages_seen_before_the_call_newest_first(api_client, account, company):
    now = timezone.now()
    earlier = VisitorSessionFactory(company=company, visitor_id="v1")
    session = VisitorSessionFactory(company=company, visitor_id="v1")
    views = []
    for minutes, current in ((30, earlier), (10, session), (5, session), (-5, session)):
        view = PageViewFactory(session=current, referrer_url="https://www.google.com/")
        view.created_at = now - timedelta(minutes=minutes)
        view.save()
        views.append(view)
    call = CallFactory(company=company, session=session, start_time=now)
    response = api_client.get(url(account, call, "time_zone=America/Los_Angeles"))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"page", "per_page", "total_pages", "total_records", "page_views"}
    assert [row["page_url"] for row in body["page_views"]] == [v.page_url for v in views[2::-1]]
    assert set(body["page_views"][0]) == {"referrer_url", "page_url", "created_at"}
    assert body["page_views"][0]["created_at"][-6:] in ("-08:00", "-07:00")


def test_a_call_without_a_visit_has_no_page_views(api_client, account, company):
    call = CallFactory(company=company)
    assert api_client.get(url(account, call)).json()["total_records"] == 0


def test_it_hides_other_accounts(api_client, account, other_company):
    call = CallFactory(company=other_company)
    assert api_client.get(url(account, call)).status_code == 404
