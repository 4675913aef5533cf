"""tel: link and call button clicks: their endpoint, and the calls linked to them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Company
from api.tests.factories import CallFactory
from telephony.services.callers import call_clicks_link
from tracking.models import ClickEvent, VisitorSession
from tracking.tests.factories import VisitorSessionFactory
from tracking.tests.test_dni_endpoint import ident, post

PAGE = "https://www.alice-plumbing.example/contact"


def click(visitor: str, session: str, number: str = "tel:+1-404-555-1234", url: str = PAGE) -> dict[str, str]:
    return {"v": visitor, "s": session, "u": url, "p": number}


def test_a_click_is_recorded_on_the_visitor_session(client, company):
    visit = VisitorSessionFactory(company=company)
    visit.visitor_id, visit.session_key = ident(), ident()
    visit.save()
    response = post(client, company, click(visit.visitor_id, visit.session_key), "click")
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    event = ClickEvent.objects.get(session=visit)
    assert (event.phone_number, event.page_url, event.visitor_id) == ("14045551234", PAGE, visit.visitor_id)
    assert event.company_id == company.pk and event.account_id == company.account_id


def test_a_click_before_the_visit_reached_us_keeps_the_visitor(client, company):
    visitor = ident()
    assert post(client, company, click(visitor, ident()), "click").status_code == 201
    event = ClickEvent.objects.get()
    assert (event.session_id, event.visitor_id) == (None, visitor)


@pytest.mark.parametrize(
    "body",
    [
        {"v": "short", "s": "x" * 10, "u": PAGE},
        {"v": "v" * 10, "s": "s" * 10, "u": "javascript:alert(1)"},
        {"v": "v" * 10, "s": "s" * 10},
        {"v": "v" * 10, "s": "s" * 10, "u": PAGE, "p": 5},
        "not json",
    ],
)
def test_bad_clicks_are_refused(client, company, body):
    response = post(client, company, body, "click")
    assert response.status_code == 400
    assert "error" in response.json()
    assert not ClickEvent.objects.exists()


def test_clicks_of_bots_and_unknown_companies_are_not_recorded(client, company):
    assert post(client, company, click(ident(), ident()), "click", ua="curl/8.0").json() == {"bot": True}
    assert post(client, "COMunknown", click(ident(), ident()), "click").status_code == 404
    assert client.get(f"/dni/{company.public_id}/click").status_code == 405
    assert not ClickEvent.objects.exists()


def clicked(
    visit: VisitorSession, minutes_ago: float, number: str = "14045551234", company: Company | None = None
) -> ClickEvent:
    return ClickEvent.objects.create(
        account_id=visit.account_id,
        company_id=(company or visit.company).pk,
        session=visit,
        visitor_id=visit.visitor_id,
        phone_number=number,
        page_url=PAGE,
        clicked_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def test_a_call_is_linked_to_the_clicks_of_its_visitor_shortly_before_it(company):
    visit = VisitorSessionFactory(company=company)
    earlier_visit = VisitorSessionFactory(company=company, visitor_id=visit.visitor_id)
    recent, same_visitor = clicked(visit, 2), clicked(earlier_visit, 10)
    clicked(visit, 90)  # too long before
    clicked(VisitorSessionFactory(company=company), 1)  # someone else
    call = CallFactory(company=company, session=visit, start_time=timezone.now())
    assert {c.pk for c in call_clicks_link(call)} == {recent.pk, same_visitor.pk}
    assert set(call.click_events.all()) == {recent, same_visitor}
    assert set(recent.calls.all()) == {call}


def test_a_call_without_a_visit_follows_a_recent_click_on_the_number_it_rang(company):
    visit = VisitorSessionFactory(company=company)
    click_on_number = clicked(visit, 1, number="14045557777")
    clicked(visit, 1, number="14045558888")
    call = CallFactory(company=company, tracking_phone_number="+14045557777")
    assert call_clicks_link(call) == [click_on_number]
    # Already followed by a call: the next call on the shared number is not linked to it.
    second = CallFactory(company=company, tracking_phone_number="+14045557777")
    assert call_clicks_link(second) == []
