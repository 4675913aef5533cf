import pytest

from callrail.redis import get_redis


@pytest.fixture
def redis_client():
    return get_redis()
