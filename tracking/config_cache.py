"""What the DNI endpoint and swap.js need to know about a company, cached per process.

The DNI endpoint answers thousands of requests a second, so a company's
trackers are read from the database at most once per ``DNI_CONFIG_TTL``
seconds per process (and at once in this process after a change saved here).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DatabaseError

from accounts.fields import parse_public_or_numeric
from accounts.models import Company
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


_cache: dict[str, tuple[CompanyConfig | None, float]] = {}
_cache_lock = threading.Lock()
# One load per company at a time in this process (see company_config).
_loading: dict[str, threading.Lock] = {}
_CACHE_MAX = 10_000


def _config_read(company_id: str) -> CompanyConfig | None:
    lookup = parse_public_or_numeric(company_id, "COM")
    company = Company.objects.filter(**lookup).first() if lookup else None
    return company_config_load(company) if company else None


def company_config(company_id: str) -> CompanyConfig | None:
    """The DNI configuration of a company by public or numeric id (None if unknown).

    Kept per process for ``DNI_CONFIG_TTL`` seconds. When it expires, one thread
    reloads it while the others go on with the configuration they have (current a
    moment ago): every thread reloading at once stalled all of a worker's visitors
    every TTL. With nothing cached yet, the others wait for that one load.
    """
    ttl = getattr(settings, "DNI_CONFIG_TTL", 10)
    cached = _cache.get(company_id)
    if cached is not None and time.monotonic() - cached[1] < ttl:
        return cached[0]
    with _cache_lock:
        loader = _loading.setdefault(company_id, threading.Lock())
    if cached is not None:
        if not loader.acquire(blocking=False):
            return cached[0]  # another thread is reloading it
    else:
        loader.acquire()
        cached = _cache.get(company_id)
        if cached is not None and time.monotonic() - cached[1] < ttl:
            loader.release()
            return cached[0]  # loaded while this thread waited
    try:
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
            _cache[company_id] = (config, time.monotonic())
    finally:
        loader.release()
    return config


def company_config_forget(*, company_pk: int | None = None) -> None:
    """Drop cached configurations (all of them, or one company's) in this process."""
    with _cache_lock:
        if company_pk is None:
            _cache.clear()
            return
        for key, (config, _) in list(_cache.items()):
            if config is None or config.id == company_pk:
                _cache.pop(key, None)
