"""Text messages: list conversations, show one, send a text."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from api.tests.factories import (
    CallFactory,
    TextConversationFactory,
    TextMessageFactory,
    TrackerFactory,
    TrackingNumberFactory,
)
from telephony.models import TextConversation

pytestmark = pytest.mark.django_db

CONVERSATION_KEYS = {
    "id",
    "company_id",
    "initial_tracker_id",
    "current_tracker_id",
    "customer_name",
    "customer_phone_number",
    "initial_tracking_number",
    "current_tracking_number",
    "last_message_at",
    "state",
    "company_time_zone",
    "formatted_customer_phone_number",
    "formatted_initial_tracking_number",
    "formatted_current_tracking_number",
    "formatted_customer_name",
    "recent_messages",
}


def url(account, suffix=""):
    return f"/v3/a/{account.public_id}/text-messages{suffix}.json"


def test_it_lists_conversations_with_their_two_newest_messages(api_client, account, company):
    tracker = TrackerFactory(company=company)
    conversation = TextConversationFactory(
        company=company, initial_tracker=tracker, current_tracker=tracker, customer_phone_number="+14042223333"
    )
    now = timezone.now()
    for minutes, content in ((3, "first"), (2, "second"), (1, "third")):
        message = TextMessageFactory(conversation=conversation, content=content)
        message.created_at = now - timedelta(minutes=minutes)
        message.save()
    response = api_client.get(url(account))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"page", "per_page", "total_pages", "total_records", "conversations"}
    row = body["conversations"][0]
    assert set(row) == CONVERSATION_KEYS
    assert row["id"] == conversation.public_id
    assert row["initial_tracker_id"] == tracker.public_id
    assert row["formatted_customer_phone_number"] == "404-222-3333"
    assert row["formatted_customer_name"] == "Mann Kevin"
    assert [m["content"] for m in row["recent_messages"]] == ["third", "second"]
    assert set(row["recent_messages"][0]) == {"direction", "content", "created_at"}
    assert row["last_message_at"].endswith("Z")


def test_it_orders_filters_searches_and_selects_lead_status(api_client, account, company, other_company):
    now = timezone.now()
    older = TextConversationFactory(company=company, last_message_at=now - timedelta(days=2), customer_name="Ann")
    newer = TextConversationFactory(company=company, last_message_at=now, customer_name="Bob")
    TextConversationFactory(company=other_company)
    CallFactory(company=company, customer_phone_number=newer.customer_phone_number, lead_status="good_lead")
    rows = api_client.get(url(account) + "?fields=lead_status").json()["conversations"]
    assert [r["id"] for r in rows] == [newer.public_id, older.public_id]
    assert rows[0]["lead_status"] == "previously_marked_good_lead"
    assert rows[1]["lead_status"] is None
    assert [r["id"] for r in api_client.get(url(account) + "?search=ann").json()["conversations"]] == [older.public_id]
    digits = newer.customer_phone_number[-7:]
    assert [r["id"] for r in api_client.get(url(account) + f"?search={digits}").json()["conversations"]] == [
        newer.public_id
    ]
    assert api_client.get(url(account) + f"?company_id={company.public_id}").json()["total_records"] == 2
    assert api_client.get(url(account) + "?date_range=today").json()["total_records"] == 1


def test_it_shows_a_conversation_with_paged_messages(api_client, account, company, admin_user):
    conversation = TextConversationFactory(company=company)
    TextMessageFactory(conversation=conversation, content="hello")
    TextMessageFactory(conversation=conversation, content="reply", direction="outgoing", status="sent", user=admin_user)
    response = api_client.get(url(account, f"/{conversation.public_id}") + "?per_page=1")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == (CONVERSATION_KEYS - {"recent_messages"}) | {
        "page",
        "per_page",
        "total_pages",
        "total_records",
        "messages",
    }
    assert body["total_records"] == 2
    assert body["total_pages"] == 2
    message = body["messages"][0]
    assert set(message) == {"id", "content", "created_at", "status", "direction", "user"}
    assert message["user"] == {"id": admin_user.public_id, "name": admin_user.name}
    assert isinstance(message["id"], int)


def test_it_hides_other_accounts(api_client, account, other_company):
    theirs = TextConversationFactory(company=other_company)
    assert api_client.get(url(account, f"/{theirs.public_id}")).status_code == 404
    assert api_client.get(url(account)).json()["total_records"] == 0


def test_it_needs_a_key(client, account):
    assert client.get(url(account)).status_code == 401


def test_it_sends_a_text(api_client, account, company):
    tracker = TrackerFactory(company=company, sms_enabled=True)
    number = TrackingNumberFactory(tracker=tracker, number="+17703334455")
    response = api_client.post(
        url(account),
        {
            "customer_phone_number": "+14044442233",
            "tracking_number": number.number,
            "content": "These are not the droids you are looking for.",
            "company_id": company.public_id,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == CONVERSATION_KEYS
    assert body["customer_phone_number"] == "+14044442233"
    assert body["recent_messages"][0]["direction"] == "outgoing"
    assert body["recent_messages"][0]["content"].startswith("These are not the droids")
    assert TextConversation.objects.filter(public_id=body["id"]).exists()


def test_send_validates(api_client, account, company, other_company):
    response = api_client.post(url(account), {"company_id": company.public_id, "content": "hi"}, format="json")
    assert response.status_code == 400
    assert "customer_phone_number" in response.json()["error"]
    body = {"company_id": other_company.public_id, "customer_phone_number": "+14044442233", "content": "x"}
    assert api_client.post(url(account), body, format="json").status_code == 404
    body = {
        "company_id": company.public_id,
        "customer_phone_number": "+14044442233",
        "content": "x" * 141,
        "tracking_number": "+17703334455",
    }
    assert api_client.post(url(account), body, format="json").status_code == 400


def test_sms_rate_limit(api_client, account, company, settings):
    settings.API_RATE_LIMITS = {"sms": (1, 1000)}
    tracker = TrackerFactory(company=company, sms_enabled=True)
    number = TrackingNumberFactory(tracker=tracker)
    body = {
        "company_id": company.public_id,
        "customer_phone_number": "+14044442233",
        "content": "hi",
        "tracking_number": number.number,
    }
    from callrail.redis import get_redis

    get_redis().flushdb()
    assert api_client.post(url(account), body, format="json").status_code == 201
    response = api_client.post(url(account), body, format="json")
    assert response.status_code == 429
    assert "error" in response.json()


def test_reporting_users_can_send(account, company, make_api_client):
    reporter = User.objects.create_user(email="r@example.com", account=account, role=User.Role.REPORTING)
    reporter.companies.add(company)
    tracker = TrackerFactory(company=company, sms_enabled=True)
    number = TrackingNumberFactory(tracker=tracker)
    body = {
        "company_id": company.public_id,
        "customer_phone_number": "+14044442233",
        "content": "hi",
        "tracking_number": number.number,
    }
    assert make_api_client(reporter).post(url(account), body, format="json").status_code == 201
