"""Allocation of payments and balances at a date: the pure ledger rules."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from relance.domain.ledger import (
    OpenItem,
    allocate_in_order,
    allocate_oldest_first,
    is_overdue,
    open_amount_at,
)
from relance.domain.model import Allocation
from relance.domain.money import money

D = Decimal


def test_a_payment_goes_to_the_oldest_due_invoice_first():
    items = [OpenItem(1, date(2026, 3, 1), D("100.00"), "F3"),
             OpenItem(2, date(2026, 1, 1), D("40.00"), "F1"),
             OpenItem(3, date(2026, 2, 1), D("60.00"), "F2")]
    plan = allocate_oldest_first(D("90.00"), items)
    assert plan.lines == ((2, D("40.00")), (3, D("50.00")))
    assert plan.unallocated == D("0.00")


def test_an_overpayment_is_kept_as_unallocated_credit():
    plan = allocate_in_order(D("150.00"), [OpenItem(1, date(2026, 1, 1), D("100.00"))])
    assert plan.lines == ((1, D("100.00")),)
    assert plan.unallocated == D("50.00")


def test_a_partial_payment_leaves_the_rest_open():
    plan = allocate_in_order(D("30.00"), [OpenItem(1, date(2026, 1, 1), D("100.00"))])
    assert plan.lines == ((1, D("30.00")),)
    assert OpenItem(1, date(2026, 1, 1), D("100.00")).reduced_by(D("30.00")).open_amount == D(
        "70.00")


def test_the_open_amount_at_a_date_ignores_later_settlements():
    allocations = [Allocation(1, D("30.00"), date(2025, 12, 20)),
                   Allocation(1, D("70.00"), date(2026, 1, 5))]
    assert open_amount_at(D("100.00"), allocations, date(2025, 12, 31)) == D("70.00")
    assert open_amount_at(D("100.00"), allocations, date(2026, 1, 5)) == D("0.00")
    assert open_amount_at(D("100.00"), allocations, date(2025, 12, 19)) == D("100.00")


def test_an_invoice_is_overdue_only_after_its_due_date_and_while_money_is_open():
    due = date(2026, 1, 31)
    assert not is_overdue(due, D("10.00"), due)
    assert is_overdue(due, D("10.00"), due + timedelta(days=1))
    assert not is_overdue(due, D("0.00"), due + timedelta(days=1))


amounts = st.integers(min_value=1, max_value=10_000_000).map(lambda c: money(D(c) / 100))


@given(st.lists(amounts, min_size=0, max_size=12), amounts)
def test_allocation_never_creates_or_loses_money(opens, paid):
    items = [OpenItem(i, date(2026, 1, 1) + timedelta(days=i * 7 % 50), a)
             for i, a in enumerate(opens)]
    plan = allocate_oldest_first(paid, items)
    allocated = sum((part for _, part in plan.lines), D("0"))
    assert allocated + plan.unallocated == paid
    by_id = {i.invoice_id: i.open_amount for i in items}
    assert all(D("0") < part <= by_id[i] for i, part in plan.lines)
    assert plan.unallocated >= 0
    assert plan.unallocated == 0 or allocated == sum(opens, D("0"))
