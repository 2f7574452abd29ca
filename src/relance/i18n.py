"""French formats for what users read (amounts, dates), through Babel; other locales ready.

>>> from decimal import Decimal
>>> from datetime import date
>>> format_money(Decimal("1234.56")).replace("\\u202f", " ").replace("\\xa0", " ")
'1 234,56 €'
>>> format_date(date(2026, 11, 23))
'23 novembre 2026'
>>> format_date(date(2025, 1, 1))
'1er janvier 2025'
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

from babel.dates import format_date as _babel_date
from babel.numbers import format_currency, format_decimal

LOCALE = "fr_FR"


def format_money(amount: Decimal, currency: str = "EUR", locale: str = LOCALE) -> str:
    """`1 234,56 €` (French typography: narrow no-break space between thousands).

    Euros in French, by far the most frequent case (every line of every reminder), take a
    direct path that gives exactly Babel's result (a property test compares them); anything
    else goes through Babel.
    """
    if currency == "EUR" and locale == LOCALE and type(amount) is Decimal and amount.is_finite():
        return _fr_eur(amount)
    return str(format_currency(amount, currency, locale=locale))


_CENTS = Decimal("0.01")


def _fr_eur(amount: Decimal) -> str:
    """Babel's fr_FR EUR format: `-1\u202f234,50\xa0€`, half-even rounding to the cent."""
    q = amount.quantize(_CENTS, rounding=ROUND_HALF_EVEN)
    sign = "-" if q.is_signed() else ""
    whole, _, frac = f"{abs(q):.2f}".partition(".")
    head = len(whole) % 3 or 3
    groups = [whole[:head]] + [whole[i:i + 3] for i in range(head, len(whole), 3)]
    return f"{sign}{chr(0x202F).join(groups)},{frac}\xa0€"


@lru_cache(maxsize=8192)
def format_date(value: date, locale: str = LOCALE) -> str:
    """`23 novembre 2026` (and `1er janvier 2025`, as French writes the first of the month)."""
    text = str(_babel_date(value, format="long", locale=locale))
    if locale.startswith("fr") and value.day == 1:
        text = "1er" + text[1:]
    return text


@lru_cache(maxsize=8192)
def format_short_date(value: date, locale: str = LOCALE) -> str:
    """`23/11/2026`."""
    return str(_babel_date(value, format="short", locale=locale))


def format_percent(value: Decimal) -> str:
    """`12,15 %` (two decimals, no-break space before the sign), as rates are written."""
    return f"{value:.2f}".replace(".", ",") + "\u00a0%"


def format_number(value: Decimal | int, locale: str = LOCALE) -> str:
    """`1 234` or `12,5`."""
    return str(format_decimal(value, locale=locale))
