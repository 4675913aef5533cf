"""Per-process caches of rarely changing rows, invalidated everywhere through Redis.

Each cache keeps its entries in a dict of this process, next to a version counter
kept in Redis under its own key. Saving or deleting a row the cache depends on
calls ``forget`` (connected to the models' ``post_save``/``post_delete``): the
process clears its dict and bumps the version, once at once and again after
commit (another process may have cached the old row in between), so every other
process drops its stale entries on its next read. ``ttl`` bounds what a change
made without a signal (``QuerySet.update``, a raw write) can leave behind.

When Redis is down the version is unknown: reads miss and go to the database,
and nothing is cached until Redis answers again.

Within a request the versions of all caches are read together, in one round trip,
the first time any of them is needed, and stand for the rest of the request (as
if the request had run a moment earlier). Outside requests every read asks Redis.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

import redis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import transaction

from callrail.redis import get_redis

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Every version key carries this hash tag, so the keys share one slot of a Redis Cluster and
# one MGET reads them all there too.
VERSION_KEY_TAG = "{versions}"

# The version key of every cache, so that one MGET reads them all.
_keys: dict[str, None] = {}
# This thread's request: the versions read so far (None outside a request).
_request = threading.local()


def _request_start(**kwargs: Any) -> None:
    _request.versions = {}


def _request_end(**kwargs: Any) -> None:
    _request.versions = None


request_started.connect(_request_start, dispatch_uid="versioned_cache.request_started")
request_finished.connect(_request_end, dispatch_uid="versioned_cache.request_finished")


def _versions_read(keys: list[str]) -> dict[str, bytes | None]:
    try:
        # The client does not decode responses: versions are bytes.
        values = cast("list[bytes | None]", get_redis().mget(keys))
    except redis.RedisError:
        return dict.fromkeys(keys)
    return {key: value or b"0" for key, value in zip(keys, values, strict=True)}


class VersionedCache:
    def __init__(self, key: str, *, ttl_setting: str, default_ttl: float = 300, max_entries: int = 50_000) -> None:
        if not key.startswith(VERSION_KEY_TAG + ":"):
            raise ValueError(f"a version key starts with {VERSION_KEY_TAG}: (one slot for the MGET), not {key!r}")
        self.key = key
        self.ttl_setting = ttl_setting
        self.default_ttl = default_ttl
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[Any, bytes, float]] = {}
        _keys[key] = None

    def ttl(self) -> float:
        return getattr(settings, self.ttl_setting, self.default_ttl)

    def version(self) -> bytes | None:
        """The current version, or None when Redis cannot tell (nothing may be trusted)."""
        versions = getattr(_request, "versions", None)
        if versions is None:
            return _versions_read([self.key])[self.key]
        if self.key not in versions:
            versions.update(_versions_read(list(_keys)))
        return versions[self.key]

    def get_or_load(self, name: Hashable, load: Callable[[], T]) -> T:
        """The cached value of ``name`` if it is still current, else ``load()`` (then cached)."""
        ttl = self.ttl()
        now = time.monotonic()
        version = self.version()
        cached = self._entries.get(name)
        if version is not None and cached is not None and cached[1] == version and now - cached[2] < ttl:
            return cached[0]
        value = load()
        if ttl > 0 and version is not None:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[name] = (value, version, now)
        return value

    def clear(self) -> None:
        """Drop this process's entries only."""
        self._entries.clear()

    def bump(self) -> None:
        try:
            get_redis().incr(self.key)
        except redis.RedisError:
            logger.warning("could not announce a change (%s); other processes see it within the cache TTL", self.key)

    def forget(self, **kwargs: Any) -> None:
        """Something the cache depends on changed (usable as a model signal receiver)."""
        self._entries.clear()
        self.bump()
        versions = getattr(_request, "versions", None)
        if versions:
            versions.pop(self.key, None)  # the rest of this request reads the new version
        # Again once the change is committed: another process may have cached the old row meanwhile.
        transaction.on_commit(self.bump)
