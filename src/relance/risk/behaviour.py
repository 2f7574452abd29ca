"""Payment behaviour of one client at a date, from its invoices and its commitments.

Pure: the service streams each client's invoice facts from the ledger (point in time: only
settlements dated on or before `at` count) and hands them here.

>>> from decimal import Decimal as D
>>> at = date(2026, 6, 30)
>>> facts = [InvoiceFact(date(2026, 1, 1), date(2026, 1, 31), D("100.00"), D("0.00"),
...                      date(2026, 2, 10)),
...          InvoiceFact(date(2026, 2, 1), date(2026, 3, 3), D("300.00"), D("0.00"),
...                      date(2026, 3, 1))]
>>> b = behaviour(facts, at)
>>> b.paid, b.paid_late, b.late_share, b.avg_days_late, b.weighted_days_late
(2, 1, Decimal('0.50'), Decimal('5.0'), Decimal('2.5'))
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from relance.domain.money import ZERO

WINDOWS = (3, 6, 12)  # months of the trend
_MONTH_DAYS = {3: 91, 6: 182, 12: 365}
TREND_MIN_INVOICES = 2
TREND_DAYS = Decimal(5)  # a change of average delay this large is a trend, not noise


class InvoiceFact(NamedTuple):
    """An invoice as the behaviour sees it at the date of the analysis."""

    issued: date
    due: date
    amount: Decimal
    open_amount: Decimal          # at the date of the analysis
    settled_on: date | None       # the date it was fully settled, if it was by then


class Commitments(NamedTuple):
    """Disputes, promises and payment plans of the client up to the date."""

    disputes_12m: int = 0          # disputes opened in the last 12 months
    disputes_open: int = 0
    promises_kept: int = 0
    promises_broken: int = 0
    promises_moved: int = 0        # a new promise pushed an earlier one's date back
    plans_completed: int = 0
    plans_broken: int = 0
    plans_active: int = 0


@dataclass(frozen=True)
class Window:
    """Invoices paid in the last N months: how many, how many late, average delay."""

    months: int
    paid: int
    late_share: Decimal
    avg_days_late: Decimal


@dataclass(frozen=True)
class Behaviour:
    """Payment behaviour of a client at a date; every figure is point-in-time."""

    at: date
    invoices: int
    paid: int
    paid_late: int
    late_share: Decimal            # 0.00 to 1.00
    avg_days_late: Decimal         # over paid invoices, on-time ones count 0
    weighted_days_late: Decimal    # weighted by amount
    longest_delay: int             # days, paid or still open
    open_amount: Decimal
    overdue_amount: Decimal
    oldest_overdue_days: int
    dso: Decimal | None            # open receivables / sales of the last 90 days × 90
    sales_12m: Decimal
    first_unpaid_due: date | None
    commitments: Commitments = field(default_factory=Commitments)
    windows: tuple[Window, ...] = field(default_factory=tuple)

    @property
    def trend(self) -> str:
        """"amélioration", "dégradation", "stable" or "" (not enough invoices): the average
        delay of the last 3 months against the 12-month one."""
        by = {w.months: w for w in self.windows}
        recent, year = by.get(3), by.get(12)
        if (recent is None or year is None or recent.paid < TREND_MIN_INVOICES
                or year.paid - recent.paid < TREND_MIN_INVOICES):
            return ""
        diff = recent.avg_days_late - year.avg_days_late
        if diff >= TREND_DAYS:
            return "dégradation"
        if diff <= -TREND_DAYS:
            return "amélioration"
        return "stable"


def _ratio(num: Decimal, den: Decimal, places: str) -> Decimal:
    step = Decimal(places)
    return (num / den).quantize(step, rounding=ROUND_HALF_UP) if den else ZERO.quantize(step)


def behaviour(facts: Iterable[InvoiceFact], at: date,
              commitments: Commitments | None = None) -> Behaviour:
    """Aggregate a client's invoices at `at` (invoices issued after it must not be given)."""
    invoices = paid = late = longest = 0
    days_sum = 0
    weighted = ZERO
    paid_amount = ZERO
    open_amount = overdue = ZERO
    sales_90 = sales_12m = ZERO
    oldest = 0
    first_unpaid: date | None = None
    starts = {m: at - timedelta(days=d) for m, d in _MONTH_DAYS.items()}
    win = {m: [0, 0, 0] for m in WINDOWS}  # paid, late, days
    since_90 = at - timedelta(days=89)
    since_12m = at - timedelta(days=364)
    for f in facts:
        invoices += 1
        if f.issued >= since_90:
            sales_90 += f.amount
        if f.issued >= since_12m:
            sales_12m += f.amount
        if f.settled_on is not None and f.open_amount <= ZERO:
            days = max(0, (f.settled_on - f.due).days)
            paid += 1
            days_sum += days
            weighted += f.amount * days
            paid_amount += f.amount
            if days:
                late += 1
            longest = max(longest, days)
            for m in WINDOWS:
                if f.settled_on > starts[m]:
                    w = win[m]
                    w[0] += 1
                    w[1] += 1 if days else 0
                    w[2] += days
            continue
        if f.open_amount <= ZERO:
            continue
        open_amount += f.open_amount
        if f.due < at:
            overdue += f.open_amount
            days = (at - f.due).days
            oldest = max(oldest, days)
            longest = max(longest, days)
            if first_unpaid is None or f.due < first_unpaid:
                first_unpaid = f.due
    windows = tuple(Window(m, w[0], _ratio(Decimal(w[1]), Decimal(w[0]), "0.01"),
                           _ratio(Decimal(w[2]), Decimal(w[0]), "0.1")) for m, w in win.items())
    dso = (open_amount / sales_90 * 90).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) \
        if sales_90 else None
    return Behaviour(
        at=at, invoices=invoices, paid=paid, paid_late=late,
        late_share=_ratio(Decimal(late), Decimal(paid), "0.01"),
        avg_days_late=_ratio(Decimal(days_sum), Decimal(paid), "0.1"),
        weighted_days_late=_ratio(weighted, paid_amount, "0.1"),
        longest_delay=longest, open_amount=open_amount, overdue_amount=overdue,
        oldest_overdue_days=oldest, dso=dso, sales_12m=sales_12m,
        first_unpaid_due=first_unpaid, commitments=commitments or Commitments(),
        windows=windows)
