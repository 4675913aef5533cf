"""What every benchmark shares: Django set-up on PostgreSQL, a gunicorn started as
``make run`` and compose start it, a low-overhead HTTP load generator, percentiles."""

from __future__ import annotations

import asyncio
import http.client
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from callrail.embedded import free_port

__all__ = [
    "Result",
    "django_setup",
    "fire",
    "free_port",
    "measure",
    "percentile",
    "raw_request",
    "start_gunicorn",
    "stop",
]

_CONTENT_LENGTH = re.compile(rb"content-length: *(\d+)", re.I)


def django_setup(name: str) -> None:
    """Configure Django on the benchmark's PostgreSQL database and migrate it."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "callrail.settings")
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit(f"bench {name} needs PostgreSQL: run it as `python -m callrail.testenv python -m bench {name}`")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def start_gunicorn(port: int, env: dict[str, str] | None = None) -> subprocess.Popen:
    """gunicorn with the launcher's own command line (gthread, 2 workers x 4 threads by default),
    production settings, and the minimal baseline view switched on."""
    from callrail.run import gunicorn_command

    server_env = dict(os.environ)
    server_env.update(
        DEBUG="false",
        SECRET_KEY=os.environ.get("SECRET_KEY") or "bench-secret-key",
        ALLOWED_HOSTS="127.0.0.1",
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        DNI_BENCH_BASELINE="true",
        LOG_LEVEL="WARNING",
        BIND=f"127.0.0.1:{port}",
    )
    server_env.update(env or {})
    previous_bind = os.environ.get("BIND")
    os.environ["BIND"] = server_env["BIND"]  # gunicorn_command() reads it
    try:
        command = [arg for arg in gunicorn_command() if arg not in ("--access-logfile", "-")]
    finally:
        if previous_bind is None:
            os.environ.pop("BIND", None)
        else:
            os.environ["BIND"] = previous_bind
    command += ["--keep-alive", "30", "--log-level", "warning"]
    process = subprocess.Popen(command, env=server_env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    stop(process)
    raise SystemExit("gunicorn did not start")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def raw_request(method: str, path: str, port: int, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    """An HTTP/1.1 keep-alive request as bytes, for ``fire``."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items() if name.lower() != "host"]
    if body or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class Result:
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # ms

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        return percentile(self.latencies, p)


async def _connection(
    port: int, make: Callable[[], bytes], ok: Callable[[bytes], bool], stop_at: float, result: Result
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < stop_at:
            request = make()
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = _CONTENT_LENGTH.search(head)
            body = await reader.readexactly(int(length.group(1))) if length else b""
            result.latencies.append((time.perf_counter() - started) * 1000)
            if head[9:12] != b"200" or not ok(body):
                result.errors += 1
    finally:
        writer.close()


def fire(port: int, make: Callable[[], bytes], ok: Callable[[bytes], bool], seconds: float, connections: int) -> Result:
    """``connections`` keep-alive connections, each sending ``make()`` requests back to back for ``seconds``.

    One asyncio client with pre-built requests: it costs far less CPU per request
    than the server, which shares this machine's cores with it. A response counts
    as an error unless it is a 200 whose body passes ``ok``.
    """
    result = Result()

    async def run() -> None:
        stop_at = time.perf_counter() + seconds
        await asyncio.gather(*(_connection(port, make, ok, stop_at, result) for _ in range(connections)))

    started = time.perf_counter()
    asyncio.run(run())
    result.seconds = time.perf_counter() - started
    result.requests = len(result.latencies)
    return result


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def measure(fn: Callable[[], Any], iterations: int) -> tuple[float, float]:
    """Call ``fn`` ``iterations`` times in process; (median, p99) in milliseconds."""
    fn()  # warm caches and query plans
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), percentile(samples, 99)
