from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from telephony import signals
from telephony.carrier import CarrierError
from telephony.models import SimulatedCarrierRequest, TextConversation, TextMessage
from telephony.services.texts import text_message_send
from tracking.tests.factories import TrackerFactory, TrackingNumberFactory

SMS = "/telephony/twilio/sms"
CUSTOMER = "+13035550123"


@pytest.fixture
def number(company):
    return TrackingNumberFactory(tracker=TrackerFactory(company=company, sms_enabled=True), number="+14705550111")


def sms_params(body, *, to="+14705550111", from_=CUSTOMER, sid="SM" + "a" * 32):
    return {
        "ToCountry": "US",
        "ToState": "GA",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "80202",
        "SmsSid": sid,
        "FromState": "CO",
        "SmsStatus": "received",
        "FromCity": "DENVER",
        "Body": body,
        "FromCountry": "US",
        "To": to,
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": from_,
        "ApiVersion": "2010-04-01",
    }


@pytest.fixture
def received():
    receiver = mock.Mock()
    signals.text_message_received.connect(receiver)
    yield receiver
    signals.text_message_received.disconnect(receiver)


def test_an_incoming_text_starts_a_conversation(twilio_post, company, number, received):
    response = twilio_post(SMS, sms_params("Do you fix water heaters?"))
    assert response.status_code == 200
    assert response.content.endswith(b"<Response />")
    conversation = TextConversation.objects.get()
    assert len(conversation.public_id) == 5 and conversation.public_id.isalnum()
    assert (conversation.company, conversation.customer_phone_number, conversation.current_tracking_number) == (
        company,
        CUSTOMER,
        "+14705550111",
    )
    assert conversation.initial_tracker == number.tracker
    assert conversation.person.phone_number == CUSTOMER
    message = conversation.messages.get()
    assert (message.direction, message.content, message.status) == ("incoming", "Do you fix water heaters?", None)
    assert received.call_args.kwargs["message"] == message
    # Twilio's retry of the same MessageSid is not stored twice.
    twilio_post(SMS, sms_params("Do you fix water heaters?"))
    assert TextMessage.objects.count() == 1
    assert received.call_count == 1


def test_texts_to_unknown_numbers_are_ignored(twilio_post, db):
    response = twilio_post(SMS, sms_params("hi", to="+19195550100"))
    assert response.status_code == 200
    assert not TextMessage.objects.exists()


def test_an_incoming_text_needs_a_valid_signature(twilio_post, number):
    assert twilio_post(SMS, sms_params("hi"), signature="eA==").status_code == 403
    assert not TextMessage.objects.exists()


def test_stop_opts_out_and_start_opts_back_in(twilio_post, account, company, number):
    twilio_post(SMS, sms_params("Stop", sid="SM1"))
    conversation = TextConversation.objects.get()
    assert conversation.opted_out
    with pytest.raises(ValidationError, match="opted out"):
        text_message_send(account=account, company=company, customer_phone_number=CUSTOMER, content="Hi")
    twilio_post(SMS, sms_params("START", sid="SM2"))
    conversation.refresh_from_db()
    assert not conversation.opted_out


def test_the_first_text_to_a_lead_gets_opt_out_wording(account, company, number, admin_user):
    sent = mock.Mock()
    signals.text_message_sent.connect(sent)
    try:
        conversation = text_message_send(
            account=account,
            company=company,
            customer_phone_number="303-555-0123",
            content="Thanks for calling Alice Plumbing!",
            tracking_number="+14705550111",
            user=admin_user,
        )
        text_message_send(account=account, company=company, customer_phone_number=CUSTOMER, content="See you at 3.")
    finally:
        signals.text_message_sent.disconnect(sent)
    first, second = conversation.messages.order_by("created_at", "id")
    assert first.content == "Thanks for calling Alice Plumbing! Reply STOP to unsubscribe."
    assert (first.direction, first.status, first.user) == ("outgoing", "sent", admin_user)
    assert second.content == "See you at 3."
    texts = SimulatedCarrierRequest.objects.filter(action="send_sms").order_by("id")
    assert [t.payload["Body"] for t in texts] == [first.content, second.content]
    assert texts[0].payload["From"] == "+14705550111"
    assert texts[0].payload["To"] == CUSTOMER
    assert sent.call_count == 2


@pytest.mark.parametrize(
    "content", ["Text END to stop these", "reply cancel anytime", "Alice Plumbing: reply STOP to quit"]
)
def test_a_first_text_with_opt_out_wording_is_sent_as_is(account, company, number, content):
    conversation = text_message_send(
        account=account, company=company, customer_phone_number=CUSTOMER, content=content, tracking_number=number.number
    )
    assert conversation.messages.get().content == content


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"content": ""}, "content is required"),
        ({"content": "x" * 141}, "at most 140"),
        ({"tracking_number": None}, "tracking_number is required"),
        ({"tracking_number": "+14705550199"}, "not an active tracking number"),
        ({"customer_phone_number": "+442071838750"}, "US or Canadian"),
    ],
)
def test_bad_texts_are_refused(account, company, number, kwargs, message):
    options = {"customer_phone_number": CUSTOMER, "content": "Hello", "tracking_number": number.number, **kwargs}
    with pytest.raises(ValidationError, match=message):
        text_message_send(account=account, company=company, **options)
    assert not TextConversation.objects.exists()


def test_texting_must_be_enabled_on_the_number(account, company):
    number = TrackingNumberFactory(tracker=TrackerFactory(company=company, sms_enabled=False))
    with pytest.raises(ValidationError, match="not enabled"):
        text_message_send(
            account=account,
            company=company,
            customer_phone_number=CUSTOMER,
            content="Hi",
            tracking_number=number.number,
        )


def test_a_carrier_failure_is_kept_as_a_failed_message(account, company, number):
    with mock.patch("telephony.simulated_carrier.SimulatedCarrier.send_sms", side_effect=CarrierError("down")):
        conversation = text_message_send(
            account=account,
            company=company,
            customer_phone_number=CUSTOMER,
            content="Hi",
            tracking_number=number.number,
        )
    assert conversation.messages.get().status == "failed"


def test_a_delivery_failure_report_marks_the_message_failed(twilio_post, account, company, number):
    conversation = text_message_send(
        account=account, company=company, customer_phone_number=CUSTOMER, content="Hi", tracking_number=number.number
    )
    message = conversation.messages.get()
    response = twilio_post(
        "/telephony/twilio/sms-status",
        {"MessageSid": message.message_sid, "MessageStatus": "undelivered", "ErrorCode": "30003", "To": CUSTOMER},
    )
    assert response.status_code == 204
    message.refresh_from_db()
    assert message.status == "failed"
