"""A real Celery worker survives its Redis broker being killed while it holds a webhook
retry (an ETA message), and the retry is delivered, once, after Redis is back."""

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from kombu import Connection

from callrail.embedded import start_redis
from integrations import tasks
from integrations.models import WebhookEvent
from integrations.tests.conftest import Answer, make_call, receiver, tracker, webhooks_integration  # noqa: F401 - fixtures
from telephony import signals

BASE_DIR = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _wait(condition: Callable[[], object], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def broker_and_worker(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the worker shares the test database through PostgreSQL")
    socket_path = tmp_path / "broker.sock"
    redis_server = start_redis(socket_path)
    broker_url = f"redis+socket://{socket_path}"
    log_path = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_server.url,
        "CELERY_BROKER_URL": broker_url,
        "WEBHOOKS_ALLOW_PRIVATE": "true",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    # The prefork pool and ETA messages held unacknowledged, as in `make run`.
    command = [sys.executable, "-m", "celery", "-A", "callrail", "worker", "-c", "1", "-l", "INFO"]
    command += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(command, cwd=BASE_DIR, env=env, start_new_session=True, stdout=log, stderr=log)
    state = {"redis": redis_server}
    yield worker, broker_url, socket_path, log_path, state
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    state["redis"].stop()


def test_the_worker_survives_a_killed_broker_and_the_retry_is_delivered_once(
    company,
    tracker,  # noqa: F811 - the fixture imported above
    receiver,  # noqa: F811
    broker_and_worker,
):
    worker, broker_url, socket_path, log_path, state = broker_and_worker
    webhooks_integration(company, {"pre_call_webhook": [receiver.url()]})
    receiver.answer(Answer(status=503), Answer(status=200))
    call = make_call(tracker)
    signals.call_started.send(sender=None, call=call)
    event = WebhookEvent.objects.get()

    with Connection(broker_url) as broker:
        tasks.webhook_event_deliver.apply_async((event.pk,), connection=broker)  # type: ignore[call-arg]  # a publish option the stubs omit
    assert _wait(lambda: len(receiver.requests) == 1), log_path.read_text()[-3000:]
    # The first attempt failed: a retry is due in 10 s, held by the worker as an ETA message.
    received = re.compile(r"webhook_event_deliver\[[^\]]+\] received")
    assert _wait(lambda: len(received.findall(log_path.read_text())) == 2), log_path.read_text()[-3000:]
    event.refresh_from_db()
    assert event.state == WebhookEvent.State.PENDING and event.attempts == 1
    assert event.next_attempt_at > timezone.now()

    state["redis"].process.kill()  # SIGKILL: no persistence, the broker loses every message
    state["redis"].process.wait()
    time.sleep(2)
    state["redis"] = start_redis(socket_path)

    # The worker reconnects instead of exiting with "Unrecoverable error".
    assert _wait(lambda: log_path.read_text().count("Connected to redis+socket") >= 2, timeout=40), (
        log_path.read_text()[-4000:]
    )
    time.sleep(2)
    assert worker.poll() is None, log_path.read_text()[-4000:]
    assert "Unrecoverable error" not in log_path.read_text()
    assert len(receiver.requests) == 1  # the held retry was lost with the broker's memory

    # A minute after it was due, the outbox sweeper (sent by beat every minute) finds it.
    WebhookEvent.objects.filter(pk=event.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=2))
    with Connection(broker_url) as broker:
        tasks.webhook_outbox_sweep.apply_async(connection=broker)  # type: ignore[call-arg]  # a publish option the stubs omit
    assert _wait(lambda: len(receiver.requests) == 2), log_path.read_text()[-3000:]
    assert _wait(lambda: WebhookEvent.objects.get(pk=event.pk).state == WebhookEvent.State.DELIVERED)
    time.sleep(1)
    assert len(receiver.requests) == 2  # delivered once
    assert [request.headers["X-Webhook-Attempt"] for request in receiver.requests] == ["1", "2"]
