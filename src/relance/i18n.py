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
from decimal import Decimal

from babel.dates import format_date as _babel_date
from babel.numbers import format_currency, format_decimal

LOCALE = "fr_FR"


def format_money(amount: Decimal, currency: str = "EUR", locale: str = LOCALE) -> str:
    """`1 234,56 €` (French typography: narrow no-break space between thousands)."""
    return str(format_currency(amount, currency, locale=locale))


def format_date(value: date, locale: str = LOCALE) -> str:
    """`23 novembre 2026` (and `1er janvier 2025`, as French writes the first of the month)."""
    text = str(_babel_date(value, format="long", locale=locale))
    if locale.startswith("fr") and value.day == 1:
        text = "1er" + text[1:]
    return text


def format_short_date(value: date, locale: str = LOCALE) -> str:
    """`23/11/2026`."""
    return str(_babel_date(value, format="short", locale=locale))


def format_number(value: Decimal | int, locale: str = LOCALE) -> str:
    """`1 234` or `12,5`."""
    return str(format_decimal(value, locale=locale))
