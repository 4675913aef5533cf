"""The headline failure: Redis stopped (SIGSTOP) while form posts and status callbacks are in
flight must not cost a call. Real processes throughout: gunicorn (2 workers x 4 threads, as
`make run`), a Celery worker, and a redis-server that the test stops and resumes; the
database is the test's PostgreSQL, shared with them.

With ten form posts and five status callbacks in flight, a signed voice webhook is answered
with TwiML that dials the destination within 2 s; once Redis is back every call, callback,
form and webhook event is recorded, and each event delivered once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from django.db import connection

from callrail.deferred.models import DeferredTask
from callrail.embedded import free_port, start_redis
from callrail.run import gunicorn_command
from integrations.models import WebhookEvent
from integrations.tests.conftest import (  # noqa: F401 - fixtures
    ALL_CONFIG_KEYS,
    integration,
    receiver,
    tracker,
    tracking_number,
)
from telephony.models import Call
from telephony.tests.conftest import new_call_sid, voice_params
from telephony.twilio import signature_compute
from tracking.models import FormSubmission

BASE_DIR = Path(__file__).resolve().parents[2]
PUBLIC_BASE_URL = "https://calls.example.test"

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
        time.sleep(0.2)
    return False


class Stack:
    def __init__(self, tmp_path: Path, settings: Any) -> None:
        self.socket_path = tmp_path / "redis.sock"
        self.redis = start_redis(self.socket_path)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "REDIS_URL": self.redis.url,
            "CELERY_BROKER_URL": f"redis+socket://{self.socket_path}",
            "WEBHOOKS_ALLOW_PRIVATE": "true",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "SECRET_KEY": settings.SECRET_KEY,
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
        self.env.pop("TWILIO_AUTH_TOKEN", None)
        self.logs = tmp_path
        self.processes: list[subprocess.Popen] = []
        worker = [sys.executable, "-m", "celery", "-A", "callrail", "worker", "-c", "1", "-l", "INFO"]
        worker += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
        web = gunicorn_command()
        web[web.index("--bind") + 1] = f"127.0.0.1:{self.port}"
        web[web.index("--workers") + 1], web[web.index("--threads") + 1] = "2", "4"  # as `make run`
        for name, command in (("web", web), ("worker", worker)):
            with open(tmp_path / f"{name}.log", "wb") as log:
                self.processes.append(
                    subprocess.Popen(
                        command, cwd=BASE_DIR, env=self.env, start_new_session=True, stdout=log, stderr=log
                    )
                )

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text()[-4000:]

    def wait_up(self) -> None:
        def up() -> bool:
            try:
                return requests.get(f"{self.base}/healthz", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        assert _wait(up, 60), self.log("web")
        assert _wait(lambda: "ready." in (self.logs / "worker.log").read_text(), 60), self.log("worker")

    def twilio(self, path: str, params: dict[str, str], timeout: float = 30) -> requests.Response:
        return requests.post(
            f"{self.base}{path}",
            data=urlencode(params),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature_compute(PUBLIC_BASE_URL + path, params),
            },
            timeout=timeout,
        )

    def manage(self, code: str) -> str:
        return subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        if self.redis.process.poll() is None:
            self.redis.process.send_signal(signal.SIGCONT)
        self.redis.stop()


@pytest.fixture
def stack(tmp_path: Path, settings: Any) -> Iterator[Stack]:
    if connection.vendor != "postgresql":
        pytest.skip("the servers share the test database through PostgreSQL")
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    settings.TWILIO_AUTH_TOKEN = ""
    running = Stack(tmp_path, settings)
    try:
        yield running
    finally:
        running.close()


def _form(stack: Stack, company_id: str, n: int, results: list[Any]) -> None:
    body: dict[str, Any] = {
        "v": f"visitor{n:04d}",
        "s": f"session{n:04d}",
        "u": "https://example.com/contact",
        "f": {"email": f"person{n}@example.com", "name": f"Person {n}"},
    }
    started = time.monotonic()
    try:
        response = requests.post(
            f"{stack.base}/dni/{company_id}/form",
            json=body,
            headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"},
            timeout=30,
        )
        results.append((response.status_code, time.monotonic() - started))
    except requests.RequestException as exc:
        results.append((repr(exc), time.monotonic() - started))


def _status(stack: Stack, call_sid: str, results: list[Any]) -> None:
    params = {
        "AccountSid": "AC" + "0" * 32,
        "CallSid": call_sid,
        "CallStatus": "completed",
        "CallDuration": "42",
        "Direction": "inbound",
    }
    started = time.monotonic()
    try:
        response = stack.twilio("/telephony/twilio/status", params)
        results.append((response.status_code, time.monotonic() - started))
    except requests.RequestException as exc:
        results.append((repr(exc), time.monotonic() - started))


def test_a_call_connects_within_2s_while_redis_is_stopped_and_everything_is_delivered_once_after(
    company,
    tracker,  # noqa: F811 - the fixtures imported above
    tracking_number,  # noqa: F811
    receiver,  # noqa: F811
    integration,  # noqa: F811
    stack,
):
    company.form_capture = True
    company.save(update_fields=["form_capture"])
    stack.wait_up()

    # Five calls ringing before Redis stops: their status callbacks arrive while it is stopped.
    ringing = [new_call_sid() for _ in range(5)]
    for sid in ringing:
        answer = stack.twilio("/telephony/twilio/voice", voice_params(to=tracking_number.number, call_sid=sid))
        assert answer.status_code == 200 and "<Dial" in answer.text, answer.text
    assert Call.objects.count() == 5

    stack.redis.process.send_signal(signal.SIGSTOP)
    try:
        forms: list[Any] = []
        statuses: list[Any] = []
        threads = [threading.Thread(target=_form, args=(stack, company.public_id, n, forms)) for n in range(10)]
        threads += [threading.Thread(target=_status, args=(stack, sid, statuses)) for sid in ringing]
        for thread in threads:
            thread.start()
        time.sleep(0.3)  # all fifteen are in flight

        call_sid = new_call_sid()
        started = time.monotonic()
        voice = stack.twilio("/telephony/twilio/voice", voice_params(to=tracking_number.number, call_sid=call_sid))
        elapsed = time.monotonic() - started
        print(f"voice webhook answered in {elapsed:.3f}s with Redis stopped")
        assert voice.status_code == 200, voice.text
        assert "<Dial" in voice.text and "+14045550100" in voice.text, voice.text
        assert elapsed < 2.0, (elapsed, stack.log("web"))
        for thread in threads:
            thread.join(timeout=30)
    finally:
        stack.redis.process.send_signal(signal.SIGCONT)
    print(f"form posts (status, seconds): {forms}")
    print(f"status callbacks (status, seconds): {statuses}")
    assert sorted(code for code, _ in forms) == [201] * 10, forms
    assert sorted(code for code, _ in statuses) == [204] * 5, statuses

    # Everything is recorded.
    assert Call.objects.count() == 6 and Call.objects.filter(call_sid=call_sid).exists()
    assert Call.objects.filter(call_sid__in=ringing, status=Call.Status.COMPLETED).count() == 5
    assert FormSubmission.objects.filter(company=company).count() == 10

    # Redis is back: beat's periodic jobs send the deferred tasks and, once the events are
    # SWEEP_GRACE overdue, the webhook outbox (run here as they would run then).
    stack.manage(
        "from django.utils import timezone;"
        "from callrail.deferred.services import deferred_tasks_send; deferred_tasks_send();"
        "from integrations.webhooks.delivery import SWEEP_GRACE, webhook_outbox_sweep;"
        "webhook_outbox_sweep(now=timezone.now() + SWEEP_GRACE)"
    )

    def all_delivered() -> bool:
        events = WebhookEvent.objects.all()
        return events.exists() and all(event.state == WebhookEvent.State.DELIVERED for event in events)

    assert _wait(all_delivered, 60), (
        list(WebhookEvent.objects.values_list("event", "state", "attempts")),
        stack.log("worker"),
    )
    time.sleep(2)
    kinds = Counter(WebhookEvent.objects.values_list("event", flat=True))
    print(f"webhook events: {dict(kinds)}; requests received: {len(receiver.requests)}")
    assert kinds["pre_call"] == 6 and kinds["form_submission"] == 10 and kinds["post_call"] == 5
    assert not DeferredTask.objects.exists()  # the notifications deferred meanwhile were sent
    paths = Counter(request.path for request in receiver.requests)
    assert paths["/pre_call_webhook"] == 6 and paths["/form_captured_webhook"] == 10
    assert paths["/post_call_webhook"] == 5
    assert sum(paths.values()) == WebhookEvent.objects.count()  # each delivered once
    assert set(paths) <= {f"/{key}" for key in ALL_CONFIG_KEYS}
