"""Recording webhook events in the transaction that caused them (the outbox).

The domain signals arrive inside the transaction that writes the call, text or
form; the rows written here commit or roll back with it. Delivery is only
*enqueued*, after commit: no HTTP request ever runs inside call handling.
"""

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Company
from callrail.deferred.services import task_publish
from integrations.models import TEST_ORDERING_PREFIX, Integration, WebhookEvent
from integrations.webhooks.events import (
    CALL_EVENTS,
    ENDED_CALL_EVENTS,
    active_integrations,
    call_matches_trigger,
    configured_events,
    event_urls,
    trigger_for,
    webhooks_integration,
)
from integrations.webhooks.payloads import body_encode, call_payload, form_submission_payload, text_message_payload
from integrations.webhooks.samples import sample_payload
from telephony.models import Call, TextMessage
from tracking.models import FormSubmission

logger = logging.getLogger(__name__)

Event = WebhookEvent.Event


def webhook_events_enqueue(event_pks: list[int]) -> None:
    """Hand events to Celery. A broker outage only delays them: the sweeper finds them."""
    # Imported here: the tasks module imports this one (through delivery).
    from integrations.tasks import webhook_event_deliver as webhook_event_deliver_task

    for pk in event_pks:
        try:
            # Bounded in time, and no attempt while the broker is known to be down: never
            # block the caller (a voice webhook) on a broker that is down.
            task_publish(webhook_event_deliver_task, pk)
        except Exception:
            logger.warning("webhook event %s not enqueued; the outbox sweeper will deliver it", pk, exc_info=True)


def _when_configured(company_id: int, event: str, write: Callable[[], list[WebhookEvent]]) -> list[WebhookEvent]:
    """``write()`` in a savepoint, so a failure never aborts the caller's transaction; but
    only if the company sends ``event`` anywhere: most send nothing, and cost neither a
    query nor a savepoint."""
    if event not in configured_events(company_id):
        return []
    with transaction.atomic():
        return write()


def webhook_events_record(
    *,
    event: str,
    company: Company,
    ordering_key: str,
    build_payload: Callable[[list[Integration]], dict[str, Any]],
    call: Call | None = None,
    now: datetime | None = None,
) -> list[WebhookEvent]:
    """Write one outbox row per receiver URL configured for ``event`` and enqueue them after commit.

    The body is rendered now, once: the receiver sees the data as it was when
    the event happened, and every retry sends (and signs) the same bytes.

    It runs in the savepoint ``_when_configured`` opens.
    """
    integrations = active_integrations(company)
    integration = webhooks_integration(integrations)
    if integration is None:
        return []
    urls = event_urls(integration, event)
    if not urls:
        return []
    if (
        call is not None
        and event in CALL_EVENTS
        and not call_matches_trigger(call, trigger_for(integration), ended=event in ENDED_CALL_EVENTS)
    ):
        return []
    now = now or timezone.now()
    body = body_encode(build_payload(integrations))
    retry_until = now + timedelta(seconds=settings.WEBHOOKS_RETRY_WINDOW)
    rows = WebhookEvent.objects.bulk_create(
        [
            WebhookEvent(
                account_id=company.account_id,
                company=company,
                integration=integration,
                event=event,
                url=url,
                ordering_key=ordering_key,
                body=body,
                next_attempt_at=now,
                retry_until=retry_until,
                created_at=now,
            )
            for url in urls
        ]
    )
    pks = [row.pk for row in rows]
    transaction.on_commit(lambda: webhook_events_enqueue(pks), robust=True)
    return rows


def call_event_record(*, call: Call, event: str, changes: list[str] | None = None) -> list[WebhookEvent]:
    now = timezone.now()
    return _when_configured(
        call.company_id,
        event,
        lambda: webhook_events_record(
            event=event,
            company=call.company,
            ordering_key=call.public_id,
            build_payload=lambda integrations: call_payload(
                call, occurred_at=now, changes=changes, integrations=integrations
            ),
            call=call,
            now=now,
        ),
    )


def text_message_event_record(*, message: TextMessage) -> list[WebhookEvent]:
    incoming = message.direction == TextMessage.Direction.INCOMING
    event = Event.TEXT_MESSAGE_RECEIVED if incoming else Event.TEXT_MESSAGE_SENT
    now = timezone.now()
    if TextMessage.conversation.is_cached(message):  # as when the message was just created
        conversation = message.conversation
    else:
        with transaction.atomic():  # a read, in a savepoint: a failure must not abort the caller
            conversation = message.conversation
    return _when_configured(
        conversation.company_id,
        event,
        lambda: webhook_events_record(
            event=event,
            company=conversation.company,
            # Texts of one conversation arrive at a receiver in the order they happened.
            ordering_key=f"conversation:{conversation.public_id}",
            build_payload=lambda _: text_message_payload(message, occurred_at=message.created_at or now),
            now=now,
        ),
    )


def form_submission_event_record(*, submission: FormSubmission) -> list[WebhookEvent]:
    now = timezone.now()
    return _when_configured(
        submission.company_id,
        Event.FORM_SUBMISSION,
        lambda: webhook_events_record(
            event=Event.FORM_SUBMISSION,
            company=submission.company,
            ordering_key=submission.public_id,
            build_payload=lambda _: form_submission_payload(submission, occurred_at=now),
            now=now,
        ),
    )


class WebhookTestError(Exception):
    """A test event that cannot be sent (message meant for the person asking)."""


@transaction.atomic
def webhook_test_event_send(*, company: Company, event: str) -> list[WebhookEvent]:
    """Send a fictional ``event`` to every URL the company's webhooks have for it, the way a
    real one travels (outbox, signature, retries, delivery log)."""
    if event not in Event.values:
        raise WebhookTestError(f"Unknown event {event!r}.")
    now = timezone.now()
    rows = webhook_events_record(
        event=event,
        company=company,
        ordering_key=f"{TEST_ORDERING_PREFIX}{uuid.uuid4().hex}",
        build_payload=lambda _: sample_payload(event, company=company, now=now),
        now=now,
    )
    if not rows:
        raise WebhookTestError(
            f"No {Event(event).label.lower()} URL to send to: add one and make sure webhooks are on."
        )
    audit_record(
        account=company.account_id,
        action="webhook.test_sent",
        target=company,
        object_label=f"{Event(event).label} to {', '.join(row.url for row in rows)}"[:255],
    )
    return rows
