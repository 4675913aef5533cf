from unittest import mock

import pytest
import redis

from callrail.redis import get_redis
from callrail.versioned_cache import VersionedCache

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache():
    key = "{versions}:test:versioned-cache"
    get_redis().delete(key)
    yield VersionedCache(key, ttl_setting="TEST_VERSIONED_CACHE_TTL")
    get_redis().delete(key)


def loader(values):
    calls = []

    def load():
        calls.append(1)
        return values[-1]

    return load, calls


def test_it_loads_once_while_the_version_stands(cache):
    load, calls = loader(["a"])
    assert cache.get_or_load("x", load) == "a"
    assert cache.get_or_load("x", load) == "a"
    assert len(calls) == 1


def test_a_bump_from_anywhere_invalidates(cache):
    values = ["a"]
    load, calls = loader(values)
    cache.get_or_load("x", load)
    values.append("b")
    get_redis().incr(cache.key)
    assert cache.get_or_load("x", load) == "b"
    assert len(calls) == 2


def test_forget_clears_and_bumps_now_and_after_commit(cache, django_capture_on_commit_callbacks):
    load, calls = loader(["a"])
    cache.get_or_load("x", load)
    with django_capture_on_commit_callbacks(execute=True):
        cache.forget()
        assert get_redis().get(cache.key) == b"1"
    assert get_redis().get(cache.key) == b"2"
    cache.get_or_load("x", load)
    assert len(calls) == 2


def test_the_ttl_bounds_an_entry(cache, settings):
    load, calls = loader(["a"])
    settings.TEST_VERSIONED_CACHE_TTL = 0
    cache.get_or_load("x", load)
    cache.get_or_load("x", load)
    assert len(calls) == 2


def test_without_redis_every_read_loads_and_nothing_is_kept(cache):
    values = ["a"]
    load, calls = loader(values)
    with mock.patch("callrail.versioned_cache.get_redis", side_effect=redis.ConnectionError("down")):
        assert cache.get_or_load("x", load) == "a"
        values.append("b")
        assert cache.get_or_load("x", load) == "b"
        cache.forget()  # cannot announce it, and does not fail
    assert len(calls) == 2
    assert cache._entries == {}


@pytest.fixture
def in_request():
    from django.core.signals import request_finished, request_started

    request_started.send(sender=None)
    yield
    request_finished.send(sender=None)


def test_a_request_reads_every_version_in_one_round_trip(cache, in_request):
    other = VersionedCache("{versions}:test:versioned-cache-other", ttl_setting="TEST_VERSIONED_CACHE_TTL")
    client = get_redis()
    with mock.patch.object(client, "mget", wraps=client.mget) as mget, mock.patch.object(client, "get") as get:
        cache.get_or_load("x", lambda: "a")
        other.get_or_load("y", lambda: "b")
        cache.get_or_load("x", lambda: "a")
    assert mget.call_count == 1
    assert {cache.key, other.key} <= set(mget.call_args.args[0])
    get.assert_not_called()


def test_within_a_request_a_change_made_elsewhere_waits_for_the_next_request(cache):
    from django.core.signals import request_finished, request_started

    values = ["a"]
    load, calls = loader(values)
    request_started.send(sender=None)
    cache.get_or_load("x", load)
    values.append("b")
    get_redis().incr(cache.key)
    assert cache.get_or_load("x", load) == "a"
    request_finished.send(sender=None)
    request_started.send(sender=None)
    assert cache.get_or_load("x", load) == "b"
    request_finished.send(sender=None)


def test_a_change_made_in_the_request_is_seen_by_the_rest_of_it(cache, in_request):
    values = ["a"]
    load, calls = loader(values)
    cache.get_or_load("x", load)
    values.append("b")
    cache.forget()
    assert cache.get_or_load("x", load) == "b"
    assert cache.get_or_load("x", load) == "b"
    assert len(calls) == 2
