"""A hung (SIGSTOP) or killed (SIGKILL) Redis costs a request at most REDIS_TIMEOUT, once per
process and REDIS_RETRY_AFTER; then commands fail at once until Redis is back."""

import os
import signal
import time
from collections.abc import Callable

import pytest
import redis

from callrail import redis as callrail_redis
from callrail.embedded import start_redis

pytestmark = pytest.mark.slow


@pytest.fixture
def own_redis(tmp_path, settings):
    server = start_redis(tmp_path / "r.sock")
    settings.REDIS_URL = server.url
    settings.REDIS_TIMEOUT = 0.3
    settings.REDIS_RETRY_AFTER = 1.0
    callrail_redis.breaker.reset()
    yield server
    if server.process.poll() is None:
        os.kill(server.process.pid, signal.SIGCONT)
    server.stop()
    callrail_redis.breaker.reset()


def timed(call: Callable[[], object]) -> tuple[float, BaseException | None]:
    started = time.monotonic()
    try:
        call()
    except redis.RedisError as exc:
        return time.monotonic() - started, exc
    return time.monotonic() - started, None


def test_a_hung_redis_costs_one_timeout_then_fails_fast_until_it_answers_again(own_redis):
    client = callrail_redis.get_redis()
    assert client.incr("k") == 1
    os.kill(own_redis.process.pid, signal.SIGSTOP)

    first, error = timed(lambda: callrail_redis.get_redis().incr("k"))
    assert isinstance(error, redis.TimeoutError) and first < 0.6
    second, error = timed(lambda: callrail_redis.get_redis().incr("k"))
    assert isinstance(error, callrail_redis.RedisUnavailable) and second < 0.01
    _, error = timed(lambda: callrail_redis.get_redis().pipeline().incr("k").execute())  # type: ignore[attr-defined]  # redis-py types a pipeline command as its reply
    assert isinstance(error, redis.ConnectionError)

    os.kill(own_redis.process.pid, signal.SIGCONT)
    time.sleep(1.1)
    assert callrail_redis.get_redis().get("k") is not None


def test_a_killed_redis_is_refused_at_once_and_a_restarted_one_is_used_again(own_redis, tmp_path):
    callrail_redis.get_redis().set("k", "1")
    own_redis.process.kill()
    own_redis.process.wait()
    took, error = timed(lambda: callrail_redis.get_redis().get("k"))
    assert isinstance(error, redis.ConnectionError) and took < 0.3
    restarted = start_redis(tmp_path / "r.sock")
    try:
        time.sleep(1.1)
        assert callrail_redis.get_redis().get("k") is None  # a new, empty server
    finally:
        restarted.stop()


def test_the_healthz_page_answers_within_the_timeout_while_redis_hangs(own_redis, client, db):
    os.kill(own_redis.process.pid, signal.SIGSTOP)
    started = time.monotonic()
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["redis"].startswith("error")
    assert time.monotonic() - started < 1.0
