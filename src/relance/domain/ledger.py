"""Ledger rules: matching payments to invoices and balances at any date.

>>> from datetime import date
>>> from decimal import Decimal
>>> invoices = [OpenItem(1, date(2026, 1, 31), Decimal("100.00")),
...             OpenItem(2, date(2026, 1, 15), Decimal("50.00"))]
>>> plan = allocate_oldest_first(Decimal("120.00"), invoices)
>>> plan.lines
((2, Decimal('50.00')), (1, Decimal('70.00')))
>>> plan.unallocated
Decimal('0.00')
>>> open_amount_at(Decimal("100.00"),
...     [Allocation(1, Decimal("30.00"), date(2026, 3, 1))], date(2026, 2, 28))
Decimal('100.00')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from relance.domain.model import Allocation
from relance.domain.money import ZERO


@dataclass(frozen=True)
class OpenItem:
    """An invoice still open: what allocation needs to know of it."""

    invoice_id: int
    due_date: date
    open_amount: Decimal
    number: str = ""
    issue_date: date | None = None

    def reduced_by(self, part: Decimal) -> OpenItem:
        """The same item once `part` of it is settled."""
        return replace(self, open_amount=self.open_amount - part)


@dataclass(frozen=True)
class AllocationPlan:
    """How an amount is split over invoices; the rest stays as client credit."""

    lines: tuple[tuple[int, Decimal], ...]
    unallocated: Decimal


def allocate_oldest_first(amount: Decimal, items: Iterable[OpenItem]) -> AllocationPlan:
    """Spread an amount over open invoices, oldest due date first (then number)."""
    ordered = sorted(items, key=lambda i: (i.due_date, i.number, i.invoice_id))
    return allocate_in_order(amount, ordered)


def allocate_in_order(amount: Decimal, items: Sequence[OpenItem]) -> AllocationPlan:
    """Spread an amount over open invoices in the given order."""
    left = amount
    lines: list[tuple[int, Decimal]] = []
    for item in items:
        if left <= ZERO:
            break
        part = min(left, item.open_amount)
        if part > ZERO:
            lines.append((item.invoice_id, part))
            left -= part
    return AllocationPlan(tuple(lines), left)


def open_amount_at(amount: Decimal, allocations: Iterable[Allocation], at: date) -> Decimal:
    """Open amount of an invoice on a date: only settlements dated on or before it count."""
    settled = sum((a.amount for a in allocations if a.date <= at), ZERO)
    return amount - settled


def is_overdue(due_date: date, open_amount: Decimal, at: date) -> bool:
    """An invoice is overdue when money is still open after its due date."""
    return open_amount > ZERO and due_date < at
