"""Money as marketers type it: the ``value`` of a call or a form submission."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

# Values are stored as DECIMAL(12, 2): ten digits before the point.
MONEY_LIMIT = Decimal("10000000000")


def money_parse(value: Any) -> Decimal | None:
    """``"$1.00"``, ``"1.00"``, ``"1,000"`` or ``1`` → a ``Decimal`` in cents; null or "" clears.

    The reference calls it "a number representing the monetary value" of the call or form
    submission, "with or without a dollar sign": an amount earned, never below zero.
    """
    if value is None or value == "":
        return None
    text = str(value).strip().replace("$", "").replace(",", "")
    message = f'value {value!r} is not an amount (e.g. "$1.00" or "1.00").'
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise ValidationError(message) from exc
    if not amount.is_finite() or amount < 0 or amount >= MONEY_LIMIT:
        raise ValidationError(message)
    return amount.quantize(Decimal("0.01"))
