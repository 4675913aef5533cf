"""End to end: the embedded default starts as `make run` starts it (SQLite, its
own redis-server, a Celery worker and beat, gunicorn), serves, and stops cleanly."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from callrail.embedded import free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def start(var_dir: Path, port: int) -> subprocess.Popen:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG", "PUBLIC_BASE_URL")
    }
    env.update(VAR_DIR=str(var_dir), PORT=str(port), WEB_CONCURRENCY="1", CELERY_CONCURRENCY="1")
    return subprocess.Popen(
        [sys.executable, "-m", "callrail.run", "all"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def wait_healthy(base: str, process: subprocess.Popen, timeout: float = 120) -> requests.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()
        try:
            response = requests.get(f"{base}/healthz", timeout=10)
            if response.status_code == 200:
                return response
        except requests.RequestException:  # not listening yet, or busy starting
            pass
        time.sleep(0.5)
    raise AssertionError("the embedded server did not become healthy")


def stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGINT)
    try:
        output, _ = process.communicate(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise
    return output


def children_alive(var_dir: Path) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if str(var_dir) in line and "ps -eo" not in line]


def test_make_run_serves_health_and_the_api_then_stops_everything(tmp_path):
    for attempt in range(2):  # running it twice must work (existing database, credentials)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        process = start(tmp_path, port)
        try:
            assert wait_healthy(base, process).json() == {"database": "ok", "redis": "ok"}
            demo = json.loads((tmp_path / "demo.json").read_text())
            response = requests.get(
                f"{base}/v3/a.json", headers={"Authorization": f'Token token="{demo["api_key"]}"'}, timeout=5
            )
            assert response.status_code == 200
            assert response.json()["accounts"][0]["id"] == demo["account_id"]
        finally:
            output = stop(process)
        assert process.returncode == 0, output
        assert demo["api_key"] in output and demo["password"] in output and demo["account_id"] in output
        assert re.search(r"Login\s+:\s+demo@example.com", output)
        assert not children_alive(tmp_path), f"attempt {attempt}: processes left behind"
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{base}/healthz", timeout=2)
