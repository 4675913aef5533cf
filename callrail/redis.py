"""Redis clients from REDIS_URL (read at first use): one connection pool per process, and a
client per thread holding one connection of that pool."""

import os
import threading
from functools import cache

import redis
from django.conf import settings


@cache
def _pool(url: str) -> redis.ConnectionPool:
    return redis.ConnectionPool.from_url(url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=30)


_local = threading.local()


def get_redis() -> redis.Redis:
    """This thread's client, with a connection of its own from the process's pool.

    Borrowing a pooled connection for each command costs more CPU than a short
    command's round trip (redis-py checks the borrow's arguments every time), so
    each thread keeps one. The client is still safe to share: a lock guards its
    connection. Rebuilt in a forked child, which must not use its parent's socket.
    """
    url = settings.REDIS_URL
    client = getattr(_local, "client", None)
    if client is None or _local.key != (os.getpid(), url):
        client = redis.Redis(connection_pool=_pool(url), single_connection_client=True)
        _local.client, _local.key = client, (os.getpid(), url)
    return client
