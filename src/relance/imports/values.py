"""Parsing of cell values as French and international exports write them.

Each parser returns the value or raises `BadValue` whose text says what was expected.

>>> parse_amount("1 234,56")
Decimal('1234.56')
>>> parse_amount("1,234.56 €")
Decimal('1234.56')
>>> parse_date("23/11/2026")
datetime.date(2026, 11, 23)
>>> parse_date("2026-11-23")
datetime.date(2026, 11, 23)
>>> parse_amount("12,3,4")
Traceback (most recent call last):
...
relance.imports.values.BadValue: un montant comme 1 234,56 ou 1234.56
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from relance.domain.money import money

AMOUNT_EXPECTED = "un montant comme 1 234,56 ou 1234.56"
DATE_EXPECTED = "une date JJ/MM/AAAA ou AAAA-MM-JJ"

_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009'")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})$")
_THOUSANDS_DOT = re.compile(r"^-?\d{1,3}(\.\d{3})+$")
_PLAIN_AMOUNT = re.compile(r"^-?\d{1,13}(\.\d{1,2})?$")
_CENT = Decimal("0.01")
_TOO_LARGE = Decimal(10) ** 13  # euros: beyond any invoice, and beyond what the columns hold


class BadValue(ValueError):
    """A value that cannot be read; the text says what was expected (in French)."""

    def __init__(self, expected: str) -> None:
        self.expected = expected
        super().__init__(expected)


def parse_amount(text: object) -> Decimal:
    """Read an amount: `1 234,56`, `1234.56`, `1.234,56`, `1,234.56`, with or without €."""
    if isinstance(text, Decimal | int) and not isinstance(text, bool):
        return _exact(Decimal(text))
    if isinstance(text, float):
        # Spreadsheet cells hold binary floats; their shortest repr is what the user typed.
        return _exact(Decimal(repr(text)))
    raw = str(text).strip()
    if _PLAIN_AMOUNT.match(raw):  # fast path: what most exports write
        return Decimal(raw).quantize(_CENT)
    cleaned = raw.translate(_SPACES).replace("€", "").replace("EUR", "").strip()
    if not cleaned:
        raise BadValue(AMOUNT_EXPECTED)
    comma, dot = cleaned.rfind(","), cleaned.rfind(".")
    if comma >= 0 and dot >= 0:
        decimal_sep, thousands = (",", ".") if comma > dot else (".", ",")
        cleaned = cleaned.replace(thousands, "")
        if cleaned.count(decimal_sep) > 1:
            raise BadValue(AMOUNT_EXPECTED)
        cleaned = cleaned.replace(decimal_sep, ".")
    elif comma >= 0:
        if cleaned.count(",") > 1:
            raise BadValue(AMOUNT_EXPECTED)
        cleaned = cleaned.replace(",", ".")
    elif cleaned.count(".") > 1:
        if not _THOUSANDS_DOT.match(cleaned):
            raise BadValue(AMOUNT_EXPECTED)
        cleaned = cleaned.replace(".", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise BadValue(AMOUNT_EXPECTED) from None
    return _exact(value)


def _exact(value: Decimal) -> Decimal:
    """The amount in cents; refused when not finite, too large or with more than 2 decimals."""
    if not value.is_finite() or abs(value) >= _TOO_LARGE:
        raise BadValue(AMOUNT_EXPECTED)
    try:
        exact = value == value.quantize(_CENT)
    except InvalidOperation:
        raise BadValue(AMOUNT_EXPECTED) from None
    if not exact:
        raise BadValue("un montant avec au plus deux décimales")
    return money(value)


def parse_date(text: object) -> date:
    """Read a date: ISO `2026-11-23`, French `23/11/2026`, `23.11.2026`, or a spreadsheet date."""
    if isinstance(text, datetime):
        return text.date()
    if isinstance(text, date):
        return text
    raw = str(text).strip()
    if len(raw) == 10 and raw[4] == "-" and raw[7] == "-":
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise BadValue(DATE_EXPECTED) from None
    if len(raw) == 8 and raw.isdigit():  # FEC style YYYYMMDD
        try:
            return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
        except ValueError:
            raise BadValue(DATE_EXPECTED) from None
    if len(raw) == 19 and raw[10] in " T":  # a datetime written as text
        return parse_date(raw[:10])
    match = _DMY.match(raw)
    if not match:
        raise BadValue(DATE_EXPECTED)
    day, month, year = (int(g) for g in match.groups())
    if len(match.group(3)) == 2:
        year += 2000
    try:
        return date(year, month, day)
    except ValueError:
        raise BadValue(DATE_EXPECTED) from None


def normalize_header(text: str) -> str:
    """Header key: lower case, no accents, underscores (`Date d'échéance` → date_d_echeance)."""
    decomposed = unicodedata.normalize("NFKD", str(text).strip().lower())
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", ascii_text).strip("_")


def cell_text(value: object) -> str:
    """A cell as trimmed text (empty for None); integral floats lose their `.0`."""
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip()
