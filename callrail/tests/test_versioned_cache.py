from unittest import mock

import pytest
import redis

from callrail.redis import get_redis
from callrail.versioned_cache import VersionedCache

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache():
    key = "test:versioned-cache:version"
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
