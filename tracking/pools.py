"""Session trackers' number pools, live in Redis.

Each pool is a handful of keys that all carry the tracker's hash tag
(``dni:{TRK…}:…``), so every script below touches one hash slot and runs
unchanged on a Redis Cluster:

``free``    sorted set: numbers nobody holds, scored by the time they were
            released, so ZPOPMIN hands out the least recently released first
            (a number new to the pool scores 0 and goes first).
``held``    sorted set: numbers held by a live session, scored by when the hold
            expires. Activity pushes the score forward.
``holder``  hash number → session key (the ``calltrk_session`` value).
``owned``   hash session key → number (the reverse of ``holder``).
``meta``    hash: ``ready`` once the pool has been loaded from the database;
            ``exhausted_since`` while the pool has no free number.
``s:<key>`` hash per session, expiring with it: ``x`` is the hold expiry last
            written to the database log (see ``touch``), ``t`` when its hold began.
``pv``      list: page views waiting to be written to the database in bulk
            (by a worker, at most every PV_FLUSH_SECONDS; see ``touch``).

Every change of hands is one Lua script, so two visitors can never be given the
same number: Redis runs a script to completion before the next command.
Expired holds are reaped lazily, by the next allocation, so no sweeper runs.

PostgreSQL stays the system of record (``NumberAssignment``): when Redis lost a
pool (restart, FLUSHALL), the next allocation finds ``ready`` missing and the
pool is rebuilt from the tracker's active numbers and the open assignments.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import redis

from callrail.redis import get_redis
from tracking.assignments import assignments_close, latest_assignments
from tracking.models import Tracker, TrackingNumber

logger = logging.getLogger(__name__)

# Ask a worker to write a pool's buffered page views at most this often (seconds).
PV_FLUSH_SECONDS = 2


def pool_tag(public_id: str) -> str:
    return "dni:{" + public_id + "}"


@dataclass(frozen=True)
class PoolKeys:
    """The Redis keys of one tracker's pool (or of a company, for sessions no tracker matched)."""

    tag: str

    @classmethod
    def of(cls, public_id: str) -> PoolKeys:
        return cls(pool_tag(public_id))

    @property
    def free(self) -> str:
        return self.tag + ":free"

    @property
    def held(self) -> str:
        return self.tag + ":held"

    @property
    def holder(self) -> str:
        return self.tag + ":holder"

    @property
    def owned(self) -> str:
        return self.tag + ":owned"

    @property
    def meta(self) -> str:
        return self.tag + ":meta"

    @property
    def page_views(self) -> str:
        return self.tag + ":pv"

    @property
    def page_view_flag(self) -> str:
        return self.tag + ":pvflush"

    def ip(self, address: str) -> str:
        return f"{self.tag}:ip:{address}"

    def session(self, session_key: str) -> str:
        return f"{self.tag}:s:{session_key}"

    @property
    def pool(self) -> list[str]:
        return [self.free, self.held, self.holder, self.owned, self.meta]


# Renew a returning session's hold and record its page view, without the database.
# KEYS: session, held, holder, owned, page views, page-view flush flag
# ARGV: now, timeout, session key, is pool ('1'/'0'), page view ('' for none), flush period (seconds)
# Returns {'miss'} (session unknown here), {'lost'} (its number is gone: allocate again),
# or {'ok', number, extend_db, flush_page_views}.
TOUCH = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {'miss'} end
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local n = ''
if ARGV[4] == '1' then
  n = redis.call('HGET', KEYS[4], ARGV[3])
  if (not n) or redis.call('HGET', KEYS[3], n) ~= ARGV[3] then return {'lost'} end
  redis.call('ZADD', KEYS[2], now + ttl, n)
end
redis.call('EXPIRE', KEYS[1], math.ceil(ttl))
local extend = 0
if n ~= '' and tonumber(redis.call('HGET', KEYS[1], 'x') or '0') < now + ttl / 2 then
  redis.call('HSET', KEYS[1], 'x', now + ttl)
  extend = 1
end
local flush = 0
if ARGV[5] ~= '' then
  redis.call('RPUSH', KEYS[5], ARGV[5])
  if redis.call('SET', KEYS[6], '1', 'NX', 'EX', ARGV[6]) then flush = 1 end
end
return {'ok', n, extend, flush}
"""

# Give a session a number from the pool (or renew the one it still holds), and
# buffer its landing page view like ``touch`` does.
# KEYS: free, held, holder, owned, meta, session, per-IP counter, page views, page-view flush flag
# ARGV: now, timeout, session key, is pool ('1'/'0'), IP ('' to skip the limit), new holds allowed per IP,
#       page view ('' for none), flush period (seconds)
# Returns {'init'} (pool not loaded: rebuild it and retry) or {status, number, first of the
# exhaustion episode, first exhaustion of this session, flush page views}, status being
# 'ok' (no pool), 'held', 'new', 'limited' (this IP took too many numbers) or 'exhausted'.
ALLOCATE = """
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local key = ARGV[3]
if ARGV[4] == '1' and redis.call('HGET', KEYS[5], 'ready') ~= '1' then return {'init'} end
local flush = 0
if ARGV[7] ~= '' then
  redis.call('RPUSH', KEYS[8], ARGV[7])
  if redis.call('SET', KEYS[9], '1', 'NX', 'EX', ARGV[8]) then flush = 1 end
end
if ARGV[4] ~= '1' then
  redis.call('HSET', KEYS[6], 'x', 0)
  redis.call('EXPIRE', KEYS[6], math.ceil(ttl))
  return {'ok', '', 0, 0, flush}
end
local n = redis.call('HGET', KEYS[4], key)
if n and redis.call('HGET', KEYS[3], n) == key then
  -- Still this session's (even if the hold lapsed, nobody took the number since).
  redis.call('ZADD', KEYS[2], now + ttl, n)
  redis.call('HSET', KEYS[6], 'x', now + ttl)
  redis.call('EXPIRE', KEYS[6], math.ceil(ttl))
  return {'held', n, 0, 0, flush}
end
-- Reap lapsed holds: the number goes back to the free set, scored by its release time.
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'WITHSCORES', 'LIMIT', 0, 100)
for i = 1, #lapsed, 2 do
  local m = lapsed[i]
  local k = redis.call('HGET', KEYS[3], m)
  redis.call('HDEL', KEYS[3], m)
  redis.call('ZREM', KEYS[2], m)
  if k and redis.call('HGET', KEYS[4], k) == m then redis.call('HDEL', KEYS[4], k) end
  redis.call('ZADD', KEYS[1], lapsed[i + 1], m)
end
if ARGV[5] ~= '' then
  local taken = redis.call('INCR', KEYS[7])
  if taken == 1 then redis.call('EXPIRE', KEYS[7], 600) end
  if taken > tonumber(ARGV[6]) then return {'limited', '', 0, 0, flush} end
end
local top = redis.call('ZPOPMIN', KEYS[1])
if top[1] then
  n = top[1]
  redis.call('ZADD', KEYS[2], now + ttl, n)
  redis.call('HSET', KEYS[3], n, key)
  redis.call('HSET', KEYS[4], key, n)
  redis.call('HSET', KEYS[6], 'x', now + ttl, 't', now)
  redis.call('EXPIRE', KEYS[6], math.ceil(ttl))
  redis.call('HDEL', KEYS[5], 'exhausted_since')
  return {'new', n, 0, 0, flush}
end
if ARGV[5] ~= '' then redis.call('DECR', KEYS[7]) end
local first = redis.call('HSETNX', KEYS[5], 'exhausted_since', now)
local counted = redis.call('HSETNX', KEYS[6], 'e', 1)
redis.call('HSET', KEYS[6], 'x', 0)
redis.call('EXPIRE', KEYS[6], math.ceil(ttl))
return {'exhausted', '', first, counted, flush}
"""

# End a session's hold at once (its number goes back to the pool).
# KEYS: free, held, holder, owned, session   ARGV: now, session key
RELEASE = """
local n = redis.call('HGET', KEYS[4], ARGV[2])
redis.call('DEL', KEYS[5])
if not n then return '' end
redis.call('HDEL', KEYS[4], ARGV[2])
if redis.call('HGET', KEYS[3], n) ~= ARGV[2] then return '' end
redis.call('HDEL', KEYS[3], n)
redis.call('ZREM', KEYS[2], n)
redis.call('ZADD', KEYS[1], ARGV[1], n)
return n
"""

# Load a pool from the database state, unless another process already did.
# KEYS: free, held, holder, owned, meta
# ARGV: number of free entries F, then F pairs (number, release score), then
#       triples (number, hold expiry, session key) for the held numbers.
REBUILD = """
if redis.call('HGET', KEYS[5], 'ready') == '1' then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
local f = tonumber(ARGV[1])
local i = 2
for _ = 1, f do
  redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i])
  i = i + 2
end
while i <= #ARGV do
  redis.call('ZADD', KEYS[2], ARGV[i + 1], ARGV[i])
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 2])
  redis.call('HSET', KEYS[4], ARGV[i + 2], ARGV[i])
  i = i + 3
end
redis.call('HSET', KEYS[5], 'ready', '1')
return 1
"""

# Make the pool's numbers exactly ARGV (the tracker's active numbers).
# KEYS: free, held, holder, owned, meta. Returns {'init'} when the pool is not
# loaded (a rebuild does the job), else {'ok', removed numbers...}.
SYNC = """
if redis.call('HGET', KEYS[5], 'ready') ~= '1' then return {'init'} end
local wanted = {}
for _, n in ipairs(ARGV) do wanted[n] = true end
local out = {'ok'}
for _, n in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if not wanted[n] then redis.call('ZREM', KEYS[1], n); table.insert(out, n) end
end
for _, n in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  if not wanted[n] then
    local k = redis.call('HGET', KEYS[3], n)
    if k and redis.call('HGET', KEYS[4], k) == n then redis.call('HDEL', KEYS[4], k) end
    redis.call('HDEL', KEYS[3], n)
    redis.call('ZREM', KEYS[2], n)
    table.insert(out, n)
  end
end
for n, _ in pairs(wanted) do
  if not redis.call('ZSCORE', KEYS[1], n) and not redis.call('ZSCORE', KEYS[2], n) then
    redis.call('ZADD', KEYS[1], 0, n)
  end
end
return out
"""

# Who holds a number, for the attribution of a call to it: one round trip.
# KEYS: holder, held, page views   ARGV: number, session key prefix (``PoolKeys.session``
# without the session: the same hash tag, so the same slot, which a Redis Cluster lets a
# script read undeclared; only while that slot is being moved between masters can the
# session's hash already be on the other one, and the error sends the call to the
# assignment log, as any Redis failure does)
# Returns {session key, hold expiry, hold start, buffered page views}, '' where unknown.
HOLDER = """
local key = redis.call('HGET', KEYS[1], ARGV[1])
local buffered = redis.call('LLEN', KEYS[3])
if not key then return {'', '', '', buffered} end
local expiry = redis.call('ZSCORE', KEYS[2], ARGV[1])
local since = redis.call('HGET', ARGV[2] .. key, 't')
return {key, expiry or '', since or '', buffered}
"""

# Take up to ARGV[1] buffered page views. KEYS: page views list.
DRAIN = """
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
redis.call('LTRIM', KEYS[1], #items, -1)
return items
"""


class _Scripts:
    """Lua scripts registered once per process (EVALSHA, reloaded after a Redis restart)."""

    def __init__(self) -> None:
        self._by_client: dict[int, dict[str, redis.commands.core.Script]] = {}

    def get(self, client: redis.Redis, name: str) -> redis.commands.core.Script:
        # A cluster client has no single connection pool; it is one per process anyway.
        owner = id(getattr(client, "connection_pool", client))
        scripts = self._by_client.get(owner)
        if scripts is None:
            scripts = {
                key: client.register_script(source)
                for key, source in (
                    ("touch", TOUCH),
                    ("allocate", ALLOCATE),
                    ("release", RELEASE),
                    ("rebuild", REBUILD),
                    ("sync", SYNC),
                    ("drain", DRAIN),
                    ("holder", HOLDER),
                )
            }
            self._by_client[owner] = scripts
        return scripts[name]


_scripts = _Scripts()


def script(client: redis.Redis, name: str) -> Callable[..., Any]:
    """The named script, run on ``client`` (a Script object alone runs on the client
    that registered it, which is another thread's)."""
    return partial(_scripts.get(client, name), client=client)


def _text(value: bytes | str | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode()
    return str(value)


@dataclass(frozen=True)
class Allocation:
    """The answer of the allocation script for one session and one pool."""

    status: str  # ok | held | new | exhausted | limited
    number: str = ""  # E.164, empty when the pool had none (fallback applies)
    first_exhaustion: bool = False  # the pool just ran out (one event per episode)
    count_exhaustion: bool = False  # first time this session found the pool exhausted
    flush_page_views: bool = False  # a worker should write the buffered page views now


@dataclass(frozen=True)
class Touch:
    status: str  # ok | miss | lost
    number: str = ""
    extend_log: bool = False
    flush_page_views: bool = False


def allocate(
    client: redis.Redis,
    *,
    scope: str,
    session_key: str,
    timeout: int,
    pool: bool,
    ip: str = "",
    ip_limit: int = 0,
    page_view: str = "",
    now: float | None = None,
) -> Allocation:
    """Run the allocation script for one session in one pool (``scope`` = tracker public id).

    A pool missing from Redis (restart, flush) is rebuilt from the database and
    the allocation retried, so callers never see ``init``.
    """
    keys = PoolKeys.of(scope)
    for _ in range(3):
        result = script(client, "allocate")(
            keys=[
                *keys.pool,
                keys.session(session_key),
                keys.ip(ip),
                keys.page_views,
                keys.page_view_flag,
            ],
            args=[
                now if now is not None else time.time(),
                timeout,
                session_key,
                "1" if pool else "0",
                ip if ip_limit else "",
                ip_limit,
                page_view,
                PV_FLUSH_SECONDS,
            ],
        )
        status = _text(result[0])
        if status != "init":
            return Allocation(
                status=status,
                number=_text(result[1]),
                first_exhaustion=int(result[2]) == 1,
                count_exhaustion=int(result[3]) == 1,
                flush_page_views=int(result[4]) == 1,
            )
        pool_rebuild(client, scope=scope)
    raise redis.RedisError(f"pool {scope} could not be loaded")


def touch(
    client: redis.Redis,
    *,
    scope: str,
    session_key: str,
    timeout: int,
    pool: bool,
    page_view: str = "",
    now: float | None = None,
) -> Touch:
    keys = PoolKeys.of(scope)
    result = script(client, "touch")(
        keys=[
            keys.session(session_key),
            keys.held,
            keys.holder,
            keys.owned,
            keys.page_views,
            keys.page_view_flag,
        ],
        args=[
            now if now is not None else time.time(),
            timeout,
            session_key,
            "1" if pool else "0",
            page_view,
            PV_FLUSH_SECONDS,
        ],
    )
    status = _text(result[0])
    if status != "ok":
        return Touch(status=status)
    return Touch(
        status="ok", number=_text(result[1]), extend_log=int(result[2]) == 1, flush_page_views=int(result[3]) == 1
    )


@dataclass(frozen=True)
class Holder:
    session_key: str  # empty when nobody holds the number
    expiry: float | None  # when the hold lapses
    since: float | None  # when the session took the number
    buffered_page_views: int

    def held_at(self, moment: float, *, grace: float) -> bool:
        """Whether this holder held the number at ``moment`` (or within ``grace`` after its hold)."""
        if not self.session_key or self.since is None or self.expiry is None:
            return False
        return self.since <= moment <= self.expiry + grace


def holder(client: redis.Redis, *, scope: str, number: str) -> Holder:
    """The session holding ``number`` in this pool now, per Redis."""
    keys = PoolKeys.of(scope)
    key, expiry, since, buffered = script(client, "holder")(
        keys=[keys.holder, keys.held, keys.page_views], args=[number, keys.session("")]
    )
    return Holder(
        session_key=_text(key),
        expiry=float(expiry) if expiry not in (b"", "") else None,
        since=float(since) if since not in (b"", "") else None,
        buffered_page_views=int(buffered),
    )


def release(client: redis.Redis, *, scope: str, session_key: str, now: float | None = None) -> str:
    """End a session's hold at once; returns the number it held ('' if none)."""
    keys = PoolKeys.of(scope)
    result = script(client, "release")(
        keys=[keys.free, keys.held, keys.holder, keys.owned, keys.session(session_key)],
        args=[now if now is not None else time.time(), session_key],
    )
    return _text(result)


def pool_rebuild(client: redis.Redis, *, scope: str, now: float | None = None) -> bool:
    """Load a session tracker's pool into Redis from the database (no-op if loaded).

    Held numbers come from each number's latest assignment. The log's ``expires_at`` may trail
    the live hold by up to half a timeout (it is extended lazily), so a hold is
    restored with that much slack: a possibly live visitor keeps their number.
    """
    now = now if now is not None else time.time()
    tracker = Tracker.objects.filter(public_id=scope).only("id", "session_timeout", "status", "type").first()
    keys = PoolKeys.of(scope)
    if tracker is None or not tracker.is_active or tracker.type != Tracker.Type.SESSION:
        script(client, "rebuild")(keys=keys.pool, args=[0])
        return False
    numbers = dict(
        TrackingNumber.objects.filter(tracker=tracker, status=TrackingNumber.Status.ACTIVE).values_list("id", "number")
    )
    slack = tracker.session_timeout / 2
    held: dict[str, tuple[float, str]] = {}
    last_used: dict[int, datetime] = {}
    for number_id, row in latest_assignments(numbers).items():
        last_used[number_id] = row.ended_at or row.expires_at
        if row.tracker_id != tracker.id or row.ended_at is not None:
            continue
        expiry = row.expires_at.timestamp() + slack
        if expiry > now:
            held[numbers[number_id]] = (max(expiry, now + slack), row.session.session_key)
    free_args: list[str | float] = []
    for number_id, number in numbers.items():
        if number not in held:
            last = last_used.get(number_id)
            free_args += [number, min(last.timestamp(), now) if last else 0]
    held_args: list[str | float] = []
    for number, (expiry, session_key) in held.items():
        held_args += [number, expiry, session_key]
    loaded = script(client, "rebuild")(keys=keys.pool, args=[len(free_args) // 2, *free_args, *held_args])
    if loaded:
        logger.info("Loaded pool %s into Redis: %d free, %d held", scope, len(free_args) // 2, len(held))
    return bool(loaded)


def sync_numbers(client: redis.Redis, *, scope: str, numbers: list[str]) -> list[str]:
    """Make a loaded pool hold exactly ``numbers``; returns the numbers removed."""
    result = script(client, "sync")(keys=PoolKeys.of(scope).pool, args=numbers)
    if _text(result[0]) == "init":
        pool_rebuild(client, scope=scope)
        return []
    return [_text(n) for n in result[1:]]


def pool_sync(tracker: Tracker) -> None:
    """Bring the Redis pool in line with the tracker's active numbers.

    Called after numbers are bought, released or moved, and when a tracker is
    disabled. Numbers that left the pool end their holds in the assignment log
    too, so a later call to a released number is not tied to an old visit.
    Never raises on Redis failure: the pool is rebuilt on next use anyway.
    """
    keys = PoolKeys.of(tracker.public_id)
    active = (
        tracker.status == Tracker.Status.ACTIVE
        and tracker.type == Tracker.Type.SESSION
        and tracker.company.status == "active"
    )
    numbers = (
        list(
            TrackingNumber.objects.filter(tracker=tracker, status=TrackingNumber.Status.ACTIVE).values_list(
                "number", flat=True
            )
        )
        if active
        else []
    )
    assignments_close(tracker=tracker, keep_numbers=numbers)
    try:
        client = get_redis()
        if not active:
            # Mark the empty pool as loaded so nothing rebuilds it while disabled.
            client.delete(*keys.pool)
            client.hset(keys.meta, "ready", "1")
            return
        sync_numbers(client, scope=tracker.public_id, numbers=numbers)
    except redis.RedisError:
        logger.warning("Redis unavailable while syncing pool %s; it will be rebuilt on next use", tracker.public_id)


@dataclass(frozen=True)
class PoolStatus:
    """What an operator wants to know about a pool right now."""

    size: int
    free: int
    live_sessions: list[tuple[str, str, datetime]]  # (number, session key, hold expiry)
    exhausted_since: datetime | None
    loaded: bool


def pool_status(tracker: Tracker, *, now: float | None = None) -> PoolStatus:
    """Live sessions and free numbers of a session tracker's pool (for admin and the API)."""
    now = now if now is not None else time.time()
    keys = PoolKeys.of(tracker.public_id)
    client = get_redis()
    with client.pipeline(transaction=False) as pipe:
        pipe.zcard(keys.free)
        pipe.zrange(keys.held, 0, -1, withscores=True)
        pipe.hgetall(keys.holder)
        pipe.hmget(keys.meta, "ready", "exhausted_since")
        free, held, holders, (ready, exhausted) = pipe.execute()
    holders = {_text(k): _text(v) for k, v in holders.items()}
    live = []
    lapsed = 0
    for number, score in held:
        number = _text(number)
        if score > now:
            live.append((number, holders.get(number, ""), datetime.fromtimestamp(score, tz=UTC)))
        else:
            lapsed += 1
    return PoolStatus(
        size=free + len(held),
        free=free + lapsed,
        live_sessions=live,
        exhausted_since=datetime.fromtimestamp(float(exhausted), tz=UTC) if exhausted else None,
        loaded=_text(ready) == "1",
    )


def page_view_entry(*, company_id: int, session_key: str, url: str, referrer: str, at: float) -> str:
    """A buffered page view, as the ``pv`` list stores it (see ``page_views.page_views_flush``)."""
    return json.dumps([company_id, session_key, at, url[:2000], referrer[:2000]], separators=(",", ":"))


@dataclass(frozen=True)
class LiveHold:
    """A number a visitor session holds right now."""

    number: str
    session_key: str
    expires_at: datetime


def pools_live_holds(client: redis.Redis, scopes: list[str], *, now: float | None = None) -> dict[str, list[LiveHold]]:
    """The live holds of several pools, in one round trip (the dashboard's live view).

    Reads only: holds that lapsed are left for the next allocation to reap."""
    now = now if now is not None else time.time()
    with client.pipeline(transaction=False) as pipe:
        for scope in scopes:
            keys = PoolKeys.of(scope)
            pipe.zrangebyscore(keys.held, f"({now}", "+inf", withscores=True)
            pipe.hgetall(keys.holder)
        replies = pipe.execute()
    found: dict[str, list[LiveHold]] = {}
    for index, scope in enumerate(scopes):
        held, holders = replies[2 * index], replies[2 * index + 1]
        by_number = {_text(number): _text(key) for number, key in holders.items()}
        found[scope] = [
            LiveHold(
                number=_text(number),
                session_key=by_number.get(_text(number), ""),
                expires_at=datetime.fromtimestamp(score, tz=UTC),
            )
            for number, score in held
        ]
    return found
