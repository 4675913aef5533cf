"""The per-process DNI configuration cache: one reload at a time, stale while it runs."""

import threading
from collections.abc import Callable
from unittest import mock

import pytest
import redis

from accounts.models import Company
from callrail.redis import get_redis
from tracking import config_cache
from tracking.config_cache import CompanyConfig, company_config, company_config_forget

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _empty_cache():
    company_config_forget()
    yield
    company_config_forget()


def _slow_reader(
    release: threading.Event, started: threading.Event
) -> tuple[Callable[[str], CompanyConfig | None], list[str]]:
    real = config_cache._config_read
    calls: list[str] = []

    def read(company_id: str) -> CompanyConfig | None:
        calls.append(company_id)
        started.set()
        assert release.wait(10)
        return real(company_id)

    return read, calls


def test_an_expired_config_is_reloaded_by_one_thread_while_others_use_it(company, settings):
    first = company_config(company.public_id)
    settings.DNI_CONFIG_TTL = 0  # every entry is expired from now on
    release, started = threading.Event(), threading.Event()
    read, calls = _slow_reader(release, started)
    answers = []
    with mock.patch.object(config_cache, "_config_read", side_effect=read):
        reloader = threading.Thread(target=lambda: answers.append(company_config(company.public_id)))
        reloader.start()
        assert started.wait(10)
        # While that reload is running, other threads are answered at once with the config they had.
        others = [company_config(company.public_id) for _ in range(5)]
        release.set()
        reloader.join(10)
    assert others == [first] * 5
    assert calls == [company.public_id]
    assert answers[0].id == company.id


def test_with_nothing_cached_threads_wait_for_a_single_load(company):
    release, started = threading.Event(), threading.Event()
    read, calls = _slow_reader(release, started)
    answers = []
    with mock.patch.object(config_cache, "_config_read", side_effect=read):
        threads = [threading.Thread(target=lambda: answers.append(company_config(company.public_id))) for _ in range(4)]
        for thread in threads:
            thread.start()
        assert started.wait(10)
        release.set()
        for thread in threads:
            thread.join(10)
    assert calls == [company.public_id]
    assert [a.id for a in answers] == [company.id] * 4


def test_unknown_companies_are_remembered_as_unknown(db):
    assert company_config("COM" + "0" * 32) is None
    with mock.patch.object(config_cache, "_config_read", side_effect=AssertionError("read again")):
        assert company_config("COM" + "0" * 32) is None


def test_a_reload_that_fails_keeps_the_cached_config(company, settings):
    from django.db import OperationalError

    first = company_config(company.public_id)
    settings.DNI_CONFIG_TTL = 0
    with mock.patch.object(config_cache, "_config_read", side_effect=OperationalError("database down")):
        assert company_config(company.public_id) == first
    with (
        mock.patch.object(config_cache, "_config_read", side_effect=OperationalError("database down")),
        pytest.raises(OperationalError),
    ):
        company_config("COM" + "1" * 32)  # nothing cached to fall back on


def _changed_elsewhere(company: Company) -> None:
    """What another process's save does here: the row changes (no signal in this process)."""
    Company.objects.filter(pk=company.pk).update(consent_required=True)


def test_a_change_announced_by_another_process_is_seen_at_the_next_check(company, settings):
    settings.DNI_CONFIG_VERSION_INTERVAL = 0
    first = company_config(company.public_id)
    _changed_elsewhere(company)
    assert company_config(company.public_id) is first  # nothing announced: still cached (TTL)
    get_redis().incr(config_cache.CONFIG_VERSION_KEY)  # the other process's company_config_forget
    assert company_config(company.public_id).consent_required is True


def test_the_announcement_is_read_at_most_once_per_interval(company, settings):
    settings.DNI_CONFIG_VERSION_INTERVAL = 0
    company_config(company.public_id)
    settings.DNI_CONFIG_VERSION_INTERVAL = 3600
    _changed_elsewhere(company)
    get_redis().incr(config_cache.CONFIG_VERSION_KEY)
    with mock.patch.object(config_cache, "get_redis", side_effect=AssertionError("read Redis")):
        assert company_config(company.public_id).consent_required is False
    settings.DNI_CONFIG_VERSION_INTERVAL = 0
    assert company_config(company.public_id).consent_required is True


def test_a_load_under_way_when_a_change_is_announced_is_not_kept(company, settings):
    settings.DNI_CONFIG_VERSION_INTERVAL = 0
    real = config_cache._config_read

    def read_then_change(company_id: str) -> CompanyConfig | None:
        config = real(company_id)  # the old row...
        _changed_elsewhere(company)  # ...saved elsewhere meanwhile, and announced
        get_redis().incr(config_cache.CONFIG_VERSION_KEY)
        return config

    with mock.patch.object(config_cache, "_config_read", side_effect=read_then_change):
        assert company_config(company.public_id).consent_required is False
    assert company_config(company.public_id).consent_required is True


def test_forgetting_announces_the_change_to_other_processes(company):
    before = int(get_redis().get(config_cache.CONFIG_VERSION_KEY) or 0)
    company.consent_required = True
    company.save()  # the signal forgets the company's configuration
    assert int(get_redis().get(config_cache.CONFIG_VERSION_KEY) or 0) > before


def test_without_redis_the_ttl_still_bounds_a_stale_config(company, settings):
    settings.DNI_CONFIG_VERSION_INTERVAL = 0
    first = company_config(company.public_id)
    with mock.patch.object(config_cache, "get_redis", side_effect=redis.RedisError("down")):
        assert company_config(company.public_id) is first
        settings.DNI_CONFIG_TTL = 0
        _changed_elsewhere(company)
        assert company_config(company.public_id).consent_required is True


def test_this_process_s_own_announcement_is_not_seen_again_as_news(company, settings):
    settings.DNI_CONFIG_VERSION_INTERVAL = 0
    company_config_forget()
    first = company_config(company.public_id)
    with mock.patch.object(config_cache, "_config_read", side_effect=AssertionError("read again")):
        assert company_config(company.public_id) is first
