"""Redis clients from REDIS_URL (read at first use): one connection pool per process, and a
client per thread holding one connection of that pool.

Redis sits on request paths (the DNI endpoints, the voice webhook's attribution, rate
limits), so every client waits at most ``REDIS_TIMEOUT`` for a connection or a reply.
A Redis that hangs (a stopped process, a full network buffer) would otherwise hold a web
thread for as long as it hangs, and a handful of such requests would take every thread
the voice webhook needs. After a timeout or a refused connection the process stops
trying for ``REDIS_RETRY_AFTER`` seconds (``RedisUnavailable`` at once), so a dead Redis
costs one timeout per process and period, not one per command.

With ``REDIS_CLUSTER_NODES`` set (``host:port`` of some masters of a Redis Cluster) the
client is a ``redis.cluster.RedisCluster`` instead, one per process (it is thread-safe and
keeps a connection pool per node), with the same timeouts and one breaker for the whole
cluster. Keys that one script or transaction touches share a hash tag (``{...}``), so they
live in one slot; Celery and Django's cache stay on ``REDIS_URL``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from functools import cache
from typing import Any, cast
from urllib.parse import urlsplit

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.exceptions import RedisClusterException
from redis.retry import Retry

logger = logging.getLogger(__name__)


class RedisUnavailable(redis.ConnectionError):
    """Raised without a round trip while Redis is considered down (a ``redis.ConnectionError``,
    so callers that handle an unreachable Redis handle this too)."""


def server_key(url: str) -> str:
    """The server a Redis or broker URL points at: ``REDIS_URL`` and the broker URL often name
    the same server in different schemes (``unix://`` and ``redis+socket://``), and a server
    that hangs for one hangs for the other, so they share one breaker."""
    parsed = urlsplit(url)
    if parsed.scheme in ("unix", "redis+socket"):
        return f"unix:{parsed.path}"
    if parsed.scheme in ("redis", "rediss"):
        return f"{parsed.scheme}:{parsed.hostname}:{parsed.port or 6379}"
    # A cluster ("cluster:host:port,host:port") is one server to the breaker: its keys are
    # spread over every master, so one master down fails a share of every kind of request.
    return url


class Breaker:
    """Process-wide memory that one Redis server failed recently."""

    def __init__(self) -> None:
        self._open_until: dict[str, float] = {}

    def check(self, url: str) -> None:
        until = self._open_until.get(server_key(url))
        if until is not None and time.monotonic() < until:
            raise RedisUnavailable(f"Redis failed less than {settings.REDIS_RETRY_AFTER:g}s ago; not retried yet.")

    def trip(self, url: str, exc: BaseException) -> None:
        url = server_key(url)
        if url not in self._open_until or time.monotonic() >= self._open_until[url]:
            logger.warning(
                "Redis unavailable (%s); retrying in %gs", exc.__class__.__name__, settings.REDIS_RETRY_AFTER
            )
        self._open_until[url] = time.monotonic() + settings.REDIS_RETRY_AFTER

    def reset(self, url: str | None = None) -> None:
        if url is None:
            self._open_until.clear()
        else:
            self._open_until.pop(server_key(url), None)

    def is_open(self, url: str) -> bool:
        until = self._open_until.get(server_key(url))
        return until is not None and time.monotonic() < until


breaker = Breaker()
_FAILURES = (redis.ConnectionError, redis.TimeoutError)


class GuardedRedis(redis.Redis):
    """A client that fails fast while its server is known to be down (see the module docstring)."""

    def __init__(self, *args: Any, url: str, **kwargs: Any) -> None:
        self.url = url
        breaker.check(url)
        try:
            # A single-connection client connects here.
            super().__init__(*args, **kwargs)
        except _FAILURES as exc:
            if not isinstance(exc, RedisUnavailable):
                breaker.trip(url, exc)
            raise

    def execute_command(self, *args: Any, **options: Any) -> Any:
        breaker.check(self.url)
        try:
            return super().execute_command(*args, **options)
        except _FAILURES as exc:
            breaker.trip(self.url, exc)
            raise

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> redis.client.Pipeline:
        breaker.check(self.url)
        return super().pipeline(transaction=transaction, shard_hint=shard_hint)


@cache
def _pool(url: str, timeout: float, connect_timeout: float) -> redis.ConnectionPool:
    # No retries on timeouts: the caller has a fallback and cannot wait for a second try.
    return redis.ConnectionPool.from_url(
        url, socket_timeout=timeout, socket_connect_timeout=connect_timeout, health_check_interval=30
    )


class GuardedRedisCluster(RedisCluster):
    """A cluster client behind the same breaker as ``GuardedRedis``, keyed on the whole cluster.

    Redirects (MOVED after a slot moved, ASK and TRYAGAIN while it moves) are followed by
    redis-py itself and are not failures; a connection error or timeout is, and it is not
    retried against another node here (``retry`` of none): the caller has a fallback.
    """

    def __init__(self, nodes: list[tuple[str, int]], *, url: str, timeout: float, connect_timeout: float) -> None:
        self.url = url
        breaker.check(url)
        try:
            # Connects to read the slot map (CLUSTER SLOTS).
            super().__init__(
                startup_nodes=[ClusterNode(host, port) for host, port in nodes],
                socket_timeout=timeout,
                socket_connect_timeout=connect_timeout,
                health_check_interval=30,
                retry=Retry(NoBackoff(), 0),
            )
        except _FAILURES as exc:
            if not isinstance(exc, RedisUnavailable):
                breaker.trip(url, exc)
            raise
        except RedisClusterException as exc:
            # No node reachable, or the slot map not readable.
            breaker.trip(url, exc)
            raise redis.ConnectionError(str(exc)) from exc
        self._refreshing = threading.Lock()
        self._refresh_now = self.nodes_manager.initialize
        self.nodes_manager.initialize = self._refresh  # type: ignore[method-assign]

    def _refresh(self, *args: Any, last_failed_node_name: str | None = None, **kwargs: Any) -> None:
        """Re-read the slot map; in the background after a node failed.

        redis-py re-reads the map from the masters one after another before it raises a
        node's connection error or timeout, which costs a timeout per master when they all
        hang (2 s for three, measured). The map still has to be refreshed (a replica may have
        taken over), but the caller need not wait: the breaker fails the next commands at once
        meanwhile.
        """
        if last_failed_node_name is None:
            self._refresh_now(*args, **kwargs)
            return
        if not self._refreshing.acquire(blocking=False):
            return  # one refresh at a time

        kwargs["last_failed_node_name"] = last_failed_node_name

        def run() -> None:
            try:
                self._refresh_now(*args, **kwargs)
            except (redis.RedisError, RedisClusterException) as exc:
                logger.warning("Redis Cluster slot map not refreshed (%s)", exc.__class__.__name__)
            finally:
                self._refreshing.release()

        threading.Thread(target=run, name="redis-cluster-refresh", daemon=True).start()

    def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        breaker.check(self.url)
        try:
            return super().execute_command(*args, **kwargs)
        except _FAILURES as exc:
            breaker.trip(self.url, exc)
            raise
        except RedisClusterException as exc:
            # Not a redis.RedisError: callers, which fall back on redis.RedisError, would not
            # see it (a slot no master serves, nodes that cannot be reached to refresh the map).
            breaker.trip(self.url, exc)
            raise redis.ConnectionError(str(exc)) from exc

    def pipeline(self, transaction: Any = None, shard_hint: Any = None) -> Any:
        breaker.check(self.url)
        return super().pipeline(transaction=transaction, shard_hint=shard_hint)


def cluster_nodes(value: str | list[str]) -> list[tuple[str, int]]:
    """``host:port`` entries (a list, or one comma-separated string) as (host, port) pairs."""
    entries = value.split(",") if isinstance(value, str) else value
    nodes = []
    for entry in (item.strip() for item in entries):
        if not entry:
            continue
        host, _, port = entry.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"REDIS_CLUSTER_NODES entries are host:port, not {entry!r}")
        nodes.append((host.strip("[]"), int(port)))
    return nodes


_clusters: dict[tuple[int, str], GuardedRedisCluster] = {}
_clusters_lock = threading.Lock()


def _cluster_client(nodes: list[tuple[str, int]]) -> GuardedRedisCluster:
    url = "cluster:" + ",".join(f"{host}:{port}" for host, port in nodes)
    key = (os.getpid(), url)
    client = _clusters.get(key)
    if client is None:
        with _clusters_lock:
            client = _clusters.get(key)
            if client is None:
                client = GuardedRedisCluster(
                    nodes, url=url, timeout=settings.REDIS_TIMEOUT, connect_timeout=settings.REDIS_CONNECT_TIMEOUT
                )
                _clusters[key] = client
    return client


_local = threading.local()


def get_redis() -> redis.Redis:
    """This thread's client, with a connection of its own from the process's pool.

    Borrowing a pooled connection for each command costs more CPU than a short
    command's round trip (redis-py checks the borrow's arguments every time), so
    each thread keeps one. The client is still safe to share: a lock guards its
    connection. Rebuilt in a forked child, which must not use its parent's socket.
    Raises ``redis.ConnectionError`` (``RedisUnavailable``) when Redis is down.

    With ``REDIS_CLUSTER_NODES`` set: the process's cluster client (see the module docstring).
    """
    nodes = cluster_nodes(getattr(settings, "REDIS_CLUSTER_NODES", None) or [])
    if nodes:
        # RedisCluster offers the same commands, scripts and (non-transactional) pipelines as
        # redis.Redis for keys of one slot; callers are typed against the single-node client.
        return cast("redis.Redis", _cluster_client(nodes))
    url = settings.REDIS_URL
    client = getattr(_local, "client", None)
    if client is None or _local.key != (os.getpid(), url):
        pool = _pool(url, settings.REDIS_TIMEOUT, settings.REDIS_CONNECT_TIMEOUT)
        client = GuardedRedis(connection_pool=pool, single_connection_client=True, url=url)
        _local.client, _local.key = client, (os.getpid(), url)
    return client
