"""The cluster client (REDIS_CLUSTER_NODES): the same short timeouts and breaker as one server."""

import os
import signal
import time

import pytest
import redis
from redis.crc import key_slot

from callrail import redis as callrail_redis
from callrail.embedded import start_redis_cluster
from callrail.tests.redis_cluster import node_clients


def test_cluster_nodes_are_read_from_a_list_or_a_comma_separated_string():
    assert callrail_redis.cluster_nodes("10.0.0.1:7000, redis-b:7001,") == [("10.0.0.1", 7000), ("redis-b", 7001)]
    assert callrail_redis.cluster_nodes(["[::1]:7000"]) == [("::1", 7000)]
    with pytest.raises(ValueError, match="host:port"):
        callrail_redis.cluster_nodes("redis-a")


def test_an_unreachable_cluster_is_a_connection_error_then_refused_at_once(settings):
    settings.REDIS_CLUSTER_NODES = ["127.0.0.1:1"]
    callrail_redis.breaker.reset()
    try:
        with pytest.raises(redis.ConnectionError):
            callrail_redis.get_redis()
        started = time.monotonic()
        with pytest.raises(callrail_redis.RedisUnavailable):
            callrail_redis.get_redis()
        assert time.monotonic() - started < 0.01
    finally:
        callrail_redis.breaker.reset()


@pytest.mark.slow
def test_a_hung_master_costs_one_timeout_then_the_cluster_fails_fast(settings):
    cluster = start_redis_cluster(masters=3)
    try:
        settings.REDIS_CLUSTER_NODES = cluster.nodes.split(",")
        settings.REDIS_TIMEOUT = 0.3
        settings.REDIS_RETRY_AFTER = 1.0
        callrail_redis.breaker.reset()
        client = callrail_redis.get_redis()
        client.set("{k}", "1")
        owner = next(
            server
            for server, node in zip(cluster.servers, node_clients(cluster), strict=True)
            if node.execute_command("CLUSTER", "COUNTKEYSINSLOT", key_slot(b"{k}"))
        )
        os.kill(owner.process.pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            with pytest.raises(redis.TimeoutError):
                callrail_redis.get_redis().get("{k}")
            assert time.monotonic() - started < 0.6
            started = time.monotonic()
            with pytest.raises(callrail_redis.RedisUnavailable):
                callrail_redis.get_redis().get("{k}")
            assert time.monotonic() - started < 0.01
        finally:
            os.kill(owner.process.pid, signal.SIGCONT)
        time.sleep(1.1)
        assert callrail_redis.get_redis().get("{k}") == b"1"

        # Every master hangs: still one timeout (the slot map is re-read in the background).
        for server in cluster.servers:
            os.kill(server.process.pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            with pytest.raises(redis.TimeoutError):
                callrail_redis.get_redis().get("{k}")
            assert time.monotonic() - started < 0.6
            with pytest.raises(callrail_redis.RedisUnavailable):
                callrail_redis.get_redis().get("{k}")
        finally:
            for server in cluster.servers:
                os.kill(server.process.pid, signal.SIGCONT)
        time.sleep(1.1)
        assert callrail_redis.get_redis().get("{k}") == b"1"
    finally:
        callrail_redis.breaker.reset()
        cluster.stop()
