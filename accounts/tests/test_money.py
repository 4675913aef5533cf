from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.money import money_parse


@pytest.mark.parametrize(
    ("typed", "amount"),
    [("$1.00", Decimal("1.00")), ("1.00", Decimal("1.00")), (1, Decimal("1.00")), ("$1,250.5", Decimal("1250.50"))],
)
def test_it_reads_amounts_with_or_without_a_dollar_sign(typed, amount):
    assert money_parse(typed) == amount


@pytest.mark.parametrize("typed", [None, ""])
def test_null_or_empty_clears_the_value(typed):
    assert money_parse(typed) is None


@pytest.mark.parametrize("typed", ["a lot", "-5", "$-1.00", "NaN", "Infinity", "10000000000"])
def test_it_refuses_what_is_not_an_amount_earned(typed):
    with pytest.raises(ValidationError, match="not an amount"):
        money_parse(typed)
