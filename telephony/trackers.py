"""The tracker lifecycle: create, update and disable session and source trackers
(reference: "Trackers", "Requesting a Number", "Configuring Call Flows",
"Session Tracker Call Sources", "Source Tracker Call Sources").

Each operation validates everything first, then buys numbers from the carrier
(outside any transaction: a purchase cannot be rolled back), then writes the
CallFlow/Tracker/TrackingNumber rows in one transaction. If the writes fail, the
numbers bought for them are released again, so nothing stays half-made. Redis
pools follow through ``tracking.pools.pool_sync`` once the rows are committed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any

import redis
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.fields import ascii_digits
from accounts.models import Account, Company
from accounts.phone import is_us_or_canada, to_e164
from telephony.callflows.validation import call_flow_validate, fallback_destination
from telephony.carrier import CarrierError, PurchasedNumber, get_carrier
from telephony.numbers import number_release, number_request_validate, numbers_provision
from tracking.assignments import latest_assignments
from tracking.models import CallFlow, Tracker, TrackingNumber
from tracking.pool_stats import POOL_SIZE_MAX, POOL_SIZE_MIN
from tracking.pools import pool_status, pool_sync

logger = logging.getLogger(__name__)

# How long a visitor keeps a pool number after their last activity (our extension).
SESSION_TIMEOUT_MIN, SESSION_TIMEOUT_MAX = 300, 86_400
# The settings only a session tracker's pool has (our extensions to the reference's tracker).
POOL_SETTINGS = ("session_timeout", "fallback_number")
SEARCH_ENGINES = ("google", "bing", "yahoo")
SEARCH_KINDS = ("paid", "organic")
SOURCE_TYPES = (
    "all",
    "landing_url",
    "landing_params",
    "offline",
    "web_referrer",
    "direct",
    "search",
    "google_ad_extension",
    "mobile_ad_extension",
    "google_my_business",
)
DISABLE_FORM_OUTBOUND_MESSAGE = (
    "You must select a different number for outbound Form Submission calls before disabling this tracker."
)


class TrackerDisableRefused(ValidationError):
    """The tracker cannot be disabled as things stand (answered as 400)."""


# --- validation ---------------------------------------------------------------------------


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError(f"{field}: {message}")


def _strings(value: Any, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise _invalid(field, "must be an array of strings.")
    return [item.strip() for item in value]


def _search_rules(source: dict[str, Any]) -> dict[str, list[str]]:
    """The search engines a session tracker's rules name, each with paid and/or organic."""
    rules: dict[str, list[str]] = {}
    for engine in SEARCH_ENGINES:
        if engine in source:
            kinds = _strings(source[engine], f"source.{engine}")
            if any(kind not in SEARCH_KINDS for kind in kinds):
                raise _invalid(f"source.{engine}", "values must be paid or organic.")
            rules[engine] = sorted(set(kinds), key=SEARCH_KINDS.index)
    return rules


def _inverted(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _invalid("source.inverted", "must be true or false.")
    return value


def session_source_validate(source: Any) -> dict[str, Any]:
    """``"all"`` or an object of engines/landing/referrer/direct/inverted rules."""
    if source == "all" or (isinstance(source, dict) and source.get("type") == "all" and len(source) == 1):
        return {"type": "all"}
    if not isinstance(source, dict) or not source:
        raise _invalid("source", 'must be "all" or an object of matching rules.')
    allowed = {"type", *SEARCH_ENGINES, "landing", "referrer", "inverted"}
    unknown = sorted(set(source) - allowed)
    if unknown:
        raise _invalid("source", f"unknown keys {', '.join(unknown)}.")
    out: dict[str, Any] = {}
    if "type" in source:
        if source["type"] != "direct":
            raise _invalid("source.type", 'only "direct" (or "all" alone) is valid for session trackers.')
        out["type"] = "direct"
    out.update(_search_rules(source))
    for key in ("landing", "referrer"):
        if key in source:
            out[key] = _strings(source[key], f"source.{key}")
    if "inverted" in source:
        out["inverted"] = _inverted(source["inverted"])
    if not set(out) - {"inverted"}:
        raise _invalid("source", "needs at least one rule.")
    return out


def source_source_validate(source: Any) -> dict[str, Any]:
    """A source tracker's ``{type, …}`` object."""
    if source == "all":
        return {"type": "all"}
    if not isinstance(source, dict) or source.get("type") not in SOURCE_TYPES:
        raise _invalid("source.type", f"must be one of {', '.join(SOURCE_TYPES)}.")
    kind = source["type"]
    if kind in ("landing_url", "landing_params"):
        landing = source.get("landing")
        if not isinstance(landing, str) or not landing.strip():
            raise _invalid("source.landing", "is required for this source type.")
        return {"type": kind, "landing": landing.strip()}
    if kind == "web_referrer":
        referrer = source.get("referrer")
        if not isinstance(referrer, str) or not referrer.strip():
            raise _invalid("source.referrer", "is required for web_referrer.")
        return {"type": kind, "referrer": referrer.strip()}
    if kind == "search":
        engine = source.get("search_engine", "all")
        search_type = source.get("search_type", "all")
        if engine not in (*SEARCH_ENGINES, "all"):
            raise _invalid("source.search_engine", "must be google, yahoo, bing or all.")
        if search_type not in (*SEARCH_KINDS, "all"):
            raise _invalid("source.search_type", "must be paid, organic or all.")
        return {"type": kind, "search_engine": engine, "search_type": search_type}
    return {"type": kind}


def swap_targets_validate(value: Any) -> list[str]:
    """Any spelling of a phone number (``7704761456``, ``(770) 476-1456``) → E.164."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _invalid("swap_targets", "must be an array of phone numbers.")
    targets: list[str] = []
    for item in value:
        try:
            number = to_e164(str(item))
        except ValidationError as exc:
            raise _invalid("swap_targets", exc.messages[0]) from exc
        if number not in targets:
            targets.append(number)
    return targets


def _bool(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _invalid(field, "must be true or false.")


def _text(value: Any, field: str, *, required: bool = False) -> str:
    if value is None:
        if required:
            raise _invalid(field, "is required.")
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise _invalid(field, "must be a non-empty string." if required else "must be a string.")
    if len(value) > 255:
        raise _invalid(field, "is too long (255 characters at most).")
    return value.strip()


def _pool_size(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not ascii_digits(value, 6):
        raise _invalid("pool_size", f"must be a number between {POOL_SIZE_MIN} and {POOL_SIZE_MAX}.")
    size = int(value)
    if not POOL_SIZE_MIN <= size <= POOL_SIZE_MAX:
        raise _invalid("pool_size", f"must be between {POOL_SIZE_MIN} and {POOL_SIZE_MAX}.")
    return size


def session_timeout_validate(value: Any) -> int:
    """Seconds a visitor keeps a pool number after their last page view or heartbeat."""
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
        raise _invalid(
            "session_timeout", f"must be a number of seconds between {SESSION_TIMEOUT_MIN} and {SESSION_TIMEOUT_MAX}."
        )
    seconds = int(str(value).strip())
    if not SESSION_TIMEOUT_MIN <= seconds <= SESSION_TIMEOUT_MAX:
        raise _invalid("session_timeout", f"must be between {SESSION_TIMEOUT_MIN} and {SESSION_TIMEOUT_MAX} seconds.")
    return seconds


def fallback_number_validate(value: Any, *, pool_numbers: Collection[str] = ()) -> str:
    """The number shown when every pool number is held: E.164, or "" (null) to keep the
    page's own number. One of the pool's own numbers would tie calls to the wrong visitor."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise _invalid("fallback_number", "must be a phone number or null.")
    try:
        number = to_e164(str(value))
    except ValidationError as exc:
        raise _invalid("fallback_number", exc.messages[0]) from exc
    if number in pool_numbers:
        raise _invalid("fallback_number", "must not be one of the pool's own numbers.")
    return number


def _pool_settings(kind: str, data: dict[str, Any], pool_numbers: list[str]) -> dict[str, Any]:
    """The pool's own settings present in ``data``, checked (session trackers only)."""
    present = [name for name in POOL_SETTINGS if name in data]
    if present and kind != Tracker.Type.SESSION:
        raise _invalid(present[0], "only session trackers have a pool.")
    settings: dict[str, Any] = {}
    if "session_timeout" in data:
        settings["session_timeout"] = session_timeout_validate(data["session_timeout"])
    if "fallback_number" in data:
        settings["fallback_number"] = fallback_number_validate(data["fallback_number"], pool_numbers=pool_numbers)
    return settings


def _call_flow(*, account: Account, company: Company, definition: Any) -> CallFlow:
    """An existing advanced flow by uuid, or a new (unsaved) flow row for a definition."""
    try:
        normalised = call_flow_validate(definition)
    except ValidationError as exc:
        raise _invalid("call_flow", "; ".join(exc.messages)) from exc
    if normalised["type"] == "advanced" and "steps" not in normalised:
        flow = CallFlow.objects.filter(account=account, uuid=uuid.UUID(normalised["uuid"])).first()
        if flow is None:
            raise _invalid("call_flow.uuid", "no call flow with this id exists in the account.")
        return flow
    return CallFlow(account=account, company=company, definition=normalised)


def _sms_check(sms_enabled: bool, *, toll_free: bool) -> None:
    if sms_enabled and toll_free:
        raise _invalid("sms_enabled", "text messages are only supported on local US and Canadian numbers.")


# --- buying numbers without leaving any behind ---------------------------------------------


def _release_purchased(numbers: list[PurchasedNumber]) -> None:
    carrier = get_carrier()
    for number in numbers:
        try:
            carrier.release_number(number.sid)
        except CarrierError:
            logger.exception("could not release %s (%s) after a failed tracker write", number.number, number.sid)


def _write_or_release(bought: list[PurchasedNumber], write: Callable[[], Tracker]) -> Tracker:
    """Run ``write`` in one transaction; give ``bought`` back to the carrier if it fails."""
    try:
        with transaction.atomic():
            return write()
    except BaseException:
        _release_purchased(bought)
        raise


def _number_rows(tracker: Tracker, bought: list[PurchasedNumber], *, toll_free: bool) -> None:
    TrackingNumber.objects.bulk_create(
        [
            TrackingNumber(
                account_id=tracker.account_id,
                tracker=tracker,
                number=number.number,
                carrier_sid=number.sid,
                toll_free=toll_free,
            )
            for number in bought
        ]
    )


def _sync_after_commit(tracker: Tracker) -> None:
    transaction.on_commit(lambda: pool_sync(tracker))


# --- create -------------------------------------------------------------------------------


def _kind_settings(kind: str, data: dict[str, Any]) -> tuple[dict[str, Any], int | None, dict[str, Any]]:
    """What differs between a new session and source tracker: its source rules, its pool
    size (session trackers), and the request for its numbers (``pool_numbers`` or
    ``tracking_number``)."""
    if data.get("source") is None:
        raise _invalid("source", "is required.")
    if kind == Tracker.Type.SESSION:
        source = session_source_validate(data["source"])
        pool_size: int | None = _pool_size(data.get("pool_size"))
        request_key = "pool_numbers"
        if "campaign_name" in data and data["campaign_name"]:
            raise _invalid("campaign_name", "can only be set for source trackers.")
    else:
        source = source_source_validate(data["source"])
        pool_size = None
        request_key = "tracking_number"
    if data.get(request_key) is None:
        raise _invalid(request_key, "is required.")
    try:
        return source, pool_size, number_request_validate(data[request_key])
    except ValidationError as exc:
        raise _invalid(request_key, "; ".join(exc.messages)) from exc


def tracker_create(
    *, account: Account, company: Company, data: dict[str, Any], preferred_numbers: Collection[str] = ()
) -> Tracker:
    """Create a session or source tracker with its call flow and freshly bought numbers
    (``preferred_numbers`` first, when still for sale: numbers picked from a search).

    Raises ``ValidationError`` for bad input and ``carrier.NumberUnavailable`` when the
    carrier cannot supply the numbers (then nothing is created and nothing stays bought).
    """
    kind = data.get("type")
    if kind not in (Tracker.Type.SESSION, Tracker.Type.SOURCE):
        raise _invalid("type", "must be session or source.")
    name = _text(data.get("name"), "name", required=True)
    if data.get("call_flow") is None:
        raise _invalid("call_flow", "is required.")
    flow = _call_flow(account=account, company=company, definition=data["call_flow"])
    source, pool_size, number_request = _kind_settings(kind, data)
    pool_settings = _pool_settings(kind, data, [])
    sms_enabled = _bool(data.get("sms_enabled", False), "sms_enabled")
    _sms_check(sms_enabled, toll_free=number_request["toll_free"])
    swap_targets = swap_targets_validate(data.get("swap_targets"))
    whisper = _text(data.get("whisper_message"), "whisper_message")
    campaign = _text(data.get("campaign_name"), "campaign_name")
    if not swap_targets:
        # Reference: without swap targets, the destination number is the one replaced.
        destination = fallback_destination(flow.definition)
        swap_targets = [destination] if destination else []

    bought = numbers_provision(
        account=account, number_request=number_request, count=pool_size or 1, preferred=list(preferred_numbers)
    )

    def write() -> Tracker:
        if flow.pk is None:
            flow.name = name
            flow.save()
        tracker = Tracker.objects.create(
            account=account,
            company=company,
            name=name,
            type=kind,
            call_flow=flow,
            swap_targets=swap_targets,
            whisper_message=whisper,
            sms_enabled=sms_enabled,
            campaign_name=campaign,
            source=source,
            pool_size=pool_size,
            number_request=number_request,
            **pool_settings,
        )
        _number_rows(tracker, bought, toll_free=number_request["toll_free"])
        _sync_after_commit(tracker)
        return tracker

    return _write_or_release(bought, write)


# --- update -------------------------------------------------------------------------------


def _area_code_request(number: TrackingNumber) -> dict[str, Any]:
    """A same-type number in the same area code (reference: replace_tracking_number)."""
    digits = number.number[2:5] if is_us_or_canada(number.number) else ""
    request: dict[str, Any] = {"toll_free": number.toll_free}
    if digits:
        request["area_code"] = digits
    else:
        request["local"] = number.number
    return number_request_validate(request)


def _field_updates(tracker: Tracker, changes: dict[str, Any], active_numbers: list[TrackingNumber]) -> dict[str, Any]:
    """The tracker's own fields a v3 update changes, checked."""
    updates: dict[str, Any] = {}
    if "name" in changes:
        updates["name"] = _text(changes["name"], "name", required=True)
    if "whisper_message" in changes:
        updates["whisper_message"] = _text(changes["whisper_message"], "whisper_message")
    if "swap_targets" in changes:
        updates["swap_targets"] = swap_targets_validate(changes["swap_targets"])
    if "campaign_name" in changes:
        if tracker.type != Tracker.Type.SOURCE:
            raise _invalid("campaign_name", "can only be set for source trackers.")
        updates["campaign_name"] = _text(changes["campaign_name"], "campaign_name")
    if "source" in changes:
        validate = session_source_validate if tracker.type == Tracker.Type.SESSION else source_source_validate
        updates["source"] = validate(changes["source"])
    if "sms_enabled" in changes:
        updates["sms_enabled"] = _bool(changes["sms_enabled"], "sms_enabled")
        _sms_check(updates["sms_enabled"], toll_free=any(n.toll_free for n in active_numbers))
    updates.update(_pool_settings(tracker.type, changes, [n.number for n in active_numbers]))
    return updates


def _pool_growth(tracker: Tracker, value: Any, active_numbers: list[TrackingNumber]) -> tuple[int, int]:
    """(the new pool size, how many numbers to buy for it): a pool only grows."""
    if tracker.type != Tracker.Type.SESSION:
        raise _invalid("pool_size", "only session trackers have a pool.")
    size = _pool_size(value)
    current = tracker.pool_size or len(active_numbers)
    if size < current:
        raise _invalid("pool_size", f"can only be increased (it is {current}).")
    return size, max(0, size - len(active_numbers))


def _number_to_replace(value: Any, active_numbers: list[TrackingNumber]) -> TrackingNumber:
    try:
        wanted = to_e164(str(value))
    except ValidationError as exc:
        raise _invalid("replace_tracking_number", exc.messages[0]) from exc
    replaced = next((n for n in active_numbers if n.number == wanted), None)
    if replaced is None:
        raise _invalid("replace_tracking_number", f"{wanted} is not one of this tracker's numbers.")
    return replaced


def _numbers_buy(
    tracker: Tracker, active_numbers: list[TrackingNumber], *, grow: int, replaced: TrackingNumber | None
) -> list[tuple[PurchasedNumber, bool]]:
    """Buy the numbers an update needs, each with whether it is toll-free; all or none."""
    bought: list[tuple[PurchasedNumber, bool]] = []
    try:
        if grow:
            number_request = tracker.number_request or {}
            request = (
                number_request_validate(number_request) if number_request else _area_code_request(active_numbers[0])
            )
            numbers = numbers_provision(account=tracker.account, number_request=request, count=grow)
            bought += [(number, request["toll_free"]) for number in numbers]
        if replaced is not None:
            request = _area_code_request(replaced)
            numbers = numbers_provision(account=tracker.account, number_request=request, count=1)
            bought += [(number, replaced.toll_free) for number in numbers]
    except BaseException:
        _release_purchased([number for number, _ in bought])
        raise
    return bought


def tracker_update(*, tracker: Tracker, changes: dict[str, Any]) -> Tracker:
    """Apply a v3 tracker update. ``pool_size`` only grows; ``replace_tracking_number``
    swaps one number for a new one of the same kind and area code.

    New numbers are bought first; the replaced number is released only once the
    new one is committed, so the tracker never loses a working number on failure.
    """
    if tracker.status != Tracker.Status.ACTIVE:
        raise ValidationError("A disabled tracker cannot be updated.")
    active_numbers = list(tracker.numbers.filter(status=TrackingNumber.Status.ACTIVE))
    updates = _field_updates(tracker, changes, active_numbers)
    flow = None
    if changes.get("call_flow") is not None:
        flow = _call_flow(account=tracker.account, company=tracker.company, definition=changes["call_flow"])
    grow = 0
    if changes.get("pool_size") is not None:
        updates["pool_size"], grow = _pool_growth(tracker, changes["pool_size"], active_numbers)
    replaced = None
    if changes.get("replace_tracking_number") not in (None, ""):
        replaced = _number_to_replace(changes["replace_tracking_number"], active_numbers)
    bought = _numbers_buy(tracker, active_numbers, grow=grow, replaced=replaced)

    return _write_or_release(
        [number for number, _ in bought],
        lambda: _tracker_write(tracker, updates=updates, flow=flow, bought=bought, replaced=replaced),
    )


def _tracker_write(
    tracker: Tracker,
    *,
    updates: dict[str, Any],
    flow: CallFlow | None,
    bought: list[tuple[PurchasedNumber, bool]],
    replaced: TrackingNumber | None,
) -> Tracker:
    """The rows of a tracker update (inside ``_write_or_release``'s transaction)."""
    locked = Tracker.objects.select_for_update().get(pk=tracker.pk)
    if flow is not None:
        if flow.pk is None:
            flow.name = updates.get("name", locked.name)
            flow.save()
        updates["call_flow"] = flow
    for field, value in updates.items():
        setattr(locked, field, value)
    locked.save()
    for number, toll_free in bought:
        _number_rows(locked, [number], toll_free=toll_free)
    if replaced is not None:
        # Released once the new number is committed: the tracker never goes without one.
        transaction.on_commit(lambda: _release_replaced(locked, replaced))
    elif bought:
        _sync_after_commit(locked)
    return locked


def _release_replaced(tracker: Tracker, number: TrackingNumber) -> None:
    try:
        number_release(tracking_number=number)
    except CarrierError:
        # The new number is in place; the old one keeps ringing through until a retry.
        logger.exception("could not release replaced number %s of %s", number.number, tracker.public_id)
    pool_sync(tracker)


# --- resize (the dashboard's one-click pool resize) ---------------------------------------


def tracker_pool_resize(*, tracker: Tracker, size: Any) -> Tracker:
    """Grow or shrink a session tracker's pool to ``size`` numbers.

    Growing is the v3 update's ``pool_size`` (numbers bought). The reference lets a pool
    only grow "to prevent unexpected loss of live phone numbers"; shrinking here releases
    only numbers no visitor holds right now, the ones idle the longest first, and is
    refused when too few are idle.
    """
    if tracker.type != Tracker.Type.SESSION:
        raise _invalid("pool_size", "only session trackers have a pool.")
    if tracker.status != Tracker.Status.ACTIVE:
        raise ValidationError("A disabled tracker cannot be updated.")
    size = _pool_size(size)
    active = list(tracker.numbers.filter(status=TrackingNumber.Status.ACTIVE))
    if size >= max(tracker.pool_size or 0, len(active)):
        if size == tracker.pool_size == len(active):
            return tracker
        return tracker_update(tracker=tracker, changes={"pool_size": size})
    return _pool_shrink(tracker, size, _idle_numbers(tracker, active, surplus=len(active) - size))


def _idle_numbers(tracker: Tracker, active: list[TrackingNumber], *, surplus: int) -> list[TrackingNumber]:
    """``surplus`` numbers of the pool that no visitor holds, those idle the longest first."""
    if surplus <= 0:
        return []
    try:
        held = {number for number, _, _ in pool_status(tracker).live_sessions}
    except redis.RedisError as exc:
        # Without Redis nobody can tell which numbers visitors hold: release none.
        raise ValidationError("pool_size: the pool cannot shrink right now; try again in a minute.") from exc
    idle = [number for number in active if number.number not in held]
    if len(idle) < surplus:
        smallest = max(POOL_SIZE_MIN, len(active) - len(idle))
        raise _invalid(
            "pool_size",
            f"{len(active) - len(idle)} numbers are held by visitors right now, so the pool can shrink to "
            f"{smallest} numbers at most until they leave.",
        )
    last_held = {
        number_id: row.ended_at or row.expires_at for number_id, row in latest_assignments(n.pk for n in idle).items()
    }
    never = datetime.min.replace(tzinfo=UTC)
    return sorted(idle, key=lambda number: (last_held.get(number.pk, never), number.pk))[:surplus]


def _pool_shrink(tracker: Tracker, size: int, released: list[TrackingNumber]) -> Tracker:
    """The new size and the released numbers in one transaction; the carrier gets the
    numbers back once that is committed (a failure there leaves a number paid for but
    unused, which is logged, never a tracker without its numbers)."""
    now = timezone.now()
    with transaction.atomic():
        locked = Tracker.objects.select_for_update().get(pk=tracker.pk)
        locked.pool_size = size
        locked.save(update_fields=["pool_size", "updated_at"])
        for number in released:
            number.status = TrackingNumber.Status.RELEASED
            number.released_at = now
            number.save(update_fields=["status", "released_at", "updated_at"])
        transaction.on_commit(lambda: _carrier_give_back(locked, released))
    return locked


def _carrier_give_back(tracker: Tracker, numbers: list[TrackingNumber]) -> None:
    # Out of the pool first, so no visitor is given a number on its way out.
    pool_sync(tracker)
    carrier = get_carrier()
    for number in numbers:
        if not number.carrier_sid:
            continue
        try:
            carrier.release_number(number.carrier_sid)
        except CarrierError:
            logger.exception("could not release %s of %s at the carrier", number.number, tracker.public_id)


# --- disable ------------------------------------------------------------------------------


def tracker_is_form_outbound(tracker: Tracker) -> bool:
    """Whether the company places its outbound form-submission calls from this tracker."""
    return tracker.form_submission_outbound


def tracker_disable(*, tracker: Tracker) -> Tracker:
    """Disable a tracker: it stops swapping, its numbers go back to the carrier.

    Refused while the tracker is the company's outbound number for form-submission calls.
    """
    if tracker_is_form_outbound(tracker):
        raise TrackerDisableRefused(DISABLE_FORM_OUTBOUND_MESSAGE)
    with transaction.atomic():
        locked = Tracker.objects.select_for_update().get(pk=tracker.pk)
        if locked.status == Tracker.Status.DISABLED:
            return locked
        locked.status = Tracker.Status.DISABLED
        locked.disabled_at = timezone.now()
        locked.save(update_fields=["status", "disabled_at", "updated_at"])
    released_all = True
    for number in locked.numbers.filter(status=TrackingNumber.Status.ACTIVE):
        try:
            number_release(tracking_number=number)
        except CarrierError:
            released_all = False
            logger.exception("could not release %s while disabling %s", number.number, locked.public_id)
    if not released_all:
        logger.warning("tracker %s disabled with numbers still held at the carrier", locked.public_id)
    pool_sync(locked)
    return locked
