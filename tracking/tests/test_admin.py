import pytest
from django.contrib.auth import get_user_model

from tracking import pools
from tracking.tests.factories import session_tracker


@pytest.fixture
def staff_client(client, account):
    user = get_user_model().objects.create_superuser(email="root@example.com", password="pw", account=account)
    client.force_login(user)
    return client


def test_the_admin_shows_a_pools_live_sessions_size_and_exhaustion(staff_client, company, redis_client):
    tracker = session_tracker(company=company, size=4)
    tracker.exhaustion_count = 3
    tracker.save()
    got = pools.allocate(redis_client, scope=tracker.public_id, session_key="visit-one", timeout=1800, pool=True)
    page = staff_client.get(f"/admin/tracking/tracker/{tracker.pk}/change/").content.decode()
    assert "1 of 4 numbers held by live sessions, 3 free. Exhausted 3 time(s)." in page
    assert got.number in page and "visit-one" in page
    listing = staff_client.get("/admin/tracking/tracker/").content.decode()
    assert "1 / 4" in listing


def test_reload_pools_action(staff_client, company, redis_client):
    tracker = session_tracker(company=company, size=4)
    response = staff_client.post(
        "/admin/tracking/tracker/", {"action": "reload_pools", "_selected_action": [tracker.pk]}, follow=True
    )
    assert "Reloaded 1 pool(s)." in response.content.decode()
    assert pools.pool_status(tracker).size == 4
