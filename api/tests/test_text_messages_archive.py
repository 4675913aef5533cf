"""Archiving a text conversation: ``PUT text-messages/{id}.json`` with a state, as
pycallrail's ``TextMessageConversation.archive()`` sends it; listing by state."""

import pytest

from accounts.models import User
from api.tests.factories import TextConversationFactory, TextMessageFactory, TrackerFactory, TrackingNumberFactory
from api.tests.test_text_messages import CONVERSATION_KEYS
from telephony.models import TextConversation

pytestmark = pytest.mark.django_db


def url(account, suffix=""):
    return f"/v3/a/{account.public_id}/text-messages{suffix}.json"


def test_it_archives_a_conversation_as_pycallrail_does(api_client, account, company):
    conversation = TextConversationFactory(company=company)
    TextMessageFactory(conversation=conversation)
    response = api_client.put(
        url(account, f"/{conversation.public_id}") + f"?conversation_id={conversation.public_id}",
        {"state": "archived"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == CONVERSATION_KEYS
    assert body["state"] == "archived"
    assert len(body["recent_messages"]) == 1
    conversation.refresh_from_db()
    assert conversation.state == TextConversation.State.ARCHIVED


def test_it_makes_an_archived_conversation_active_again(api_client, account, company):
    conversation = TextConversationFactory(company=company, state=TextConversation.State.ARCHIVED)
    response = api_client.put(url(account, f"/{conversation.public_id}"), {"state": "active"}, format="json")
    assert response.json()["state"] == "active"


def test_it_lists_archived_or_active_conversations(api_client, account, company):
    archived = TextConversationFactory(company=company, state=TextConversation.State.ARCHIVED)
    active = TextConversationFactory(company=company)
    everything = api_client.get(url(account)).json()["conversations"]
    assert {row["id"] for row in everything} == {archived.public_id, active.public_id}
    only_archived = api_client.get(url(account) + "?state=archived").json()["conversations"]
    assert [row["id"] for row in only_archived] == [archived.public_id]
    only_active = api_client.get(url(account) + "?state=active").json()["conversations"]
    assert [row["id"] for row in only_active] == [active.public_id]
    response = api_client.get(url(account) + "?state=deleted")
    assert response.status_code == 400
    assert "error" in response.json()


def test_a_new_text_brings_an_archived_conversation_back(api_client, account, company):
    tracker = TrackerFactory(company=company, sms_enabled=True)
    number = TrackingNumberFactory(tracker=tracker, number="+17703334455")
    body = {
        "customer_phone_number": "+14044442233",
        "tracking_number": number.number,
        "content": "Still there?",
        "company_id": company.public_id,
    }
    first = api_client.post(url(account), body, format="json").json()
    api_client.put(url(account, f"/{first['id']}"), {"state": "archived"}, format="json")
    again = api_client.post(url(account), body, format="json").json()
    assert again["id"] == first["id"]
    assert again["state"] == "active"


@pytest.mark.parametrize("body", [{}, {"state": "deleted"}, {"state": None}, {"state": ["archived"]}])
def test_it_needs_a_known_state(api_client, account, company, body):
    conversation = TextConversationFactory(company=company)
    response = api_client.put(url(account, f"/{conversation.public_id}"), body, format="json")
    assert response.status_code == 400
    assert "state" in response.json()["error"]


def test_reporting_users_may_archive(account, company, make_api_client):
    reporter = User.objects.create_user(email="r@example.com", account=account, role=User.Role.REPORTING)
    reporter.companies.add(company)
    conversation = TextConversationFactory(company=company)
    response = make_api_client(reporter).put(
        url(account, f"/{conversation.public_id}"), {"state": "archived"}, format="json"
    )
    assert response.status_code == 200


def test_it_cannot_archive_another_accounts_conversation(api_client, account, other_company):
    theirs = TextConversationFactory(company=other_company)
    response = api_client.put(url(account, f"/{theirs.public_id}"), {"state": "archived"}, format="json")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == TextConversation.State.ACTIVE


def test_the_openapi_document_marks_archiving_as_an_extension(client):
    operation = client.get("/v3/openapi.json").json()["paths"]["/v3/a/{account_id}/text-messages/{id}.json"]["put"]
    assert operation["x-reference-extension"] is True
    assert operation["description"].startswith("Extension, not in CallRail's v3 reference")
