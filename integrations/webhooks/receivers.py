"""Domain signals → outbox rows. Connected in ``IntegrationsConfig.ready``.

The signals are sent inside the transaction that records the change. Each
receiver swallows its own errors, and writes (or reads the database) only in a
savepoint: a webhook problem must never roll back, or fail, the call, text or
form that caused it.
"""

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.db.models import F
from django.db.models.signals import post_delete, post_save

from integrations.models import Integration, NotificationEmail, WebhookDelivery, WebhookEvent
from integrations.webhooks.events import configured_events_forget
from integrations.webhooks.outbox import call_event_record, form_submission_event_record, text_message_event_record
from telephony import signals as telephony_signals
from telephony.models import Call, TextMessage
from tracking import signals as tracking_signals
from tracking.models import FormSubmission

logger = logging.getLogger(__name__)

Event = WebhookEvent.Event


def _contained(receiver: Callable[..., Any]) -> Callable[..., None]:
    @wraps(receiver)
    def wrapper(sender: Any, **kwargs: Any) -> None:
        try:
            # No savepoint here: the outbox opens one when there is something to write.
            receiver(sender, **kwargs)
        except Exception:
            logger.exception("webhook event not recorded (%s)", receiver.__name__)

    return wrapper


def _is_outbound(call: Call) -> bool:
    return call.direction == Call.Direction.OUTBOUND


@_contained
def on_call_started(sender: Any, *, call: Call, **kwargs: Any) -> None:
    if not _is_outbound(call):
        call_event_record(call=call, event=Event.PRE_CALL)


@_contained
def on_call_routed(sender: Any, *, call: Call, **kwargs: Any) -> None:
    if not _is_outbound(call):
        call_event_record(call=call, event=Event.CALL_ROUTING_COMPLETE)


@_contained
def on_call_completed(sender: Any, *, call: Call, **kwargs: Any) -> None:
    call_event_record(call=call, event=Event.OUTBOUND_POST_CALL if _is_outbound(call) else Event.POST_CALL)


@_contained
def on_call_modified(sender: Any, *, call: Call, changes: list[str] | None = None, **kwargs: Any) -> None:
    # "Sent when a call has changed after it's ended" (reference): changes made
    # while the call is live reach receivers in the post-call webhook instead.
    if call.status in (Call.Status.QUEUED, Call.Status.RINGING, Call.Status.IN_PROGRESS):
        return
    event = Event.OUTBOUND_CALL_MODIFIED if _is_outbound(call) else Event.CALL_MODIFIED
    call_event_record(call=call, event=event, changes=list(changes or []))


@_contained
def on_text_message(sender: Any, *, message: TextMessage, **kwargs: Any) -> None:
    text_message_event_record(message=message)


@_contained
def on_form_submitted(sender: Any, *, submission: FormSubmission, **kwargs: Any) -> None:
    form_submission_event_record(submission=submission)


def on_call_backdated(sender: Any, *, call: Call, delta: timedelta, **kwargs: Any) -> None:
    """The simulator moved a call to the past: its webhook and alert-email log rows follow."""
    shift = {name: F(name) + delta for name in ("created_at", "next_attempt_at", "retry_until", "finished_at")}
    events = WebhookEvent.objects.filter(ordering_key=call.public_id)
    events.update(**shift)
    WebhookDelivery.objects.filter(webhook_event__in=events).update(created_at=F("created_at") + delta)
    NotificationEmail.objects.filter(account_id=call.account_id, subject_id=call.public_id).update(
        created_at=F("created_at") + delta
    )


def connect() -> None:
    # Where each company sends its events is cached; a change to an integration clears it.
    post_save.connect(configured_events_forget, sender=Integration, dispatch_uid="webhooks.configured.save")
    post_delete.connect(configured_events_forget, sender=Integration, dispatch_uid="webhooks.configured.delete")
    telephony_signals.call_started.connect(on_call_started, dispatch_uid="webhooks.call_started")
    telephony_signals.call_routed.connect(on_call_routed, dispatch_uid="webhooks.call_routed")
    telephony_signals.call_completed.connect(on_call_completed, dispatch_uid="webhooks.call_completed")
    telephony_signals.call_modified.connect(on_call_modified, dispatch_uid="webhooks.call_modified")
    telephony_signals.text_message_received.connect(on_text_message, dispatch_uid="webhooks.text_received")
    telephony_signals.text_message_sent.connect(on_text_message, dispatch_uid="webhooks.text_sent")
    tracking_signals.form_submitted.connect(on_form_submitted, dispatch_uid="webhooks.form_submitted")
    telephony_signals.call_backdated.connect(on_call_backdated, dispatch_uid="webhooks.call_backdated")
