"""A real Celery worker killed in the middle of a delivery loses no event."""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from kombu import Connection

from integrations import tasks
from integrations.models import WebhookEvent
from integrations.tests.conftest import Answer, make_call, webhooks_integration
from integrations.webhooks.delivery import webhook_event_deliver, webhook_outbox_sweep
from telephony import signals

BASE_DIR = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _broker_url() -> str:
    redis_url = settings.REDIS_URL
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url[len("unix://") :] + "?virtual_host=9"
    return redis_url.rstrip("/") + "/9" if redis_url.count("/") == 2 else redis_url


def _wait(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def worker_process():
    if connection.vendor != "postgresql":
        pytest.skip("the worker shares the test database through PostgreSQL")
    queue = f"webhooks-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": _broker_url(),
        "WEBHOOKS_ALLOW_PRIVATE": "true",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    command = [sys.executable, "-m", "celery", "-A", "callrail", "worker", "-P", "solo", "-Q", queue]
    command += ["--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "WARNING"]
    process = subprocess.Popen(
        command, cwd=BASE_DIR, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    broker = Connection(_broker_url())
    yield process, broker, queue
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    broker.release()


def test_a_worker_killed_mid_delivery_loses_no_event(company, tracker, receiver, worker_process):
    process, broker, queue = worker_process
    webhooks_integration(company, {"pre_call_webhook": [receiver.url()]})
    receiver.answer(Answer(hang=60))  # the first attempt never gets an answer
    call = make_call(tracker)
    signals.call_started.send(sender=None, call=call)
    event = WebhookEvent.objects.get()

    # (The test process's own Celery app talks to an in-memory broker; the worker listens on Redis.)
    # Celery hands ``connection`` on to the producer through ``**options``; the stubs name only the others.
    tasks.webhook_event_deliver.apply_async((event.pk,), queue=queue, connection=broker)  # type: ignore[call-arg]
    if not receiver.arrived.wait(30):
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail(process.stderr.read().decode()[-3000:])
    event.refresh_from_db()
    assert event.state == WebhookEvent.State.DELIVERING and event.attempts == 1

    # The worker dies with the request in flight: no answer is ever recorded.
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    event.refresh_from_db()
    assert event.state == WebhookEvent.State.DELIVERING

    # Once its lock has expired, the sweeper (beat, every minute) hands it out again.
    requeued: list[int] = []

    assert event.locked_until is not None
    later = event.locked_until + timedelta(seconds=1)
    with mock.patch.object(tasks.webhook_event_deliver, "apply_async", side_effect=lambda a, **kw: requeued.extend(a)):
        assert webhook_outbox_sweep(now=later) == 1
    assert requeued == [event.pk]
    webhook_event_deliver(event_pk=event.pk, now=later)  # what the next worker does with the message

    assert _wait(lambda: len(receiver.requests) == 2)
    event.refresh_from_db()
    assert event.state == WebhookEvent.State.DELIVERED and event.attempts == 2
    assert {request.headers["X-Webhook-Id"] for request in receiver.requests} == {str(event.event_id)}
    assert [request.headers["X-Webhook-Attempt"] for request in receiver.requests] == ["1", "2"]
    interrupted, delivered = event.deliveries.order_by("id")
    assert interrupted.error.startswith("Interrupted") and delivered.success
