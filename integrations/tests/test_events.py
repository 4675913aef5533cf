"""Every event type, from its domain signal to a real receiver: keys, types, signature."""

from datetime import datetime

import pytest
from django.db import transaction

from integrations.models import IntegrationTrigger, WebhookEvent
from integrations.tests.conftest import (
    complete_call,
    deliver_due,
    make_call,
    make_conversation,
    make_form_submission,
    make_text,
    webhooks_integration,
)
from integrations.webhooks.payloads import CALL_KEYS, FORM_KEYS, TEXT_RECEIVED_KEYS, TEXT_SENT_KEYS
from integrations.webhooks.signing import signature_valid
from telephony import signals
from telephony.models import Call
from tracking import signals as tracking_signals

pytestmark = pytest.mark.django_db

Event = WebhookEvent.Event


def only_request(receiver, path):
    matching = [request for request in receiver.requests if request.path == path]
    assert len(matching) == 1, [request.path for request in receiver.requests]
    return matching[0]


def assert_signed(request, company):
    company.refresh_from_db()
    assert signature_valid(key=company.webhook_signing_key, body=request.body, candidate=request.headers["Signature"])
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Webhook-Attempt"] == "1"
    assert WebhookEvent.objects.filter(event_id=request.headers["X-Webhook-Id"]).exists()


def assert_timestamp_is_recent(value: str) -> None:
    moment = datetime.fromisoformat(value)
    assert moment.utcoffset() is not None
    assert abs((datetime.now(moment.tzinfo) - moment).total_seconds()) < 60


def assert_call_payload(payload, call):
    assert list(payload) == list(CALL_KEYS)
    assert payload["id"] == call.numeric_id
    assert payload["company_id"] == call.company.numeric_id
    assert payload["tracker_id"] == call.tracker.numeric_id
    assert payload["customer_phone_number"] == "+12148654559"
    assert payload["callernum"] == "+12148654559"
    assert payload["trackingnum"] == call.tracking_phone_number
    assert payload["callsource"] == "google_paid"
    assert payload["ga"] == "GA1.2.3"
    assert payload["custom"] == "promo=spring"
    assert payload["integration_data"] == [{"integration": "Webhooks", "data": None}]
    assert isinstance(payload["tags"], list)
    assert isinstance(payload["answered"], bool) and isinstance(payload["first_call"], bool)
    assert isinstance(payload["voicemail"], bool)
    assert isinstance(payload["duration"], str)
    assert payload["recording_duration"] == "" or isinstance(payload["recording_duration"], int)
    assert None not in payload.values()
    assert len(payload["datetime"]) == 19
    assert_timestamp_is_recent(payload["timestamp"])


def test_pre_call_arrives_signed_with_the_call_keys(company, integration, tracker, receiver):
    call = make_call(tracker)
    signals.call_started.send(sender=None, call=call)
    deliver_due()

    request = only_request(receiver, "/pre_call_webhook")
    assert_signed(request, company)
    payload = request.json()
    assert_call_payload(payload, call)
    assert payload["duration"] == "" and payload["answered"] is False
    assert "changes" not in payload
    assert request.headers["X-Webhook-Event"] == "pre_call"


def test_call_routing_complete(company, integration, tracker, receiver):
    call = make_call(tracker, status=Call.Status.IN_PROGRESS, answered=True)
    signals.call_routed.send(sender=None, call=call)
    deliver_due()

    request = only_request(receiver, "/answered_call_webhook")
    assert_signed(request, company)
    assert_call_payload(request.json(), call)
    assert request.json()["answered"] is True


def test_post_call_has_the_finished_call(company, integration, tracker, receiver):
    call = complete_call(make_call(tracker), recording_duration=118, lead_status="good_lead")
    signals.call_completed.send(sender=None, call=call)
    deliver_due()

    request = only_request(receiver, "/post_call_webhook")
    assert_signed(request, company)
    payload = request.json()
    assert_call_payload(payload, call)
    assert payload["duration"] == "125"
    assert payload["recording_duration"] == 118
    assert payload["lead_status"] == "good_lead" and payload["score"] == 1
    assert payload["direction"] == "inbound"


def test_call_modified_carries_the_changes_last(company, integration, tracker, receiver):
    call = complete_call(make_call(tracker), note="this is a note written after the call was completed")
    signals.call_modified.send(sender=None, call=call, changes=["note"])
    deliver_due()

    request = only_request(receiver, "/updated_call_webhook")
    assert_signed(request, company)
    payload = request.json()
    assert list(payload) == [*CALL_KEYS, "changes"]
    assert payload["changes"] == ["note"]
    assert payload["note"] == "this is a note written after the call was completed"


def test_changes_while_the_call_is_live_wait_for_the_post_call(company, integration, tracker, receiver):
    call = make_call(tracker, status=Call.Status.IN_PROGRESS)
    signals.call_modified.send(sender=None, call=call, changes=["tags"])
    assert not WebhookEvent.objects.exists()


def test_outbound_post_call_and_modified(company, integration, tracker, receiver):
    call = complete_call(
        make_call(tracker, direction=Call.Direction.OUTBOUND, status=Call.Status.IN_PROGRESS), answered=True
    )
    signals.call_completed.send(sender=None, call=call)
    signals.call_modified.send(sender=None, call=call, changes=["tags"])
    deliver_due()

    post = only_request(receiver, "/post_outbound_call_webhook")
    modified = only_request(receiver, "/updated_outbound_call_webhook")
    for request in (post, modified):
        assert_signed(request, company)
        assert request.json()["direction"] == "outbound"
    assert_call_payload(post.json(), call)
    assert modified.json()["changes"] == ["tags"]
    assert not [r for r in receiver.requests if r.path in ("/post_call_webhook", "/updated_call_webhook")]


def test_outbound_calls_have_no_pre_call_or_routing_events(company, integration, tracker, receiver):
    call = make_call(tracker, direction=Call.Direction.OUTBOUND)
    signals.call_started.send(sender=None, call=call)
    signals.call_routed.send(sender=None, call=call)
    assert not WebhookEvent.objects.exists()


def test_text_message_received(company, integration, tracker, receiver):
    message = make_text(make_conversation(tracker))
    signals.text_message_received.send(sender=None, message=message)
    deliver_due()

    request = only_request(receiver, "/sms_received_webhook")
    assert_signed(request, company)
    payload = request.json()
    assert list(payload) == list(TEXT_RECEIVED_KEYS)
    assert payload["id"] == message.numeric_id
    assert payload["resource_id"] == message.public_id and payload["resource_id"].startswith("SCI")
    assert payload["source_number"] == "770-555-5555"
    assert payload["destination_number"] == "770-123-4567"
    assert payload["content"] == "CallRail is the best!"
    assert payload["lead_status"] is None
    assert payload["conversation_id"] == "crpLH"
    assert payload["company_resource_id"] == company.public_id
    assert payload["person_resource_id"].startswith("PER")
    assert_timestamp_is_recent(payload["timestamp"])


def test_text_message_sent_names_the_agent(company, integration, tracker, receiver, admin_user):
    conversation = make_conversation(tracker)
    message = make_text(conversation, direction="outgoing", content="Well, that is good to know!", user=admin_user)
    signals.text_message_sent.send(sender=None, message=message)
    deliver_due()

    request = only_request(receiver, "/sms_sent_webhook")
    assert_signed(request, company)
    payload = request.json()
    assert list(payload) == list(TEXT_SENT_KEYS)
    assert payload["agent"] == "Alice"
    assert payload["source_number"] == "770-123-4567"
    assert payload["destination_number"] == "770-555-5555"


def test_form_submission(company, integration, receiver):
    submission = make_form_submission(company)
    tracking_signals.form_submitted.send(sender=None, submission=submission)
    deliver_due()

    request = only_request(receiver, "/form_captured_webhook")
    assert_signed(request, company)
    payload = request.json()
    assert list(payload) == list(FORM_KEYS)
    assert payload["id"] == submission.numeric_id
    assert payload["company_id"] == company.numeric_id
    assert payload["form_data"] == submission.form_data
    assert payload["first_form"] is True
    assert payload["referrer"] == "direct"
    assert payload["utm_campaign"] == "Google Organic"
    assert datetime.fromisoformat(payload["submitted_at"]).utcoffset() is not None
    assert_timestamp_is_recent(payload["timestamp"])


def test_each_configured_url_gets_its_own_event(company, tracker, receiver):
    webhooks_integration(company, {"post_call_webhook": [receiver.url("/a"), receiver.url("/b"), receiver.url("/a")]})
    call = complete_call(make_call(tracker))
    signals.call_completed.send(sender=None, call=call)
    deliver_due()

    assert sorted(request.path for request in receiver.requests) == ["/a", "/b"]
    ids = {request.headers["X-Webhook-Id"] for request in receiver.requests}
    assert len(ids) == 2
    assert receiver.requests[0].body == receiver.requests[1].body


def test_nothing_is_recorded_without_an_active_integration(company, tracker, receiver):
    integration = webhooks_integration(company, {"pre_call_webhook": [receiver.url()]})
    integration.state = "disabled"
    integration.save()
    signals.call_started.send(sender=None, call=make_call(tracker))
    assert not WebhookEvent.objects.exists()


def test_events_roll_back_with_the_change_that_caused_them(company, integration, tracker):
    with pytest.raises(RuntimeError), transaction.atomic():
        call = make_call(tracker)
        signals.call_started.send(sender=None, call=call)
        assert WebhookEvent.objects.count() == 1
        raise RuntimeError("the call could not be recorded")
    assert not WebhookEvent.objects.exists()


def test_delivery_is_enqueued_only_after_commit(company, integration, tracker, django_capture_on_commit_callbacks):
    from unittest import mock

    with (
        mock.patch("integrations.tasks.webhook_event_deliver.apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        signals.call_started.send(sender=None, call=make_call(tracker))
        assert apply_async.call_count == 0
    assert len(callbacks) == 1
    event = WebhookEvent.objects.get()
    apply_async.assert_called_once_with((event.pk,), retry=False)


def test_a_broken_payload_never_breaks_the_call(company, integration, tracker, monkeypatch):
    def explode(*args, **kwargs):
        raise ValueError("bad payload")

    monkeypatch.setattr("integrations.webhooks.outbox.call_payload", explode)
    with transaction.atomic():
        call = make_call(tracker)
        signals.call_started.send(sender=None, call=call)
    assert Call.objects.filter(pk=call.pk).exists()
    assert not WebhookEvent.objects.exists()


class TestTriggers:
    def trigger(self, integration, **criteria):
        return IntegrationTrigger.objects.create(
            account=integration.account, company=integration.company, integration=integration, **criteria
        )

    def test_tracker_filter(self, company, integration, tracker):
        self.trigger(integration, tracker_ids=["TRKsomeoneelse"])
        signals.call_started.send(sender=None, call=make_call(tracker))
        assert not WebhookEvent.objects.exists()
        IntegrationTrigger.objects.update(tracker_ids=[tracker.public_id])
        signals.call_started.send(sender=None, call=make_call(tracker))
        assert WebhookEvent.objects.count() == 1

    def test_duration_is_judged_after_the_call(self, company, integration, tracker):
        self.trigger(integration, min_duration=60)
        call = make_call(tracker)
        signals.call_started.send(sender=None, call=call)
        assert WebhookEvent.objects.filter(event=Event.PRE_CALL).count() == 1
        short = complete_call(make_call(tracker), duration=20)
        signals.call_completed.send(sender=None, call=short)
        assert not WebhookEvent.objects.filter(event=Event.POST_CALL).exists()
        complete_call(call, duration=61)
        signals.call_completed.send(sender=None, call=call)
        assert WebhookEvent.objects.filter(event=Event.POST_CALL).count() == 1

    def test_call_type_and_lead_status(self, company, integration, tracker):
        self.trigger(integration, call_type="missed_and_vm", lead_status="1")
        answered = complete_call(make_call(tracker), lead_status="good_lead")
        missed = complete_call(make_call(tracker), answered=False, lead_status="good_lead")
        unscored = complete_call(make_call(tracker), answered=False)
        for call in (answered, missed, unscored):
            signals.call_completed.send(sender=None, call=call)
        assert [event.ordering_key for event in WebhookEvent.objects.all()] == [missed.public_id]

    def test_company_default_trigger_applies_without_an_own_one(self, company, integration, tracker):
        IntegrationTrigger.objects.create(account=company.account, company=company, call_type="first_call")
        signals.call_started.send(sender=None, call=make_call(tracker, first_call=False))
        assert not WebhookEvent.objects.exists()
        self.trigger(integration)  # its own, empty trigger wins over the default
        signals.call_started.send(sender=None, call=make_call(tracker, first_call=False))
        assert WebhookEvent.objects.count() == 1

    def test_triggers_do_not_filter_texts(self, company, integration, tracker):
        self.trigger(integration, tracker_ids=["TRKsomeoneelse"])
        signals.text_message_received.send(sender=None, message=make_text(make_conversation(tracker)))
        assert WebhookEvent.objects.filter(event=Event.TEXT_MESSAGE_RECEIVED).count() == 1


def test_key_lists_are_the_references():
    # Checklist §3.2, copied from the reference's examples.
    assert TEXT_RECEIVED_KEYS == (
        "id",
        "resource_id",
        "source_number",
        "destination_number",
        "content",
        "timestamp",
        "lead_status",
        "conversation_id",
        "company_resource_id",
        "person_resource_id",
    )
    assert TEXT_SENT_KEYS == (
        "id",
        "resource_id",
        "agent",
        "source_number",
        "destination_number",
        "content",
        "timestamp",
        "lead_status",
        "conversation_id",
        "company_resource_id",
        "person_resource_id",
    )
    assert FORM_KEYS == (
        "id",
        "company_id",
        "form_data",
        "form_url",
        "landing_page_url",
        "referrer",
        "referring_url",
        "submitted_at",
        "first_form",
        "source",
        "keywords",
        "campaign",
        "medium",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "timestamp",
    )
    legacy = "callercity callercountry callername callernum callerstate callsource campaign custom datetime"
    legacy += " destinationnum ip kissmetrics_id landingpage referrer referrermedium score tag trackingnum timestamp"
    assert CALL_KEYS[-19:] == tuple(legacy.split())
