"""Background work enqueued on a request path is published, or kept in the database when the
broker cannot take it, and sent by the sweeper once it can."""

import os
import signal
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
import redis
from django.db import connection
from kombu.exceptions import OperationalError

from accounts.tasks import user_invitation_send
from callrail.deferred.models import DeferredTask
from callrail.deferred.services import deferred_tasks_send, enqueue_or_defer, enqueue_or_skip
from callrail.embedded import start_redis
from callrail.redis import breaker

ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _closed_breaker():
    breaker.reset()
    yield
    breaker.reset()


def test_a_published_task_leaves_no_row():
    with mock.patch.object(user_invitation_send, "delay", autospec=True) as delay:
        assert enqueue_or_defer(user_invitation_send, 42) is True
    delay.assert_called_once_with(42)
    assert not DeferredTask.objects.exists()


def test_a_task_the_broker_refuses_is_kept_and_sent_later_once():
    with mock.patch.object(user_invitation_send, "delay", side_effect=OperationalError("refused")):
        assert enqueue_or_defer(user_invitation_send, 42) is False
    row = DeferredTask.objects.get()
    assert (row.task, row.args, row.kwargs) == (user_invitation_send.name, [42], {})

    # While the broker stays down the sweeper keeps the row.
    breaker.reset()
    with mock.patch.object(user_invitation_send, "apply_async", side_effect=OperationalError("refused")):
        assert deferred_tasks_send() == 0
    assert DeferredTask.objects.get().attempts == 1

    breaker.reset()
    with mock.patch.object(user_invitation_send, "apply_async", autospec=True) as apply_async:
        assert deferred_tasks_send() == 1
        assert deferred_tasks_send() == 0
    assert apply_async.call_count == 1 and list(apply_async.call_args.args[0]) == [42]
    assert not DeferredTask.objects.exists()


def test_a_countdown_survives_the_detour():
    with mock.patch.object(user_invitation_send, "apply_async", side_effect=OperationalError("refused")):
        enqueue_or_defer(user_invitation_send, 7, countdown=600)
    row = DeferredTask.objects.get()
    breaker.reset()
    with mock.patch.object(user_invitation_send, "apply_async", autospec=True) as apply_async:
        deferred_tasks_send()
    assert apply_async.call_args.kwargs["eta"] == row.run_after


def test_after_a_failure_the_broker_is_skipped_for_a_while():
    with mock.patch.object(user_invitation_send, "delay", side_effect=OperationalError("timeout")) as delay:
        enqueue_or_defer(user_invitation_send, 1)
        enqueue_or_defer(user_invitation_send, 2)
        assert enqueue_or_skip(user_invitation_send, 3) is False
    assert delay.call_count == 1
    assert DeferredTask.objects.count() == 2


def test_an_invitation_is_deferred_when_the_broker_is_down(api_client, account, django_capture_on_commit_callbacks):
    with (
        mock.patch.object(user_invitation_send, "delay", side_effect=OperationalError("refused")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = api_client.post(
            f"/v3/a/{account.public_id}/users.json",
            {"first_name": "Bob", "last_name": "B", "email": "bob@example.com", "role": "admin"},
            format="json",
        )
    assert response.status_code == 200
    assert DeferredTask.objects.get().task == user_invitation_send.name


SCRIPT = """
import time, django
django.setup()
from accounts.tasks import user_invitation_send
from callrail.deferred.services import enqueue_or_defer, deferred_tasks_send
started = time.monotonic()
for pk in (1, 2, 3):
    enqueue_or_defer(user_invitation_send, pk)
print(round(time.monotonic() - started, 3))
input()  # the test resumes Redis
time.sleep(2.5)  # REDIS_RETRY_AFTER
print(deferred_tasks_send())
"""


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_with_redis_hung_three_enqueues_take_one_timeout_and_reach_the_broker_afterwards(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the subprocess shares the test database through PostgreSQL")
    db = connection.settings_dict
    server = start_redis(tmp_path / "broker.sock")
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": server.url,
        "CELERY_BROKER_URL": f"redis+socket://{tmp_path / 'broker.sock'}",
        "DJANGO_SETTINGS_MODULE": "callrail.settings",
    }
    try:
        os.kill(server.process.pid, signal.SIGSTOP)
        child = subprocess.Popen(
            [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        took = float(child.stdout.readline())
        assert took < 1.5  # one publish timeout (at most one retry), then the breaker
        assert DeferredTask.objects.count() == 3
        os.kill(server.process.pid, signal.SIGCONT)
        out, _ = child.communicate("\n", timeout=60)
        assert out.strip() == "3"
        assert not DeferredTask.objects.exists()
        assert redis.Redis.from_url(server.url).llen("celery") == 3
    finally:
        os.kill(server.process.pid, signal.SIGCONT)
        server.stop()
