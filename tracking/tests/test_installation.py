"""The installation check: the sites a company's snippet reported from, from the visits."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tracking.installation import snippet_sites
from tracking.models import PageView, VisitorSession
from tracking.tests.factories import TrackerFactory, VisitorSessionFactory

pytestmark = pytest.mark.django_db


def visit(company, landing, *, ago=timedelta(0), tracker=None, pages=()):
    session = VisitorSessionFactory(company=company, landing_url=landing, tracker=tracker)
    VisitorSession.objects.filter(pk=session.pk).update(last_seen_at=timezone.now() - ago)
    for url in pages:
        PageView.objects.create(account=company.account, session=session, page_url=url)
    return session


def test_it_groups_visits_by_site_latest_first(company, other_company):
    tracker = TrackerFactory(company=company)
    visit(company, "https://WWW.Example.com/?utm_source=google", tracker=tracker, pages=["https://www.example.com/"])
    visit(company, "https://www.example.com/contact", pages=["https://www.example.com/contact"] * 2)
    visit(company, "http://localhost:8000/demo/", ago=timedelta(days=3))
    visit(company, "https://old.example.com/", ago=timedelta(days=60))  # too long ago
    visit(company, "not a url")
    visit(other_company, "https://bob.example.org/")
    today = timezone.now() - timedelta(hours=1)
    sites = snippet_sites(company=company, today=today, since=timezone.now() - timedelta(days=30))
    assert [site.origin for site in sites] == ["https://www.example.com", "http://localhost:8000"]
    www = sites[0]
    assert (www.visits_today, www.pages_today, www.swapped_today) == (2, 3, 1)
    assert www.debug_url == "https://www.example.com/?calltrk_debug=1"
    assert (sites[1].visits_today, sites[1].pages_today) == (0, 0)
    assert sites[1].last_seen < www.last_seen
    # A visit's landing page counts before its page view is written.
    visit(company, "https://shop.example.com/")
    sites = snippet_sites(company=company, today=today, since=timezone.now() - timedelta(days=30))
    assert (sites[0].origin, sites[0].visits_today, sites[0].pages_today) == ("https://shop.example.com", 1, 1)


def test_a_site_without_a_path_is_still_named(company):
    visit(company, "https://shop.example.com")
    sites = snippet_sites(company=company, today=timezone.now() - timedelta(hours=1), since=timezone.now())
    assert [site.origin for site in sites] == ["https://shop.example.com"]
