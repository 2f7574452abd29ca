"""Money: the one constructor for amounts; Decimal only, cents rounded half-up.

>>> money("1234.5")
Decimal('1234.50')
>>> money(40)
Decimal('40.00')
>>> round_cents(Decimal("0.125"))
Decimal('0.13')
>>> amount_text(Decimal("1234.5"))
'1234.50'
>>> money(1.5)
Traceback (most recent call last):
...
TypeError: amounts must not be floats: 1.5
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def round_cents(value: Decimal) -> Decimal:
    """Round a Decimal to the cent, half-up (the convention of French invoices)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: Decimal | int | str) -> Decimal:
    """Build an amount from a Decimal, an int or a string; floats are refused."""
    if isinstance(value, float):
        raise TypeError(f"amounts must not be floats: {value!r}")
    if isinstance(value, bool):
        raise TypeError(f"amounts must not be booleans: {value!r}")
    return round_cents(Decimal(value))


def amount_text(value: Decimal) -> str:
    """An amount as JSON answers and scripts read it: `1234.56`, two decimals, no symbol."""
    return f"{value:.2f}"


def cents_text(cents: int) -> str:
    """`amount_text` of an amount held as integer cents, without building a Decimal (reports
    write tens of thousands of them)."""
    units, rest = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}{units}.{rest:02d}"
