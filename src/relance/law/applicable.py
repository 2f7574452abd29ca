"""Which annual rate applies to a day of delay, by kind of debtor (L441-10, R2192-31, 1344-1).

>>> t = load_shipped_rates()
>>> h = HalfYear.parse("2024-H1")
>>> applicable_rate("b2b", h, t).rate
Decimal('14.50')
>>> applicable_rate("b2b", h, t, floor_default_rate=True).rate
Decimal('15.21')
>>> applicable_rate("b2b", h, t, contractual_rate=Decimal("12")).rate
Decimal('15.21')
>>> started = HalfYear.parse("2025-H2")
>>> applicable_rate("public", HalfYear.parse("2026-H1"), t, start_half=started).rate
Decimal('10.15')
>>> applicable_rate("b2c", h, t, creditor_private=True).rate
Decimal('8.01')
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from relance.law.errors import InvalidInputError
from relance.law.halfyear import HalfYear
from relance.law.rates import (
    ECB_RATE,
    LEGAL_OTHER_RATE,
    LEGAL_PRIVATE_RATE,
    RateTable,
    load_shipped_rates,
)
from relance.law.rules import load_rules

__all__ = ["AppliedRate", "applicable_rate", "load_shipped_rates"]


class AppliedRate(NamedTuple):
    """An annual percentage, whether the legal floor raised it, and its sources."""

    rate: Decimal
    floored: bool
    sources: tuple[str, ...]


def applicable_rate(
    kind: str,
    half: HalfYear,
    rates: RateTable,
    *,
    contractual_rate: Decimal | None = None,
    creditor_private: bool = False,
    floor_default_rate: bool = False,
    start_half: HalfYear | None = None,
) -> AppliedRate:
    """The rate for days of `half`; MissingRateError if the table lacks what is needed."""
    if kind == "b2b":
        return _b2b_rate(half, rates, contractual_rate, floor_default_rate)
    if kind == "public":
        return _public_rate(start_half or half, rates)
    if kind == "b2c":
        return _b2c_rate(half, rates, creditor_private)
    raise InvalidInputError(f"Type de débiteur inconnu : « {kind} » (b2b, b2c ou public).")


def _b2b_rate(
    half: HalfYear, rates: RateTable, contractual: Decimal | None, floor_default: bool
) -> AppliedRate:
    """Contractual rate floored at 3 * legal rate, else ECB + 10 (floored if so chosen)."""
    rules = load_rules().penalties
    sources: tuple[str, ...]
    if contractual is None:
        ecb = rates.entry(half, ECB_RATE)
        rate, sources = ecb.ecb + rules.b2b_margin, (ecb.ecb_source,)
        if not floor_default:
            return AppliedRate(rate, False, sources)
    else:
        rate, sources = contractual, ()
    legal = rates.entry(half, LEGAL_OTHER_RATE)
    floor = rules.floor_multiple * legal.legal_other
    if floor > rate:
        return AppliedRate(floor, True, (*sources, legal.legal_source))
    return AppliedRate(rate, False, (*sources, legal.legal_source))


def _public_rate(start_half: HalfYear, rates: RateTable) -> AppliedRate:
    """ECB rate of the half-year in which interest started, + 8 points, for the whole delay."""
    ecb = rates.entry(start_half, ECB_RATE)
    return AppliedRate(ecb.ecb + load_rules().penalties.public_margin, False, (ecb.ecb_source,))


def _b2c_rate(half: HalfYear, rates: RateTable, creditor_private: bool) -> AppliedRate:
    """Legal rate; the column depends on the creditor (private person or not)."""
    if creditor_private:
        entry = rates.entry(half, LEGAL_PRIVATE_RATE)
        return AppliedRate(entry.legal_private, False, (entry.legal_source,))
    entry = rates.entry(half, LEGAL_OTHER_RATE)
    return AppliedRate(entry.legal_other, False, (entry.legal_source,))
