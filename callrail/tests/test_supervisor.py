"""`make run` keeps serving when its Redis, worker or beat dies: the supervisor restarts them
(with backoff) and the web server stays up. Also what `make run` sets up by default: DEBUG
off, a generated secret shared with management commands, var/ private."""

import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from callrail.embedded import free_port
from callrail.tests.test_embedded_smoke import ROOT, start, stop, wait_healthy

pytestmark = pytest.mark.slow


def pids(var_dir: Path, needle: str) -> list[tuple[int, int, str]]:
    out = subprocess.run(["ps", "-ww", "-eo", "pid,ppid,args"], capture_output=True, text=True).stdout
    found = []
    for line in out.splitlines()[1:]:
        pid, ppid, args = line.split(None, 2)
        if needle in args and (str(var_dir) in args or "callrail" in args):
            found.append((int(pid), int(ppid), args))
    return found


def child_pid(supervisor: int, needle: str) -> int | None:
    out = subprocess.run(["ps", "-ww", "-eo", "pid,ppid,args"], capture_output=True, text=True).stdout
    for line in out.splitlines()[1:]:
        pid, ppid, args = line.split(None, 2)
        if int(ppid) == supervisor and needle in args:
            return int(pid)
    return None


def wait_for(condition: Callable[[], object], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


def test_dead_redis_and_worker_are_restarted_while_the_web_server_keeps_answering(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start(tmp_path, port)
    try:
        wait_healthy(base, process)
        redis_pid = child_pid(process.pid, "redis-server")
        worker_pid = child_pid(process.pid, "celery -A callrail worker")
        assert redis_pid and worker_pid, subprocess.run(
            ["ps", "-ww", "-eo", "pid,ppid,args"], capture_output=True, text=True
        ).stdout

        os.kill(redis_pid, signal.SIGKILL)
        answers = []
        for _ in range(10):  # the web server answers throughout: 503 while Redis is down, never refused
            answers.append(requests.get(f"{base}/healthz", timeout=5).status_code)
            time.sleep(0.2)
        assert set(answers) <= {200, 503}
        assert wait_for(lambda: requests.get(f"{base}/healthz", timeout=5).status_code == 200, 30)
        assert child_pid(process.pid, "redis-server") not in (None, redis_pid)

        os.kill(worker_pid, signal.SIGKILL)
        assert wait_for(lambda: child_pid(process.pid, "celery -A callrail worker") not in (None, worker_pid), 30)
        assert requests.get(f"{base}/healthz", timeout=5).status_code == 200
        assert process.poll() is None

        # DEBUG is off: an unknown page is a plain 404, not Django's debug page.
        missing = requests.get(f"{base}/no-such-page", timeout=5)
        assert missing.status_code == 404 and "URLconf" not in missing.text

        # A management command run beside it reads the same settings and secret, with no variables.
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG")}
        shown = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-c",
                "from django.conf import settings; print(settings.SECRET_KEY)",
            ],
            cwd=ROOT,
            env={**env, "VAR_DIR": str(tmp_path)},
            capture_output=True,
            text=True,
            check=True,
        )
        assert shown.stdout.strip().splitlines()[-1] == (tmp_path / "secret_key").read_text().strip()
    finally:
        output = stop(process)
    assert process.returncode == 0, output
    assert "redis exited with" in output and "worker exited with" in output and "restarting in" in output
    assert f"Dashboard         : {base}/" in output
    for path in tmp_path.iterdir():  # var/: nothing readable by others
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    assert stat.S_IMODE(tmp_path.stat().st_mode) & 0o077 == 0
