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

How it is computed, on a million invoices (see benchmarks/bench_reports.py):

- near today, the open amount of an invoice at `at` is its amount, less the `allocated` total
  the database keeps on each invoice, payment and credit note (triggers, migration 0007), plus
  its allocations dated after `at` (payments dated later, credit notes issued later), few and
  found from the creditor's own later payments and credit notes; an invoice open at `at` is
  open today or has such later allocations, so the ledger's allocations are not summed;
  further back (when more than RECENT_SHARE of the payments are dated after `at`), the
  allocations effective by `at` are summed per invoice from an (invoice, date each allocation
  takes effect, amount) index alone (`effective_on`, kept by triggers, migration 0008),
  without reading their payments; that sum covers every creditor of a shared database and
  the join with the creditor's invoices keeps its own (filtering it through them first
  measured three times slower);
- the aged balance groups the open invoices by client with a CASE per bucket; the due date is
  compared with boundary dates computed in Python (no date arithmetic in SQL: dates are ISO text
  on SQLite);
- the receivables of the DSO are the sum of the open amounts of the aged balance: since an
  allocation never exceeds what is open on its invoice, that is the invoices issued minus the
  allocations effective by then, summed per day in one scan, which gives every date of the
  trend at once; the sales are summed per day too, and the countback walks them in Python.
"""

from __future__ import annotations

import calendar
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    Connection,
    Date,
    and_,
    case,
    func,
    literal,
    literal_column,
    select,
    text,
    type_coerce,
    union_all,
)

from relance.adapters import tables as t
from relance.adapters.repository import cents_sum, euros, settled_subquery
from relance.domain.lateness import band, band_starts
from relance.domain.money import ZERO, amount_text, cents_text

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
    return BUCKETS[band(days_late)]



def _days(value: Decimal | None) -> str | None:
    return None if value is None else f"{value}"


# --- aged balance -----------------------------------------------------------------------------


class AgingLine(NamedTuple):
    """One client's open invoices at the date, by bucket, and its unallocated credit.

    The amounts stay the integer cents SQL summed, turned into Decimal when read: a report
    holds some 70,000 lines, and most of their amounts are only ever written out as text."""

    client_id: int
    ref: str
    name: str
    open_invoices: int
    cents: tuple[int, ...]          # the total, then each bucket
    credit_cents: int = 0

    @property
    def total(self) -> Decimal:
        return euros(self.cents[0])

    @property
    def buckets(self) -> dict[str, Decimal]:
        return dict(zip(BUCKETS, map(euros, self.cents[1:]), strict=True))

    @property
    def unallocated_credit(self) -> Decimal:
        return euros(self.credit_cents)

    def as_json(self) -> dict[str, Any]:
        return {"ref": self.ref, "name": self.name, "total": cents_text(self.cents[0]),
                "open_invoices": self.open_invoices,
                "buckets": dict(zip(BUCKETS, map(cents_text, self.cents[1:]), strict=True)),
                "unallocated_credit": cents_text(self.credit_cents)}


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
                "total": amount_text(self.total), "open_invoices": self.open_invoices,
                "buckets": {k: amount_text(self.buckets[k]) for k in BUCKETS},
                "unallocated_credit": amount_text(self.unallocated_credit),
                "clients": [c.as_json() for c in self.clients],
                "warnings": list(self.warnings)}


def bucket_bounds(at: date) -> tuple[date, date, date]:
    """The due dates that start the 1-30, 31-60 and 61-90 buckets (30, 60, 90 days back).

    Compared with the due date as plain dates, they need no date arithmetic in SQL (dates are
    ISO text on SQLite): due ≥ at is not due, due ≥ at − 30 days is 1-30, and so on.
    """
    d30, d60, d90 = band_starts(at)
    return d30, d60, d90


def aging(conn: Connection, creditor_id: int, at: date) -> Aging:
    """The aged balance at `at`: one GROUP BY query over the open invoices, by client with a
    sum per bucket, and one over the credit moves."""
    _tune(conn)
    credits = {r[0]: r for r in unallocated_credit(conn, creditor_id, at)}
    base = _open_invoices(conn, creditor_id, at)
    due, open_cents = base.c.due_date, base.c.open_cents
    d30, d60, d90 = bucket_bounds(at)
    conditions = (
        due >= at,                          # not_due
        and_(due < at, due >= d30),         # 1-30
        and_(due < d30, due >= d60),        # 31-60
        and_(due < d60, due >= d90),        # 61-90
        due < d90,                          # 90+
    )
    grouped = (
        select(base.c.client_id, base.c.currency, func.count().label("n"),
               cents_sum(open_cents).label("total"),
               *(cents_sum(case((cond, open_cents), else_=literal(0))).label(f"b{i}")
                 for i, cond in enumerate(conditions)))
        .where(open_cents > 0)
        .group_by(base.c.client_id, base.c.currency)
        .subquery("aging_clients"))
    query = select(grouped, t.clients.c.ref, t.clients.c.name).select_from(
        grouped.join(t.clients, t.clients.c.id == grouped.c.client_id))
    lines: list[AgingLine] = []
    others: dict[str, tuple[int, int]] = {}
    for client_id, currency, n, *cents, ref, name in conn.execute(query).all():
        if currency != CURRENCY:
            count, amount = others.get(currency, (0, 0))
            others[currency] = (count + int(n), amount + int(cents[0]))
            continue
        credit = credits.pop(client_id, None)
        lines.append(AgingLine(client_id, ref, name, int(n), tuple(cents),
                               0 if credit is None else credit[3]))
    # cents: the total, then each bucket (SQL sums over a non-empty group: never NULL)
    totals = ([sum(column) for column in zip(*(line.cents for line in lines), strict=True)]
              or [0] * (len(BUCKETS) + 1))
    lines.extend(AgingLine(client_id, ref, name, 0, (0,) * (len(BUCKETS) + 1), credit)
                 for client_id, ref, name, credit in credits.values())
    lines.sort(key=lambda c: c.ref)
    warnings = tuple(
        f"{n} facture(s) ouverte(s) en {cur} non comprise(s) ({euros(amount)} {cur})."
        for cur, (n, amount) in sorted(others.items()))
    return Aging(at=at, total=euros(totals[0]),
                 open_invoices=sum(c.open_invoices for c in lines),
                 buckets=dict(zip(BUCKETS, map(euros, totals[1:]), strict=True)),
                 unallocated_credit=euros(sum(c.credit_cents for c in lines)),
                 clients=tuple(lines), warnings=warnings)


def _tune(conn: Connection) -> None:
    """PostgreSQL: no JIT for these one-off scans, for the rest of the transaction (compiling
    the plan costs more than it saves: up to two seconds on a million invoices)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL jit = off"))


def _of_creditor(conn: Connection, table: Any, creditor_id: int) -> Any:
    """`table.creditor_id = creditor_id`, written `+ 0` on SQLite: a report reads every row of
    the creditor, and without statistics SQLite would walk them through the (creditor, number)
    index in random order instead of scanning the table in order, several times slower."""
    column = table.c.creditor_id
    return (column + 0 if conn.dialect.name == "sqlite" else column) == creditor_id


def _credit_notes(table: Any, creditor_id: int) -> Any:
    """The creditor's credit notes, spelt so that both databases read them through the partial
    index `ix_invoices_credit_notes` (a literal, not a parameter: the index's condition must be
    provable when the statement is planned)."""
    return and_(table.c.creditor_id == creditor_id,
                table.c.doc_type == literal_column("'credit_note'"))


# Near today, few allocations are dated after the report date: the open amounts are read from
# the invoices' kept `allocated` totals, corrected by those few. Further back, when more than
# this share of the payments is dated after it, the allocations effective by then are summed.
RECENT_SHARE = Decimal("0.1")


def _late_allocations(creditor_id: int, at: date) -> Any:
    """Per invoice, what of its allocations is dated after `at` (payments dated later, credit
    notes issued later), found from the creditor's later payments and credit notes."""
    a, p, inv = t.allocations, t.payments, t.invoices
    later_payments = select(p.c.id).where(p.c.creditor_id == creditor_id, p.c.date > at)
    later_notes = select(inv.c.id).where(_credit_notes(inv, creditor_id), inv.c.issue_date > at)
    moves = union_all(
        select(a.c.invoice_id, a.c.amount).where(a.c.payment_id.in_(later_payments)),
        select(a.c.invoice_id, a.c.amount).where(a.c.credit_note_id.in_(later_notes)),
    ).subquery("late_moves")
    return (select(moves.c.invoice_id, cents_sum(moves.c.amount).label("late"))
            .group_by(moves.c.invoice_id).subquery("late"))


def _is_recent(conn: Connection, creditor_id: int, at: date) -> bool:
    """Whether at most RECENT_SHARE of the creditor's payments are dated after `at`."""
    p = t.payments
    total, later = conn.execute(
        select(func.count(), func.coalesce(func.sum(case((p.c.date > at, 1), else_=0)), 0))
        .where(p.c.creditor_id == creditor_id)).one()
    return bool(later <= total * RECENT_SHARE)


def _open_invoices(conn: Connection, creditor_id: int, at: date) -> Any:
    """Every invoice issued on or before `at` with its open amount then, in cents (id,
    client_id, due_date, currency, open_cents; rows whose amount is not positive are settled).

    Near today (see RECENT_SHARE): its amount, less the `allocated` total the
    database keeps, plus its allocations dated after `at`; an invoice open at `at` is either
    open today or settled by allocations some of which are dated after `at`, and the two parts
    are read apart, so only the invoices open today meet the few later allocations. Further
    back: its amount less the allocations effective by `at` (of payments dated on or before
    it, of credit notes issued on or before it), summed per invoice.
    """
    inv = t.invoices
    issued = (_of_creditor(conn, inv, creditor_id), inv.c.doc_type == "invoice",
              inv.c.issue_date <= at)
    # `client_id + 0` on SQLite: grouped by client, the invoices would otherwise be walked
    # through the (client, due) index to save a sort, reading the table in random order.
    client = (inv.c.client_id + 0 if conn.dialect.name == "sqlite" else inv.c.client_id)
    columns = (inv.c.id, client.label("client_id"), inv.c.due_date, inv.c.currency)
    if _is_recent(conn, creditor_id, at):
        late = _late_allocations(creditor_id, at)
        rest = inv.c.amount - inv.c.allocated
        open_today = (
            select(*columns, type_coerce(rest + func.coalesce(late.c.late, 0), BigInteger)
                   .label("open_cents"))
            .select_from(inv.outerjoin(late, late.c.invoice_id == inv.c.id))
            .where(*issued, inv.c.allocated < inv.c.amount))
        settled_later = (
            select(*columns, type_coerce(rest + late.c.late, BigInteger).label("open_cents"))
            .select_from(late.join(inv, inv.c.id == late.c.invoice_id))
            .where(*issued, inv.c.allocated >= inv.c.amount))
        return union_all(open_today, settled_later).subquery("open_invoices")
    settled = settled_subquery(at)
    return (select(*columns, type_coerce(inv.c.amount - func.coalesce(settled.c.settled, 0),
                                         BigInteger).label("open_cents"))
            .select_from(inv.outerjoin(settled, settled.c.invoice_id == inv.c.id))
            .where(*issued).subquery("open_invoices"))


def unallocated_credit(conn: Connection, creditor_id: int,
                       at: date) -> list[tuple[int, str, str, int]]:
    """(client id, ref, name, credit in cents) of the clients holding unallocated credit at
    `at`.

    The credit is the payments dated on or before `at` and the credit notes (in euros) issued
    on or before it, less what of them was allocated to invoices existing at `at` (issued on or
    before it): a payment received before its invoice was issued is credit until then. Summed
    as what each payment or credit note has left today, plus what of it went to invoices issued
    after `at`.
    """
    p, a, inv = t.payments, t.allocations, t.invoices
    notes = inv.alias("credit_notes_left")
    is_note = and_(_credit_notes(notes, creditor_id), notes.c.issue_date <= at,
                   notes.c.currency == CURRENCY)
    later = select(inv.c.id).where(_of_creditor(conn, inv, creditor_id),
                                   inv.c.doc_type == "invoice", inv.c.issue_date > at)
    left_on_payments = (
        select(p.c.client_id.label("client_id"), (p.c.amount - p.c.allocated).label("cents"))
        .where(p.c.creditor_id == creditor_id, p.c.date <= at, p.c.allocated < p.c.amount)
        .subquery("left_on_payments"))
    left_on_notes = (
        select(notes.c.client_id.label("client_id"),
               (notes.c.amount - notes.c.allocated).label("cents"))
        .where(is_note, notes.c.allocated < notes.c.amount)
        .subquery("left_on_notes"))
    moves = union_all(
        select(left_on_payments.c.client_id, left_on_payments.c.cents),
        select(left_on_notes.c.client_id, left_on_notes.c.cents),
        select(p.c.client_id, a.c.amount).select_from(a.join(p, a.c.payment_id == p.c.id))
        .where(a.c.invoice_id.in_(later), p.c.date <= at),
        select(notes.c.client_id, a.c.amount)
        .select_from(a.join(notes, a.c.credit_note_id == notes.c.id))
        .where(a.c.invoice_id.in_(later), is_note),
    ).subquery("credit_moves")
    total = cents_sum(moves.c.cents)
    per_client = (select(moves.c.client_id, total.label("credit"))
                  .group_by(moves.c.client_id).having(total > 0).subquery("credits"))
    query = select(per_client, t.clients.c.ref, t.clients.c.name).select_from(
        per_client.join(t.clients, t.clients.c.id == per_client.c.client_id))
    return [(r.client_id, r.ref, r.name, int(r.credit)) for r in conn.execute(query)]


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
                "receivables": amount_text(self.receivables),
                "sales_90_days": amount_text(self.sales_90_days),
                "trend": [{"month_end": p.at.isoformat(), "dso_simple": _days(p.dso_simple),
                           "dso_countback": _days(p.dso_countback),
                           "receivables": amount_text(p.receivables),
                           "sales_90_days": amount_text(p.sales_90_days)} for p in self.trend]}


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
    _tune(conn)
    inv, a = t.invoices, t.allocations
    issued = (
        select(inv.c.issue_date, inv.c.doc_type,
               cents_sum(inv.c.amount).label("cents"))
        .where(_of_creditor(conn, inv, creditor_id), inv.c.currency == CURRENCY,
               inv.c.issue_date <= at)
        .group_by(inv.c.issue_date, inv.c.doc_type))
    invoiced: dict[date, Decimal] = {}
    sales: dict[date, Decimal] = {}
    for r in conn.execute(issued):
        amount = euros(r.cents)
        sales[r.issue_date] = sales.get(r.issue_date, ZERO) + (
            amount if r.doc_type == "invoice" else -amount)
        if r.doc_type == "invoice":
            invoiced[r.issue_date] = invoiced.get(r.issue_date, ZERO) + amount

    # An allocation reduces the receivables from the later of its date and its invoice's issue.
    dated = a.c.effective_on
    later = case((dated > inv.c.issue_date, dated), else_=inv.c.issue_date)
    moves = (select(later.label("day"), a.c.amount)
             .select_from(a.join(inv, a.c.invoice_id == inv.c.id))
             .where(_of_creditor(conn, inv, creditor_id), inv.c.doc_type == "invoice",
                    inv.c.currency == CURRENCY, inv.c.issue_date <= at, dated <= at)
             .subquery("dso_moves"))
    day = type_coerce(moves.c.day, Date).label("day")
    allocated = select(day, cents_sum(moves.c.amount).label("cents")).group_by(moves.c.day)
    settled = {r.day: euros(r.cents) for r in conn.execute(allocated)}
    return DailyAmounts(invoiced), DailyAmounts(sales), DailyAmounts(settled)
