"""Posting outbox events to receivers, from Celery only.

One attempt = claim the row (so two workers never post the same event at once),
post with no transaction open, record the answer. Network errors, 5xx, 408 and
429 are retried with exponential backoff (10 s, 20 s, 40 s..., at most an hour
apart) until ``WEBHOOKS_RETRY_WINDOW`` has passed; other answers are final.
CallRail itself never retries (reference, "Responding"); receivers drop
duplicates by ``X-Webhook-Id``.

Events about the same call (or conversation) and URL go out in the order they
happened: a later one waits while an earlier one is still owed, and is sent as
soon as that one is delivered or given up.
"""

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Company, User
from callrail.deferred.services import task_publish
from integrations.models import Integration, WebhookDelivery, WebhookEvent
from integrations.webhooks import outbox
from integrations.webhooks.events import CONFIG_KEYS
from integrations.webhooks.safety import UnsafeDestination, guarded_session, webhook_url_validate
from integrations.webhooks.signing import signature

logger = logging.getLogger(__name__)

State = WebhookEvent.State

RETRY_FIRST_DELAY = 10  # seconds
RETRY_MAX_DELAY = 3600
# Receivers' answers are kept only this long in the log.
RESPONSE_BODY_LIMIT = 2048
RESPONSE_HEADER_VALUE_LIMIT = 256
RESPONSE_HEADERS_LIMIT = 30
# Statuses worth another try besides 5xx: the receiver said "later".
RETRYABLE_STATUSES = frozenset({408, 429})
# A pending row is left to its own scheduled task this long before the sweeper steps in.
SWEEP_GRACE = timedelta(seconds=60)
# After the sweeper hands a row to Celery it waits this long before handing it out again,
# so a backlog in the queue is not multiplied by every sweep.
SWEEP_RESEND_AFTER = timedelta(minutes=5)
# Retries further away than this are not held as Celery ETA messages (workers keep those
# in memory, and Redis redelivers them after its visibility timeout): the sweeper sends them.
MAX_COUNTDOWN = timedelta(minutes=5)
USER_AGENT = "CallTracking-Webhooks/1.0"

_session: requests.Session | None = None


def _http() -> requests.Session:
    # Created lazily, in the worker process itself (never shared across a fork).
    global _session
    if _session is None:
        _session = guarded_session()
    return _session


def retry_delay(attempt: int) -> timedelta:
    """Wait after failed attempt number ``attempt`` (1-based): 10 s, doubling, capped at an hour."""
    return timedelta(seconds=min(RETRY_FIRST_DELAY * 2 ** (attempt - 1), RETRY_MAX_DELAY))


def lock_duration() -> timedelta:
    # Long enough for connect + response + body reads at the configured timeout;
    # after it, a row still "delivering" belongs to a worker that died.
    return timedelta(seconds=4 * settings.WEBHOOKS_TIMEOUT + 60)


@dataclass
class AttemptResult:
    success: bool
    retryable: bool
    status_code: int | None = None
    latency_ms: int | None = None
    error: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""


def _truncated_headers(raw: requests.structures.CaseInsensitiveDict) -> dict[str, str]:
    headers: dict[str, str] = {}
    for index, (name, value) in enumerate(raw.items()):
        if index >= RESPONSE_HEADERS_LIMIT:
            headers["…"] = f"{len(raw) - RESPONSE_HEADERS_LIMIT} more headers not kept"
            break
        headers[name[:100]] = value[:RESPONSE_HEADER_VALUE_LIMIT]
    return headers


def webhook_request_headers(event: WebhookEvent, *, body: bytes, signing_key: str, attempt: int) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Signature": signature(key=signing_key, body=body),
        # Stable across attempts: receivers drop duplicates by it.
        "X-Webhook-Id": str(event.event_id),
        "X-Webhook-Event": event.event,
        "X-Webhook-Attempt": str(attempt),
    }
    if event.is_test:
        headers["X-Webhook-Test"] = "true"
    return headers


def webhook_post(event: WebhookEvent, *, attempt: int) -> AttemptResult:
    """One HTTP POST of the event's exact body. Never raises for the receiver's faults."""
    try:
        webhook_url_validate(event.url)
    except ValidationError as exc:
        return AttemptResult(success=False, retryable=False, error="; ".join(exc.messages))
    body = event.body.encode("utf-8")
    # Signed with the key current now, so rotating the key also re-signs retries.
    signing_key = Company.objects.values_list("webhook_signing_key", flat=True).get(pk=event.company_id)
    headers = webhook_request_headers(event, body=body, signing_key=signing_key, attempt=attempt)
    timeout = settings.WEBHOOKS_TIMEOUT
    started = time.monotonic()
    try:
        # No redirects: a receiver could bounce the request to a private address.
        response = _http().post(
            event.url, data=body, headers=headers, timeout=(timeout, timeout), allow_redirects=False, stream=True
        )
    except UnsafeDestination as exc:
        return AttemptResult(success=False, retryable=False, error=f"Refused: {exc}")
    except (
        requests.exceptions.InvalidURL,
        requests.exceptions.InvalidSchema,
        requests.exceptions.MissingSchema,
    ) as exc:
        return AttemptResult(success=False, retryable=False, error=f"Invalid URL: {exc}")
    except requests.RequestException as exc:
        latency = int((time.monotonic() - started) * 1000)
        return AttemptResult(success=False, retryable=True, latency_ms=latency, error=f"{type(exc).__name__}: {exc}")
    error = ""
    try:
        raw = response.raw.read(RESPONSE_BODY_LIMIT, decode_content=True) or b""
    except Exception as exc:  # the status line arrived; a broken body does not change the outcome
        raw = b""
        error = f"Reading the answer failed: {type(exc).__name__}"
    finally:
        response.close()
    latency = int((time.monotonic() - started) * 1000)
    status = response.status_code
    success = 200 <= status < 300
    if not success and not error:
        error = f"HTTP {status}" + (" (redirects are not followed)" if 300 <= status < 400 else "")
    return AttemptResult(
        success=success,
        retryable=not success and (status >= 500 or status in RETRYABLE_STATUSES),
        status_code=status,
        latency_ms=latency,
        error=error,
        headers=_truncated_headers(response.headers),
        body=raw.decode("utf-8", errors="replace"),
    )


def _earlier_unfinished_of(ordering_key: Any, url: Any, pk: Any) -> QuerySet[WebhookEvent]:
    """Events still owed before this one on the same ordering key and URL."""
    return WebhookEvent.objects.filter(
        ordering_key=ordering_key, url=url, id__lt=pk, state__in=(State.PENDING, State.DELIVERING)
    )


def _earlier_unfinished() -> Exists:
    return Exists(_earlier_unfinished_of(OuterRef("ordering_key"), OuterRef("url"), OuterRef("id")))


def _is_waiting_for_earlier(event: WebhookEvent) -> bool:
    return _earlier_unfinished_of(event.ordering_key, event.url, event.id).exists()


def _claim(event_pk: int, now: datetime) -> tuple[WebhookEvent, int] | None:
    """Mark the event as being delivered by this worker, if it is due and its turn."""
    with transaction.atomic():
        # skip_locked: another worker holding the row is already handling it.
        event = WebhookEvent.objects.select_for_update(skip_locked=True).filter(pk=event_pk).first()
        if event is None or event.is_finished:
            return None
        if event.state == State.DELIVERING and event.locked_until and event.locked_until > now:
            return None
        if event.next_attempt_at > now:
            return None
        if _is_waiting_for_earlier(event):
            return None
        integration_state = Integration.objects.values_list("state", flat=True).get(pk=event.integration_id)
        if integration_state != Integration.State.ACTIVE:
            event.state = State.CANCELED
            event.finished_at = now
            event.last_error = f"Not sent: the integration is {integration_state}."
            event.locked_until = None
            event.save(update_fields=["state", "finished_at", "last_error", "locked_until"])
            transaction.on_commit(lambda: _release_next(event), robust=True)
            return None
        event.state = State.DELIVERING
        event.attempts += 1
        event.locked_until = now + lock_duration()
        event.save(update_fields=["state", "attempts", "locked_until"])
        return event, event.attempts


def webhook_event_deliver(*, event_pk: int, now: datetime | None = None) -> WebhookDelivery | None:
    """Make one delivery attempt of an outbox event if it is due; returns the logged attempt.

    Safe to call any number of times (duplicate tasks, the sweeper): only a due,
    unclaimed event whose earlier siblings are finished is posted.
    """
    now = now or timezone.now()
    claimed = _claim(event_pk, now)
    if claimed is None:
        return None
    event, attempt = claimed
    result = webhook_post(event, attempt=attempt)
    return _record(event.pk, attempt, result, now + timedelta(milliseconds=result.latency_ms or 0))


@transaction.atomic
def _record(event_pk: int, attempt: int, result: AttemptResult, now: datetime) -> WebhookDelivery:
    event = WebhookEvent.objects.select_for_update().get(pk=event_pk)
    delivery = WebhookDelivery.objects.create(
        account_id=event.account_id,
        company_id=event.company_id,
        webhook_event=event,
        attempt=attempt,
        url=event.url,
        status_code=result.status_code,
        success=result.success,
        latency_ms=result.latency_ms,
        error=result.error,
        response_headers=result.headers,
        response_body=result.body,
        created_at=now,
    )
    if event.state != State.DELIVERING or event.attempts != attempt:
        # The sweeper took the row back while this attempt ran (it outlived its
        # lock); the newer attempt owns the state now.
        return delivery
    event.last_status_code = result.status_code
    event.last_error = result.error
    event.locked_until = None
    if result.success:
        event.state = State.DELIVERED
        event.finished_at = now
    elif result.retryable and now + retry_delay(attempt) <= event.retry_until:
        event.state = State.PENDING
        event.next_attempt_at = now + retry_delay(attempt)
        if retry_delay(attempt) <= MAX_COUNTDOWN:
            countdown = retry_delay(attempt).total_seconds()
            transaction.on_commit(lambda: _schedule(event.pk, countdown), robust=True)
    else:
        event.state = State.FAILED
        event.finished_at = now
    event.save(
        update_fields=["state", "finished_at", "next_attempt_at", "locked_until", "last_status_code", "last_error"]
    )
    if event.is_finished:
        transaction.on_commit(lambda: _release_next(event), robust=True)
    if event.state == State.FAILED:
        _disable_if_failing(event)
    return delivery


def _schedule(event_pk: int, countdown: float) -> None:
    # Imported here: the tasks module imports this one.
    from integrations.tasks import webhook_event_deliver as webhook_event_deliver_task

    try:
        task_publish(webhook_event_deliver_task, event_pk, countdown=countdown)
    except Exception:
        logger.warning("retry of webhook event %s not scheduled; the sweeper will pick it up", event_pk, exc_info=True)


def _release_next(event: WebhookEvent) -> None:
    """Send the next event owed to the same receiver about the same call, now that this one is done."""
    following = (
        WebhookEvent.objects.filter(
            ordering_key=event.ordering_key,
            url=event.url,
            id__gt=event.id,
            state=State.PENDING,
            next_attempt_at__lte=timezone.now(),
        )
        .order_by("id")
        .values_list("pk", flat=True)
        .first()
    )
    if following is not None:
        outbox.webhook_events_enqueue([following])


def _disable_if_failing(event: WebhookEvent) -> None:
    """After ``WEBHOOKS_DISABLE_AFTER`` events in a row were given up on one URL,
    turn the integration to ``failed`` and tell the people who manage it."""
    threshold = settings.WEBHOOKS_DISABLE_AFTER
    if threshold <= 0:
        return
    recent = list(
        WebhookEvent.objects.filter(integration_id=event.integration_id, url=event.url, finished_at__isnull=False)
        .order_by("-finished_at", "-id")
        .values_list("state", flat=True)[:threshold]
    )
    if len(recent) < threshold or any(state != State.FAILED for state in recent):
        return
    # The row lock makes the switch (and its email) happen once when several
    # workers give up at the same moment.
    integration = Integration.objects.select_for_update().select_related("company").get(pk=event.integration_id)
    if integration.state != Integration.State.ACTIVE:
        return
    integration.state = Integration.State.FAILED
    integration.save(update_fields=["state", "updated_at"])
    logger.warning("webhooks of %s disabled after %s failed events to %s", integration.company, threshold, event.url)
    last_error = event.last_error
    transaction.on_commit(
        lambda: webhook_disabled_notify(integration=integration, url=event.url, last_error=last_error), robust=True
    )


def webhook_disabled_notify(*, integration: Integration, url: str, last_error: str) -> int:
    """Email the company's admins (and managers of that company) that its webhooks were turned off."""
    company = integration.company
    recipients = sorted(
        set(
            User.objects.filter(account_id=company.account_id, is_active=True)
            .filter(Q(role=User.Role.ADMIN) | Q(role=User.Role.MANAGER, companies=company))
            .values_list("email", flat=True)
        )
    )
    if not recipients:
        return 0
    events = [key for key, config_key in CONFIG_KEYS.items() if url in (integration.config or {}).get(config_key, [])]
    body = (
        f"Webhooks for {company.name} ({company.public_id}) have been turned off.\n\n"
        f"The last {settings.WEBHOOKS_DISABLE_AFTER} events sent to\n  {url}\n"
        f"could not be delivered, even after retrying. "
        f"Last error: {last_error or 'unknown'}.\n"
        + (f"Events sent to that address: {', '.join(sorted(events))}.\n" if events else "")
        + "\nNo further webhooks are sent for this company until the integration is turned back on "
        f"(integration {integration.numeric_id}: PUT /v3/a/{company.account.public_id}/integrations/"
        f'{integration.numeric_id}.json with {{"state": "active"}}). '
        "The delivery log (webhook_deliveries.json) shows each attempt and the receiver's answers.\n"
    )
    return send_mail(
        subject=f"Webhooks turned off for {company.name}",
        message=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=recipients,
    )


def webhook_outbox_sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Recover what a crash or a lost message left behind; returns how many events were enqueued.

    Rows still "delivering" after their lock expired belong to a worker that
    died mid-request: their attempt is logged as interrupted and they are sent
    again (same event id). Due rows nobody picked up are enqueued.
    """
    now = now or timezone.now()
    with transaction.atomic():
        stuck = list(
            WebhookEvent.objects.select_for_update(skip_locked=True).filter(
                state=State.DELIVERING, locked_until__lt=now
            )[:limit]
        )
        for event in stuck:
            WebhookDelivery.objects.create(
                account_id=event.account_id,
                company_id=event.company_id,
                webhook_event=event,
                attempt=event.attempts,
                url=event.url,
                error="Interrupted: the worker stopped before the receiver's answer was recorded.",
                created_at=now,
            )
            event.state = State.PENDING
            event.locked_until = None
            event.next_attempt_at = now
            event.save(update_fields=["state", "locked_until", "next_attempt_at"])
    due = list(
        WebhookEvent.objects.filter(state=State.PENDING, next_attempt_at__lte=now - SWEEP_GRACE)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .exclude(pk__in=[event.pk for event in stuck])
        .filter(~_earlier_unfinished())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    pks = [event.pk for event in stuck] + due
    # On a pending row, locked_until marks "handed to Celery at": not re-sent before then.
    WebhookEvent.objects.filter(pk__in=pks, state=State.PENDING).update(locked_until=now + SWEEP_RESEND_AFTER)
    outbox.webhook_events_enqueue(pks)
    return len(pks)


def webhook_log_prune(*, now: datetime | None = None) -> int:
    """Delete finished events (and their attempts) older than the retention period."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.WEBHOOKS_LOG_RETENTION_DAYS)
    deleted, _ = WebhookEvent.objects.filter(
        state__in=(State.DELIVERED, State.FAILED, State.CANCELED), finished_at__lt=cutoff
    ).delete()
    return deleted


@transaction.atomic
def webhook_event_redeliver(*, event: WebhookEvent, now: datetime | None = None) -> WebhookEvent:
    """Send a finished event again (same id and body), with a fresh retry window."""
    now = now or timezone.now()
    locked = WebhookEvent.objects.select_for_update().get(pk=event.pk)
    if not locked.is_finished:
        return locked
    locked.state = State.PENDING
    locked.next_attempt_at = now
    locked.retry_until = now + timedelta(seconds=settings.WEBHOOKS_RETRY_WINDOW)
    locked.finished_at = None
    locked.save(update_fields=["state", "next_attempt_at", "retry_until", "finished_at"])
    audit_record(
        account=locked.account_id,
        action="webhook.redelivered",
        target=locked,
        object_id=str(locked.event_id),
        object_label=f"{locked.get_event_display()} to {locked.url}",
    )
    pk = locked.pk
    transaction.on_commit(lambda: outbox.webhook_events_enqueue([pk]), robust=True)
    return locked
