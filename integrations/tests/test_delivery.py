"""Delivery: retries with backoff, ordering per call, the attempt log, giving up and disabling."""

import socket
import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from accounts.models import User
from integrations.models import Integration, WebhookDelivery, WebhookEvent
from integrations.tests.conftest import Answer, complete_call, deliver_due, make_call, webhooks_integration
from integrations.webhooks.delivery import (
    RESPONSE_BODY_LIMIT,
    retry_delay,
    webhook_event_deliver,
    webhook_event_redeliver,
    webhook_log_prune,
    webhook_outbox_sweep,
)
from telephony import signals

pytestmark = pytest.mark.django_db

State = WebhookEvent.State


@pytest.fixture
def pre_call(company, tracker, receiver):
    """A pre-call event owed to the receiver."""
    webhooks_integration(company, {"pre_call_webhook": [receiver.url()], "post_call_webhook": [receiver.url()]})
    call = make_call(tracker)
    signals.call_started.send(sender=None, call=call)
    return WebhookEvent.objects.get()


def test_500_twice_then_200_is_received_three_times_with_one_id(pre_call, receiver):
    receiver.answer(500, 500, 200)
    start = timezone.now()

    first = webhook_event_deliver(event_pk=pre_call.pk, now=start)
    pre_call.refresh_from_db()
    assert first.status_code == 500 and not first.success
    assert pre_call.state == State.PENDING
    assert first.latency_ms is not None
    assert pre_call.next_attempt_at == start + timedelta(seconds=10, milliseconds=first.latency_ms)

    # Not due yet: a duplicate task or the sweeper does nothing.
    assert webhook_event_deliver(event_pk=pre_call.pk, now=start + timedelta(seconds=5)) is None

    second = webhook_event_deliver(event_pk=pre_call.pk, now=pre_call.next_attempt_at)
    pre_call.refresh_from_db()
    assert second.status_code == 500
    assert pre_call.next_attempt_at - second.created_at == timedelta(seconds=20)

    third = webhook_event_deliver(event_pk=pre_call.pk, now=pre_call.next_attempt_at)
    pre_call.refresh_from_db()
    assert third.success and third.status_code == 200
    assert pre_call.state == State.DELIVERED and pre_call.finished_at is not None

    # Nothing else ever arrives.
    assert webhook_event_deliver(event_pk=pre_call.pk, now=start + timedelta(days=1)) is None
    assert len(receiver.requests) == 3
    assert {request.headers["X-Webhook-Id"] for request in receiver.requests} == {str(pre_call.event_id)}
    assert [request.headers["X-Webhook-Attempt"] for request in receiver.requests] == ["1", "2", "3"]
    assert len({request.body for request in receiver.requests}) == 1
    assert list(pre_call.deliveries.order_by("attempt").values_list("attempt", "status_code", "success")) == [
        (1, 500, False),
        (2, 500, False),
        (3, 200, True),
    ]


def test_retries_are_scheduled_on_the_task_with_the_backoff(pre_call, receiver, django_capture_on_commit_callbacks):
    receiver.answer(503)
    with (
        mock.patch("integrations.tasks.webhook_event_deliver.apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True),
    ):
        webhook_event_deliver(event_pk=pre_call.pk)
    apply_async.assert_called_once_with((pre_call.pk,), countdown=10.0, retry=False)


def test_backoff_doubles_and_is_capped():
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4, 10, 30)] == [10, 20, 40, 80, 3600, 3600]


def test_it_gives_up_when_the_retry_window_ends(pre_call, receiver, settings):
    receiver.default = Answer(status=502)
    moment = timezone.now()
    while True:
        delivery = webhook_event_deliver(event_pk=pre_call.pk, now=moment)
        pre_call.refresh_from_db()
        if pre_call.state != State.PENDING:
            break
        moment = pre_call.next_attempt_at
    assert pre_call.state == State.FAILED
    assert delivery.created_at <= pre_call.retry_until
    assert pre_call.retry_until - pre_call.created_at == timedelta(seconds=settings.WEBHOOKS_RETRY_WINDOW)
    # At 0, 10, 30, 70 s ... 5110 s, then hourly: fourteen attempts in the default six hours.
    assert pre_call.attempts == len(receiver.requests) == 14


def test_4xx_and_redirects_are_final(company, tracker, receiver):
    webhooks_integration(
        company, {"pre_call_webhook": [receiver.url("/gone")], "answered_call_webhook": [receiver.url("/moved")]}
    )
    receiver.answer(404, Answer(status=302, headers={"Location": receiver.url("/elsewhere")}))
    call = make_call(tracker)
    signals.call_started.send(sender=None, call=call)
    signals.call_routed.send(sender=None, call=call)
    deliver_due()
    deliver_due(now=timezone.now() + timedelta(hours=1))

    assert [request.path for request in receiver.requests] == ["/gone", "/moved"]
    gone, moved = WebhookEvent.objects.order_by("id")
    assert gone.state == moved.state == State.FAILED
    assert gone.last_status_code == 404
    assert moved.last_status_code == 302 and "redirects are not followed" in moved.last_error


def test_network_errors_are_retried(company, tracker, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    webhooks_integration(company, {"pre_call_webhook": [f"http://127.0.0.1:{closed_port}/hook"]})
    signals.call_started.send(sender=None, call=make_call(tracker))
    event = WebhookEvent.objects.get()

    delivery = webhook_event_deliver(event_pk=event.pk)
    event.refresh_from_db()
    assert delivery.status_code is None and "ConnectionError" in delivery.error
    assert event.state == State.PENDING and event.attempts == 1


def test_a_receiver_that_never_answers_times_out_and_is_retried(pre_call, receiver, settings):
    settings.WEBHOOKS_TIMEOUT = 0.3
    receiver.answer(Answer(hang=5))
    delivery = webhook_event_deliver(event_pk=pre_call.pk)
    pre_call.refresh_from_db()
    assert "Timeout" in delivery.error
    assert pre_call.state == State.PENDING


def test_the_log_keeps_receivers_answers_short(pre_call, receiver):
    receiver.answer(
        Answer(
            status=500,
            body=b"x" * 100_000,
            headers={"X-Long": "y" * 5000, **{f"X-H{n}": str(n) for n in range(60)}},
        )
    )
    delivery = webhook_event_deliver(event_pk=pre_call.pk)
    assert len(delivery.response_body) == RESPONSE_BODY_LIMIT
    assert len(delivery.response_headers["X-Long"]) == 256
    assert len(delivery.response_headers) <= 31
    assert delivery.latency_ms is not None and delivery.url == pre_call.url


def test_later_events_of_a_call_wait_for_earlier_ones(company, tracker, receiver):
    webhooks_integration(company, {"pre_call_webhook": [receiver.url()], "post_call_webhook": [receiver.url()]})
    receiver.answer(500, 200, 200)
    call = make_call(tracker)
    signals.call_started.send(sender=None, call=call)
    signals.call_completed.send(sender=None, call=complete_call(call))
    pre, post = WebhookEvent.objects.order_by("id")

    webhook_event_deliver(event_pk=pre.pk)  # fails, retry in 10 s
    assert webhook_event_deliver(event_pk=post.pk) is None  # must not overtake the pre-call
    # Another call's events are not held up.
    other = make_call(tracker)
    signals.call_started.send(sender=None, call=other)
    assert webhook_event_deliver(event_pk=WebhookEvent.objects.get(ordering_key=other.public_id).pk).success

    pre.refresh_from_db()
    deliver_due(now=pre.next_attempt_at)
    events = [request.json()["id"] for request in receiver.requests]
    kinds = [request.headers["X-Webhook-Event"] for request in receiver.requests]
    assert kinds == ["pre_call", "pre_call", "pre_call", "post_call"]
    assert events[-1] == call.numeric_id
    post.refresh_from_db()
    assert post.state == State.DELIVERED


def test_a_finished_event_releases_the_next_one(company, tracker, receiver, django_capture_on_commit_callbacks):
    webhooks_integration(company, {"pre_call_webhook": [receiver.url()], "post_call_webhook": [receiver.url()]})
    call = make_call(tracker)
    signals.call_started.send(sender=None, call=call)
    signals.call_completed.send(sender=None, call=complete_call(call))
    pre, post = WebhookEvent.objects.order_by("id")
    with (
        mock.patch("integrations.tasks.webhook_event_deliver.apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True),
    ):
        webhook_event_deliver(event_pk=pre.pk)
    apply_async.assert_called_once_with((post.pk,), retry=False)


def test_private_receivers_are_refused_unless_allowed(company, tracker, receiver, settings):
    webhooks_integration(company, {"pre_call_webhook": [receiver.url()]})
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    signals.call_started.send(sender=None, call=make_call(tracker))
    event = WebhookEvent.objects.get()
    delivery = webhook_event_deliver(event_pk=event.pk)
    event.refresh_from_db()

    assert receiver.requests == []
    assert event.state == State.FAILED and "private address" in event.last_error
    assert not delivery.success and delivery.status_code is None


def test_names_resolving_to_private_addresses_are_refused(company, tracker, receiver, settings):
    port = receiver.server.server_address[1]
    webhooks_integration(company, {"pre_call_webhook": [f"http://localtest.invalid:{port}/hook"]})
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    signals.call_started.send(sender=None, call=make_call(tracker))
    event = WebhookEvent.objects.get()
    with mock.patch(
        "integrations.webhooks.safety.socket.getaddrinfo",
        return_value=[(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))],
    ):
        delivery = webhook_event_deliver(event_pk=event.pk)
    assert receiver.requests == []
    assert delivery.error.startswith("Refused: localtest.invalid resolves to 127.0.0.1")


def test_consecutive_failures_disable_the_integration_and_tell_the_admins(
    company, tracker, receiver, settings, admin_user, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_DISABLE_AFTER = 3
    manager = User.objects.create_user(email="manager@example.com", account=company.account, role="manager")
    manager.companies.add(company)
    User.objects.create_user(email="reporter@example.com", account=company.account, role="reporting")
    integration = webhooks_integration(company, {"pre_call_webhook": [receiver.url()]})
    receiver.default = Answer(status=410)
    for _ in range(3):
        signals.call_started.send(sender=None, call=make_call(tracker))
    for _ in range(2):
        signals.call_started.send(sender=None, call=make_call(tracker))
    events = list(WebhookEvent.objects.order_by("id"))

    for event in events[:2]:
        webhook_event_deliver(event_pk=event.pk)
    integration.refresh_from_db()
    assert integration.state == Integration.State.ACTIVE
    with (
        mock.patch("integrations.tasks.webhook_event_deliver.apply_async"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        webhook_event_deliver(event_pk=events[2].pk)
    integration.refresh_from_db()
    assert integration.state == Integration.State.FAILED
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == ["alice@example.com", "manager@example.com"]
    assert receiver.url() in mail.outbox[0].body and "HTTP 410" in mail.outbox[0].body

    # Events still waiting are not sent to a disabled integration.
    assert webhook_event_deliver(event_pk=events[3].pk) is None
    events[3].refresh_from_db()
    assert events[3].state == State.CANCELED
    assert len(receiver.requests) == 3


def test_a_success_breaks_the_failure_streak(company, tracker, receiver, settings):
    settings.WEBHOOKS_DISABLE_AFTER = 2
    integration = webhooks_integration(company, {"pre_call_webhook": [receiver.url()]})
    receiver.answer(410, 200, 410)
    for _ in range(3):
        signals.call_started.send(sender=None, call=make_call(tracker))
    deliver_due()
    integration.refresh_from_db()
    assert integration.state == Integration.State.ACTIVE


def test_the_sweeper_resends_what_a_killed_worker_was_delivering(pre_call, receiver):
    # A worker claimed the event and died before recording the receiver's answer.
    claimed_at = timezone.now() - timedelta(minutes=10)
    WebhookEvent.objects.filter(pk=pre_call.pk).update(
        state=State.DELIVERING, attempts=1, locked_until=claimed_at + timedelta(minutes=2)
    )
    # Still locked: neither a redelivered message nor the sweeper touch it.
    assert webhook_event_deliver(event_pk=pre_call.pk, now=claimed_at + timedelta(seconds=30)) is None

    with mock.patch("integrations.webhooks.outbox.webhook_events_enqueue") as enqueue:
        assert webhook_outbox_sweep() == 1
    enqueue.assert_called_once_with([pre_call.pk])
    deliver_due()

    pre_call.refresh_from_db()
    assert pre_call.state == State.DELIVERED and pre_call.attempts == 2
    assert [request.headers["X-Webhook-Id"] for request in receiver.requests] == [str(pre_call.event_id)]
    interrupted, delivered = pre_call.deliveries.order_by("id")
    assert interrupted.attempt == 1 and interrupted.error.startswith("Interrupted")
    assert delivered.attempt == 2 and delivered.success


def test_the_sweeper_enqueues_due_events_nobody_picked_up(company, tracker, receiver):
    webhooks_integration(company, {"pre_call_webhook": [receiver.url()], "post_call_webhook": [receiver.url()]})
    call = make_call(tracker)
    signals.call_started.send(sender=None, call=call)
    signals.call_completed.send(sender=None, call=complete_call(call))
    fresh_call = make_call(tracker)
    signals.call_started.send(sender=None, call=fresh_call)
    pre, post, fresh = WebhookEvent.objects.order_by("id")
    WebhookEvent.objects.filter(pk__in=[pre.pk, post.pk]).update(next_attempt_at=timezone.now() - timedelta(minutes=5))

    with mock.patch("integrations.webhooks.outbox.webhook_events_enqueue") as enqueue:
        webhook_outbox_sweep()
    # The post-call waits for the pre-call; the fresh event still has its own task coming.
    enqueue.assert_called_once_with([pre.pk])


@pytest.mark.django_db(transaction=True)
def test_a_second_worker_does_not_post_an_event_being_delivered(pre_call, receiver):
    receiver.answer(Answer(hang=0.5))

    def first_worker() -> None:
        try:
            results.append(webhook_event_deliver(event_pk=pre_call.pk))
        finally:
            connection.close()

    results: list = []
    worker = threading.Thread(target=first_worker)
    worker.start()
    assert receiver.arrived.wait(5)
    # The same task delivered twice (acks_late), or the sweeper: the claim makes it a no-op.
    assert webhook_event_deliver(event_pk=pre_call.pk) is None
    worker.join()
    assert len(receiver.requests) == 1 and results[0].success


def test_redeliver_sends_a_finished_event_again_with_its_id(pre_call, receiver):
    receiver.answer(404, 200)
    deliver_due()
    pre_call.refresh_from_db()
    assert pre_call.state == State.FAILED
    webhook_event_redeliver(event=pre_call)
    deliver_due()
    pre_call.refresh_from_db()
    assert pre_call.state == State.DELIVERED
    assert [request.headers["X-Webhook-Attempt"] for request in receiver.requests] == ["1", "2"]
    assert len({request.headers["X-Webhook-Id"] for request in receiver.requests}) == 1


def test_prune_drops_old_finished_events_and_their_log(pre_call, receiver, settings):
    deliver_due()
    assert WebhookDelivery.objects.count() == 1
    assert webhook_log_prune(now=timezone.now() + timedelta(days=settings.WEBHOOKS_LOG_RETENTION_DAYS - 1)) == 0
    webhook_log_prune(now=timezone.now() + timedelta(days=settings.WEBHOOKS_LOG_RETENTION_DAYS + 1))
    assert not WebhookEvent.objects.exists() and not WebhookDelivery.objects.exists()


def test_late_retries_are_left_to_the_sweeper(pre_call, receiver, django_capture_on_commit_callbacks):
    receiver.default = Answer(status=503)
    moment = timezone.now()
    for _ in range(5):  # 10, 20, 40, 80, 160 s: held as Celery countdowns
        webhook_event_deliver(event_pk=pre_call.pk, now=moment)
        pre_call.refresh_from_db()
        moment = pre_call.next_attempt_at
    with (
        mock.patch("integrations.tasks.webhook_event_deliver.apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True),
    ):
        webhook_event_deliver(event_pk=pre_call.pk, now=moment)  # next wait: 320 s
    assert not apply_async.called
    pre_call.refresh_from_db()
    with mock.patch("integrations.webhooks.outbox.webhook_events_enqueue") as enqueue:
        webhook_outbox_sweep(now=pre_call.next_attempt_at + timedelta(seconds=61))
    enqueue.assert_called_once_with([pre_call.pk])


def test_the_sweeper_does_not_resend_what_it_just_handed_out(pre_call):
    later = timezone.now() + timedelta(minutes=2)
    with mock.patch("integrations.webhooks.outbox.webhook_events_enqueue") as enqueue:
        assert webhook_outbox_sweep(now=later) == 1
        assert webhook_outbox_sweep(now=later + timedelta(minutes=1)) == 0
        assert webhook_outbox_sweep(now=later + timedelta(minutes=6)) == 1
    assert enqueue.call_count == 3
