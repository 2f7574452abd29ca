"""Fast batch computation of penalty totals: same figures as compute_penalties, in integers.

Amounts become integer cents and rates integer ratios, so each half-year costs a few integer
operations; anything unusual (bad input, missing rate, notice with several dates) falls back
to `penalty_or_reason`, so results are always those of the reference path.

>>> rates = load_shipped_rates()
>>> inv = InvoiceInput(Decimal("10000.00"), date(2024, 3, 15), date(2024, 9, 30))
>>> [r] = compute_many([inv], rates)
>>> r.interest, r.indemnity, r.total
(Decimal('784.25'), Decimal('40.00'), Decimal('824.25'))
>>> late = inv._replace(due=date(2026, 6, 1), until=date(2026, 7, 15))
>>> compute_many([late], rates)[0].missing_half
HalfYear(year=2026, half=2)
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import NamedTuple

from relance.domain.money import CENT, ZERO
from relance.law.accrual import divisor, round_half_up
from relance.law.applicable import applicable_rate
from relance.law.conventions import Conventions
from relance.law.errors import LawError
from relance.law.halfyear import HalfYear
from relance.law.penalties import EARLIEST, NotComputable, penalty_or_reason
from relance.law.penalty_model import PenaltyResult, Settlement
from relance.law.rates import RateTable, load_shipped_rates
from relance.law.rules import load_rules

__all__ = ["InvoiceInput", "PenaltyTotals", "compute_many", "load_shipped_rates"]

date = dt.date
_FIRST_YEAR, _LAST_YEAR = 2015, 2199
# Ordinal of the first day of every half-year, and one past the end of the last one.
_STARTS = [HalfYear.from_index(i).start.toordinal()
           for i in range(_FIRST_YEAR * 2, (_LAST_YEAR + 1) * 2 + 1)]
_EARLIEST = EARLIEST.toordinal()
_BIG = 1 << 62
DEFAULT_CONVENTIONS = Conventions()


class InvoiceInput(NamedTuple):
    """The arguments of compute_penalties for one invoice (the rates and conventions apart)."""

    amount: Decimal
    due: dt.date
    until: dt.date
    kind: str = "b2b"
    settlements: Sequence[Settlement] = ()
    contractual_rate: Decimal | None = None
    notice_date: object = None
    creditor_private: bool = False
    extra_costs: Decimal = ZERO


class PenaltyTotals(NamedTuple):
    """The figures of a PenaltyResult, without the breakdown."""

    interest: Decimal
    indemnity: Decimal
    extra_costs: Decimal
    principal_open: Decimal

    @property
    def total(self) -> Decimal:
        """Interest + indemnity + extra costs."""
        return self.interest + self.indemnity + self.extra_costs

    @property
    def amount_due(self) -> Decimal:
        """Open principal plus the total claimed."""
        return self.principal_open + self.total

    @classmethod
    def of(cls, result: PenaltyResult) -> PenaltyTotals:
        """The totals of a full result."""
        return cls(result.interest, result.indemnity, result.extra_costs, result.principal_open)


class _FastPathError(Exception):
    """Leave the fast path for this invoice."""


class _Profile(NamedTuple):
    """Per half-year position: 2 * rate numerator, and rate denominator * 100 * divisor."""

    num: list[int | None]
    num2: list[int | None]
    den: list[int | None]
    den2: list[int | None]


def compute_many(
    invoices: Iterable[InvoiceInput],
    rates: RateTable,
    conventions: Conventions = DEFAULT_CONVENTIONS,
) -> list[PenaltyTotals | NotComputable]:
    """Totals for many invoices; each equals penalty_or_reason for the same input."""
    out: list[PenaltyTotals | NotComputable] = []
    append, new, totals, dec = out.append, tuple.__new__, PenaltyTotals, Decimal
    bisect = bisect_right
    starts, zero, cent, half_up = _STARTS, ZERO, CENT, ROUND_HALF_UP
    indemnity = load_rules().penalties.indemnity
    pay_shift = 1 if conventions.count_payment_day else 0
    notice_shift = 0 if conventions.count_notice_day else 1
    rounding = conventions.rounding
    simple = rounding != "total"
    by_kind: dict[str, dict[object, _Profile]] = {"b2b": {}, "b2c": {}, "public": {}}
    for inv in invoices:
        amount, due, until, kind, settlements, crate, notice, private, extra = inv
        try:
            if (type(amount) is not dec or amount < 0 or extra or type(due) is not date
                    or type(until) is not date):
                raise _FastPathError
            if crate is not None and (type(crate) is not dec or not crate.is_finite()
                                      or crate < 0):
                raise _FastPathError
            q = amount.quantize(cent, half_up)
            cents = int(q.scaleb(2))
            due_o = due.toordinal()
            until_o = until.toordinal()
            if due_o < _EARLIEST:
                raise _FastPathError
            key: object
            if kind == "b2b":
                first, key = due_o + 1, crate
            elif kind == "public":
                first = due_o + 1
                key = bisect(starts, first) - 1
            elif kind == "b2c":
                key = bool(private)
                if notice is None:
                    first = _BIG
                elif type(notice) is date and notice >= due:
                    first = max(notice.toordinal() + notice_shift, due_o + 1)
                else:
                    raise _FastPathError
            else:
                raise _FastPathError
            last = until_o - 1 + pay_shift
            profiles = by_kind[kind]
            prof = profiles.get(key)
            if prof is None:
                prof = profiles[key] = _profile(rates, kind, key, conventions)
            if settlements:
                interest_c, open_c, late = _with_settlements(
                    cents, settlements, due_o, until_o, first, last, prof, pay_shift, rounding)
                principal = dec(open_c).scaleb(-2) if open_c else zero
            else:
                late = until_o > due_o and cents > 0
                principal = q
                if last < first or cents == 0:
                    interest_c = 0
                elif simple:
                    interest_c = _plain(cents, first, last, prof, starts)
                else:
                    interest_c = _plain_total(cents, first, last, prof, starts)
            append(new(totals, (
                dec(interest_c).scaleb(-2) if interest_c else zero,
                indemnity if late and kind != "b2c" else zero,
                zero,
                principal,
            )))
        except (_FastPathError, TypeError, IndexError, LawError):
            append(_slow(inv, rates, conventions))
    return out


def _plain(cents: int, first: int, last: int, prof: _Profile, starts: list[int]) -> int:
    """Interest in cents on a constant base, each half-year rounded (line = half-year)."""
    num2, den, den2 = prof.num2, prof.den, prof.den2
    pos = bisect_right(starts, first) - 1
    end_pos = bisect_right(starts, last) - 1
    if pos == end_pos:
        return (cents * (last - first + 1) * num2[pos] + den[pos]) // den2[pos]  # type: ignore
    total = (cents * (starts[pos + 1] - first) * num2[pos] + den[pos]) // den2[pos]  # type: ignore
    for p in range(pos + 1, end_pos):
        total += (cents * (starts[p + 1] - starts[p]) * num2[p] + den[p]) // den2[p]  # type: ignore
    days = last - starts[end_pos] + 1
    return total + (cents * days * num2[end_pos] + den[end_pos]) // den2[end_pos]  # type: ignore


def _plain_total(cents: int, first: int, last: int, prof: _Profile, starts: list[int]) -> int:
    """Interest in cents on a constant base, rounded once on the total."""
    exact = Fraction(0)
    pos = bisect_right(starts, first) - 1
    day = first
    while day <= last:
        seg_last = min(last, starts[pos + 1] - 1)
        exact += Fraction(cents * (seg_last - day + 1) * prof.num[pos], prof.den[pos])  # type: ignore
        day, pos = seg_last + 1, pos + 1
    return round_half_up(exact.numerator, exact.denominator)


def _with_settlements(
    cents: int, settlements: Sequence[Settlement], due_o: int, until_o: int, first: int,
    last: int, prof: _Profile, pay_shift: int, rounding: str,
) -> tuple[int, int, bool]:
    """Interest, open principal and lateness when payments or credit notes reduce the base."""
    dated = sorted((_ordinal(s.date), _cents(s.amount)) for s in settlements)
    effs = [d + pay_shift for d, _ in dated]
    bases = [cents]
    paid_by_due = paid_by_until = 0
    running = 0
    for d, paid in dated:
        running += paid
        bases.append(max(cents - running, 0))
        paid_by_due += paid if d <= due_o else 0
        paid_by_until += paid if d <= until_o else 0
    late = until_o > due_o and paid_by_due < cents
    open_c = max(cents - paid_by_until, 0)
    if last < first:
        return 0, open_c, late
    return _accrue(first, last, effs, bases, prof, rounding), open_c, late


def _accrue(first: int, last: int, effs: list[int], bases: list[int], prof: _Profile,
            rounding: str) -> int:
    """Walk half-years and base changes; round per line, per half-year or on the total."""
    starts, n = _STARTS, len(effs)
    pos = bisect_right(starts, first) - 1
    k, day, total, exact = 0, first, 0, Fraction(0)
    while day <= last:
        seg_last = min(last, starts[pos + 1] - 1)
        acc = 0
        while day <= seg_last:
            while k < n and effs[k] <= day:
                k += 1
            piece_last = min(seg_last, effs[k] - 1) if k < n else seg_last
            weight = bases[k] * (piece_last - day + 1)
            if weight and rounding == "line":
                total += (weight * prof.num2[pos] + prof.den[pos]) // prof.den2[pos]  # type: ignore
            acc += weight
            day = piece_last + 1
        if acc and rounding == "half_year":
            total += (acc * prof.num2[pos] + prof.den[pos]) // prof.den2[pos]  # type: ignore
        elif acc and rounding == "total":
            exact += Fraction(acc * prof.num[pos], prof.den[pos])  # type: ignore
        pos += 1
    if rounding == "total":
        return round_half_up(exact.numerator, exact.denominator)
    return total


def _ordinal(day: dt.date) -> int:
    """Day number of an exact `date` (not a datetime); otherwise leave the fast path."""
    if type(day) is not date:
        raise _FastPathError
    return day.toordinal()


def _cents(value: Decimal) -> int:
    """Integer cents of a non-negative Decimal amount; otherwise leave the fast path."""
    if type(value) is not Decimal or value < 0:
        raise _FastPathError
    return int(value.quantize(CENT, ROUND_HALF_UP).scaleb(2))


def _profile(rates: RateTable, kind: str, key: object, conventions: Conventions) -> _Profile:
    """Integer rate ratios for every half-year position (None where a rate is missing)."""
    memo_key = ("fast-profile", kind, key, conventions.floor_default_rate, conventions.day_count)
    return rates.memo(memo_key, lambda: _build_profile(rates, kind, key, conventions))


def _build_profile(rates: RateTable, kind: str, key: object,
                   conventions: Conventions) -> _Profile:
    """Compute the ratios with applicable_rate, the rule shared with compute_penalties."""
    size = len(_STARTS)
    prof = _Profile([None] * size, [None] * size, [None] * size, [None] * size)
    crate = key if kind == "b2b" and isinstance(key, Decimal) else None
    private = key is True and kind == "b2c"
    start_half = None
    if kind == "public" and isinstance(key, int):
        start_half = HalfYear.from_index(_FIRST_YEAR * 2 + key)
    for pos in range(size - 1):
        half = HalfYear.from_index(_FIRST_YEAR * 2 + pos)
        try:
            rate = applicable_rate(kind, half, rates, contractual_rate=crate,
                                   creditor_private=private,
                                   floor_default_rate=conventions.floor_default_rate,
                                   start_half=start_half).rate
        except LawError:
            continue
        ratio = Fraction(rate)
        den = ratio.denominator * 100 * divisor(half.year, conventions.day_count)
        prof.num[pos], prof.num2[pos] = ratio.numerator, 2 * ratio.numerator
        prof.den[pos], prof.den2[pos] = den, 2 * den
    return prof


def _slow(inv: InvoiceInput, rates: RateTable, conventions: Conventions) -> (
        PenaltyTotals | NotComputable):
    """The reference path, for inputs the fast path does not take."""
    got = penalty_or_reason(
        amount=inv.amount, due=inv.due, until=inv.until, kind=inv.kind, rates=rates,
        settlements=inv.settlements, contractual_rate=inv.contractual_rate,
        notice_date=inv.notice_date,  # type: ignore[arg-type]
        creditor_private=inv.creditor_private, extra_costs=inv.extra_costs,
        conventions=conventions)
    return got if isinstance(got, NotComputable) else PenaltyTotals.of(got)

