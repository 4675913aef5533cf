from datetime import timedelta
from unittest import mock

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Company, Tag, User
from api.tests.factories import CallFactory, PersonFactory, TrackerFactory, VisitorSessionFactory
from api.v3.serializers.calls import DEFAULT_FIELDS, EXTRA_FIELDS, SINGLE_ONLY_FIELDS

pytestmark = pytest.mark.django_db

URL = "/v3/a/{}/calls.json"
ENVELOPE = {"page", "per_page", "total_pages", "total_records", "calls"}


def url(account, query=""):
    return URL.format(account.public_id) + (f"?{query}" if query else "")


def test_it_lists_calls_with_the_default_fields(api_client, account, company):
    call = CallFactory(company=company, recording_url="https://api.twilio.com/rec/RE1", recording_duration=27)
    response = api_client.get(url(account))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == ENVELOPE
    assert body["total_records"] == 1
    row = body["calls"][0]
    assert set(row) == set(DEFAULT_FIELDS)
    assert row["id"] == call.public_id
    assert row["direction"] == "inbound"
    assert row["answered"] is True
    assert row["duration"] == 60
    assert row["recording_duration"] == "27"
    assert row["recording"].endswith(f"/v3/a/{account.numeric_id}/calls/{call.public_id}/recording.json")
    assert "/recording?access_key=" in row["recording_player"]
    assert row["business_phone_number"] is None
    assert row["agent_email"] is None
    # Times are in the user's zone (the account's New York) with milliseconds and offset.
    assert row["start_time"][-6:] in ("-05:00", "-04:00")
    assert row["start_time"][19] == "."


def test_it_adds_every_selectable_field(api_client, account, company):
    tracker = TrackerFactory(company=company, name="Website Pool")
    CallFactory(company=company, tracker=tracker, source="google_paid", value="12.50", note="call back")
    fields = ",".join(EXTRA_FIELDS)
    row = api_client.get(url(account, f"fields={fields}")).json()["calls"][0]
    assert set(row) == set(DEFAULT_FIELDS) | (set(EXTRA_FIELDS) - set(SINGLE_ONLY_FIELDS))
    assert row["company_id"] == company.public_id
    assert row["company_name"] == company.name
    assert row["tracker_id"] == tracker.public_id
    assert row["source"] == "Google Ads"
    assert row["formatted_tracking_source"] == "Google Paid"
    assert row["source_name"] == "Website Pool"
    assert row["value"] == 12.5
    assert row["formatted_value"] == "$12.50"
    assert row["call_type"] == "answered"
    assert row["formatted_call_type"] == "Answered Call"
    assert row["formatted_duration"] == "1m 0s"
    assert row["total_calls"] == 1
    assert row["tags"] == []
    assert set(row["milestones"]) == {"first_touch", "lead_created", "qualified", "last_touch"}
    assert row["note"] == "call back"


def test_it_hides_other_accounts(api_client, other_api_client, account, other_account, other_company):
    CallFactory(company=other_company)
    assert api_client.get(url(account)).json()["total_records"] == 0
    assert api_client.get(url(other_account)).status_code == 404


def test_it_needs_a_key(client, account):
    response = client.get(url(account))
    assert response.status_code == 401
    assert "error" in response.json()


def test_it_hides_companies_a_reporting_user_cannot_see(account, company, make_api_client):
    CallFactory(company=company)
    reporter = User.objects.create_user(email="r@example.com", account=account, role=User.Role.REPORTING)
    client = make_api_client(reporter)
    assert client.get(url(account)).json()["total_records"] == 0
    reporter.companies.add(company)
    assert client.get(url(account)).json()["total_records"] == 1


def test_it_filters(api_client, account, company):
    tag = Tag.objects.create(account=account, company=company, name="Sales")
    answered = CallFactory(company=company, device_type="mobile", lead_status="good_lead", first_call=True)
    answered.tags.add(tag)
    missed = CallFactory(company=company, answered=False, first_call=False, device_type="desktop")
    voicemail = CallFactory(company=company, answered=False, voicemail=True, first_call=False)
    outbound = CallFactory(company=company, direction="outbound", first_call=False, lead_status="not_a_lead")

    def ids(query):
        response = api_client.get(url(account, query))
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["calls"]}

    assert ids("answer_status=answered") == {answered.public_id, outbound.public_id}
    assert ids("answer_status=missed") == {missed.public_id}
    assert ids("answer_status=voicemail") == {voicemail.public_id}
    assert ids("call_type=first_call") == {answered.public_id}
    assert ids("call_type=missed") == {missed.public_id}
    assert ids("call_type=voicemails") == {voicemail.public_id}
    assert ids("call_type=outbound") == {outbound.public_id}
    assert ids("direction=inbound") == {answered.public_id, missed.public_id, voicemail.public_id}
    assert ids("device=mobile") == {answered.public_id}
    assert ids("device=desktop") == {missed.public_id}
    assert ids("lead_status=good_lead") == {answered.public_id}
    assert ids("lead_status=not_a_lead") == {outbound.public_id}
    assert ids("lead_status=not_scored") == {missed.public_id, voicemail.public_id}
    assert ids("tags=Sales") == {answered.public_id}
    assert ids("tags[]=Sales&tags[]=Other") == {answered.public_id}
    assert ids(f"company_id={company.public_id}") == {c.public_id for c in (answered, missed, voicemail, outbound)}
    assert ids(f"company_id={company.numeric_id}") == {c.public_id for c in (answered, missed, voicemail, outbound)}
    response = api_client.get(url(account, "call_type=bogus"))
    assert response.status_code == 400
    assert "error" in response.json()


def test_it_filters_by_tracker_and_person(api_client, account, company):
    tracker = TrackerFactory(company=company)
    person = PersonFactory(company=company)
    on_tracker = CallFactory(company=company, tracker=tracker)
    of_person = CallFactory(company=company, person=person)
    rows = api_client.get(url(account, f"tracker_id={tracker.public_id}")).json()["calls"]
    assert [row["id"] for row in rows] == [on_tracker.public_id]
    rows = api_client.get(url(account, f"person_id={person.public_id}")).json()["calls"]
    assert [row["id"] for row in rows] == [of_person.public_id]


def test_it_searches(api_client, account, company):
    bob = CallFactory(company=company, customer_name="Bob Belcher", customer_phone_number="+14045550199")
    CallFactory(company=company, customer_name="Linda", note="wants a quote", source="google_paid")
    assert [r["id"] for r in api_client.get(url(account, "search=belcher")).json()["calls"]] == [bob.public_id]
    assert [r["id"] for r in api_client.get(url(account, "search=404-555-0199")).json()["calls"]] == [bob.public_id]
    assert api_client.get(url(account, "search=quote")).json()["total_records"] == 1
    assert api_client.get(url(account, "search=Google Ads")).json()["total_records"] == 1


def test_it_sorts_on_each_sort_field(api_client, account, company):
    first = CallFactory(company=company, customer_name="Anna", duration=None, answered=None)
    second = CallFactory(company=company, customer_name="Zed", duration=30, lead_status="good_lead")
    for field in (
        "customer_name",
        "customer_phone_number",
        "duration",
        "start_time",
        "source",
        "customer_city",
        "customer_country",
        "landing_page_url",
        "device_type",
        "answered",
        "first_call",
        "source_name",
        "lead_status",
        "tags",
    ):
        for order in ("asc", "desc"):
            response = api_client.get(url(account, f"sort={field}&order={order}"))
            assert response.status_code == 200, (field, response.json())
            assert response.json()["total_records"] == 2
    names = [r["customer_name"] for r in api_client.get(url(account, "sort=customer_name&order=desc")).json()["calls"]]
    assert names == ["Zed", "Anna"]
    assert first and second
    assert api_client.get(url(account, "sort=bogus")).status_code == 400


def test_it_is_newest_first_and_filters_dates(api_client, account, company):
    now = timezone.now()
    old = CallFactory(company=company, start_time=now - timedelta(days=45))
    new = CallFactory(company=company, start_time=now - timedelta(hours=1))
    # Default date_range=recent: the last 30 days.
    assert [r["id"] for r in api_client.get(url(account)).json()["calls"]] == [new.public_id]
    rows = api_client.get(url(account, "date_range=all_time")).json()["calls"]
    assert [r["id"] for r in rows] == [new.public_id, old.public_id]
    day = (now - timedelta(days=45)).astimezone(timezone.get_default_timezone())
    response = api_client.get(url(account, f"start_date=2000-01-01&end_date={day.date().isoformat()}"))
    assert response.status_code == 400
    assert "25 months" in response.json()["error"]


def test_it_shows_milestones_from_the_visitors_sessions(api_client, account, company):
    now = timezone.now()
    person = PersonFactory(company=company)
    first = VisitorSessionFactory(
        company=company,
        person=person,
        visitor_id="v1",
        source="google_paid",
        landing_url="https://example.com/?utm_campaign=spring&gclid=abc",
        referrer_url="https://www.google.com/",
        utm_campaign="spring",
        device_type="desktop",
        user_agent="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    )
    first.created_at = now - timedelta(days=3)
    first.save()
    last = VisitorSessionFactory(company=company, visitor_id="v1", source="google_organic")
    last.created_at = now - timedelta(hours=2)
    last.save()
    call = CallFactory(company=company, person=person, session=last, start_time=now - timedelta(hours=1))
    row = api_client.get(url(account, "fields=milestones,person_id")).json()["calls"][0]
    assert row["person_id"] == person.public_id
    milestones = row["milestones"]
    assert milestones["first_touch"]["source"] == "Google Ads"
    assert milestones["first_touch"]["campaign"] == "spring"
    assert milestones["first_touch"]["landing_page_url_params"] == {"utm_campaign": "spring", "gclid": "abc"}
    assert milestones["first_touch"]["session_browser"] == "Chrome"
    assert milestones["lead_created"]["source"] == "Google Organic"
    assert milestones["last_touch"]["source"] == "Google Organic"
    assert milestones["qualified"]["source"] is None
    assert milestones["qualified"]["landing_page_url_params"] == {}
    assert call


def test_it_keeps_the_query_count_flat(api_client, account, company, django_assert_max_num_queries):
    tracker = TrackerFactory(company=company)
    tag = Tag.objects.create(account=account, company=company, name="Sales")
    for _ in range(15):
        call = CallFactory(company=company, tracker=tracker, person=PersonFactory(company=company))
        call.tags.add(tag)
    fields = "tags,company_name,tracker_id,person_id,total_calls,milestones,source_name,timeline_url"
    with django_assert_max_num_queries(14):
        response = api_client.get(url(account, f"fields={fields}"))
    assert response.status_code == 200
    assert len(response.json()["calls"]) == 15


def test_relative_pagination_walks_with_a_keyset(api_client, account, company):
    now = timezone.now()
    made = [CallFactory(company=company, start_time=now - timedelta(minutes=i)) for i in range(7)]
    seen = []
    response = api_client.get(url(account, "relative_pagination=true&per_page=2"))
    pages = 0
    while True:
        body = response.json()
        assert set(body) == {"next_page", "has_next_page", "calls"}
        seen += [row["id"] for row in body["calls"]]
        pages += 1
        if not body["has_next_page"]:
            assert body["next_page"] is None
            break
        assert body["next_page"].startswith("http://testserver/v3/a/")
        with CaptureQueriesContext(connection) as queries:
            response = api_client.get(body["next_page"])
        page_sql = [q["sql"] for q in queries.captured_queries if 'FROM "telephony_call"' in q["sql"]]
        assert page_sql and all("OFFSET" not in sql for sql in page_sql)
    assert pages == 4
    assert seen == [call.public_id for call in made]


def test_relative_pagination_offset_jumps_to_a_page(api_client, account, company):
    now = timezone.now()
    made = [CallFactory(company=company, start_time=now - timedelta(minutes=i)) for i in range(5)]
    body = api_client.get(url(account, "relative_pagination=true&per_page=2&offset=2")).json()
    assert [row["id"] for row in body["calls"]] == [made[4].public_id]
    assert body["has_next_page"] is False


def test_good_lead_call_fields_point_at_the_earlier_good_lead_in_one_query(
    api_client, account, company, django_assert_max_num_queries
):
    from telephony.models import Call

    now = timezone.now()
    marked = []
    expected = {}
    for i in range(6):
        phone = f"+1770555{i:04d}"
        person = PersonFactory(company=company, phone_number=phone)
        first = CallFactory(
            company=company,
            person=person,
            customer_phone_number=phone,
            lead_status=Call.LeadStatus.GOOD_LEAD,
            start_time=now - timedelta(days=3, minutes=i),
        )
        # A later good lead of the same caller: the earliest one is the answer.
        CallFactory(
            company=company,
            person=person,
            customer_phone_number=phone,
            lead_status=Call.LeadStatus.GOOD_LEAD,
            start_time=now - timedelta(days=2, minutes=i),
        )
        again = CallFactory(
            company=company,
            person=person,
            customer_phone_number=phone,
            lead_status=Call.LeadStatus.PREVIOUSLY_MARKED_GOOD_LEAD,
            start_time=now - timedelta(minutes=i),
        )
        marked.append(again)
        expected[again.numeric_id] = first.numeric_id
    plain = CallFactory(company=company, start_time=now)

    with django_assert_max_num_queries(6):
        response = api_client.get(url(account, "fields=good_lead_call_id,good_lead_call_time&per_page=100"))
    assert response.status_code == 200
    rows = {row["id"]: row for row in response.json()["calls"]}
    for call in marked:
        assert rows[call.public_id]["good_lead_call_id"] == expected[call.numeric_id]
        assert rows[call.public_id]["good_lead_call_time"] is not None
    assert rows[plain.public_id]["good_lead_call_id"] is None
    assert rows[plain.public_id]["good_lead_call_time"] is None
    # The single call endpoint answers the same.
    single = api_client.get(f"/v3/a/{account.public_id}/calls/{marked[0].public_id}.json?fields=good_lead_call_id")
    assert single.json()["good_lead_call_id"] == expected[marked[0].numeric_id]


def _call_queries(queries):
    return [q["sql"] for q in queries.captured_queries if 'FROM "telephony_call"' in q["sql"]]


def test_an_offset_without_cursor_seeks_instead_of_offsetting_the_page(api_client, account, company):
    now = timezone.now()
    made = [CallFactory(company=company, start_time=now - timedelta(minutes=i)) for i in range(9)]
    with CaptureQueriesContext(connection) as queries:
        body = api_client.get(url(account, "relative_pagination=true&per_page=2&offset=3")).json()
    assert [row["id"] for row in body["calls"]] == [made[6].public_id, made[7].public_id]
    assert body["has_next_page"] is True
    position, page = _call_queries(queries)
    # Where the page starts is read from (start_time, id) alone; the page itself has no OFFSET.
    assert position.startswith('SELECT "telephony_call"."start_time"') and " OFFSET 5" in position
    assert "JOIN" not in position
    assert "OFFSET" not in page


def test_walking_by_offset_seeks_from_where_the_last_page_ended(api_client, account, company):
    now = timezone.now()
    made = [CallFactory(company=company, start_time=now - timedelta(minutes=i)) for i in range(7)]
    seen = []
    for offset in range(4):
        with CaptureQueriesContext(connection) as queries:
            body = api_client.get(url(account, f"relative_pagination=true&per_page=2&offset={offset}")).json()
        seen += [row["id"] for row in body["calls"]]
        if offset >= 2:
            # Page N-1 recorded where page N starts: one page query, no position lookup.
            assert len(_call_queries(queries)) == 1
    assert seen == [call.public_id for call in made]
    assert body["has_next_page"] is False


def test_an_offset_past_the_end_is_an_empty_page(api_client, account, company):
    CallFactory(company=company)
    body = api_client.get(url(account, "relative_pagination=true&per_page=2&offset=5")).json()
    assert body == {"next_page": None, "has_next_page": False, "calls": []}


def test_offset_pages_are_recorded_per_user(api_client, account, company, make_api_client):
    now = timezone.now()
    other = Company.objects.create(account=account, name="Other")
    mine = [CallFactory(company=company, start_time=now - timedelta(minutes=2 * i)) for i in range(4)]
    theirs = [CallFactory(company=other, start_time=now - timedelta(minutes=2 * i + 1)) for i in range(4)]
    manager = User.objects.create_user(email="m@example.com", account=account, role=User.Role.MANAGER)
    manager.companies.add(company)
    query = "relative_pagination=true&per_page=2&offset=1"
    assert [row["id"] for row in api_client.get(url(account, query)).json()["calls"]] == [
        mine[1].public_id,
        theirs[1].public_id,
    ]
    body = make_api_client(manager).get(url(account, query)).json()
    assert [row["id"] for row in body["calls"]] == [mine[2].public_id, mine[3].public_id]


def test_offset_pages_still_work_without_redis(api_client, account, company):
    now = timezone.now()
    made = [CallFactory(company=company, start_time=now - timedelta(minutes=i)) for i in range(5)]
    with mock.patch("api.v3.pagination.get_redis", side_effect=redis.ConnectionError("down")):
        body = api_client.get(url(account, "relative_pagination=true&per_page=2&offset=1")).json()
    assert [row["id"] for row in body["calls"]] == [made[2].public_id, made[3].public_id]


def test_it_searches_the_city_and_the_transcription(api_client, account, company):
    macon = CallFactory(company=company, customer_city="Macon")
    voicemail = CallFactory(company=company, voicemail=True, transcription="Please call me about the water heater")
    assert [r["id"] for r in api_client.get(url(account, "search=macon")).json()["calls"]] == [macon.public_id]
    assert [r["id"] for r in api_client.get(url(account, "search=heater")).json()["calls"]] == [voicemail.public_id]


def test_it_filters_by_the_call_logs_extensions(api_client, account, company):
    paid = CallFactory(company=company, source="google_paid", campaign="Spring Sale", first_call=True, duration=30)
    recorded = CallFactory(
        company=company, source="direct", first_call=False, duration=300, recording_url="https://api.twilio.com/RE1"
    )

    def ids(query):
        response = api_client.get(url(account, query))
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["calls"]}

    assert ids("source=google_paid") == {paid.public_id}
    assert ids("campaign=spring sale") == {paid.public_id}
    assert ids("first_time_callers=true") == {paid.public_id}
    assert ids("first_time_callers=false") == {recorded.public_id}
    assert ids("has_recording=true") == {recorded.public_id}
    assert ids("has_recording=false") == {paid.public_id}
    assert ids("min_duration=60") == {recorded.public_id}
    assert ids("max_duration=60") == {paid.public_id}
    for bad in ("min_duration=soon", "has_recording=maybe", "first_time_callers=2", "max_duration=-1"):
        response = api_client.get(url(account, bad))
        assert response.status_code == 400
        assert "error" in response.json()
