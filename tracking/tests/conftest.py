import pytest

from callrail.redis import get_redis
from tracking.config_cache import company_config_forget
from tracking.tests.browser import browser, site  # noqa: F401 - fixtures for the browser tests


@pytest.fixture
def redis_client():
    return get_redis()


@pytest.fixture(autouse=True)
def _fresh_dni_config():
    company_config_forget()
    yield
    company_config_forget()
