"""The live view and its feed: what is live now, the latest calls, pools and visitors; the
feed's ETag and 304; a fixed number of queries however much is live; the walls."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from telephony.models import Call
from tracking.tests.factories import dni_config, session_tracker
from tracking.visits import VisitReport, visit_report

pytestmark = pytest.mark.django_db


def make_call(company, *, minutes_ago=0, status=Call.Status.COMPLETED, **fields):
    defaults = {
        "account": company.account,
        "company": company,
        "start_time": timezone.now() - timedelta(minutes=minutes_ago),
        "status": status,
        "tracking_phone_number": "+14705550101",
        "customer_phone_number": "+13035550123",
        "duration": None if status in ("ringing", "in-progress") else 61,
        "answered": status == Call.Status.COMPLETED or None,
    }
    return Call.objects.create(**{**defaults, **fields})


def visit(company, key, url="https://example.com/?utm_source=facebook&utm_medium=social&fbclid=FB1"):
    return visit_report(
        dni_config(company),
        VisitReport(visitor_id=f"v-{key}", session_key=key, page_url=url, landing_url=url, first_contact=True),
    )


@pytest.fixture
def pool(company):
    return session_tracker(company=company, size=4, name="Website visitors")


def feed(client, query="", etag=None):
    headers = {"If-None-Match": etag} if etag else {}
    return client.get(reverse("dashboard:live-feed") + query, headers=headers)


def test_it_shows_the_calls_now_the_latest_calls_the_pools_and_the_visitors(client, manager_user, company, pool):
    make_call(company, status=Call.Status.RINGING, customer_name="Rita Ringing")
    make_call(company, minutes_ago=5, customer_name="Olga Over")
    make_call(company, minutes_ago=60 * 5, status=Call.Status.RINGING, customer_name="Ghost Caller")
    visit(company, "visitor-one")
    client.force_login(manager_user)

    html = client.get(reverse("dashboard:live")).content.decode()

    assert "<title>(1) Live" in html
    on_phone = html.split('id="calls-now-heading"')[1].split('id="latest-calls-heading"')[0]
    assert "Rita Ringing" in on_phone and "Ringing" in on_phone
    # A call still "ringing" after Twilio's four-hour limit is one whose end never reached us.
    assert "Ghost Caller" not in on_phone
    latest = html.split('id="latest-calls-heading"')[1]
    assert latest.index("Rita Ringing") < latest.index("Olga Over") < latest.index("Ghost Caller")
    assert "1 of 4 numbers in use" in html
    assert "Facebook" in html or "facebook" in html


def test_the_feed_answers_304_until_something_changes(client, manager_user, company, pool):
    client.force_login(manager_user)
    first = feed(client)
    assert first.status_code == 200
    assert first["Content-Type"] == "application/json"
    assert "no-cache" in first["Cache-Control"] and "private" in first["Cache-Control"]
    body = first.json()
    assert (body["calls"], body["visitors"]) == (0, 0)
    etag = first["ETag"]

    again = feed(client, etag=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag

    make_call(company, status=Call.Status.RINGING)
    changed = feed(client, etag=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert changed.json()["calls"] == 1


def test_the_feed_and_the_page_read_a_fixed_number_of_times(
    client, manager_user, company, pool, django_assert_max_num_queries
):
    client.force_login(manager_user)
    for minutes in range(40):
        make_call(company, minutes_ago=minutes, status=Call.Status.RINGING if minutes < 3 else Call.Status.COMPLETED)
    for n in range(3):
        visit(company, f"visitor-{n}")
    # Session and user, then one query per section: live calls, latest calls, pools, visits.
    with django_assert_max_num_queries(8):
        assert feed(client).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("dashboard:live")).status_code == 200


def test_a_pool_with_every_number_held_says_so(client, manager_user, company):
    small = session_tracker(company=company, size=1, name="Tiny pool")
    visit(company, "holder")
    client.force_login(manager_user)
    html = client.get(reverse("dashboard:live")).content.decode()
    assert "1 of 1 numbers in use" in html
    assert "Every number is held" in html
    assert small.name in html


def test_nothing_live_shows_the_empty_state(client, manager_user):
    client.force_login(manager_user)
    html = client.get(reverse("dashboard:live")).content.decode()
    assert "Nothing live right now" in html


def test_it_shows_only_the_picked_company(client, manager_user, company, second_company):
    make_call(company, customer_name="Alice Plumbing Caller")
    make_call(second_company, customer_name="Alice Electric Caller")
    client.force_login(manager_user)
    html = client.get(reverse("dashboard:live") + f"?company={second_company.public_id}").content.decode()
    assert "Alice Electric Caller" in html and "Alice Plumbing Caller" not in html


def test_other_accounts_stay_out(client, manager_user, company, other_company):
    make_call(other_company, customer_name="Bob's Caller")
    client.force_login(manager_user)
    assert "Bob&#x27;s Caller" not in client.get(reverse("dashboard:live")).content.decode()
    assert feed(client, f"?company={other_company.public_id}").status_code == 404


def test_signed_out_the_feed_leads_to_sign_in(client):
    assert feed(client).status_code == 302
