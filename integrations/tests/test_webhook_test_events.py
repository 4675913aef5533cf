"""A test event travels like a real one (outbox, signature, log) in the real event's shape;
redelivery keeps the event id; the signing key's rotation and viewing are in the trail."""

import json

import pytest

from accounts.models import AuditEvent
from integrations.models import Integration, WebhookEvent
from integrations.tests.conftest import deliver_due, webhooks_integration
from integrations.webhooks.delivery import webhook_event_redeliver
from integrations.webhooks.outbox import WebhookTestError, webhook_test_event_send
from integrations.webhooks.payloads import CALL_KEYS, FORM_KEYS, TEXT_SENT_KEYS
from integrations.webhooks.signing import signature_valid, signing_key_reveal, signing_key_rotate

pytestmark = pytest.mark.django_db

Event = WebhookEvent.Event


@pytest.mark.parametrize(
    ("event", "config_key", "keys"),
    [
        (Event.POST_CALL, "post_call_webhook", CALL_KEYS),
        (Event.TEXT_MESSAGE_SENT, "sms_sent_webhook", TEXT_SENT_KEYS),
        (Event.FORM_SUBMISSION, "form_captured_webhook", FORM_KEYS),
    ],
)
def test_a_test_event_is_signed_and_shaped_like_the_real_one(company, receiver, event, config_key, keys):
    webhooks_integration(company, {config_key: [receiver.url("/a"), receiver.url("/b")]})
    rows = webhook_test_event_send(company=company, event=event)
    assert [row.url for row in rows] == [receiver.url("/a"), receiver.url("/b")]
    deliver_due()
    assert [request.path for request in receiver.requests] == ["/a", "/b"]
    request = receiver.requests[0]
    assert request.headers["X-Webhook-Test"] == "true"
    assert request.headers["X-Webhook-Event"] == event
    company.refresh_from_db()
    assert signature_valid(key=company.webhook_signing_key, body=request.body, candidate=request.headers["Signature"])
    assert tuple(key for key in json.loads(request.body) if key != "changes") == keys
    (entry,) = AuditEvent.objects.filter(action="webhook.test_sent")
    assert entry.object_label.endswith(f"{receiver.url('/a')}, {receiver.url('/b')}")


def test_without_a_url_or_with_webhooks_off_nothing_is_sent(company, receiver):
    integration = webhooks_integration(company, {"pre_call_webhook": [receiver.url()]})
    with pytest.raises(WebhookTestError, match="No post-call URL"):
        webhook_test_event_send(company=company, event=Event.POST_CALL)
    Integration.objects.filter(pk=integration.pk).update(state=Integration.State.FAILED)
    with pytest.raises(WebhookTestError):
        webhook_test_event_send(company=company, event=Event.PRE_CALL)
    assert not WebhookEvent.objects.exists()


def test_a_failed_test_event_is_redelivered_with_the_same_id(company, receiver):
    webhooks_integration(company, {"pre_call_webhook": [receiver.url()]})
    receiver.answer(410)
    (event,) = webhook_test_event_send(company=company, event=Event.PRE_CALL)
    deliver_due()
    event.refresh_from_db()
    assert event.state == WebhookEvent.State.FAILED
    webhook_event_redeliver(event=event)
    deliver_due()
    event.refresh_from_db()
    assert event.state == WebhookEvent.State.DELIVERED
    ids = [request.headers["X-Webhook-Id"] for request in receiver.requests]
    assert ids == [str(event.event_id)] * 2
    (entry,) = AuditEvent.objects.filter(action="webhook.redelivered")
    assert entry.object_id == str(event.event_id)


def test_the_signing_key_never_enters_the_trail(company):
    shown = signing_key_reveal(company=company)
    new = signing_key_rotate(company=company)
    assert new != shown
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["webhook.signing_key_viewed", "webhook.signing_key_rotated"]
    for text in AuditEvent.objects.values_list("object_label", "changes"):
        assert shown not in str(text) and new not in str(text)
