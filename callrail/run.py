"""Process launcher: the same commands run the embedded default and the production image.

    python -m callrail.run all      # make run: embedded Redis, migrations, demo data, worker, beat, web
    python -m callrail.run web      # migrations, then gunicorn (compose `web`)
    python -m callrail.run worker   # Celery worker (compose `worker`)
    python -m callrail.run beat     # Celery beat (compose `beat`)

``all`` runs until Ctrl-C (or SIGTERM) and stops every process it started.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def var_dir() -> Path:
    path = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def manage(*args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [PYTHON, str(BASE_DIR / "manage.py"), *args],
        check=True,
        cwd=BASE_DIR,
        stdout=subprocess.PIPE if capture else None,
        text=True,
    )
    return result.stdout if capture else ""


@dataclass(frozen=True)
class WebShape:
    """The web server's workers as configured (``GUNICORN_WORKER_CLASS``, ``WEB_CONCURRENCY``,
    ``GUNICORN_THREADS``)."""

    worker_class: str
    workers: int
    threads: int

    @classmethod
    def configured(cls) -> WebShape:
        return cls(
            worker_class=os.environ.get("GUNICORN_WORKER_CLASS", "gthread"),
            workers=int(os.environ.get("WEB_CONCURRENCY", "2")),
            threads=int(os.environ.get("GUNICORN_THREADS", "4")),
        )

    def __str__(self) -> str:
        return f"gunicorn {self.worker_class} {self.workers}x{self.threads}"


def gunicorn_command() -> list[str]:
    # Threaded WSGI workers: Django under ASGI measured ~4x slower on this class of machine.
    shape = WebShape.configured()
    return [
        PYTHON,
        "-m",
        "gunicorn",
        "callrail.wsgi:application",
        "--bind",
        os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}"),
        "--workers",
        str(shape.workers),
        "--worker-class",
        shape.worker_class,
        "--threads",
        str(shape.threads),
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "10",
    ]


def worker_command() -> list[str]:
    return [
        PYTHON,
        "-m",
        "celery",
        "-A",
        "callrail",
        "worker",
        "--loglevel",
        os.environ.get("LOG_LEVEL", "INFO"),
        "--concurrency",
        os.environ.get("CELERY_CONCURRENCY", "2"),
    ]


def beat_command() -> list[str]:
    return [
        PYTHON,
        "-m",
        "celery",
        "-A",
        "callrail",
        "beat",
        "--loglevel",
        os.environ.get("LOG_LEVEL", "INFO"),
        "--schedule",
        str(var_dir() / "celerybeat-schedule"),
    ]


def supervise(commands: dict[str, list[str]], on_stop: list) -> int:
    """Run the commands until one exits or we are told to stop; then stop them all."""
    processes = {name: subprocess.Popen(cmd, cwd=BASE_DIR) for name, cmd in commands.items()}
    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    exit_code = 0
    try:
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    print(f"{name} exited with {process.returncode}; stopping.", file=sys.stderr)
                    exit_code = process.returncode or 1
                    stopping = True
                    break
            time.sleep(0.2)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for step in on_stop:
            step()
    return exit_code


def print_banner(demo: dict) -> None:
    base = os.environ.get("PUBLIC_BASE_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}")
    lines = [
        "",
        "Call tracking is running.",
        f"  Dashboard         : {base}/",
        f"  Login             : {demo['email']}",
        f"  Password          : {demo['password']}",
        f"  Account id        : {demo['account_id']}",
        f"  API key           : {demo['api_key']}",
        f"  Try the API       : curl -H 'Authorization: Token token=\"{demo['api_key']}\"' {base}/v3/a.json",
        f"  API docs          : {base}/v3/docs",
        f"  Health            : {base}/healthz",
    ]
    for line in demo.get("extra_lines", []):
        lines.append(f"  {line}")
    lines.append("Press Ctrl-C to stop.")
    print("\n".join(lines), flush=True)


def run_all() -> int:
    os.environ.setdefault("DEBUG", "true")
    port = os.environ.setdefault("PORT", "8000")
    os.environ.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
    var = var_dir()
    on_stop = []
    if not os.environ.get("REDIS_URL"):
        from callrail.embedded import start_redis

        redis_server = start_redis(var / "redis.sock", var / "redis.log")
        os.environ["REDIS_URL"] = redis_server.url
        on_stop.append(redis_server.stop)
    try:
        manage("migrate", "--noinput", "-v", "0")
        demo = json.loads(manage("seed_demo", "--json", capture=True).strip().splitlines()[-1])
        print_banner(demo)
    except BaseException:
        for step in on_stop:
            step()
        raise
    return supervise({"worker": worker_command(), "beat": beat_command(), "web": gunicorn_command()}, on_stop)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=("all", "web", "worker", "beat"))
    mode = parser.parse_args().mode
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "callrail.settings")
    if mode == "all":
        return run_all()
    if mode == "web":
        os.environ.setdefault("BIND", "0.0.0.0:8000")
        manage("migrate", "--noinput")
        os.execv(PYTHON, gunicorn_command())
    if mode == "worker":
        os.execv(PYTHON, worker_command())
    os.execv(PYTHON, beat_command())
    return 0


if __name__ == "__main__":
    sys.exit(main())
