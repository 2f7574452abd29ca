"""Receivables reports at a date, exact: the aged balance (balance âgée) and the DSO.

Point in time: at a date `at` (end of day), an invoice exists if issued on or before `at`, and
only the payments and credit notes dated on or before `at` count against it (an allocation is
effective on its payment's date, or on its credit note's issue date). Amounts are incl. tax
(TTC), in euros: invoices in another currency are left out of the figures and named in the
warnings.

Aged balance: every invoice open at `at`, for its open amount, in the bucket of its days past
due at `at` — "not_due" (due on or after `at`), "1-30", "31-60", "61-90", "90+" (91 days and
more) — per client and in total, with the number of open invoices. A client's unallocated
credit at `at` (payments not matched to an invoice existing then, unused credit notes) is shown
apart and never subtracted from the buckets.

DSO (days sales outstanding), where sales are the invoices issued minus the credit notes issued:

- simple: receivables at `at` ÷ sales of the 90 days up to and including `at` × 90;
- countback: the receivables are matched against the sales of the month ending at `at`, then
  of the month before, and so on: each month whose sales are used up counts its days, the month
  that exhausts the receivables counts its days prorated (receivables left ÷ its sales);
- the trend: both figures at each of the last `months` month-ends.

Both are rounded to 0.1 day, half up; None when there are no sales to divide by (or, for the
countback, when the receivables exceed every sale on record).

The receivables of the DSO are the sum of the open amounts of the aged balance: since an
allocation never exceeds what is open on its invoice, that is the invoices issued minus the
allocations effective by then, which one scan of each table gives for every date at once.
"""

from __future__ import annotations

import calendar
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate
from typing import Any

from sqlalchemy import Connection, Date, and_, case, func, literal, select, type_coerce, union_all

from relance.adapters import tables as t
from relance.adapters.repository import credit_notes, invoices_with_open_amount
from relance.adapters.tables import Money
from relance.domain.money import ZERO

CURRENCY = "EUR"
BUCKETS = ("not_due", "1-30", "31-60", "61-90", "90+")
BUCKET_LABELS = {
    "not_due": "Non échu",
    "1-30": "1 à 30 j",
    "31-60": "31 à 60 j",
    "61-90": "61 à 90 j",
    "90+": "Plus de 90 j",
}
SIMPLE_WINDOW_DAYS = 90
_TENTH = Decimal("0.1")


def bucket_of(days_late: int) -> str:
    """The bucket of an invoice `days_late` days past due (0 or less: not due).

    >>> [bucket_of(d) for d in (-3, 0, 1, 30, 31, 60, 61, 90, 91, 500)]
    ['not_due', 'not_due', '1-30', '1-30', '31-60', '31-60', '61-90', '61-90', '90+', '90+']
    """
    if days_late <= 0:
        return "not_due"
    if days_late <= 30:
        return "1-30"
    if days_late <= 60:
        return "31-60"
    if days_late <= 90:
        return "61-90"
    return "90+"


def _zeros() -> dict[str, Decimal]:
    return dict.fromkeys(BUCKETS, ZERO)


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _days(value: Decimal | None) -> str | None:
    return None if value is None else f"{value}"


# --- aged balance -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AgingLine:
    """One client's open invoices at the date, by bucket, and its unallocated credit."""

    client_id: int
    ref: str
    name: str
    total: Decimal
    open_invoices: int
    buckets: dict[str, Decimal]
    unallocated_credit: Decimal

    def as_json(self) -> dict[str, Any]:
        return {"ref": self.ref, "name": self.name, "total": _money(self.total),
                "open_invoices": self.open_invoices,
                "buckets": {k: _money(self.buckets[k]) for k in BUCKETS},
                "unallocated_credit": _money(self.unallocated_credit)}


@dataclass(frozen=True)
class Aging:
    """The aged balance of a creditor at a date (end of day)."""

    at: date
    total: Decimal
    open_invoices: int
    buckets: dict[str, Decimal]
    unallocated_credit: Decimal
    clients: tuple[AgingLine, ...]
    currency: str = CURRENCY
    warnings: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "currency": self.currency,
                "total": _money(self.total), "open_invoices": self.open_invoices,
                "buckets": {k: _money(self.buckets[k]) for k in BUCKETS},
                "unallocated_credit": _money(self.unallocated_credit),
                "clients": [c.as_json() for c in self.clients],
                "warnings": list(self.warnings)}


def bucket_bounds(at: date) -> tuple[date, date, date]:
    """The due dates that start the 1-30, 31-60 and 61-90 buckets (30, 60, 90 days back).

    Compared with the due date as plain dates, they need no date arithmetic in SQL (dates are
    ISO text on SQLite): due ≥ at is not due, due ≥ at − 30 days is 1-30, and so on.
    """
    return at - timedelta(days=30), at - timedelta(days=60), at - timedelta(days=90)


def aging(conn: Connection, creditor_id: int, at: date) -> Aging:
    """The aged balance at `at`: one GROUP BY query over the open invoices, one for credits."""
    base = invoices_with_open_amount(creditor_id, at).subquery("aging_open")
    due, open_amount = base.c.due_date, base.c.open_amount
    d30, d60, d90 = bucket_bounds(at)
    conditions = {
        "not_due": due >= at,
        "1-30": and_(due < at, due >= d30),
        "31-60": and_(due < d30, due >= d60),
        "61-90": and_(due < d60, due >= d90),
        "90+": due < d90,
    }
    sums = [type_coerce(func.sum(case((cond, open_amount), else_=literal(0))), Money())
            .label(f"b{i}") for i, cond in enumerate(conditions.values())]
    query = (
        select(base.c.client_id, base.c.client_ref, base.c.client_name, base.c.currency,
               func.count().label("n"),
               type_coerce(func.sum(open_amount), Money()).label("total"), *sums)
        .where(open_amount > 0)
        .group_by(base.c.client_id, base.c.client_ref, base.c.client_name, base.c.currency)
    )
    lines: dict[int, AgingLine] = {}
    others: dict[str, tuple[int, Decimal]] = {}
    for r in conn.execute(query):
        if r.currency != CURRENCY:
            n, amount = others.get(r.currency, (0, ZERO))
            others[r.currency] = (n + int(r.n), amount + r.total)
            continue
        buckets = {k: getattr(r, f"b{i}") or ZERO for i, k in enumerate(BUCKETS)}
        lines[r.client_id] = AgingLine(r.client_id, r.client_ref, r.client_name, r.total,
                                       int(r.n), buckets, ZERO)
    for client_id, ref, name, credit in unallocated_credit(conn, creditor_id, at):
        line = lines.get(client_id)
        lines[client_id] = (AgingLine(client_id, ref, name, ZERO, 0, _zeros(), credit)
                            if line is None else
                            AgingLine(line.client_id, line.ref, line.name, line.total,
                                      line.open_invoices, line.buckets, credit))
    clients = tuple(sorted(lines.values(), key=lambda c: c.ref))
    totals = {k: sum((c.buckets[k] for c in clients), ZERO) for k in BUCKETS}
    warnings = tuple(
        f"{n} facture(s) ouverte(s) en {cur} non comprise(s) ({amount:.2f} {cur})."
        for cur, (n, amount) in sorted(others.items()))
    return Aging(at=at, total=sum(totals.values(), ZERO),
                 open_invoices=sum(c.open_invoices for c in clients), buckets=totals,
                 unallocated_credit=sum((c.unallocated_credit for c in clients), ZERO),
                 clients=clients, warnings=warnings)


def unallocated_credit(conn: Connection, creditor_id: int,
                       at: date) -> list[tuple[int, str, str, Decimal]]:
    """(client id, ref, name, credit) of the clients holding unallocated credit at `at`.

    The credit is the payments dated on or before `at` and the credit notes (in euros) issued
    on or before it, less what of them was allocated to invoices existing at `at` (issued on or
    before it): a payment received before its invoice was issued is credit until then.
    """
    p, a, inv = t.payments, t.allocations, t.invoices
    target = inv.alias("credit_target")
    notes = inv.alias("credit_notes_used")
    received = select(p.c.client_id.label("client_id"), p.c.amount.label("amount")).where(
        p.c.creditor_id == creditor_id, p.c.date <= at)
    paid_out = (
        select(p.c.client_id, -a.c.amount)
        .select_from(a.join(p, a.c.payment_id == p.c.id)
                     .join(target, a.c.invoice_id == target.c.id))
        .where(p.c.creditor_id == creditor_id, p.c.date <= at, target.c.issue_date <= at))
    credited = select(inv.c.client_id, inv.c.amount).where(
        inv.c.creditor_id == creditor_id, inv.c.doc_type == "credit_note",
        inv.c.currency == CURRENCY, inv.c.issue_date <= at)
    credit_used = (
        select(notes.c.client_id, -a.c.amount)
        .select_from(a.join(notes, a.c.credit_note_id == notes.c.id)
                     .join(target, a.c.invoice_id == target.c.id))
        .where(notes.c.creditor_id == creditor_id, notes.c.currency == CURRENCY,
               notes.c.issue_date <= at, target.c.issue_date <= at))
    moves = union_all(received, paid_out, credited, credit_used).subquery("credit_moves")
    total = func.sum(moves.c.amount)
    query = (
        select(moves.c.client_id, t.clients.c.ref, t.clients.c.name,
               type_coerce(total, Money()).label("credit"))
        .select_from(moves.join(t.clients, t.clients.c.id == moves.c.client_id))
        .group_by(moves.c.client_id, t.clients.c.ref, t.clients.c.name)
        .having(total > 0))
    return [(r.client_id, r.ref, r.name, r.credit) for r in conn.execute(query)]


# --- DSO --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DsoPoint:
    """Both DSO figures at one date, with what they are computed from."""

    at: date
    receivables: Decimal
    sales_90_days: Decimal
    dso_simple: Decimal | None
    dso_countback: Decimal | None


@dataclass(frozen=True)
class Dso:
    """The DSO at a date and its monthly trend (month-ends, oldest first)."""

    at: date
    receivables: Decimal
    sales_90_days: Decimal
    dso_simple: Decimal | None
    dso_countback: Decimal | None
    trend: tuple[DsoPoint, ...]
    currency: str = CURRENCY

    def as_json(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "currency": self.currency,
                "dso_simple": _days(self.dso_simple),
                "dso_countback": _days(self.dso_countback),
                "receivables": _money(self.receivables),
                "sales_90_days": _money(self.sales_90_days),
                "trend": [{"month_end": p.at.isoformat(), "dso_simple": _days(p.dso_simple),
                           "dso_countback": _days(p.dso_countback),
                           "receivables": _money(p.receivables),
                           "sales_90_days": _money(p.sales_90_days)} for p in self.trend]}


class DailyAmounts:
    """Amounts by day, summed up to any date by bisection."""

    def __init__(self, by_day: dict[date, Decimal]) -> None:
        self.days = sorted(by_day)
        self.totals = list(accumulate((by_day[d] for d in self.days), initial=ZERO))

    @property
    def first(self) -> date | None:
        return self.days[0] if self.days else None

    def upto(self, day: date) -> Decimal:
        """Sum of the days on or before `day`."""
        return self.totals[bisect_right(self.days, day)]

    def after_until(self, start: date, end: date) -> Decimal:
        """Sum of the days after `start`, up to and including `end`."""
        return self.upto(end) - self.upto(start)


def month_ends(at: date, months: int) -> list[date]:
    """The last `months` month-ends on or before `at`, oldest first.

    >>> month_ends(date(2026, 6, 30), 3)
    [datetime.date(2026, 4, 30), datetime.date(2026, 5, 31), datetime.date(2026, 6, 30)]
    >>> month_ends(date(2026, 3, 15), 2)
    [datetime.date(2026, 1, 31), datetime.date(2026, 2, 28)]
    """
    last = at if (at + timedelta(days=1)).day == 1 else at.replace(day=1) - timedelta(days=1)
    out = []
    for _ in range(months):
        out.append(last)
        last = last.replace(day=1) - timedelta(days=1)
    return out[::-1]


def months_back(at: date, k: int) -> date:
    """`at` moved back `k` months: a month-end to the month-end, another day to the same day
    (or the last day of a shorter month).

    >>> months_back(date(2026, 6, 30), 1), months_back(date(2026, 3, 31), 1)
    (datetime.date(2026, 5, 31), datetime.date(2026, 2, 28))
    >>> months_back(date(2026, 3, 30), 1), months_back(date(2026, 1, 15), 2)
    (datetime.date(2026, 2, 28), datetime.date(2025, 11, 15))
    """
    index = at.year * 12 + at.month - 1 - k
    year, month = divmod(index, 12)
    length = calendar.monthrange(year, month + 1)[1]
    month_end = at.day == calendar.monthrange(at.year, at.month)[1]
    return date(year, month + 1, length if month_end else min(at.day, length))


def dso_simple(receivables: Decimal, sales_90_days: Decimal) -> Decimal | None:
    """Receivables ÷ sales of the last 90 days × 90, to 0.1 day (None without sales).

    >>> dso_simple(Decimal("1000.00"), Decimal("3000.00")), dso_simple(Decimal("5"), ZERO)
    (Decimal('30.0'), None)
    """
    if sales_90_days <= 0:
        return None
    return (receivables * SIMPLE_WINDOW_DAYS / sales_90_days).quantize(
        _TENTH, rounding=ROUND_HALF_UP)


def countback(receivables: Decimal, sales: DailyAmounts, at: date) -> Decimal | None:
    """Days of the latest sales that the receivables amount to, month by month back from `at`.

    A month whose sales are zero or negative counts its days and uses up nothing. None when
    there is no sale on or before `at`, or when the receivables exceed every sale on record.
    """
    first = sales.first
    if first is None or first > at:          # no sale on record yet
        return None
    if receivables <= 0:
        return Decimal("0.0")
    remaining = receivables
    counted = 0
    end = at
    k = 0
    while True:
        start = months_back(at, k + 1)       # the month is (start, end]
        length = (end - start).days
        month_sales = sales.after_until(start, end)
        if month_sales > 0 and remaining <= month_sales:
            return (counted + length * remaining / month_sales).quantize(
                _TENTH, rounding=ROUND_HALF_UP)
        counted += length
        if month_sales > 0:
            remaining -= month_sales
        if start < first:                    # every sale on record is used up
            break
        end, k = start, k + 1
    return None


def dso(conn: Connection, creditor_id: int, at: date, months: int = 12) -> Dso:
    """The DSO at `at` (simple and countback) and at each of the last `months` month-ends."""
    invoiced, sales, settled = _daily(conn, creditor_id, at)

    def point(day: date) -> DsoPoint:
        receivables = invoiced.upto(day) - settled.upto(day)
        window = sales.after_until(day - timedelta(days=SIMPLE_WINDOW_DAYS), day)
        return DsoPoint(day, receivables, window, dso_simple(receivables, window),
                        countback(receivables, sales, day))

    now = point(at)
    return Dso(at=at, receivables=now.receivables, sales_90_days=now.sales_90_days,
               dso_simple=now.dso_simple, dso_countback=now.dso_countback,
               trend=tuple(point(day) for day in month_ends(at, months)))


def _daily(conn: Connection, creditor_id: int,
           at: date) -> tuple[DailyAmounts, DailyAmounts, DailyAmounts]:
    """By day up to `at`: invoices issued, sales (invoices less credit notes) and allocations
    reducing those invoices (on the later of their effective date and the invoice's issue)."""
    inv, a, p = t.invoices, t.allocations, t.payments
    issued = (
        select(inv.c.issue_date, inv.c.doc_type,
               type_coerce(func.sum(inv.c.amount), Money()).label("amount"))
        .where(inv.c.creditor_id == creditor_id, inv.c.currency == CURRENCY,
               inv.c.issue_date <= at)
        .group_by(inv.c.issue_date, inv.c.doc_type))
    invoiced: dict[date, Decimal] = {}
    sales: dict[date, Decimal] = {}
    for r in conn.execute(issued):
        sign = 1 if r.doc_type == "invoice" else -1
        sales[r.issue_date] = sales.get(r.issue_date, ZERO) + sign * r.amount
        if r.doc_type == "invoice":
            invoiced[r.issue_date] = invoiced.get(r.issue_date, ZERO) + r.amount

    target = inv.alias("dso_target")
    effective = func.coalesce(p.c.date, credit_notes.c.issue_date)
    on = type_coerce(case((effective > target.c.issue_date, effective),
                          else_=target.c.issue_date), Date).label("day")
    allocated = (
        select(on, type_coerce(func.sum(a.c.amount), Money()).label("amount"))
        .select_from(a.join(target, a.c.invoice_id == target.c.id)
                     .outerjoin(p, a.c.payment_id == p.c.id)
                     .outerjoin(credit_notes, a.c.credit_note_id == credit_notes.c.id))
        .where(target.c.creditor_id == creditor_id, target.c.doc_type == "invoice",
               target.c.currency == CURRENCY, target.c.issue_date <= at, effective <= at)
        .group_by(on))
    settled = {r.day: r.amount for r in conn.execute(allocated)}
    return DailyAmounts(invoiced), DailyAmounts(sales), DailyAmounts(settled)

