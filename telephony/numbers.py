"""Buying and releasing tracking numbers, following the reference's "Requesting a Number".

The number-request object has ``area_code``, ``local`` (a number to be local to) and
``toll_free``; at least one is required:

- ``{local}``: the same area code as ``local``, falling back to nearby area codes;
- ``{area_code, local}`` and ``{area_code}``: that area code only, or an error;
- ``{toll_free: true}``: toll-free, preferring 888 > 877 > 866 > 855, then any;
- ``{area_code: "888", toll_free: true}``: that toll-free code only, or an error.
"""

import logging
import re
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from accounts.phone import to_e164
from telephony.carrier import AvailableNumber, Carrier, CarrierError, NumberUnavailable, PurchasedNumber, get_carrier
from tracking.models import TrackingNumber

logger = logging.getLogger(__name__)

TOLL_FREE_PREFERENCE = ("888", "877", "866", "855")
TOLL_FREE_AREA_CODES = frozenset({"800", "833", "844", "855", "866", "877", "888"})
AREA_CODE_RE = re.compile(r"^[2-9]\d\d$")


def number_request_validate(number_request: Any) -> dict[str, Any]:
    """The normalised request (``area_code`` str|None, ``local`` E.164|None, ``toll_free`` bool).

    Raises ``ValidationError`` for a malformed request."""
    if not isinstance(number_request, dict):
        raise ValidationError("The number request must be an object with area_code, local or toll_free.")
    area_code = number_request.get("area_code")
    local = number_request.get("local")
    toll_free = number_request.get("toll_free", False)
    if toll_free in (None, ""):
        toll_free = False
    if not isinstance(toll_free, bool):
        raise ValidationError("toll_free must be true or false.")
    if area_code in (None, ""):
        area_code = None
    else:
        area_code = str(area_code).strip()
        if not AREA_CODE_RE.match(area_code):
            raise ValidationError(f"{area_code!r} is not a valid area code.")
    local = None if local in (None, "") else to_e164(str(local))
    if not (area_code or local or toll_free):
        raise ValidationError("Requesting a number needs at least one of area_code, local or toll_free.")
    if toll_free and area_code and area_code not in TOLL_FREE_AREA_CODES:
        raise ValidationError(f"{area_code} is not a toll-free area code.")
    if not toll_free and area_code in TOLL_FREE_AREA_CODES:
        raise ValidationError(f"{area_code} is a toll-free area code; set toll_free to true.")
    return {"area_code": area_code, "local": local, "toll_free": toll_free}


def _search_plan(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The searches to run, most preferred first."""
    area_code, local, toll_free = request["area_code"], request["local"], request["toll_free"]
    if toll_free:
        if area_code:
            return [{"toll_free": True, "area_code": area_code}]
        return [{"toll_free": True, "area_code": code} for code in TOLL_FREE_PREFERENCE] + [{"toll_free": True}]
    if area_code:
        return [{"area_code": area_code}]
    plan: list[dict[str, Any]] = []
    if local.startswith("+1") and len(local) == 12:
        plan.append({"area_code": local[2:5]})
    plan.append({"near": local})
    return plan


def _describe(request: dict[str, Any]) -> str:
    if request["toll_free"]:
        return f"toll-free numbers in area code {request['area_code']}" if request["area_code"] else "toll-free numbers"
    if request["area_code"]:
        return f"numbers in area code {request['area_code']}"
    return f"local numbers near {request['local']}"


def _matches(number: str, request: dict[str, Any]) -> bool:
    """Whether a number picked from a search could have come from ``request``'s searches."""
    if not (number.startswith("+1") and len(number) == 12):
        return False
    code = number[2:5]
    if request["toll_free"]:
        return code in TOLL_FREE_AREA_CODES and code == (request["area_code"] or code)
    return code not in TOLL_FREE_AREA_CODES and code == (request["area_code"] or code)


def numbers_search(*, number_request: dict, limit: int = 12) -> list[AvailableNumber]:
    """Numbers the carrier has for sale for ``number_request``, most preferred first (the
    searches ``numbers_provision`` runs), leaving out numbers already tracking for anyone.

    Raises ``ValidationError`` for a malformed request and ``CarrierError`` when the
    carrier cannot be reached."""
    request = number_request_validate(number_request)
    carrier = get_carrier()
    found: dict[str, AvailableNumber] = {}
    for search in _search_plan(request):
        if len(found) >= limit:
            break
        for candidate in carrier.search_numbers(**search, limit=limit):
            found.setdefault(candidate.number, candidate)
    ours = set(
        TrackingNumber.objects.filter(number__in=list(found), status=TrackingNumber.Status.ACTIVE).values_list(
            "number", flat=True
        )
    )
    return [candidate for number, candidate in found.items() if number not in ours][:limit]


def numbers_provision(
    *, account: Account, number_request: dict, count: int, preferred: Sequence[str] = ()
) -> list[PurchasedNumber]:
    """Buy ``count`` numbers matching ``number_request``, all or none: first those of
    ``preferred`` (numbers picked from ``numbers_search``) that are still for sale, then
    the searches' own candidates.

    Raises ``ValidationError`` for a malformed request and ``carrier.NumberUnavailable``
    when the carrier cannot supply enough matching numbers (nothing stays bought).
    """
    if count < 1:
        raise ValidationError("At least one number must be requested.")
    request = number_request_validate(number_request)
    carrier = get_carrier()
    bought: list[PurchasedNumber] = []
    seen: set[str] = set()
    picked = [AvailableNumber(number=number) for number in preferred if _matches(number, request)]
    try:
        _candidates_buy(carrier, picked, bought=bought, count=count, seen=seen)
        for search in _search_plan(request):
            missing = count - len(bought)
            if missing <= 0:
                break
            # A few spares: another buyer may take a number between search and purchase.
            candidates = carrier.search_numbers(**search, limit=missing + 3)
            _candidates_buy(carrier, candidates, bought=bought, count=count, seen=seen)
    except CarrierError:
        _release_quietly(bought)
        raise
    if len(bought) < count:
        _release_quietly(bought)
        wanted = "a number" if count == 1 else f"{count} numbers"
        raise NumberUnavailable(f"Could not obtain {wanted}: not enough {_describe(request)} are available.")
    logger.info("account %s bought %s", account.public_id, ", ".join(number.number for number in bought))
    return bought


def _candidates_buy(
    carrier: Carrier, candidates: list[AvailableNumber], *, bought: list[PurchasedNumber], count: int, seen: set[str]
) -> None:
    """Buy candidates into ``bought`` until it holds ``count``: those not seen before (noted
    in ``seen``) and not ours already; one someone else bought since the search is skipped.
    Each purchase joins ``bought`` at once, so a carrier failure can give them all back."""
    for candidate in candidates:
        if len(bought) >= count:
            return
        if candidate.number in seen:
            continue
        seen.add(candidate.number)
        if TrackingNumber.objects.filter(number=candidate.number, status=TrackingNumber.Status.ACTIVE).exists():
            continue
        try:
            bought.append(carrier.buy_number(candidate.number))
        except NumberUnavailable:
            continue


def _release_quietly(numbers: list[PurchasedNumber]) -> None:
    carrier = get_carrier()
    for number in numbers:
        try:
            carrier.release_number(number.sid)
        except CarrierError:
            logger.exception("could not release %s (%s) after a failed purchase", number.number, number.sid)


def number_release(*, tracking_number: TrackingNumber) -> None:
    """Give the number back to the carrier and mark it released (idempotent).

    The tracker's Redis pool is not touched here: the tracker lifecycle service
    calls ``tracking.pools.pool_sync`` after it releases numbers."""
    with transaction.atomic():
        # Lock the row: a concurrent disable and replace must not release twice.
        number = TrackingNumber.objects.select_for_update().get(pk=tracking_number.pk)
        if number.status == TrackingNumber.Status.RELEASED:
            return
        if number.carrier_sid:
            get_carrier().release_number(number.carrier_sid)
        number.status = TrackingNumber.Status.RELEASED
        number.released_at = timezone.now()
        number.save(update_fields=["status", "released_at", "updated_at"])
    tracking_number.status = number.status
    tracking_number.released_at = number.released_at
