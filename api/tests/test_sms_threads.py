"""SMS threads (an extension: live CallRail serves them and callrail-mcp uses them):
list, show with messages, update the lead fields."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Tag, User
from api.tests.factories import PersonFactory, TextConversationFactory, TextMessageFactory, TrackerFactory
from telephony.models import TextConversation

pytestmark = pytest.mark.django_db

THREAD_KEYS = {
    "id",
    "company_id",
    "company_name",
    "person_id",
    "customer_name",
    "customer_phone_number",
    "initial_tracker_id",
    "current_tracker_id",
    "initial_tracking_number",
    "current_tracking_number",
    "state",
    "notes",
    "value",
    "tags",
    "lead_qualification",
    "created_at",
}
EXTRA_KEYS = {
    "last_message_at",
    "formatted_customer_phone_number",
    "formatted_initial_tracking_number",
    "formatted_current_tracking_number",
    "formatted_customer_name",
}


def url(account, suffix=""):
    return f"/v3/a/{account.public_id}/sms-threads{suffix}.json"


@pytest.fixture
def thread(company):
    tracker = TrackerFactory(company=company)
    person = PersonFactory(company=company, phone_number="+14042223333")
    conversation = TextConversationFactory(
        company=company,
        person=person,
        initial_tracker=tracker,
        current_tracker=tracker,
        customer_phone_number="+14042223333",
        initial_tracking_number="+14045556677",
        current_tracking_number="+14045556677",
    )
    now = timezone.now()
    for minutes, direction in ((3, "incoming"), (2, "outgoing"), (1, "incoming")):
        message = TextMessageFactory(conversation=conversation, direction=direction, content=f"{direction} {minutes}")
        message.created_at = now - timedelta(minutes=minutes)
        message.save()
    return conversation


def test_it_lists_threads(api_client, account, company, thread, django_assert_max_num_queries):
    for index in range(5):
        tag = Tag.objects.create(account=account, company=company, name=f"Tag {index}")
        TextConversationFactory(company=company).tags.add(tag)
    with django_assert_max_num_queries(8):
        response = api_client.get(url(account))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"page", "per_page", "total_pages", "total_records", "sms_threads"}
    assert body["total_records"] == 6
    row = next(row for row in body["sms_threads"] if row["id"] == thread.public_id)
    assert set(row) == THREAD_KEYS
    assert row["company_id"] == company.public_id
    assert row["person_id"] == thread.person.public_id
    assert row["initial_tracker_id"] == thread.initial_tracker.public_id
    assert (row["state"], row["notes"], row["value"], row["tags"], row["lead_qualification"]) == (
        "active",
        None,
        None,
        [],
        None,
    )


def test_it_selects_extra_fields(api_client, account, thread):
    fields = ",".join(sorted(EXTRA_KEYS))
    row = api_client.get(url(account) + f"?fields={fields}").json()["sms_threads"][0]
    assert set(row) == THREAD_KEYS | EXTRA_KEYS
    assert row["formatted_customer_phone_number"] == "404-222-3333"
    assert row["last_message_at"].endswith("Z")


def test_it_filters_and_searches(api_client, account, company, other_company, thread):
    archived = TextConversationFactory(company=company, state=TextConversation.State.ARCHIVED, customer_name="POWELL")
    archived.tags.add(Tag.objects.create(account=account, company=company, name="Quote"))
    TextConversationFactory(company=other_company)

    def ids(query):
        return {row["id"] for row in api_client.get(url(account) + f"?{query}").json()["sms_threads"]}

    assert ids("") == {thread.public_id, archived.public_id}
    assert ids("state=archived") == {archived.public_id}
    assert ids("search=quo") == {archived.public_id}
    assert ids("search=powell") == {archived.public_id}
    assert ids("search=2223333") == {thread.public_id}
    assert ids("search=(404) 222-3333") == {thread.public_id}
    assert ids(f"company_id={company.public_id}&date_range=today") == {thread.public_id, archived.public_id}
    assert api_client.get(url(account) + "?state=gone").status_code == 400


def test_it_shows_a_thread_with_its_messages_newest_first(api_client, account, thread):
    response = api_client.get(url(account, f"/{thread.public_id}") + "?per_page=2")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == THREAD_KEYS | {"page", "per_page", "total_pages", "total_records", "messages"}
    assert (body["page"], body["per_page"], body["total_pages"], body["total_records"]) == (1, 2, 2, 3)
    assert [message["content"] for message in body["messages"]] == ["incoming 1", "outgoing 2"]
    assert api_client.get(url(account, f"/{thread.public_id}") + "?per_page=500").json()["per_page"] == 100


def test_it_updates_the_lead_fields(api_client, account, company, thread):
    response = api_client.put(
        url(account, f"/{thread.public_id}"),
        {"notes": "Wants a quote", "value": "$12.50", "tags": ["Quote"], "lead_qualification": "good_lead"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == THREAD_KEYS
    assert (body["notes"], body["value"], body["tags"], body["lead_qualification"]) == (
        "Wants a quote",
        12.5,
        ["Quote"],
        "good_lead",
    )
    assert Tag.objects.get(name="Quote").company == company
    appended = api_client.put(
        url(account, f"/{thread.public_id}"), {"tags": ["Urgent"], "append_tags": True}, format="json"
    ).json()
    assert appended["tags"] == ["Quote", "Urgent"]
    replaced = api_client.put(url(account, f"/{thread.public_id}"), {"tags": ["Urgent"]}, format="json").json()
    assert replaced["tags"] == ["Urgent"]
    cleared = api_client.put(
        url(account, f"/{thread.public_id}"), {"notes": None, "value": "", "lead_qualification": None}, format="json"
    ).json()
    assert (cleared["notes"], cleared["value"], cleared["lead_qualification"]) == (None, None, None)
    assert cleared["tags"] == ["Urgent"]


def test_it_archives_through_the_thread(api_client, account, thread):
    body = api_client.put(url(account, f"/{thread.public_id}"), {"state": "archived"}, format="json").json()
    assert body["state"] == "archived"
    thread.refresh_from_db()
    assert thread.state == TextConversation.State.ARCHIVED


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"lead_qualification": "hot"}, "lead_qualification"),
        ({"value": "lots"}, "value"),
        ({"value": True}, "value"),
        ({"tags": "Quote"}, None),
        ({"tags": [1, 2]}, "tags"),
        ({"notes": 5}, "note"),
        ({"state": "deleted"}, "state"),
    ],
)
def test_it_refuses_bad_values(api_client, account, thread, body, message):
    response = api_client.put(url(account, f"/{thread.public_id}"), body, format="json")
    if message is None:
        # A single tag name is taken as a list of one, as call updates take it.
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_a_disabled_tag_cannot_be_applied(api_client, account, company, thread):
    Tag.objects.create(account=account, company=company, name="Old", status=Tag.Status.DISABLED)
    response = api_client.put(url(account, f"/{thread.public_id}"), {"tags": ["Old"]}, format="json")
    assert response.status_code == 400
    assert "disabled" in response.json()["error"]


def test_an_account_level_tag_is_reused(api_client, account, company, thread):
    shared = Tag.objects.create(account=account, company=None, name="VIP", tag_level=Tag.Level.ACCOUNT)
    api_client.put(url(account, f"/{thread.public_id}"), {"tags": ["VIP"]}, format="json")
    assert list(thread.tags.all()) == [shared]


def test_reporting_users_may_qualify_threads(account, company, thread, make_api_client):
    reporter = User.objects.create_user(email="r@example.com", account=account, role=User.Role.REPORTING)
    reporter.companies.add(company)
    response = make_api_client(reporter).put(
        url(account, f"/{thread.public_id}"), {"lead_qualification": "not_a_lead"}, format="json"
    )
    assert response.status_code == 200


def test_it_hides_other_accounts_threads(api_client, account, other_company):
    theirs = TextConversationFactory(company=other_company)
    assert api_client.get(url(account)).json()["sms_threads"] == []
    assert api_client.get(url(account, f"/{theirs.public_id}")).status_code == 404
    response = api_client.put(url(account, f"/{theirs.public_id}"), {"notes": "x"}, format="json")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found"}


def test_a_manager_sees_only_their_companies_threads(account, company, other_company, make_api_client):
    from accounts.models import Company

    elsewhere = Company.objects.create(account=account, name="Elsewhere")
    mine = TextConversationFactory(company=company)
    TextConversationFactory(company=elsewhere)
    manager = User.objects.create_user(email="m@example.com", account=account, role=User.Role.MANAGER)
    manager.companies.add(company)
    rows = make_api_client(manager).get(url(account)).json()["sms_threads"]
    assert [row["id"] for row in rows] == [mine.public_id]


def test_the_openapi_document_files_threads_as_an_extension(client):
    document = client.get("/v3/openapi.json").json()
    for path in ("/v3/a/{account_id}/sms-threads.json", "/v3/a/{account_id}/sms-threads/{id}.json"):
        for operation in document["paths"][path].values():
            assert operation["tags"] == ["extensions"]
            assert operation["x-reference-extension"] is True
            assert operation["description"].startswith("Extension, not in CallRail's v3 reference")
    assert set(document["paths"]["/v3/a/{account_id}/sms-threads/{id}.json"]) == {"get", "put"}
    assert document["paths"]["/v3/a/{account_id}/calls.json"]["get"]["tags"] != ["extensions"]
