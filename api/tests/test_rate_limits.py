import time

import pytest
import redis

from api.v3 import throttling
from api.v3.throttling import rate_limit_consume, rate_limit_hit

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_limits(settings):
    settings.API_RATE_LIMITS = {"general": (3, 5), "sms": (1, 10)}


def test_it_answers_429_past_the_hourly_limit(api_client, account, small_limits):
    for _ in range(3):
        assert api_client.get("/v3/a.json").status_code == 200
    response = api_client.get("/v3/a.json")
    assert response.status_code == 429
    assert "hourly API rate limit" in response.json()["error"]
    assert int(response["Retry-After"]) > 0


def test_it_counts_per_account_not_per_key(admin_user, make_api_client, small_limits):
    first, second = make_api_client(admin_user), make_api_client(admin_user)
    for _ in range(3):
        first.get("/v3/a.json")
    assert second.get("/v3/a.json").status_code == 429


def test_other_accounts_keep_their_budget(api_client, other_api_client, small_limits):
    for _ in range(4):
        api_client.get("/v3/a.json")
    assert other_api_client.get("/v3/a.json").status_code == 200


def test_the_daily_window_applies_across_hours(account, small_limits):
    now = time.time() // 86_400 * 86_400 + 10  # five hours later is still the same UTC day
    for hour in range(5):
        assert rate_limit_consume(account_id=account.pk, now=now + hour * 3_600).allowed
    result = rate_limit_consume(account_id=account.pk, now=now + 5 * 3_600)
    assert not result.allowed
    assert result.window == "daily"


def test_refused_requests_are_not_counted(account, small_limits):
    now = time.time() // 3_600 * 3_600 + 10
    for _ in range(3):
        rate_limit_consume(account_id=account.pk, now=now)
    for _ in range(5):
        assert not rate_limit_consume(account_id=account.pk, now=now).allowed
    # The next hour has room again: the refusals above did not eat the daily budget.
    assert rate_limit_consume(account_id=account.pk, now=now + 3_600).allowed


def test_scopes_are_counted_separately(account, small_limits):
    rate_limit_hit(account_id=account.pk, scope="sms")
    with pytest.raises(throttling.RateLimitExceeded) as excinfo:
        rate_limit_hit(account_id=account.pk, scope="sms")
    assert "sms" in str(excinfo.value.detail)
    assert rate_limit_consume(account_id=account.pk, scope="general").allowed


def test_the_reference_defaults_apply(settings):
    settings.API_RATE_LIMITS = {}
    assert throttling.rate_limits("general") == (1_000, 10_000)
    assert throttling.rate_limits("sms") == (150, 1_000)
    assert throttling.rate_limits("outbound_call") == (100, 2_000)


def test_it_fails_open_when_redis_is_down(api_client, account, monkeypatch):
    class Down:
        def eval(self, *args, **kwargs):
            raise redis.ConnectionError("down")

    monkeypatch.setattr(throttling, "get_redis", lambda: Down())
    assert api_client.get("/v3/a.json").status_code == 200


def test_extra_scopes_apply_per_action(api_client, account, company, settings):
    # V3ViewSet.throttle_scopes: placing calls and sending texts have budgets of their own.
    settings.API_RATE_LIMITS = {"outbound_call": (0, 2_000), "sms": (0, 1_000)}
    body = {
        "caller_id": "+14045550100",
        "customer_phone_number": "+14045550101",
        "business_phone_number": "+14045550102",
    }
    response = api_client.post(f"/v3/a/{account.public_id}/calls.json", body, format="json")
    assert response.status_code == 429
    assert "outbound call rate limit" in response.json()["error"]
    response = api_client.post(
        f"/v3/a/{account.public_id}/text-messages.json",
        {"company_id": company.public_id, "customer_phone_number": "+14045550101", "content": "hi"},
        format="json",
    )
    assert response.status_code == 429
    assert "sms rate limit" in response.json()["error"]
    # Reading is not an outbound call.
    assert api_client.get(f"/v3/a/{account.public_id}/calls.json").status_code == 200
