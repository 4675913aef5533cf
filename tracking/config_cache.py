"""What the DNI endpoint and swap.js need to know about a company, cached per process.

The DNI endpoint answers thousands of requests a second, so a company's
trackers are read from the database at most once per ``DNI_CONFIG_TTL``
seconds per process. A change saved anywhere (``company_config_forget``, called by
the model signals) clears this process's configurations at once and bumps a version
counter in Redis; every other process reads that counter at most once per
``DNI_CONFIG_VERSION_INTERVAL`` seconds and drops its configurations when it moved.
So a change shows everywhere within that interval (a second by default), while a
visit costs no Redis round trip of its own for it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, TypeGuard, cast

import redis
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from accounts.fields import parse_public_or_numeric
from accounts.models import Company
from callrail.redis import get_redis
from tracking.models import Tracker, TrackingNumber

logger = logging.getLogger(__name__)


def target_key(number: str) -> str:
    """How swap targets are compared: digits only, without the NANP country code."""
    digits = "".join(ch for ch in str(number) if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        return digits[1:]
    return digits


@dataclass
class TrackerConfig:
    id: int
    public_id: str
    name: str
    type: str
    source: dict[str, Any]
    targets: list[str]
    created_order: int
    session_timeout: int
    fallback_number: str
    # number (E.164) -> TrackingNumber pk
    numbers: dict[str, int]

    @property
    def is_pool(self) -> bool:
        return self.type == Tracker.Type.SESSION

    @property
    def source_number(self) -> str:
        """A source tracker's number (its first active one)."""
        return min(self.numbers) if self.numbers else ""


@dataclass
class CompanyConfig:
    id: int
    public_id: str
    account_id: int
    name: str
    active: bool
    dni_active: bool | None
    consent_required: bool
    form_capture: bool
    cookie_days: int
    allowed_origins: list[str]
    ignored_form_fields: list[str]
    swap_ppc_override: bool
    swap_landing_override: str | None
    trackers: list[TrackerConfig] = field(default_factory=list)

    @property
    def targets(self) -> list[str]:
        seen: dict[str, None] = {}
        for tracker in self.trackers:
            for target in tracker.targets:
                seen.setdefault(target, None)
        return list(seen)

    @property
    def session_timeout(self) -> int:
        """How long a visit lasts without activity (the longest pool timeout, 30 minutes by default)."""
        return max((t.session_timeout for t in self.trackers if t.is_pool), default=1800)

    def tracker(self, public_id: str) -> TrackerConfig | None:
        for tracker in self.trackers:
            if tracker.public_id == public_id:
                return tracker
        return None

    def origin_allowed(self, origin: str | None) -> bool:
        if not self.allowed_origins or not origin:
            return True
        origin = origin.rstrip("/").lower()
        return any(origin == o.rstrip("/").lower() for o in self.allowed_origins)


def _default_targets(tracker: Tracker) -> list[str]:
    destination = (tracker.call_flow.definition or {}).get("destination_number") if tracker.call_flow_id else None
    return [destination] if destination else []


def company_config_load(company: Company) -> CompanyConfig:
    trackers = (
        Tracker.objects.filter(company=company, status=Tracker.Status.ACTIVE)
        .select_related("call_flow")
        .order_by("created_at", "id")
    )
    numbers: dict[int, dict[str, int]] = {}
    for number_id, tracker_id, number in TrackingNumber.objects.filter(
        tracker__company=company, tracker__status=Tracker.Status.ACTIVE, status=TrackingNumber.Status.ACTIVE
    ).values_list("id", "tracker_id", "number"):
        numbers.setdefault(tracker_id, {})[number] = number_id
    configs = []
    for order, tracker in enumerate(trackers):
        raw_targets = tracker.swap_targets or _default_targets(tracker)
        targets = [t for t in dict.fromkeys(target_key(x) for x in raw_targets) if len(t) >= 7]
        configs.append(
            TrackerConfig(
                id=tracker.id,
                public_id=tracker.public_id,
                name=tracker.name,
                type=tracker.type,
                source=tracker.source if isinstance(tracker.source, dict) else {"type": str(tracker.source)},
                targets=targets,
                created_order=order,
                session_timeout=tracker.session_timeout or 1800,
                fallback_number=tracker.fallback_number,
                numbers=numbers.get(tracker.id, {}),
            )
        )
    return CompanyConfig(
        id=company.id,
        public_id=company.public_id,
        account_id=company.account_id,
        name=company.name,
        active=company.is_active,
        dni_active=company.dni_active,
        consent_required=company.consent_required,
        form_capture=company.form_capture,
        cookie_days=company.cookie_duration_days,
        allowed_origins=list(company.allowed_origins or []),
        ignored_form_fields=list(company.ignored_form_fields or []),
        swap_ppc_override=company.swap_ppc_override,
        swap_landing_override=company.swap_landing_override,
        trackers=configs,
    )


# company id -> (configuration, when it was loaded, the generation it was loaded in)
_cache: dict[str, tuple[CompanyConfig | None, float, int]] = {}
_cache_lock = threading.Lock()
# One load per company at a time in this process (see company_config).
_loading: dict[str, threading.Lock] = {}
_CACHE_MAX = 10_000

# Redis counter bumped by every change, and what this process last saw of it. A change
# seen moves ``_generation`` on: configurations loaded in an earlier generation are
# stale, including one whose load was under way when the change was seen.
CONFIG_VERSION_KEY = "dni:config:version"


class _Versions:
    def __init__(self) -> None:
        self.seen: bytes | None = None
        self.checked_at = float("-inf")
        self.generation = 0


_versions = _Versions()


def _version_check(now: float) -> None:
    """Move to a new generation when another process announced a change (read at most
    once per ``DNI_CONFIG_VERSION_INTERVAL``; the first read also starts one, since
    configurations may have been loaded before anything was known)."""
    if now - _versions.checked_at < getattr(settings, "DNI_CONFIG_VERSION_INTERVAL", 1.0):
        return
    _versions.checked_at = now
    try:
        # The client does not decode responses: the version is bytes.
        version = cast("bytes | None", get_redis().get(CONFIG_VERSION_KEY)) or b"0"
    except redis.RedisError:
        # Unknown: the TTL alone bounds how stale a configuration gets until Redis answers.
        return
    if version != _versions.seen:
        with _cache_lock:
            _versions.seen = version
            _versions.generation += 1


def _config_read(company_id: str) -> CompanyConfig | None:
    lookup = parse_public_or_numeric(company_id, "COM")
    company = Company.objects.filter(**lookup).first() if lookup else None
    return company_config_load(company) if company else None


def _fresh(
    cached: tuple[CompanyConfig | None, float, int] | None, now: float
) -> TypeGuard[tuple[CompanyConfig | None, float, int]]:
    return (
        cached is not None
        and cached[2] == _versions.generation
        and now - cached[1] < getattr(settings, "DNI_CONFIG_TTL", 10)
    )


def company_config(company_id: str) -> CompanyConfig | None:
    """The DNI configuration of a company by public or numeric id (None if unknown).

    Kept per process for ``DNI_CONFIG_TTL`` seconds, or until a change is announced
    (see the module docstring). When it expires, one thread reloads it while the
    others go on with the configuration they have (current a moment ago): every
    thread reloading at once stalled all of a worker's visitors every TTL. With
    nothing cached yet, the others wait for that one load.
    """
    now = time.monotonic()
    _version_check(now)
    cached = _cache.get(company_id)
    if _fresh(cached, now):
        return cached[0]
    with _cache_lock:
        loader = _loading.setdefault(company_id, threading.Lock())
    if cached is not None:
        if not loader.acquire(blocking=False):
            return cached[0]  # another thread is reloading it
    else:
        loader.acquire()
        cached = _cache.get(company_id)
        if _fresh(cached, time.monotonic()):
            loader.release()
            return cached[0]  # loaded while this thread waited
    try:
        generation = _versions.generation
        try:
            config = _config_read(company_id)
        except DatabaseError:
            if cached is None:
                raise
            # The database is out of reach: numbers keep swapping with what was current.
            logger.warning("DNI configuration of %s not reloaded; using the cached one", company_id, exc_info=True)
            return cached[0]
        with _cache_lock:
            if len(_cache) > _CACHE_MAX:
                _cache.clear()
                _loading.clear()
            _cache[company_id] = (config, time.monotonic(), generation)
    finally:
        loader.release()
    return config


def _announce() -> None:
    try:
        version = int(get_redis().incr(CONFIG_VERSION_KEY))
    except redis.RedisError:
        logger.warning("could not announce a DNI configuration change; other processes see it within DNI_CONFIG_TTL")
        return
    # This process knows of its own change: a new generation now (a configuration loaded
    # meanwhile, as at commit, may hold the rows from before), not again at its next check.
    with _cache_lock:
        _versions.seen = str(version).encode()
        _versions.generation += 1


def company_config_forget(*, company_pk: int | None = None) -> None:
    """Drop cached configurations (all of them, or one company's) here, and have every
    other process drop its own: once at once, and again after commit (another process
    may have loaded the old rows in between)."""
    with _cache_lock:
        if company_pk is None:
            _cache.clear()
        else:
            for key, (config, _, _) in list(_cache.items()):
                if config is None or config.id == company_pk:
                    _cache.pop(key, None)
    _announce()
    if connection.in_atomic_block:
        transaction.on_commit(_announce)
