"""Leads and their timelines (an extension: live CallRail serves them and callrail-mcp
uses them)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Company, User
from api.tests.factories import (
    CallFactory,
    FormSubmissionFactory,
    PersonFactory,
    TextConversationFactory,
    TextMessageFactory,
)

pytestmark = pytest.mark.django_db

LEAD_KEYS = {"id", "name", "phone", "email", "company_id", "company_name", "created_at"}
ENTRY_KEYS = {
    "type",
    "id",
    "occurred_at",
    "direction",
    "duration",
    "answered",
    "voicemail",
    "content",
    "conversation_id",
    "form_name",
    "form_url",
    "tracking_phone_number",
    "source",
    "medium",
    "campaign",
    "landing_page_url",
    "lead_status",
}


def url(account, suffix=""):
    return f"/v3/a/{account.public_id}/leads{suffix}.json"


def test_it_lists_leads(api_client, account, company, django_assert_max_num_queries):
    person = PersonFactory(company=company, name="Kevin Mann", phone_number="+14042223333", email="k@example.com")
    for _ in range(4):
        PersonFactory(company=company)
    with django_assert_max_num_queries(6):
        response = api_client.get(url(account))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"page", "per_page", "total_pages", "total_records", "leads"}
    assert body["total_records"] == 5
    row = next(row for row in body["leads"] if row["id"] == person.public_id)
    assert set(row) == LEAD_KEYS
    assert (row["name"], row["phone"], row["email"]) == ("Kevin Mann", "+14042223333", "k@example.com")
    assert (row["company_id"], row["company_name"]) == (company.public_id, company.name)
    # Times are in the user's zone (the account's New York), as for calls.
    assert row["created_at"][-6:] in ("-05:00", "-04:00")
    extra = api_client.get(url(account) + "?fields=formatted_phone").json()["leads"]
    assert next(row for row in extra if row["id"] == person.public_id)["formatted_phone"] == "404-222-3333"


def test_it_sorts_filters_and_searches(api_client, account, company):
    elsewhere = Company.objects.create(account=account, name="Elsewhere")
    ann = PersonFactory(company=company, name="Ann", email="zed@example.com", phone_number="+14042223333")
    bob = PersonFactory(company=elsewhere, name="Bob", email="amy@example.com")

    def ids(query):
        return [row["id"] for row in api_client.get(url(account) + f"?{query}").json()["leads"]]

    assert ids("sort=name&order=asc") == [ann.public_id, bob.public_id]
    assert ids("sort=email") == [bob.public_id, ann.public_id]
    assert ids(f"company_id={elsewhere.public_id}") == [bob.public_id]
    assert ids("search=ann") == [ann.public_id]
    assert ids("search=404-222-3333") == [ann.public_id]
    assert ids("date_range=today&sort=name&order=desc") == [bob.public_id, ann.public_id]
    assert api_client.get(url(account) + "?sort=phone").status_code == 400


def test_it_shows_a_lead(api_client, account, company):
    person = PersonFactory(company=company)
    body = api_client.get(url(account, f"/{person.public_id}")).json()
    assert set(body) == LEAD_KEYS
    assert body["id"] == person.public_id


def test_the_timeline_merges_calls_texts_and_forms_in_time_order(api_client, account, company):
    now = timezone.now()
    person = PersonFactory(company=company, phone_number="+14042223333")
    first_call = CallFactory(
        company=company,
        person=person,
        start_time=now - timedelta(days=3),
        source="google_paid",
        medium="cpc",
        campaign="spring",
        landing_page_url="https://example.com/spring",
        voicemail=True,
        answered=False,
    )
    CallFactory(company=company, person=person, start_time=now - timedelta(days=2, hours=12), spam=True)
    form = FormSubmissionFactory(
        company=company, person=person, submitted_at=now - timedelta(days=2), form_name="Quote", source="facebook"
    )
    conversation = TextConversationFactory(company=company, person=person, current_tracking_number="+14045556677")
    texts = []
    for hours, direction in ((30, "incoming"), (29, "outgoing")):
        message = TextMessageFactory(conversation=conversation, direction=direction, content=f"{direction} text")
        message.created_at = now - timedelta(hours=hours)
        message.save()
        texts.append(message)
    last_call = CallFactory(company=company, person=person, start_time=now - timedelta(hours=1), source="direct")
    CallFactory(company=company, start_time=now)  # someone else

    response = api_client.get(url(account, f"/{person.public_id}/timeline"))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {
        "lead",
        "first_touch",
        "last_touch",
        "page",
        "per_page",
        "total_pages",
        "total_records",
        "timeline",
    }
    assert body["lead"]["id"] == person.public_id
    assert (body["page"], body["total_pages"], body["total_records"]) == (1, 1, 5)
    timeline = body["timeline"]
    assert [(entry["type"], entry["id"]) for entry in timeline] == [
        ("call", first_call.public_id),
        ("form_submission", form.public_id),
        ("text_message", texts[0].numeric_id),
        ("text_message", texts[1].numeric_id),
        ("call", last_call.public_id),
    ]
    assert all(set(entry) == ENTRY_KEYS for entry in timeline)
    call, form_entry, incoming, outgoing, _ = timeline
    assert (call["voicemail"], call["answered"], call["source"], call["campaign"]) == (
        True,
        False,
        "Google Ads",
        "spring",
    )
    assert (form_entry["form_name"], form_entry["direction"], form_entry["duration"]) == ("Quote", None, None)
    assert (incoming["direction"], incoming["content"], incoming["conversation_id"]) == (
        "incoming",
        "incoming text",
        conversation.public_id,
    )
    assert outgoing["direction"] == "outgoing"
    assert incoming["tracking_phone_number"] == "+14045556677"
    assert body["first_touch"]["id"] == first_call.public_id
    assert body["first_touch"]["source"] == "Google Ads"
    assert body["first_touch"]["landing_page_url"] == "https://example.com/spring"
    assert (body["last_touch"]["type"], body["last_touch"]["id"]) == ("call", last_call.public_id)


def test_the_timeline_pages(api_client, account, company, django_assert_max_num_queries):
    now = timezone.now()
    person = PersonFactory(company=company)
    calls = [CallFactory(company=company, person=person, start_time=now - timedelta(hours=10 - i)) for i in range(5)]
    forms = [
        FormSubmissionFactory(company=company, person=person, submitted_at=now - timedelta(hours=10 - i, minutes=30))
        for i in range(5)
    ]
    with django_assert_max_num_queries(14):
        body = api_client.get(url(account, f"/{person.public_id}/timeline") + "?per_page=4&page=2").json()
    assert (body["page"], body["per_page"], body["total_pages"], body["total_records"]) == (2, 4, 3, 10)
    # Each form came half an hour before the call of the same hour.
    assert [entry["id"] for entry in body["timeline"]] == [
        forms[2].public_id,
        calls[2].public_id,
        forms[3].public_id,
        calls[3].public_id,
    ]
    beyond = api_client.get(url(account, f"/{person.public_id}/timeline") + "?page=9").json()
    assert beyond["timeline"] == []


def test_a_lead_without_interactions_has_an_empty_timeline(api_client, account, company):
    person = PersonFactory(company=company)
    body = api_client.get(url(account, f"/{person.public_id}/timeline")).json()
    assert (body["timeline"], body["total_records"], body["total_pages"]) == ([], 0, 0)
    assert body["first_touch"] is None and body["last_touch"] is None


def test_it_hides_other_accounts_leads(api_client, account, other_company):
    theirs = PersonFactory(company=other_company)
    assert api_client.get(url(account)).json()["leads"] == []
    for suffix in (f"/{theirs.public_id}", f"/{theirs.public_id}/timeline"):
        response = api_client.get(url(account, suffix))
        assert response.status_code == 404
        assert response.json() == {"error": "Not found"}


def test_a_manager_sees_only_their_companies_leads(account, company, make_api_client):
    elsewhere = Company.objects.create(account=account, name="Elsewhere")
    mine = PersonFactory(company=company)
    hidden = PersonFactory(company=elsewhere)
    manager = User.objects.create_user(email="m@example.com", account=account, role=User.Role.MANAGER)
    manager.companies.add(company)
    client = make_api_client(manager)
    assert [row["id"] for row in client.get(url(account)).json()["leads"]] == [mine.public_id]
    assert client.get(url(account, f"/{hidden.public_id}/timeline")).status_code == 404


def test_leads_are_read_only(api_client, account, company):
    person = PersonFactory(company=company)
    assert api_client.put(url(account, f"/{person.public_id}"), {"name": "x"}, format="json").status_code == 405
    assert api_client.post(url(account), {"name": "x"}, format="json").status_code == 405


def test_the_openapi_document_files_leads_as_an_extension(client):
    paths = client.get("/v3/openapi.json").json()["paths"]
    operation = paths["/v3/a/{account_id}/leads/{id}/timeline.json"]["get"]
    assert operation["tags"] == ["extensions"]
    assert operation["x-reference-extension"] is True
    assert paths["/v3/a/{account_id}/leads.json"]["get"]["tags"] == ["extensions"]
