"""Cash forecast (prévision d'encaissements) and collection KPIs, read set-wise from the ledger.

**Forecast at D** (made at the end of day D, point in time: only payments, credit notes,
promises, plans and history dated D or before count). Week 1 is the seven days D+1 … D+7,
week k the days D+7(k−1)+1 … D+7k; what is expected later is "au-delà". Every invoice open
at D (in the currency asked, EUR by default) lands, for its whole open amount, on dates after
D, client by client, in this order of priority:

1. ``échéancier``: the installments dated after D of the client's payment plan active at D
   (agreed on or before D, not closed by then), less what the client paid since the plan was
   agreed beyond the installments already due; capped at the client's open amount;
2. ``promesse``: the client's promises open at D (made on or before D, not closed by then),
   on their pay-by date (D+1 when already past), for their amount less what the client paid
   since the promise was made; capped at what is left of the open amount;
3. ``prévision``: what is left of each invoice, on its predicted payment date, from
   `relance.services.prediction.predict_open` trained at D (overdue invoices included: the
   model puts them after D, per the delays of invoices once as late);
4. ``échéance``: when the model cannot run, the due date plus the client's median past
   delay (still ``prévision``), or the bare due date for a client without history (D+1 when
   past).

A plan's or a promise's amount covers the client's invoices oldest due date first (as an
unassigned payment would be allocated). Amounts are Decimal to the cent; the weeks, the
"au-delà" and the total open always add up exactly.

**Back-test**: every 28 days from `start` to `end`, the forecast made then (point in time,
model retrained then) against what really came in: payments dated in each week allocated to
the invoices open at that date; and the naive forecast "everything on its due date" (overdue:
week 1), without plans, promises nor model.

**KPIs**: collection effectiveness index per month, average days late of the invoices settled
in a period (simple and amount-weighted), amount recovered after each scenario step.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection, and_, case, func, literal, or_, select, type_coerce

from relance.adapters import tables as t
from relance.adapters.repository import (
    credit_notes,
    invoices_with_open_amount,
    settled_subquery,
)
from relance.domain.money import ZERO, round_cents

PLAN = "échéancier"
PROMISE = "promesse"
PREDICTED = "prévision"
DUE = "échéance"
SOURCES = (PLAN, PROMISE, PREDICTED, DUE)

WEEKS = 13
BACKTEST_STEP_DAYS = 28
METHOD_DUE = "échéances"             # the naive forecast: due dates only
METHOD_FALLBACK = "délai-médian-client"
_ONE_DECIMAL = Decimal("0.1")
_PERCENT = Decimal("0.01")
_CHUNK = 500


def _zeros() -> dict[str, Decimal]:
    return {source: ZERO for source in SOURCES}


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --- the forecast -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """Part of an invoice's open amount expected on a date, and why that date."""

    invoice_id: int
    number: str
    client_ref: str
    due_date: date
    on: date
    amount: Decimal
    source: str


@dataclass(frozen=True)
class Week:
    index: int                       # 1 … weeks
    start: date
    end: date
    amount: Decimal
    by_source: dict[str, Decimal]


@dataclass(frozen=True)
class Forecast:
    at: date
    currency: str
    method: str                      # model name, METHOD_FALLBACK or METHOD_DUE
    weeks: tuple[Week, ...]
    beyond: Decimal                  # expected after the last week
    beyond_by_source: dict[str, Decimal]
    total_open: Decimal              # = sum of the weeks + beyond
    lines: tuple[Expected, ...] = field(repr=False)

    @property
    def horizon_end(self) -> date:
        return self.at + timedelta(days=7 * len(self.weeks))

    def week_of(self, on: date) -> int | None:
        """1-based week of a date after `at`; None beyond the horizon."""
        index = (on - self.at).days - 1
        index = index // 7 + 1
        return index if index <= len(self.weeks) else None

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at, "currency": self.currency, "method": self.method,
            "weeks": [{"week": w.index, "start": w.start, "end": w.end, "amount": w.amount,
                       "by_source": dict(w.by_source)} for w in self.weeks],
            "beyond": {"start": self.horizon_end + timedelta(days=1), "amount": self.beyond,
                       "by_source": dict(self.beyond_by_source)},
            "total_open": self.total_open,
            "invoices": [{"invoice": e.number, "client": e.client_ref, "due": e.due_date,
                          "on": e.on, "week": self.week_of(e.on), "amount": e.amount,
                          "source": e.source} for e in self.lines],
        }


def _active_at(table: Any, started: Any, at: date, open_status: str) -> Any:
    """Rows started on or before `at` and not yet closed at the end of `at`."""
    return and_(started <= at, or_(table.c.closed_on > at,
                                   and_(table.c.closed_on.is_(None),
                                        table.c.status == open_status)))


def _commitments(conn: Connection, creditor_id: int, at: date
                 ) -> dict[int, list[tuple[date, Decimal, str]]]:
    """Per client, what a plan or a promise active at `at` still expects, in priority order:
    the plan installments (dated after `at`), then the promises (by pay-by date)."""
    plans, promises, cl, pay = t.payment_plans, t.promises, t.clients, t.payments
    plan_rows = conn.execute(
        select(plans.c.client_id, plans.c.agreed_on, plans.c.installments)
        .join(cl, cl.c.id == plans.c.client_id)
        .where(cl.c.creditor_id == creditor_id,
               _active_at(plans, plans.c.agreed_on, at, "active"))
        .order_by(plans.c.client_id, plans.c.agreed_on, plans.c.id)).all()
    promise_rows = conn.execute(
        select(promises.c.client_id, promises.c.made_on, promises.c.pay_by, promises.c.amount)
        .join(cl, cl.c.id == promises.c.client_id)
        .where(cl.c.creditor_id == creditor_id,
               _active_at(promises, promises.c.made_on, at, "open"))
        .order_by(promises.c.client_id, promises.c.pay_by, promises.c.id)).all()
    if not plan_rows and not promise_rows:
        return {}
    earliest = min([r.agreed_on for r in plan_rows] + [r.made_on for r in promise_rows])
    wanted = {r.client_id for r in plan_rows} | {r.client_id for r in promise_rows}
    paid: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for r in conn.execute(
            select(pay.c.client_id, pay.c.date, pay.c.amount)
            .where(pay.c.creditor_id == creditor_id, pay.c.date >= earliest,
                   pay.c.date <= at)):
        if r.client_id in wanted:
            paid[r.client_id].append((r.date, r.amount))

    def paid_since(client_id: int, since: date) -> Decimal:
        return sum((a for d, a in paid[client_id] if d >= since), ZERO)

    out: dict[int, list[tuple[date, Decimal, str]]] = defaultdict(list)
    for plan in plan_rows:
        schedule = sorted((date.fromisoformat(i["date"]), Decimal(str(i["amount"])))
                          for i in plan.installments)
        already_due = sum((a for d, a in schedule if d <= at), ZERO)
        ahead = max(paid_since(plan.client_id, plan.agreed_on) - already_due, ZERO)
        for on, amount in schedule:
            if on <= at:
                continue
            used = min(ahead, amount)
            ahead -= used
            if amount - used > ZERO:
                out[plan.client_id].append((on, amount - used, PLAN))
    for promise in promise_rows:
        left = promise.amount - paid_since(promise.client_id, promise.made_on)
        if left > ZERO:
            out[promise.client_id].append(
                (max(promise.pay_by, at + timedelta(days=1)), left, PROMISE))
    return out


def _fallback_dates(conn: Connection, creditor_id: int, at: date,
                    rows: Sequence[Any]) -> dict[int, tuple[date, str]]:
    """Due date plus the client's median past delay (known at `at`), or the due date."""
    from relance.services.prediction import history

    delays: dict[str, list[int]] = defaultdict(list)
    for r in history(conn, creditor_id, at):
        if r.settled is not None:
            delays[r.client].append((r.settled - r.due).days)
    out = {}
    for row in rows:
        past = delays.get(row.client_ref)
        if past:
            out[row.id] = (row.due_date + timedelta(days=max(statistics.median_low(past), 0)),
                           PREDICTED)
        else:
            out[row.id] = (row.due_date, DUE)
    return out


def _open_invoices(conn: Connection, creditor_id: int, at: date, currency: str) -> list[Any]:
    query = invoices_with_open_amount(creditor_id, at).where(t.invoices.c.currency == currency)
    rows = [r for r in conn.execute(query) if r.open_amount > ZERO]
    rows.sort(key=lambda r: (r.client_id, r.due_date, r.issue_date, r.id))
    return rows


def forecast(conn: Connection, creditor_id: int, at: date, weeks: int = WEEKS, *,
             method: str = "prediction", currency: str = "EUR") -> Forecast:
    """Expected receipts per week after `at` from every invoice open at `at` (see module
    docstring). `method="due"`: the naive forecast, every open amount on its due date."""
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    rows = _open_invoices(conn, creditor_id, at, currency)
    tomorrow = at + timedelta(days=1)
    lines: list[Expected] = []

    def put(row: Any, on: date, amount: Decimal, source: str) -> None:
        lines.append(Expected(row.id, row.number, row.client_ref, row.due_date,
                              max(on, tomorrow), amount, source))

    if method == "due":
        used = METHOD_DUE
        for row in rows:
            put(row, row.due_date, row.open_amount, DUE)
    elif method == "prediction":
        dates: dict[int, tuple[date, str]]
        try:
            from relance.services.prediction import predict_open

            predictions = predict_open(conn, creditor_id, at)
            used = predictions.model_name
            dates = {i: (p.expected_on, PREDICTED) for i, p in predictions.items()}
        except (ImportError, ValueError, ArithmeticError):
            used = METHOD_FALLBACK
            dates = {}
        missing = [r for r in rows if r.id not in dates]
        if missing:
            dates.update(_fallback_dates(conn, creditor_id, at, missing))
        commitments = _commitments(conn, creditor_id, at)
        by_client: dict[int, list[Any]] = defaultdict(list)
        for row in rows:
            by_client[row.client_id].append(row)
        for client_id, invoices in by_client.items():
            left = {row.id: row.open_amount for row in invoices}
            pending = iter(invoices)          # oldest due date first
            current = next(pending, None)
            for on, amount, source in commitments.get(client_id, []):
                while amount > ZERO and current is not None:
                    take = min(amount, left[current.id])
                    put(current, on, take, source)
                    amount -= take
                    left[current.id] -= take
                    if left[current.id] == ZERO:
                        current = next(pending, None)
            for row in invoices:
                if left[row.id] > ZERO:
                    on, source = dates[row.id]
                    put(row, on, left[row.id], source)
    else:
        raise ValueError(f"unknown forecast method: {method}")

    sums = [_zeros() for _ in range(weeks)]
    beyond = _zeros()
    for line in lines:
        index = (line.on - at).days - 1
        target = sums[index // 7] if index // 7 < weeks else beyond
        target[line.source] += line.amount
    week_rows = tuple(
        Week(k + 1, at + timedelta(days=7 * k + 1), at + timedelta(days=7 * k + 7),
             sum(s.values(), ZERO), s) for k, s in enumerate(sums))
    return Forecast(at=at, currency=currency, method=used, weeks=week_rows,
                    beyond=sum(beyond.values(), ZERO), beyond_by_source=beyond,
                    total_open=sum((r.open_amount for r in rows), ZERO), lines=tuple(lines))


# --- back-test --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BacktestOrigin:
    """One past forecast date: forecast, naive forecast and actual receipts per week."""

    at: date
    method: str
    open_amount: Decimal
    forecast: tuple[Decimal, ...]
    naive: tuple[Decimal, ...]
    actual: tuple[Decimal, ...]


@dataclass(frozen=True)
class ForecastBacktest:
    start: date
    end: date
    weeks: int
    step_days: int
    origins: tuple[BacktestOrigin, ...]
    mae_by_week: tuple[Decimal | None, ...]          # mean |forecast − actual| of week k
    naive_mae_by_week: tuple[Decimal | None, ...]
    mae: Decimal | None                              # over every week of every origin
    naive_mae: Decimal | None
    total_mae: Decimal | None                        # mean |Σ forecast − Σ actual| per origin
    naive_total_mae: Decimal | None
    actual_mean_week: Decimal | None                 # mean actual receipts of a week (scale)

    @property
    def beats_naive(self) -> bool:
        return self.mae is not None and self.naive_mae is not None and self.mae < self.naive_mae

    def as_json(self) -> dict[str, Any]:
        return {
            "start": self.start, "end": self.end, "weeks": self.weeks,
            "step_days": self.step_days,
            "mae": self.mae, "naive_mae": self.naive_mae,
            "total_mae": self.total_mae, "naive_total_mae": self.naive_total_mae,
            "actual_mean_week": self.actual_mean_week, "beats_naive": self.beats_naive,
            "mae_by_week": [{"week": k + 1, "mae": m, "naive_mae": n} for k, (m, n) in
                            enumerate(zip(self.mae_by_week, self.naive_mae_by_week,
                                          strict=True))],
            "origins": [{"at": o.at, "method": o.method, "open_amount": o.open_amount,
                         "forecast": list(o.forecast), "naive": list(o.naive),
                         "actual": list(o.actual)} for o in self.origins],
        }


def _mean(values: Sequence[Decimal]) -> Decimal | None:
    if not values:
        return None
    return round_cents(sum(values, ZERO) / len(values))


def forecast_backtest(conn: Connection, creditor_id: int, start: date, end: date,
                      weeks: int = WEEKS, *, step_days: int = BACKTEST_STEP_DAYS,
                      currency: str = "EUR") -> ForecastBacktest:
    """The forecast made every `step_days` days from `start` to `end` (point in time) against
    the payments that then came in on the invoices open at each date, week by week; the
    naive due-date forecast alongside. Compared weeks should be over: take `end` at least
    `weeks` weeks before the last payment date recorded."""
    if end < start:
        raise ValueError("end before start")
    origins_at = [start + timedelta(days=step_days * k)
                  for k in range((end - start).days // step_days + 1)]
    inv, al, pay = t.invoices, t.allocations, t.payments
    receipts = conn.execute(
        select(al.c.invoice_id, pay.c.date, al.c.amount)
        .select_from(al.join(pay, al.c.payment_id == pay.c.id)
                     .join(inv, al.c.invoice_id == inv.c.id))
        .where(inv.c.creditor_id == creditor_id, inv.c.currency == currency,
               pay.c.date > start, pay.c.date <= end + timedelta(days=7 * weeks))).all()
    origins = []
    for at in origins_at:
        made = forecast(conn, creditor_id, at, weeks, currency=currency)
        naive = forecast(conn, creditor_id, at, weeks, method="due", currency=currency)
        open_ids = {line.invoice_id for line in made.lines}
        actual = [ZERO] * weeks
        for r in receipts:
            index = ((r.date - at).days - 1) // 7
            if r.invoice_id in open_ids and 0 <= index < weeks:
                actual[index] += r.amount
        origins.append(BacktestOrigin(
            at, made.method, made.total_open, tuple(w.amount for w in made.weeks),
            tuple(w.amount for w in naive.weeks), tuple(actual)))

    def errors(pick: str) -> tuple[tuple[Decimal | None, ...], Decimal | None, Decimal | None]:
        per_week: list[list[Decimal]] = [[] for _ in range(weeks)]
        totals = []
        for o in origins:
            guess = o.forecast if pick == "model" else o.naive
            for k in range(weeks):
                per_week[k].append(abs(guess[k] - o.actual[k]))
            totals.append(abs(sum(guess, ZERO) - sum(o.actual, ZERO)))
        return (tuple(_mean(e) for e in per_week),
                _mean([e for week in per_week for e in week]), _mean(totals))

    by_week, mae, total = errors("model")
    naive_by_week, naive_mae, naive_total = errors("naive")
    return ForecastBacktest(
        start=start, end=end, weeks=weeks, step_days=step_days, origins=tuple(origins),
        mae_by_week=by_week, naive_mae_by_week=naive_by_week, mae=mae, naive_mae=naive_mae,
        total_mae=total, naive_total_mae=naive_total,
        actual_mean_week=_mean([a for o in origins for a in o.actual]))


# --- collection effectiveness index -------------------------------------------------------------


@dataclass(frozen=True)
class MonthCEI:
    """CEI = (beginning + sales − ending total) ÷ (beginning + sales − ending current) × 100."""

    start: date
    end: date
    beginning: Decimal            # receivables open at the end of the day before `start`
    sales: Decimal                # invoices issued in the month, less credit notes imputed
    ending_total: Decimal         # receivables open at the end of `end`
    ending_current: Decimal       # of which not yet past due at `end` (due on `end` or later)
    cei: Decimal | None           # percent, 0.01 steps; None when nothing was collectible
    partial: bool = False         # the month is cut at the report date

    @property
    def collected(self) -> Decimal:
        return self.beginning + self.sales - self.ending_total

    @property
    def collectible(self) -> Decimal:
        return self.beginning + self.sales - self.ending_current

    def as_json(self) -> dict[str, Any]:
        return {"month": f"{self.start:%Y-%m}", "start": self.start, "end": self.end,
                "partial": self.partial, "beginning": self.beginning, "sales": self.sales,
                "ending_total": self.ending_total, "ending_current": self.ending_current,
                "collected": self.collected, "collectible": self.collectible,
                "cei": None if self.cei is None else str(self.cei)}


def receivables(conn: Connection, creditor_id: int, at: date,
                currency: str = "EUR") -> tuple[Decimal, Decimal]:
    """(Total open, of which not yet past due: due on `at` or later) at the end of `at`, in
    one aggregate query (overdue, as everywhere in Relance, means due before `at`)."""
    q = invoices_with_open_amount(creditor_id, at).where(
        t.invoices.c.currency == currency).subquery()
    positive = q.c.open_amount > 0
    total = func.sum(case((positive, q.c.open_amount), else_=literal(0)))
    current = func.sum(case((and_(positive, q.c.due_date >= at), q.c.open_amount),
                            else_=literal(0)))
    row = conn.execute(select(type_coerce(func.coalesce(total, 0), t.Money()),
                              type_coerce(func.coalesce(current, 0), t.Money()))).one()
    return row[0], row[1]


def _net_sales(conn: Connection, creditor_id: int, start: date, end: date,
               currency: str) -> Decimal:
    """Invoices issued in [start, end], less the credit notes imputed on invoices then."""
    inv, al = t.invoices, t.allocations
    issued = conn.execute(select(type_coerce(func.coalesce(func.sum(inv.c.amount), 0),
                                             t.Money()))
                          .where(inv.c.creditor_id == creditor_id, inv.c.doc_type == "invoice",
                                 inv.c.currency == currency, inv.c.issue_date >= start,
                                 inv.c.issue_date <= end)).scalar_one()
    credited = conn.execute(
        select(type_coerce(func.coalesce(func.sum(al.c.amount), 0), t.Money()))
        .select_from(al.join(inv, al.c.invoice_id == inv.c.id)
                     .join(credit_notes, al.c.credit_note_id == credit_notes.c.id))
        .where(inv.c.creditor_id == creditor_id, inv.c.currency == currency,
               credit_notes.c.issue_date >= start, credit_notes.c.issue_date <= end)
    ).scalar_one()
    return issued - credited


def _cei(beginning: Decimal, sales: Decimal, ending: tuple[Decimal, Decimal]
         ) -> Decimal | None:
    collectible = beginning + sales - ending[1]
    if collectible <= ZERO:
        return None
    return ((beginning + sales - ending[0]) * 100 / collectible).quantize(
        _PERCENT, rounding=ROUND_HALF_UP)


def cei(conn: Connection, creditor_id: int, month_start: date, month_end: date, *,
        currency: str = "EUR") -> MonthCEI:
    """Collection effectiveness index of one period (usually a calendar month)."""
    if month_end < month_start:
        raise ValueError("month_end before month_start")
    beginning, _ = receivables(conn, creditor_id, month_start - timedelta(days=1), currency)
    ending = receivables(conn, creditor_id, month_end, currency)
    sales = _net_sales(conn, creditor_id, month_start, month_end, currency)
    return MonthCEI(month_start, month_end, beginning, sales, ending[0], ending[1],
                    _cei(beginning, sales, ending))


def month_starts(at: date, months: int) -> list[date]:
    """First days of the `months` calendar months ending with the month of `at`."""
    out = []
    year, month = at.year, at.month
    for _ in range(months):
        out.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def cei_by_month(conn: Connection, creditor_id: int, at: date, months: int = 12, *,
                 currency: str = "EUR") -> list[MonthCEI]:
    """The CEI of the last `months` calendar months, the month of `at` cut at `at` (partial
    unless `at` is its last day); each month-end balance is computed once."""
    starts = month_starts(at, months)
    ends = [s - timedelta(days=1) for s in starts[1:]] + [at]
    balances = {d: receivables(conn, creditor_id, d, currency)
                for d in [starts[0] - timedelta(days=1), *ends]}
    out = []
    for s, e in zip(starts, ends, strict=True):
        beginning = balances[s - timedelta(days=1)][0]
        sales = _net_sales(conn, creditor_id, s, e, currency)
        out.append(MonthCEI(s, e, beginning, sales, balances[e][0], balances[e][1],
                            _cei(beginning, sales, balances[e]),
                            partial=(e + timedelta(days=1)).day != 1))
    return out


# --- days late of the invoices settled --------------------------------------------------------


def settlement_dates(creditor_id: int) -> Any:
    """Subquery (invoice_id, settled_on): the day each fully settled invoice of the creditor
    was settled (the shared settled_subquery's last allocation date)."""
    inv = t.invoices
    settled = settled_subquery(dated=True)
    return (select(settled.c.invoice_id, settled.c.last_on.label("settled_on"))
            .select_from(settled.join(inv, inv.c.id == settled.c.invoice_id))
            .where(inv.c.creditor_id == creditor_id, settled.c.settled >= inv.c.amount)
            .subquery("settlements"))


@dataclass(frozen=True)
class Lateness:
    """Average days late of the invoices fully settled in [start, end] (on time: 0)."""

    start: date
    end: date
    invoices: int
    late: int
    amount: Decimal
    average_days: Decimal | None        # simple mean, 0.1 day
    weighted_days: Decimal | None       # weighted by the invoice amounts, 0.1 day
    max_days: int

    def as_json(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "invoices": self.invoices,
                "late": self.late, "amount": self.amount,
                "average_days": None if self.average_days is None else str(self.average_days),
                "weighted_days": None if self.weighted_days is None
                else str(self.weighted_days), "max_days": self.max_days}


def days_late_paid(conn: Connection, creditor_id: int, start: date, end: date, *,
                   currency: str = "EUR") -> Lateness:
    """Days late (settled − due, 0 when on time) of the invoices whose settlement date lies in
    [start, end]: simple and amount-weighted averages."""
    inv = t.invoices
    settled = settlement_dates(creditor_id)
    rows = conn.execute(
        select(inv.c.due_date, inv.c.amount, settled.c.settled_on)
        .select_from(inv.join(settled, settled.c.invoice_id == inv.c.id))
        .where(inv.c.creditor_id == creditor_id, inv.c.doc_type == "invoice",
               inv.c.currency == currency, settled.c.settled_on >= start,
               settled.c.settled_on <= end)).all()
    days = [max((r.settled_on - r.due_date).days, 0) for r in rows]
    amount = sum((r.amount for r in rows), ZERO)
    weighted = sum((r.amount * d for r, d in zip(rows, days, strict=True)), ZERO)
    return Lateness(
        start, end, len(rows), sum(1 for d in days if d > 0), amount,
        (Decimal(sum(days)) / len(days)).quantize(_ONE_DECIMAL, ROUND_HALF_UP) if days
        else None,
        (weighted / amount).quantize(_ONE_DECIMAL, ROUND_HALF_UP) if amount > ZERO else None,
        max(days, default=0))


# --- recovery after each scenario step ----------------------------------------------------------


@dataclass(frozen=True)
class StepRecovery:
    step: str
    label: str
    invoices: int                 # invoices reminded at this step in the period
    reminded: Decimal             # their open amount on the reminder day
    paid: Decimal                 # paid on them in the N days after the reminder
    rate: Decimal | None          # paid ÷ reminded × 100, 0.01 steps

    def as_json(self) -> dict[str, Any]:
        return {"step": self.step, "label": self.label, "invoices": self.invoices,
                "reminded": self.reminded, "paid": self.paid,
                "rate": None if self.rate is None else str(self.rate)}


def rate(part: Decimal, whole: Decimal) -> Decimal | None:
    if whole <= ZERO:
        return None
    return (part * 100 / whole).quantize(_PERCENT, rounding=ROUND_HALF_UP)


def recovery_by_step(conn: Connection, creditor_id: int, start: date, end: date,
                     within_days: int = 15, *, currency: str = "EUR") -> list[StepRecovery]:
    """For each scenario step (the `step` of the reminder events dated in [start, end]): the
    invoices reminded at that step (each counted once, at its first reminder at that step in
    the period), their open amount that day, and the payments allocated to them dated in the
    `within_days` days after it (later than `end` included)."""
    ev, inv, al = t.events, t.invoices, t.allocations
    events = conn.execute(
        select(ev.c.occurred_on, ev.c.data)
        .where(ev.c.creditor_id == creditor_id, ev.c.kind == "reminder",
               ev.c.occurred_on >= start, ev.c.occurred_on <= end)
        .order_by(ev.c.occurred_on, ev.c.id)).all()
    wanted: list[tuple[str, str, int, str, date]] = []   # step, label, index, number, day
    for e in events:
        data = e.data or {}
        step = str(data.get("step") or "")
        if not step:
            continue
        index = data.get("step_index")
        for number in data.get("invoices") or []:
            wanted.append((step, str(data.get("label") or step),
                           index if isinstance(index, int) else 1_000_000, str(number),
                           e.occurred_on))
    numbers = sorted({w[3] for w in wanted})
    found: dict[str, Any] = {}
    for chunk in _chunks(numbers):
        for r in conn.execute(select(inv.c.id, inv.c.number, inv.c.amount).where(
                inv.c.creditor_id == creditor_id, inv.c.doc_type == "invoice",
                inv.c.currency == currency, inv.c.number.in_(chunk))):
            found[r.number] = r
    ids = sorted(r.id for r in found.values())
    settlements: dict[int, list[tuple[date, Decimal, bool]]] = defaultdict(list)
    for chunk in _chunks(ids):
        for a in conn.execute(
                select(al.c.invoice_id, al.c.amount, al.c.effective_on.label("on"),
                       al.c.payment_id)
                .where(al.c.invoice_id.in_(chunk))):
            settlements[a.invoice_id].append((a.on, a.amount, a.payment_id is not None))

    steps: dict[str, dict[str, Any]] = {}
    seen: set[tuple[str, int]] = set()
    for step, label, index, number, day in wanted:
        row = found.get(number)
        if row is None or (step, row.id) in seen:
            continue
        seen.add((step, row.id))
        done = settlements.get(row.id, [])
        open_amount = row.amount - sum((a for on, a, _ in done if on <= day), ZERO)
        if open_amount <= ZERO:
            continue
        paid = sum((a for on, a, is_payment in done
                    if is_payment and day < on <= day + timedelta(days=within_days)), ZERO)
        entry = steps.setdefault(step, {"label": label, "index": index, "first": day,
                                        "invoices": 0, "reminded": ZERO, "paid": ZERO})
        entry["index"] = min(entry["index"], index)
        entry["invoices"] += 1
        entry["reminded"] += open_amount
        entry["paid"] += paid
    order = sorted(steps, key=lambda s: (steps[s]["index"], steps[s]["first"], s))
    return [StepRecovery(s, steps[s]["label"], steps[s]["invoices"], steps[s]["reminded"],
                         steps[s]["paid"], rate(steps[s]["paid"], steps[s]["reminded"]))
            for s in order]
