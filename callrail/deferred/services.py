"""Enqueueing that never blocks a request on the broker, and never loses the work.

``enqueue_or_defer(task, *args)`` publishes within the broker's short socket timeouts
(``CELERY_BROKER_TRANSPORT_OPTIONS``) and at most one immediate retry. When that fails it writes the call
to ``DeferredTask`` instead (in the caller's transaction, if any), and the sweeper
publishes it once the broker is back. After a failure, the process skips the broker for
``REDIS_RETRY_AFTER`` seconds (``callrail.redis.breaker``), so a hung Redis costs one
timeout per process and period, not one per request.

``enqueue_or_skip`` is for work that a periodic task redoes anyway (flushing buffers):
it is dropped, not stored, when the broker is down.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from celery import Task, current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from callrail.deferred.models import DeferredTask
from callrail.redis import breaker

logger = logging.getLogger(__name__)


def task_publish(task: Task, *args: Any, countdown: float | None = None) -> None:
    """``task.apply_async(args, retry=False)`` within the broker's short timeouts, or raise at
    once while the broker is known to be down (``callrail.redis.breaker``); a failure trips the
    breaker for every caller in this process. For callers with a fallback of their own (a
    sweeper that finds the work again)."""
    url = settings.CELERY_BROKER_URL
    breaker.check(url)
    # Without a countdown the call is the plain one (no ``countdown=None`` for mocks to see).
    options: dict[str, Any] = {"countdown": countdown} if countdown is not None else {}
    try:
        task.apply_async(args, retry=False, **options)
    except Exception as exc:
        breaker.trip(url, exc)
        raise


def _publish(
    task: Task | str,
    args: list[Any],
    kwargs: dict[str, Any],
    *,
    countdown: float | None = None,
    eta: datetime | None = None,
) -> None:
    url = settings.CELERY_BROKER_URL
    breaker.check(url)
    try:
        if isinstance(task, str):
            registered = current_app.tasks.get(task)
            if registered is None:
                current_app.send_task(task, args, kwargs, countdown=countdown, eta=eta, retry=False)
                return
            task = registered
        if countdown is None and eta is None:
            # Bounded by CELERY_TASK_PUBLISH_RETRY_POLICY (one immediate retry, for a connection
            # a Redis restart left stale) and the transport's socket timeouts.
            task.delay(*args, **kwargs)
        else:
            timing: dict[str, Any] = {"countdown": countdown} if countdown is not None else {"eta": eta}
            task.apply_async(tuple(args), kwargs, retry=False, **timing)
    except Exception as exc:
        breaker.trip(url, exc)
        raise


def enqueue_or_defer(task: Task, *args: Any, countdown: float | None = None, **kwargs: Any) -> bool:
    """Publish ``task(*args, **kwargs)``; if the broker cannot take it now, keep it in the
    database for the sweeper. Returns True when published. Arguments must be JSON values."""
    try:
        _publish(task, list(args), kwargs, countdown=countdown)
    except Exception as exc:
        task_defer(task, *args, error=exc, countdown=countdown, **kwargs)
        return False
    return True


def task_defer(task: Task, *args: Any, error: BaseException, countdown: float | None = None, **kwargs: Any) -> None:
    """Keep ``task(*args, **kwargs)`` in the database for the sweeper: its publish just failed."""
    run_after = timezone.now() + timedelta(seconds=countdown or 0)
    DeferredTask.objects.create(
        task=task.name, args=list(args), kwargs=kwargs, run_after=run_after, last_error=repr(error)[:2000]
    )
    logger.warning("%s deferred to the database: the broker is unavailable (%r)", task.name, error)


def enqueue_or_defer_on_commit(task: Task, *args: Any, countdown: float | None = None, **kwargs: Any) -> None:
    """``enqueue_or_defer`` once the current transaction commits (robust: a failure is
    logged, never raised into the caller that already committed)."""
    transaction.on_commit(partial(enqueue_or_defer, task, *args, countdown=countdown, **kwargs), robust=True)


def enqueue_or_skip(task: Task, *args: Any, **kwargs: Any) -> bool:
    """Publish ``task``, or drop it when the broker is unavailable (for work a periodic task redoes)."""
    try:
        _publish(task, list(args), kwargs)
    except Exception as exc:
        logger.info("%s skipped: the broker is unavailable (%r)", task.name, exc)
        return False
    return True


def deferred_tasks_send(*, limit: int = 500) -> int:
    """Hand deferred tasks to the broker, oldest first; returns how many were sent.

    Rows are locked while they are sent (skipping rows another sweeper holds), and each is
    deleted in the transaction that sent it: a crash in between sends it again, so tasks
    stay idempotent. Stops at the first failure: the broker is still down.
    """
    now = timezone.now()
    sent: list[int] = []
    with transaction.atomic():
        rows = list(DeferredTask.objects.select_for_update(skip_locked=True).order_by("id")[:limit])
        for row in rows:
            try:
                _publish(row.task, row.args, row.kwargs, eta=row.run_after if row.run_after > now else None)
            except Exception as exc:
                DeferredTask.objects.filter(pk=row.pk).update(attempts=row.attempts + 1, last_error=repr(exc)[:2000])
                logger.warning("deferred tasks not sent yet: the broker is unavailable (%r)", exc)
                break
            sent.append(row.pk)
        DeferredTask.objects.filter(pk__in=sent).delete()
    return len(sent)
