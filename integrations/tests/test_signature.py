import json
from pathlib import Path

import pytest

from integrations.models import WebhookEvent
from integrations.tests.conftest import deliver_due, make_call
from integrations.webhooks.payloads import CALL_KEYS
from integrations.webhooks.signing import signature, signature_valid, signing_key_rotate
from telephony import signals

# The reference's signature test body, byte for byte (no trailing newline).
VECTOR = Path(__file__).parent / "signature_vector.json"
VECTOR_KEY = "072e77e426f92738a72fe23c4d1953b4"
VECTOR_SIGNATURE = "UZAHbUdfm3GqL7qzilGozGzWV64="


def vector_body() -> bytes:
    return VECTOR.read_bytes()


def test_it_reproduces_the_reference_test_vector():
    body = vector_body()
    assert len(body) == 2279
    assert signature(key=VECTOR_KEY, body=body) == VECTOR_SIGNATURE
    assert signature_valid(key=VECTOR_KEY, body=body, candidate=VECTOR_SIGNATURE)


def test_it_depends_on_the_exact_bytes():
    body = vector_body()
    assert signature(key=VECTOR_KEY, body=body + b"\n") != VECTOR_SIGNATURE
    assert not signature_valid(key="0" * 32, body=body, candidate=VECTOR_SIGNATURE)


def test_the_vector_is_a_call_payload_with_our_key_list():
    assert list(json.loads(vector_body())) == list(CALL_KEYS)
    assert len(CALL_KEYS) == 86


@pytest.mark.django_db
def test_rotation_gives_a_new_key_that_signs_the_next_attempt(company, integration, tracker, receiver):
    old_key = company.webhook_signing_key
    receiver.answer(500)
    call = make_call(tracker)
    signals.call_started.send(sender=None, call=call)
    deliver_due()
    new_key = signing_key_rotate(company=company)
    company.refresh_from_db()

    assert new_key != old_key and len(new_key) == 32 and company.webhook_signing_key == new_key
    event = WebhookEvent.objects.get()
    deliver_due(now=event.next_attempt_at)
    first, second = receiver.requests
    assert first.body == second.body
    assert signature_valid(key=old_key, body=first.body, candidate=first.headers["Signature"])
    assert signature_valid(key=new_key, body=second.body, candidate=second.headers["Signature"])
