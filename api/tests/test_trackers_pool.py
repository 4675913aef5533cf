"""The `pool` extension field: a session tracker's live pool state through the API."""

from unittest import mock

import pytest
import redis

from callrail.redis import get_redis
from tracking import pools
from tracking.tests.factories import session_tracker

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_redis():
    get_redis().flushdb()


def test_it_shows_live_sessions_size_and_exhaustion(api_client, account, company):
    tracker = session_tracker(company=company, size=4, type="session")
    client = get_redis()
    holds = [
        pools.allocate(client, scope=tracker.public_id, session_key=f"visit{n}", timeout=1800, pool=True)
        for n in range(5)
    ]
    assert sum(1 for hold in holds if hold.number) == 4  # the fifth visitor found the pool full
    tracker.refresh_from_db()

    response = api_client.get(f"/v3/a/{account.public_id}/trackers/{tracker.public_id}.json?fields=pool")

    assert response.status_code == 200
    pool = response.json()["pool"]
    assert pool["size"] == 4 and pool["numbers"] == 4
    assert pool["live_sessions"] == 4 and pool["free"] == 0
    assert pool["exhaustion_count"] == tracker.exhaustion_count
    assert {session["session_id"] for session in pool["sessions"]} == {f"visit{n}" for n in range(4)}
    assert pool["exhausted_since"] is not None


def test_it_is_only_rendered_on_request(api_client, account, company):
    tracker = session_tracker(company=company, size=4, type="session")
    body = api_client.get(f"/v3/a/{account.public_id}/trackers/{tracker.public_id}.json").json()
    assert "pool" not in body


def test_it_keeps_the_durable_figures_when_redis_is_down(api_client, account, company):
    tracker = session_tracker(company=company, size=4, type="session")
    with mock.patch("api.v3.serializers.trackers.pool_status", side_effect=redis.ConnectionError):
        response = api_client.get(f"/v3/a/{account.public_id}/trackers/{tracker.public_id}.json?fields=pool")
    assert response.status_code == 200
    pool = response.json()["pool"]
    assert pool["size"] == 4 and pool["live_sessions"] is None


def test_source_trackers_have_no_pool(api_client, account, company):
    from api.tests.factories import TrackerFactory

    tracker = TrackerFactory(company=company, type="source")
    body = api_client.get(f"/v3/a/{account.public_id}/trackers/{tracker.public_id}.json?fields=pool").json()
    assert body["pool"] is None
