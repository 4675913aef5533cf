"""What every benchmark shares: Django set-up on PostgreSQL, a gunicorn started as
``make run`` and compose start it, HTTP load from wrk (a C load generator that costs the
shared cores little; ``bin/system-deps bench`` installs it), percentiles.

A benchmark module is imported before ``django_setup()`` runs, so it imports models (and
modules that load them) inside its functions."""

from __future__ import annotations

import http.client
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from callrail.embedded import free_port
from callrail.run import WebShape, gunicorn_command

__all__ = [
    "Result",
    "django_setup",
    "fire",
    "fire_baseline",
    "free_port",
    "gunicorn_shape",
    "measure",
    "percentile",
    "raw_request",
    "start_gunicorn",
    "stop",
]


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


def gunicorn_shape() -> str:
    """The server ``start_gunicorn`` runs, for reports: ``gunicorn gthread 2x4``."""
    return str(WebShape.configured())


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
    prepared: int = 0  # requests built for the run
    sent: list[int] = field(default_factory=list)  # which of them wrk sent, in the order make() built them

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        return percentile(self.latencies, p)

    def add(self, other: Result) -> None:
        """Count ``other``'s requests, errors, time and latencies in this total."""
        self.requests += other.requests
        self.errors += other.errors
        self.seconds += other.seconds
        self.latencies += other.latencies


# Each wrk thread reads the requests file in init() and keeps every THREADS-th request from its
# own offset, so no request goes out twice; done() (main Lua state) writes the totals, each
# thread's counters and the latency histogram for Python to read back.
_WRK_SCRIPT = """\
local requests_path, out_path, needle = %(requests)s, %(out)s, %(needle)s
local threads_total, repeat_requests = %(threads)d, %(repeat)s

local threads, started = {}, 0

function setup(thread)
    started = started + 1
    thread:set("id", started)
    threads[started] = thread
end

function init(args)
    queue, next_index, sent, bad, ran_out = {}, 1, 0, 0, 0
    local file = assert(io.open(requests_path, "rb"))
    local i = 0
    while true do
        local size = file:read("*l")
        if not size then break end
        size = tonumber(size)
        if i %% threads_total == id - 1 then
            queue[#queue + 1] = file:read(size)
        else
            file:seek("cur", size)
        end
        i = i + 1
    end
    file:close()
    -- wrk calls request() once on the first thread to check the request before the run.
    checking = id == 1
    if id == threads_total then
        io.stderr:write("ready\\n")
        io.stderr:flush()
    end
end

function request()
    if checking then
        checking = false
        return queue[1]
    end
    if next_index > #queue then
        if not repeat_requests then
            ran_out = 1
            wrk.thread:stop()
            return ""
        end
        next_index = 1
    end
    local r = queue[next_index]
    next_index = next_index + 1
    sent = sent + 1
    return r
end

function response(status, headers, body)
    if status ~= 200 or not string.find(body, needle, 1, true) then
        bad = bad + 1
    end
end

function done(summary, latency, requests)
    local out = assert(io.open(out_path, "w"))
    local e = summary.errors
    out:write(string.format("summary %%d %%d %%d %%d %%d %%d\\n",
        summary.duration, summary.requests, e.connect, e.read, e.write, e.timeout))
    for _, thread in ipairs(threads) do
        out:write(string.format("thread %%d %%d %%d %%d\\n",
            thread:get("id"), thread:get("sent"), thread:get("bad"), thread:get("ran_out")))
    end
    for i = 1, #latency do
        local value, count = latency(i)
        out:write(string.format("%%d %%d\\n", value, count))
    end
    out:close()
end
"""


def _lua_string(value: bytes | str) -> str:
    data = value.encode() if isinstance(value, str) else value
    return '"' + "".join(f"\\{byte}" for byte in data) + '"'


def _uncorrected(histogram: dict[int, int], duration_us: int, requests: int, connections: int) -> dict[int, int]:
    """The latency histogram as measured, without the samples wrk adds before ``done()``.

    wrk "corrects" for coordinated omission: with ``e = duration / (requests // connections)``
    each recorded latency ``n >= 2e`` also counts at ``n - e``, ``n - 2e``, ... while above ``e``.
    So for ``m > e`` the histogram holds the sum of the true counts at ``m, m + e, m + 2e, ...``,
    and the true count at ``m`` is ``h[m] - h[m + e]``.
    """
    per_connection = requests // connections
    if not per_connection:
        return histogram
    interval = duration_us // per_connection
    measured = {
        value: count - histogram.get(value + interval, 0) if value > interval else count
        for value, count in histogram.items()
    }
    return {value: count for value, count in measured.items() if count > 0}


def fire(
    port: int,
    make: Callable[[], bytes],
    ok: bytes,
    seconds: float,
    connections: int,
    *,
    rate: float = 5000,
    repeat: bool = False,
) -> Result:
    """wrk on ``connections`` keep-alive connections for ``seconds``, sending ``make()``'s requests.

    ``make()`` returns a whole HTTP/1.1 request (``raw_request``); wrk sends the bytes as they
    are. Requests are built before the run, enough for ``rate`` requests/s (a generous upper
    bound), and none is sent twice unless ``repeat``: then a wrk thread that has sent its share
    starts over. A response counts as an error unless it is a 200 whose body contains ``ok``;
    socket errors and responses slower than 10 s count too. Latencies are wrk's per-request
    measurements, without the synthetic samples its own report adds.
    """
    wrk = shutil.which("wrk")
    if not wrk:
        raise SystemExit("wrk is not installed: run `bin/system-deps bench` (as root to install it)")
    threads = 2 if connections >= 2 and connections % 2 == 0 else 1
    count = max(math.ceil(rate * seconds), 4 * connections)
    if repeat:
        count = min(count, 10_000)
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        requests_path, out_path, script_path = (Path(tmp) / name for name in ("requests", "out", "script.lua"))
        with requests_path.open("wb") as file:
            for _ in range(count):
                request = make()
                file.write(b"%d\n" % len(request))
                file.write(request)
        script_path.write_text(
            _WRK_SCRIPT
            % {
                "requests": _lua_string(str(requests_path)),
                "out": _lua_string(str(out_path)),
                "needle": _lua_string(ok),
                "threads": threads,
                "repeat": "true" if repeat else "false",
            }
        )
        command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{math.ceil(seconds) + 5}s", "--timeout", "10s"]
        command += ["-s", str(script_path), f"http://127.0.0.1:{port}/"]
        lines = _wrk_run(command, seconds, out_path)
    return _wrk_result(lines, seconds=seconds, count=count, threads=threads, connections=connections)


def _wrk_run(command: list[str], seconds: float, out_path: Path) -> list[str]:
    """Run wrk for ``seconds`` and return the lines its ``done()`` wrote."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stderr is not None  # stderr=PIPE
    try:
        # wrk only takes whole seconds: it is stopped with SIGINT, which it handles as the end
        # of the run (its report and done() follow), ``seconds`` after its last thread is ready.
        first = process.stderr.readline()
        if first.strip() == b"ready":
            time.sleep(seconds)
            process.send_signal(signal.SIGINT)
            first = b""
        stdout, stderr = process.communicate(timeout=seconds + 60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    if process.returncode or not out_path.exists():
        output = (first + stderr + stdout).decode(errors="replace")
        raise RuntimeError(f"wrk failed ({process.returncode}): {output}")
    return out_path.read_text().splitlines()


def _wrk_result(lines: list[str], *, seconds: float, count: int, threads: int, connections: int) -> Result:
    """The totals, per-thread counters and latency histogram ``done()`` wrote, as a Result."""
    duration_us, requests, *socket_errors = (int(x) for x in lines[0].split()[1:])
    result = Result(requests=requests, seconds=duration_us / 1e6, prepared=count, errors=sum(socket_errors))
    ran_out = False
    for line in lines[1:]:
        if not line.startswith("thread "):
            break
        thread_id, sent, bad, thread_ran_out = (int(x) for x in line.split()[1:])
        result.errors += bad
        ran_out = ran_out or bool(thread_ran_out)
        result.sent += range(thread_id - 1, count, threads)[:sent]
    result.sent.sort()
    histogram = {int(v): int(c) for v, c in (line.split() for line in lines[1 + threads :])}
    for value, n in sorted(_uncorrected(histogram, duration_us, requests, connections).items()):
        result.latencies += [value / 1000] * n
    if len(result.latencies) + socket_errors[-1] != requests:  # every response but those past --timeout
        print(f"warning: wrk's histogram holds {len(result.latencies):,} of {requests:,} responses", file=sys.stderr)
    if abs(result.seconds - seconds) > 1:
        print(f"warning: wrk ran {result.seconds:.1f} s instead of {seconds:g} s", file=sys.stderr)
    if ran_out:
        print(
            f"warning: wrk sent all {count:,} prepared requests before {seconds:g} s were up"
            f" ({requests / result.seconds:,.0f} req/s): raise `rate`",
            file=sys.stderr,
            flush=True,
        )
    return result


def fire_baseline(port: int, seconds: float, connections: int, *, rate: float) -> Result:
    """``fire`` at the minimal view (``/dni/_baseline``: Django and one Redis round trip) that the
    web benchmarks measure against in the same run; the same request over and over."""
    request = raw_request("GET", "/dni/_baseline", port)
    return fire(port, lambda: request, b'"n"', seconds, connections, rate=rate, repeat=True)


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


def dashboard_clients(count: int) -> tuple[Any, Any, Any]:
    """``count`` calls loaded (as the API benchmark loads them), an admin of their account, and
    two clients of that admin: the API's (a key) and a browser's (signed in).
    Returns (account, api client, browser client). Call after ``django_setup``."""
    from django.conf import settings
    from django.test import Client
    from rest_framework.test import APIClient

    from accounts.models import User
    from accounts.services import api_key_create
    from bench.bench_api import _load

    settings.API_RATE_LIMITS = {"general": (10**9, 10**9)}
    settings.ALLOWED_HOSTS = ["*"]
    account, _ = _load(count)
    user = User.objects.create_user(email="bench@example.com", account=account, role=User.Role.ADMIN)
    _, key = api_key_create(user=user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f'Token token="{key}"')
    browser = Client()
    browser.force_login(user)
    return account, api, browser
