"""The webhook outbox, delivery log and signing keys through the API (extensions of v3)."""

from datetime import timedelta

import pytest

from api.tests.roles import client_for, user_with_role
from integrations.models import WebhookDelivery, WebhookEvent
from integrations.tests.conftest import (
    Answer,
    complete_call,
    deliver_due,
    make_call,
    make_form_submission,
    webhooks_integration,
)
from integrations.webhooks.signing import signature, signature_valid
from telephony import signals
from tracking import signals as tracking_signals

pytestmark = pytest.mark.django_db

EVENT_KEYS = {
    "id",
    "event",
    "company_id",
    "integration_id",
    "url",
    "state",
    "attempts",
    "next_attempt_at",
    "retry_until",
    "last_status_code",
    "last_error",
    "created_at",
    "finished_at",
}
DELIVERY_KEYS = {
    "id",
    "event_id",
    "event",
    "company_id",
    "integration_id",
    "url",
    "attempt",
    "success",
    "status_code",
    "latency_ms",
    "error",
    "response_headers",
    "response_body",
    "created_at",
}
ENVELOPE = {"page", "per_page", "total_pages", "total_records"}


def path(account, resource):
    return f"/v3/a/{account.public_id}/{resource}"


@pytest.fixture
def history(company, tracker, receiver):
    """A call whose pre-call failed once then went through, and a post-call given up (404)."""
    integration = webhooks_integration(
        company, {"pre_call_webhook": [receiver.url("/pre")], "post_call_webhook": [receiver.url("/post")]}
    )
    receiver.answer(Answer(status=500, body=b"try later"), 200, 404)
    call = make_call(tracker)
    signals.call_started.send(sender=None, call=call)
    deliver_due()
    pre = WebhookEvent.objects.get()
    deliver_due(now=pre.next_attempt_at)
    signals.call_completed.send(sender=None, call=complete_call(call))
    deliver_due(now=pre.next_attempt_at + timedelta(seconds=1))
    return integration, call


@pytest.fixture
def other_history(other_company, receiver):
    webhooks_integration(other_company, {"form_captured_webhook": [receiver.url("/bob")]})
    tracking_signals.form_submitted.send(sender=None, submission=make_form_submission(other_company))
    deliver_due()


def test_deliveries_list_every_attempt_newest_first(api_client, account, company, history, other_history):
    integration, call = history
    response = api_client.get(path(account, "webhook_deliveries.json"))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == ENVELOPE | {"webhook_deliveries"}
    rows = body["webhook_deliveries"]
    assert body["total_records"] == 3  # Bob's delivery is not here
    assert [(row["event"], row["attempt"], row["status_code"], row["success"]) for row in rows] == [
        ("post_call", 1, 404, False),
        ("pre_call", 2, 200, True),
        ("pre_call", 1, 500, False),
    ]
    first = rows[2]
    assert set(first) == DELIVERY_KEYS
    assert first["company_id"] == company.public_id
    assert first["integration_id"] == integration.numeric_id
    assert first["response_body"] == "try later" and first["error"] == "HTTP 500"
    assert isinstance(first["latency_ms"], int) and first["created_at"].endswith("Z")
    assert rows[1]["event_id"] == first["event_id"]


def test_deliveries_filters(api_client, account, company, history):
    integration, _ = history
    pre = WebhookEvent.objects.get(event="pre_call")
    by_event = api_client.get(path(account, f"webhook_deliveries.json?event_id={pre.event_id}")).json()
    assert [row["attempt"] for row in by_event["webhook_deliveries"]] == [2, 1]
    failures = api_client.get(path(account, "webhook_deliveries.json?success=false")).json()
    assert failures["total_records"] == 2
    kinds = api_client.get(path(account, "webhook_deliveries.json?event=post_call")).json()
    assert kinds["total_records"] == 1
    assert (
        api_client.get(path(account, f"webhook_deliveries.json?company_id={company.public_id}")).json()["total_records"]
        == 3
    )
    assert (
        api_client.get(path(account, f"webhook_deliveries.json?integration_id={integration.numeric_id}")).json()[
            "total_records"
        ]
        == 3
    )
    assert api_client.get(path(account, "webhook_deliveries.json?event_id=nonsense")).json()["total_records"] == 0
    oldest = api_client.get(path(account, "webhook_deliveries.json?sort=created_at&order=asc")).json()
    assert oldest["webhook_deliveries"][0]["status_code"] == 500
    bad = api_client.get(path(account, "webhook_deliveries.json?success=maybe"))
    assert bad.status_code == 400 and "error" in bad.json()


def test_delivery_detail_and_other_accounts(api_client, other_api_client, account, other_account, history):
    delivery = WebhookDelivery.objects.order_by("id").first()
    response = api_client.get(path(account, f"webhook_deliveries/{delivery.numeric_id}.json"))
    assert response.status_code == 200 and response.json()["id"] == delivery.numeric_id
    # Bob's key cannot read Alice's rows, through his account or hers.
    assert (
        other_api_client.get(path(other_account, f"webhook_deliveries/{delivery.numeric_id}.json")).status_code == 404
    )
    assert other_api_client.get(path(account, "webhook_deliveries.json")).status_code == 404
    assert other_api_client.get(path(other_account, "webhook_deliveries.json")).json()["total_records"] == 0


def test_events_show_their_state(api_client, account, history):
    _, call = history
    body = api_client.get(path(account, "webhook_events.json")).json()
    assert set(body) == ENVELOPE | {"webhook_events"}
    post, pre = body["webhook_events"]
    assert set(pre) == EVENT_KEYS
    assert (pre["event"], pre["state"], pre["attempts"], pre["last_status_code"]) == ("pre_call", "delivered", 2, 200)
    assert (post["state"], post["last_error"], post["next_attempt_at"]) == ("failed", "HTTP 404", None)
    by_call = api_client.get(path(account, f"webhook_events.json?call_id={call.public_id}")).json()
    assert by_call["total_records"] == 2
    assert api_client.get(path(account, "webhook_events.json?state=failed")).json()["total_records"] == 1
    assert api_client.get(path(account, "webhook_events.json?state=lost")).status_code == 400


def test_an_event_with_its_payload(api_client, account, company, history, receiver):
    pre = WebhookEvent.objects.get(event="pre_call")
    response = api_client.get(path(account, f"webhook_events/{pre.event_id}.json?fields=payload"))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(pre.event_id)
    assert body["payload"] == receiver.requests[0].json()
    assert "payload" not in api_client.get(path(account, f"webhook_events/{pre.event_id}.json")).json()
    assert api_client.get(path(account, "webhook_events/not-a-uuid.json")).status_code == 404


def test_redeliver_a_failed_event(api_client, account, history, receiver):
    post = WebhookEvent.objects.get(event="post_call")
    response = api_client.post(path(account, f"webhook_events/{post.event_id}/redeliver.json"))
    assert response.status_code == 200
    assert response.json()["state"] == "pending"
    deliver_due()
    post.refresh_from_db()
    assert post.state == "delivered"
    assert [r.headers["X-Webhook-Id"] for r in receiver.requests if r.path == "/post"] == [str(post.event_id)] * 2


def test_redeliver_refuses_an_event_in_flight(api_client, account, company, tracker, receiver):
    webhooks_integration(company, {"pre_call_webhook": [receiver.url()]})
    signals.call_started.send(sender=None, call=make_call(tracker))
    event = WebhookEvent.objects.get()
    response = api_client.post(path(account, f"webhook_events/{event.event_id}/redeliver.json"))
    assert response.status_code == 400
    assert response.json() == {"error": "The event is still being delivered"}


def test_other_accounts_events_are_invisible(other_api_client, other_account, history):
    event = WebhookEvent.objects.first()
    assert other_api_client.get(path(other_account, f"webhook_events/{event.event_id}.json")).status_code == 404
    assert (
        other_api_client.post(path(other_account, f"webhook_events/{event.event_id}/redeliver.json")).status_code == 404
    )


def test_roles(account, company, history):
    other_company = company.__class__.objects.create(account=account, name="Elsewhere")
    manager = client_for(user_with_role(account, "manager", [company]))
    outsider = client_for(user_with_role(account, "manager", [other_company]))
    reporter = client_for(user_with_role(account, "reporting", [company]))
    assert manager.get(path(account, "webhook_deliveries.json")).json()["total_records"] == 3
    assert outsider.get(path(account, "webhook_deliveries.json")).json()["total_records"] == 0
    assert reporter.get(path(account, "webhook_deliveries.json")).status_code == 403
    assert reporter.get(path(account, "webhook_events.json")).status_code == 403


def test_signing_keys_are_shown_to_admins_and_rotate(api_client, account, company, other_company):
    response = api_client.get(path(account, f"webhook_signing_keys/{company.public_id}.json"))
    assert response.json() == {"company_id": company.public_id, "signing_key": company.webhook_signing_key}
    listed = api_client.get(path(account, "webhook_signing_keys.json")).json()
    assert [row["company_id"] for row in listed["webhook_signing_keys"]] == [company.public_id]

    rotated = api_client.post(path(account, f"webhook_signing_keys/{company.numeric_id}/rotate.json"))
    assert rotated.status_code == 200
    company.refresh_from_db()
    assert rotated.json()["signing_key"] == company.webhook_signing_key != response.json()["signing_key"]
    assert signature_valid(key=company.webhook_signing_key, body=b"{}", candidate=_sign(company, b"{}"))

    assert api_client.get(path(account, f"webhook_signing_keys/{other_company.public_id}.json")).status_code == 404
    assert (
        api_client.post(path(account, f"webhook_signing_keys/{other_company.public_id}/rotate.json")).status_code == 404
    )
    manager = client_for(user_with_role(account, "manager", [company]))
    assert manager.get(path(account, f"webhook_signing_keys/{company.public_id}.json")).status_code == 403
    assert manager.post(path(account, f"webhook_signing_keys/{company.public_id}/rotate.json")).status_code == 403


def _sign(company, body):
    return signature(key=company.webhook_signing_key, body=body)


def test_list_query_count_does_not_grow_with_rows(api_client, account, history, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        assert api_client.get(path(account, "webhook_deliveries.json")).status_code == 200
    with django_assert_max_num_queries(8):
        assert api_client.get(path(account, "webhook_events.json?fields=payload")).status_code == 200
