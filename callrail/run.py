"""Process launcher: the same commands run the embedded default and the production image.

    python -m callrail.run all      # make run: embedded Redis, migrations, demo data, worker, beat, web
    python -m callrail.run web      # migrations, then gunicorn (compose `web`)
    python -m callrail.run worker   # Celery worker (compose `worker`)
    python -m callrail.run beat     # Celery beat (compose `beat`)

``all`` runs until Ctrl-C (or SIGTERM) and stops every process it started; until then it
restarts any of them that exits (with a backoff while it keeps failing).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
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


@dataclass
class Service:
    """One process under the supervisor: how to start it, and its restart state."""

    name: str
    start: Callable[[], subprocess.Popen]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    failures: int = 0
    restart_at: float = 0.0


# A process that ran this long before exiting is restarted at once, not after a backoff.
STABLE_AFTER = 60.0
MAX_BACKOFF = 30.0


def log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} supervisor: {message}", file=sys.stderr, flush=True)


def _start(service: Service) -> None:
    try:
        service.process = service.start()
        service.started_at = time.monotonic()
    except Exception as exc:  # e.g. redis-server refusing to start: retried like a crash
        service.process = None
        _schedule_restart(service, f"did not start ({exc})")


def _schedule_restart(service: Service, why: str) -> None:
    now = time.monotonic()
    if service.started_at and now - service.started_at >= STABLE_AFTER:
        service.failures = 0
    service.failures += 1
    delay = min(MAX_BACKOFF, 2.0 ** (service.failures - 1))
    service.restart_at = now + delay
    log(f"{service.name} {why}; restarting in {delay:g}s (failure {service.failures} in a row)")


def _stop(process: subprocess.Popen, deadline: float) -> None:
    try:
        process.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def supervise(services: list[Service], on_stop: list[Callable[[], None]]) -> int:
    """Run the services until told to stop (Ctrl-C, SIGTERM), restarting any that exits.

    A crashed Redis, worker or beat must not take the web server down with it: calls keep
    being answered from the database meanwhile. Restarts back off (1 s doubling to 30 s)
    while a process keeps failing, and each is logged. On stop, processes end in reverse
    order of start (the web server first, Redis last).
    """
    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        for service in services:
            if service.process is None:
                _start(service)
        while not stopping:
            now = time.monotonic()
            for service in services:
                if stopping:
                    break
                _tend(service, now)
            time.sleep(0.2)
    finally:
        _stop_all(services, on_stop)
    return 0


def _tend(service: Service, now: float) -> None:
    """One look at a service: start it again once its back-off is over, or notice it exited."""
    if service.process is None:
        if now >= service.restart_at:
            log(f"starting {service.name} again")
            _start(service)
    elif service.process.poll() is not None:
        code = service.process.returncode
        uptime = now - service.started_at
        service.process = None
        _schedule_restart(service, f"exited with {code} after {uptime:.0f}s")


def _stop_all(services: list[Service], on_stop: list[Callable[[], None]]) -> None:
    """End the running processes in reverse order of start, then run the ``on_stop`` steps."""
    running = [s.process for s in reversed(services) if s.process is not None and s.process.poll() is None]
    for process in running:
        process.send_signal(signal.SIGTERM)
        _stop(process, time.monotonic() + 15)
    for step in on_stop:
        step()


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
        f"  Operator's admin  : {base}/admin/ (for the platform operator: .venv/bin/python manage.py createsuperuser)",
        f"  Health            : {base}/healthz",
    ]
    for line in demo.get("extra_lines", []):
        lines.append(f"  {line}")
    lines.append("Press Ctrl-C to stop.")
    print("\n".join(lines), flush=True)


def embedded_redis(var: Path) -> Callable[[], subprocess.Popen]:
    """Start the embedded redis-server on var/redis.sock, appending to var/ (so a crash loses
    at most a second of queued tasks and pool state)."""

    def start() -> subprocess.Popen:
        from callrail.embedded import start_redis

        return start_redis(var / "redis.sock", var / "redis.log", persist=True).process

    return start


def command(cmd: list[str]) -> Callable[[], subprocess.Popen]:
    return lambda: subprocess.Popen(cmd, cwd=BASE_DIR)


def run_all() -> int:
    # DEBUG stays off unless asked for (DEBUG=true): errors show a plain page, not a traceback.
    port = os.environ.setdefault("PORT", "8000")
    os.environ.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
    # Whatever this run creates (database, logs, sockets) is readable by this user only.
    os.umask(0o077)
    var = var_dir()
    from callrail.secrets import var_dir_private

    var_dir_private(var)
    services: list[Service] = []
    if not os.environ.get("REDIS_URL"):
        redis_service = Service("redis", embedded_redis(var))
        redis_service.process = redis_service.start()
        redis_service.started_at = time.monotonic()
        os.environ["REDIS_URL"] = f"unix://{var / 'redis.sock'}"
        services.append(redis_service)
    try:
        manage("migrate", "--noinput", "-v", "0")
        demo = json.loads(manage("seed_demo", "--json", capture=True).strip().splitlines()[-1])
        print_banner(demo)
    except BaseException:
        for service in services:
            if service.process is not None:
                service.process.terminate()
                _stop(service.process, time.monotonic() + 15)
        raise
    services += [
        Service("worker", command(worker_command())),
        Service("beat", command(beat_command())),
        Service("web", command(gunicorn_command())),
    ]
    return supervise(services, on_stop=[])


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
