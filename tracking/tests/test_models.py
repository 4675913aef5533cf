"""Deletes cascade through the hot tables even though their references to shared
parent rows carry no database constraint."""

import pytest
from django.utils import timezone

from accounts.models import Company
from tracking.assignments import assignment_open
from tracking.models import NumberAssignment, PageView, Tracker, TrackingNumber, VisitorSession
from tracking.tests.factories import TrackingNumberFactory, VisitorSessionFactory, session_tracker

pytestmark = pytest.mark.django_db


def _visit(company: Company) -> tuple[Tracker, TrackingNumber, VisitorSession]:
    tracker = session_tracker(company=company, size=1)
    number = tracker.numbers.first() or TrackingNumberFactory(tracker=tracker)
    session = VisitorSessionFactory(company=company, tracker=tracker)
    PageView.objects.create(account_id=company.account_id, session=session, page_url="https://shop.example/")
    assignment_open(tracker=tracker, tracking_number=number, session=session, at=timezone.now())
    return tracker, number, session


def test_deleting_a_tracker_keeps_its_visits_and_drops_its_log(company):
    tracker, _, session = _visit(company)
    tracker.delete()
    session.refresh_from_db()
    assert session.tracker_id is None
    assert not NumberAssignment.objects.filter(session=session).exists()
    assert PageView.objects.filter(session=session).exists()


def test_deleting_a_number_drops_its_log(company):
    _, number, session = _visit(company)
    number.delete()
    assert not NumberAssignment.objects.filter(session=session).exists()


def test_deleting_a_company_removes_its_visits(company, other_company):
    # A company whose trackers are gone (their call flows protect a company with trackers).
    tracker, _, session = _visit(company)
    tracker.delete()
    _, _, kept = _visit(other_company)
    company.delete()
    assert list(VisitorSession.objects.all()) == [kept]
    assert PageView.objects.get().session == kept
    assert NumberAssignment.objects.get().session == kept
