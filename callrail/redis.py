"""One Redis client (and connection pool) per process, from REDIS_URL (read at first use)."""

from functools import cache

import redis
from django.conf import settings


@cache
def _client(url: str) -> redis.Redis:
    # Thread-safe: every command borrows a connection from the pool. Built once, because
    # building a client costs more CPU than the round trip of a typical command.
    pool = redis.ConnectionPool.from_url(url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=30)
    return redis.Redis(connection_pool=pool)


def get_redis() -> redis.Redis:
    return _client(settings.REDIS_URL)
