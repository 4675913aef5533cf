"""Fixtures that put the app on a real three-master Redis Cluster (``start_redis_cluster``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from pytest_django import Settings

from callrail import redis as callrail_redis
from callrail.embedded import RedisClusterServers, start_redis_cluster


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisClusterServers]:
    servers = start_redis_cluster(masters=3)
    yield servers
    servers.stop()


def node_clients(cluster: RedisClusterServers) -> list[redis.Redis]:
    """A plain client per master, to look at (and move) what each one holds."""
    return [redis.Redis(host="127.0.0.1", port=port, socket_timeout=5) for port in cluster.ports]


@pytest.fixture
def on_cluster(redis_cluster: RedisClusterServers, settings: Settings) -> Iterator[RedisClusterServers]:
    """``get_redis()`` answers with the cluster client for the test; every master is emptied after."""
    settings.REDIS_CLUSTER_NODES = redis_cluster.nodes.split(",")
    callrail_redis.breaker.reset()
    yield redis_cluster
    for client in node_clients(redis_cluster):
        client.flushall()
        client.close()
    callrail_redis.breaker.reset()
