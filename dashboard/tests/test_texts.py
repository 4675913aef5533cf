"""The texts inbox and a conversation: latest first with the last message and what needs a
reply; answering through the API's service (the same signal, so the same webhooks); editors
only; the walls."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from telephony import signals
from telephony.models import TextConversation, TextMessage
from telephony.services.texts import text_message_receive, text_message_send
from telephony.tests.test_text_messages import sms_params
from tracking.tests.factories import TrackerFactory, TrackingNumberFactory

pytestmark = pytest.mark.django_db

NUMBER = "+14705550111"


@pytest.fixture
def number(company):
    return TrackingNumberFactory(
        tracker=TrackerFactory(company=company, sms_enabled=True, name="Website visitors"), number=NUMBER
    )


def received(body, customer, *, minutes_ago=0):
    return text_message_receive(
        params=sms_params(body, to=NUMBER, from_=customer, sid="SM" + customer[-8:] + str(minutes_ago).zfill(24)),
        at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def conversation_url(conversation):
    return reverse("dashboard:text-conversation", args=[conversation.public_id])


def test_the_inbox_lists_conversations_latest_first_with_what_needs_a_reply(client, manager_user, company, number):
    received("Are you open Sunday?", "+13035550101", minutes_ago=30)
    received("My basement is flooding", "+13035550102", minutes_ago=5)
    text_message_send(
        account=company.account, company=company, customer_phone_number="+13035550101", content="Yes, 9 to 5."
    )
    client.force_login(manager_user)

    html = client.get(reverse("dashboard:texts")).content.decode()

    assert html.index("(303) 555-0101") < html.index("(303) 555-0102")  # answered just now
    assert "Yes, 9 to 5." in html and "My basement is flooding" in html
    assert html.count("Needs a reply") == 1 + 1  # the badge, and the filter's choice
    only = client.get(reverse("dashboard:texts") + "?show=needs_reply").content.decode()
    assert "(303) 555-0102" in only and "(303) 555-0101" not in only
    found = client.get(reverse("dashboard:texts") + "?search=basement").content.decode()
    assert "(303) 555-0102" in found and "(303) 555-0101" not in found


def test_an_editor_answers_and_the_api_and_its_webhooks_see_it(
    client, api_client, account, manager_user, company, number
):
    message = received("Do you fix water heaters?", "+13035550103")
    conversation = message.conversation
    client.force_login(manager_user)
    page = client.get(conversation_url(conversation)).content.decode()
    assert "Do you fix water heaters?" in page and 'name="content"' in page

    sent = mock.Mock()
    signals.text_message_sent.connect(sent)
    try:
        response = client.post(conversation_url(conversation), {"content": "We do! Tomorrow morning?"})
    finally:
        signals.text_message_sent.disconnect(sent)

    assert response.status_code == 302
    assert response["Location"].startswith(conversation_url(conversation))
    reply = TextMessage.objects.get(direction="outgoing")
    assert (reply.user, reply.status) == (manager_user, "sent")
    assert reply.content.startswith("We do! Tomorrow morning?")
    assert sent.call_count == 1
    body = api_client.get(f"/v3/a/{account.public_id}/text-messages/{conversation.public_id}.json").json()
    assert body["messages"][0]["content"] == reply.content
    assert "We do! Tomorrow morning?" in client.get(response["Location"]).content.decode()


def test_a_reporting_user_reads_but_cannot_answer(client, reporting_user, company, number):
    conversation = received("Hello?", "+13035550104").conversation
    client.force_login(reporting_user)
    page = client.get(conversation_url(conversation)).content.decode()
    assert "Hello?" in page
    assert 'name="content"' not in page and "Send" not in page
    assert client.post(conversation_url(conversation), {"content": "Hi"}).status_code == 403
    assert not TextMessage.objects.filter(direction="outgoing").exists()


def test_a_reply_the_service_refuses_shows_why(client, manager_user, company, number):
    conversation = received("Hi there", "+13035550105").conversation
    client.force_login(manager_user)
    too_long = client.post(conversation_url(conversation), {"content": "x" * 141})
    assert too_long.status_code == 400
    assert "at most 140 characters" in too_long.content.decode()
    empty = client.post(conversation_url(conversation), {"content": "   "})
    assert empty.status_code == 400
    assert not TextMessage.objects.filter(direction="outgoing").exists()


def test_an_opted_out_customer_gets_no_reply_box(client, manager_user, company, number):
    conversation = received("STOP", "+13035550106").conversation
    client.force_login(manager_user)
    page = client.get(conversation_url(conversation)).content.decode()
    assert "opted out" in page and 'name="content"' not in page
    response = client.post(conversation_url(conversation), {"content": "Come back!"})
    assert response.status_code == 400
    assert not TextMessage.objects.filter(direction="outgoing").exists()


def test_the_inbox_pages_by_keyset(client, manager_user, company, number):
    for n in range(30):
        received(f"Message {n}", f"+1303555{n + 200:04d}"[:12], minutes_ago=n + 1)
    client.force_login(manager_user)
    html = client.get(reverse("dashboard:texts")).content.decode()
    assert html.count('class="conversation-name"') == 25
    older = re.search(r'href="\?page=(older-[A-Za-z0-9]+)" rel="next"', html).group(1)
    rest = client.get(reverse("dashboard:texts") + f"?page={older}").content.decode()
    assert rest.count('class="conversation-name"') == 5
    assert "Message 29" in rest and "Message 0" not in rest


def test_other_accounts_and_hidden_companies_are_404(
    client, reporting_user, company, second_company, other_company, number
):
    client.force_login(reporting_user)  # sees ``company`` only
    for owner in (other_company, second_company):
        other = TextConversation.objects.create(
            account=owner.account,
            company=owner,
            initial_tracking_number="+14705550199",
            current_tracking_number="+14705550199",
            customer_phone_number="+13035550107",
            last_message_at=timezone.now(),
        )
        assert client.get(conversation_url(other)).status_code == 404
        assert client.post(conversation_url(other), {"content": "Hi"}).status_code == 404
        assert other.public_id not in client.get(reverse("dashboard:texts")).content.decode()
