"""CallRail's rate limits, counted per account in Redis (reference "Rate Limiting").

| scope           | hourly | daily  | applies to                        |
| --------------- | ------ | ------ | --------------------------------- |
| ``general``     | 1,000  | 10,000 | every authenticated v3 request    |
| ``sms``         | 150    | 1,000  | sending a text (POST text-messages) |
| ``outbound_call`` | 100  | 2,000  | placing a call (POST calls)       |

Counting is per account (the reference: "requests to the API made by an account"),
so every key and user of a tenant shares one budget, and every web process shares
the counters. The windows are fixed clock hours and UTC days, the way the reference
words the limits ("hourly and daily basis").

How a resource adds a limit on top of the general one (declarative, see
``V3ViewSet.throttle_scopes``)::

    class TextMessageViewSet(..., V3ViewSet):
        throttle_scopes = {"create": "sms"}

or, outside the base, ``rate_limit_hit(account_id=..., scope="sms")`` raises
``Throttled`` when the budget is spent.
"""

import logging
import time
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from callrail.redis import get_redis

logger = logging.getLogger(__name__)

# (hourly, daily) per scope; settings.API_RATE_LIMITS overrides any of them.
DEFAULT_RATE_LIMITS: dict[str, tuple[int, int]] = {
    "general": (1_000, 10_000),
    "sms": (150, 1_000),
    "outbound_call": (100, 2_000),
}

HOUR = 3_600
DAY = 86_400

# Both windows are checked and counted in one round trip, atomically: a request is
# counted only when neither window is full, so refused requests do not push the
# reset further away, and two processes cannot both take the last slot.
_HIT_SCRIPT = """
local hour = tonumber(redis.call('GET', KEYS[1]) or '0')
local day = tonumber(redis.call('GET', KEYS[2]) or '0')
if hour >= tonumber(ARGV[1]) then return {0, 1} end
if day >= tonumber(ARGV[2]) then return {0, 2} end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
return {1, 0}
"""


@dataclass(frozen=True)
class RateLimitResult:
    allowed: bool
    # Seconds until the window that refused the request resets (0 when allowed).
    retry_after: int = 0
    window: str = ""


def rate_limits(scope: str) -> tuple[int, int]:
    """The (hourly, daily) limits of ``scope``, read from settings at call time."""
    configured: dict[str, Any] = getattr(settings, "API_RATE_LIMITS", {}) or {}
    hourly, daily = configured.get(scope, DEFAULT_RATE_LIMITS[scope])
    return int(hourly), int(daily)


def rate_limit_consume(*, account_id: int, scope: str = "general", now: float | None = None) -> RateLimitResult:
    """Count one request of ``scope`` for the account, unless a window is full.

    Redis being unreachable must not take the API down with it: the request is
    allowed and the failure logged (fail open).
    """
    hourly, daily = rate_limits(scope)
    now = time.time() if now is None else now
    hour_window = int(now // HOUR)
    day_window = int(now // DAY)
    # One hash tag for both windows: the script's keys share a slot on a Redis Cluster.
    tag = f"{{{scope}:{account_id}}}"
    keys = [f"ratelimit:{tag}:h:{hour_window}", f"ratelimit:{tag}:d:{day_window}"]
    try:
        allowed, window = get_redis().eval(_HIT_SCRIPT, 2, *keys, hourly, daily, HOUR + 60, DAY + 60)
    except redis.RedisError:
        logger.warning("rate limit check skipped: Redis unavailable", exc_info=True)
        return RateLimitResult(allowed=True)
    if allowed:
        return RateLimitResult(allowed=True)
    if int(window) == 1:
        return RateLimitResult(allowed=False, retry_after=int((hour_window + 1) * HOUR - now) + 1, window="hourly")
    return RateLimitResult(allowed=False, retry_after=int((day_window + 1) * DAY - now) + 1, window="daily")


class RateLimitExceeded(exceptions.Throttled):
    default_detail = "Rate limit exceeded."


def _refusal(scope: str, result: RateLimitResult) -> RateLimitExceeded:
    label = "API" if scope == "general" else scope.replace("_", " ")
    return RateLimitExceeded(
        wait=result.retry_after,
        detail=f"The {result.window} {label} rate limit for this account has been exceeded.",
    )


def rate_limit_hit(*, account_id: int, scope: str = "general") -> None:
    """Count one request; raise ``RateLimitExceeded`` (answered as 429) when over the limit."""
    result = rate_limit_consume(account_id=account_id, scope=scope)
    if not result.allowed:
        raise _refusal(scope, result)


class AccountRateThrottle(BaseThrottle):
    """DRF throttle counting ``scope`` against the API key's account.

    It raises ``RateLimitExceeded`` itself (rather than returning False) so the
    429 names the limit that was hit. Unauthenticated requests are not counted:
    they are refused with 401 first.
    """

    scope = "general"

    def __init__(self, scope: str | None = None) -> None:
        if scope is not None:
            self.scope = scope

    def allow_request(self, request: Request, view: Any) -> bool:
        api_key = getattr(request, "auth", None)
        account_id = getattr(api_key, "account_id", None)
        if account_id is None:
            return True
        rate_limit_hit(account_id=account_id, scope=self.scope)
        return True

    def wait(self) -> float | None:
        return None
