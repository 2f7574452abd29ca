"""Absurd amounts are refused as bad values (never an arithmetic error or a column overflow)."""

from decimal import Decimal

import pytest

from relance.imports.values import AMOUNT_EXPECTED, BadValue, parse_amount


@pytest.mark.parametrize("text", ["1" * 40, "1e30", "1e20", "-1e20", "10000000000000",
                                  "1 000 000 000 000 000,00", Decimal("1e30"), 10**40, 1e300])
def test_amounts_of_ten_thousand_billion_euros_or_more_are_refused(text):
    with pytest.raises(BadValue) as info:
        parse_amount(text)
    assert info.value.expected == AMOUNT_EXPECTED


def test_the_largest_amount_a_column_holds_is_still_read():
    assert parse_amount("9 999 999 999 999,99") == Decimal("9999999999999.99")
    assert parse_amount("1e3") == Decimal("1000.00")
