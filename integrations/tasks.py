"""Celery tasks of what the platform sends out: thin wrappers that load rows and call one service.

Each task keeps the name it was registered under when it lived in ``api/tasks.py``:
messages already queued in the broker (and the beat schedule) name tasks by that
string, so they still find their task after an upgrade.
"""

from celery import Task, shared_task

from integrations import emails, ga4
from integrations.webhooks import delivery
from telephony.models import Call, TextMessage
from tracking.models import FormSubmission


@shared_task(name="api.tasks.webhook_event_deliver")
def webhook_event_deliver(event_pk: int) -> None:
    """One delivery attempt of an outbox event (a no-op if it is not due or not its turn)."""
    delivery.webhook_event_deliver(event_pk=event_pk)


@shared_task(name="api.tasks.webhook_outbox_sweep")
def webhook_outbox_sweep() -> None:
    delivery.webhook_outbox_sweep()


@shared_task(name="api.tasks.webhook_log_prune")
def webhook_log_prune() -> None:
    delivery.webhook_log_prune()


@shared_task(name="api.tasks.call_notifications_send", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def call_notifications_send(call_pk: int) -> None:
    call = Call.objects.select_related("company", "tracker", "agent").filter(pk=call_pk).first()
    if call is not None:
        emails.call_notifications_send(call=call)


@shared_task(
    name="api.tasks.text_message_notifications_send", autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def text_message_notifications_send(message_pk: int) -> None:
    message = (
        TextMessage.objects.select_related("conversation__company", "conversation__current_tracker")
        .filter(pk=message_pk)
        .first()
    )
    if message is not None:
        emails.text_message_notifications_send(message=message)


@shared_task(
    name="api.tasks.form_submission_notifications_send",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def form_submission_notifications_send(submission_pk: int) -> None:
    submission = FormSubmission.objects.select_related("company", "session__tracker").filter(pk=submission_pk).first()
    if submission is not None:
        emails.form_submission_notifications_send(submission=submission)


@shared_task(name="api.tasks.summary_emails_send")
def summary_emails_send() -> None:
    emails.summary_emails_send()


# Call conversions: retried with backoff (about 30 s doubling to an hour, for a day at most).
CONVERSION_RETRIES = 12


def _backoff(retries: int) -> int:
    return min(30 * 2**retries, 3600)


@shared_task(bind=True, max_retries=CONVERSION_RETRIES)
def conversion_ga4_send(self: Task, delivery_pk: int) -> None:
    if ga4.ga4_send(delivery_pk) is ga4.Outcome.RETRY:
        if self.request.retries >= CONVERSION_RETRIES:
            ga4.ga4_give_up(delivery_pk)
            return
        raise self.retry(countdown=_backoff(self.request.retries))


@shared_task(bind=True, max_retries=CONVERSION_RETRIES)
def conversion_google_ads_upload(self: Task, company_id: int) -> None:
    # Imported here: Google's client library (gRPC, protobuf) is heavy, and only this task needs it.
    from integrations import google_ads

    outcome = google_ads.google_ads_upload(company_id)
    if outcome is google_ads.Outcome.RETRY:
        if self.request.retries >= CONVERSION_RETRIES:
            google_ads.google_ads_give_up(company_id)
            return
        raise self.retry(countdown=_backoff(self.request.retries))
    if outcome is google_ads.Outcome.DONE:
        # More than one request's worth may be pending.
        google_ads.google_ads_upload(company_id)
