"""Phone numbers: parsed with ``phonenumbers`` and stored as E.164 everywhere."""

import phonenumbers
from django.core.exceptions import ValidationError

DEFAULT_REGION = "US"


def to_e164(value: str, region: str = DEFAULT_REGION) -> str:
    """Normalise any common spelling (``(404) 555-1234``, ``+1 404…``) to E.164.

    Raises ``ValidationError`` for text that is not a possible phone number.
    """
    text = (value or "").strip()
    if not text:
        raise ValidationError("A phone number is required.")
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(f"{value!r} is not a valid phone number.") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise ValidationError(f"{value!r} is not a valid phone number.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def to_e164_or_none(value: str | None, region: str = DEFAULT_REGION) -> str | None:
    try:
        return to_e164(value or "", region)
    except ValidationError:
        return None


def us_or_canada_e164(value: object, field_name: str) -> str:
    """``value`` as a US or Canadian number in E.164 (outbound calls and texts reach only those).

    Raises ``ValidationError`` naming ``field_name`` when it is missing or another number.
    """
    if value in (None, ""):
        raise ValidationError(f"{field_name} is required.")
    number = to_e164_or_none(str(value))
    if number is None or not is_us_or_canada(number):
        raise ValidationError(f"{field_name} must be a valid US or Canadian phone number.")
    return number


def is_us_or_canada(e164: str) -> bool:
    return e164.startswith("+1") and len(e164) == 12


def _parsed(e164: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(e164, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None


def formatted(e164: str | None) -> str | None:
    """The national form people read: ``(404) 555-1234`` (alert and summary emails)."""
    parsed = _parsed(e164) if e164 else None
    if parsed is None:
        return e164
    if parsed.country_code == 1:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def dashed(e164: str | None) -> str | None:
    """``+14045558514`` → ``404-555-8514``: the ``formatted_*`` numbers of the v3 API and webhooks."""
    parsed = _parsed(e164) if e164 else None
    if parsed is None:
        return e164 or None
    national = str(parsed.national_number)
    if parsed.country_code == 1 and len(national) == 10:
        return f"{national[:3]}-{national[3:6]}-{national[6:]}"
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
