"""Exact day-by-day accrual: split a delay into lines (half-year * base) and round them.

Days counted are `first`..`last` inclusive; each line has one base and one rate, and its
exact interest is base * rate % * days / divisor, a Fraction (no rounding until the end).

>>> from fractions import Fraction
>>> round_half_up_cents(Fraction(42506849, 100000))
Decimal('425.07')
>>> allocate_cents([Fraction(1, 200)] * 4, 2)
[1, 1, 0, 0]
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from bisect import bisect_right
from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from relance.law.applicable import AppliedRate
from relance.law.halfyear import HalfYear

ONE_DAY = dt.timedelta(days=1)


class Line(NamedTuple):
    """Days `first`..`last` of one half-year at one base and rate, with exact interest."""

    first: dt.date
    last: dt.date
    base: Decimal
    applied: AppliedRate
    exact: Fraction

    @property
    def days(self) -> int:
        """Number of days counted."""
        return (self.last - self.first).days + 1

    @property
    def half(self) -> HalfYear:
        """The half-year of the line."""
        return HalfYear.of(self.first)


def divisor(year: int, day_count: str) -> int:
    """365, or 366 in leap years under actual/actual."""
    return 366 if day_count == "actual/actual" and calendar.isleap(year) else 365


def round_half_up_cents(value: Fraction) -> Decimal:
    """Round an exact euro amount to the cent, half away from zero."""
    return Decimal(round_half_up(value.numerator * 100, value.denominator)).scaleb(-2)


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero, in integers (denominator > 0)."""
    if numerator >= 0:
        return (2 * numerator + denominator) // (2 * denominator)
    return -((-2 * numerator + denominator) // (2 * denominator))


def allocate_cents(exacts: Sequence[Fraction], total_cents: int) -> list[int]:
    """Share `total_cents` among lines, each getting floor or ceil of its exact cents."""
    floors = [math.floor(x * 100) for x in exacts]
    left = total_cents - sum(floors)
    order = sorted(range(len(exacts)), key=lambda i: floors[i] - exacts[i] * 100)
    for i in order[: max(left, 0)]:
        floors[i] += 1
    return floors


class BaseSteps:
    """Open principal over time: base on a day = amount - settlements effective that day."""

    def __init__(self, amount: Decimal, settled: Sequence[tuple[dt.date, Decimal]],
                 payment_day_counts: bool) -> None:
        shift = ONE_DAY if payment_day_counts else dt.timedelta(0)
        self.days: list[dt.date] = []
        self.bases: list[Decimal] = [amount]
        total = Decimal(0)
        for day, paid in sorted(settled):
            total += paid
            self.days.append(day + shift)
            self.bases.append(max(amount - total, Decimal(0)))

    def base_on(self, day: dt.date) -> Decimal:
        """The base for interest on `day`."""
        return self.bases[bisect_right(self.days, day)]

    def cuts(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """Days within (first, last] on which the base changes."""
        return [d for d in self.days if first < d <= last]


def build_lines(first: dt.date, last: dt.date, steps: BaseSteps,
                rate_of: Callable[[HalfYear], AppliedRate], day_count: str) -> list[Line]:
    """Lines covering first..last, split at half-years and base changes; zero bases skipped."""
    lines: list[Line] = []
    half = HalfYear.of(first)
    while half.start <= last:
        seg_first, seg_last = max(first, half.start), min(last, half.end)
        applied: AppliedRate | None = None
        starts = [seg_first, *dict.fromkeys(steps.cuts(seg_first, seg_last))]
        for i, start in enumerate(starts):
            end = starts[i + 1] - ONE_DAY if i + 1 < len(starts) else seg_last
            base = steps.base_on(start)
            if base <= 0:
                continue
            applied = applied or rate_of(half)
            days = (end - start).days + 1
            exact = (Fraction(base) * Fraction(applied.rate) * days
                     / (100 * divisor(half.year, day_count)))
            lines.append(Line(start, end, base, applied, exact))
        half = half.next()
    return lines


def rounded_lines(lines: Sequence[Line], rounding: str) -> list[Decimal]:
    """Interest of each line in cents, so that lines add up to the rounded total."""
    if rounding == "line":
        return [round_half_up_cents(line.exact) for line in lines]
    groups: dict[object, list[int]] = {}
    for i, line in enumerate(lines):
        groups.setdefault(line.half if rounding == "half_year" else None, []).append(i)
    cents = [0] * len(lines)
    for members in groups.values():
        exacts = [lines[i].exact for i in members]
        exact_sum = sum(exacts, Fraction(0))
        total = round_half_up(exact_sum.numerator * 100, exact_sum.denominator)
        for i, share in zip(members, allocate_cents(exacts, total), strict=True):
            cents[i] = share
    return [Decimal(c).scaleb(-2) for c in cents]
