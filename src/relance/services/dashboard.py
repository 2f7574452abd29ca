"""Read models of the web pages: the dashboard figures (stored by each run as of its date),
and the set-wise, SQL-paginated lists of clients and invoices with their open amounts.

The dashboard is JSON-ready (amounts and DSO as strings, dates in ISO): the same dict is stored
in `dashboard_snapshots` and shown by the page, so a stored snapshot and a live computation
read alike.

    figures = dashboard_figures(conn, creditor_id, date(2026, 6, 30))
    figures["total"], figures["stored"]        # ('12345.67', True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    case,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    type_coerce,
)

from relance.adapters import tables as t
from relance.adapters.repository import cents_sum, euros
from relance.domain.money import ZERO, amount_text
from relance.services.reports import BUCKET_LABELS, BUCKETS, aging, dso

TOP_LATE = 10
TREND_MONTHS = 12
PROMISE_WINDOW_DAYS = 7
PAGE_SIZE = 50

ACTION_LABELS = {
    "to_approve": "Messages à valider",
    "email": "Courriels de relance",
    "letter": "Courriers",
    "sms": "SMS",
    "registered_letter": "Lettres recommandées",
    "formal_notice": "Mises en demeure",
    "call": "Appels à passer",
    "escalation": "Escalades proposées",
    "payment_plan_offer": "Échéanciers proposés",
}








# --- the dashboard ----------------------------------------------------------------------------


def dashboard_figures(conn: Connection, creditor_id: int, at: date) -> dict[str, Any]:
    """The figures of `at`: the stored snapshot when there is one (with when it was computed),
    otherwise computed now (`stored` is then False)."""
    row = conn.execute(select(t.dashboard_snapshots.c.data, t.dashboard_snapshots.c.computed_at)
                       .where(t.dashboard_snapshots.c.creditor_id == creditor_id,
                              t.dashboard_snapshots.c.as_of == at)).first()
    if row is not None:
        return {**row.data, "stored": True, "computed_at": _iso(row.computed_at)}
    return {**compute_figures(conn, creditor_id, at), "stored": False, "computed_at": None}


def refresh_snapshot(conn: Connection, creditor_id: int, as_of: date) -> dict[str, Any]:
    """Compute the figures of `as_of` and store them (replacing any of that date)."""
    data = compute_figures(conn, creditor_id, as_of)
    computed_at = datetime.now(UTC)
    snapshots = t.dashboard_snapshots
    conn.execute(delete(snapshots).where(snapshots.c.creditor_id == creditor_id,
                                         snapshots.c.as_of == as_of))
    conn.execute(insert(snapshots).values(creditor_id=creditor_id, as_of=as_of,
                                          computed_at=computed_at, data=data))
    return {**data, "stored": True, "computed_at": computed_at.isoformat()}


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, datetime | date) else str(value)


def compute_figures(conn: Connection, creditor_id: int, at: date) -> dict[str, Any]:
    """Every figure of the dashboard at `at`, JSON-ready."""
    report = aging(conn, creditor_id, at)
    overdue = sum((report.buckets[k] for k in BUCKETS if k != "not_due"), ZERO)
    trend = dso(conn, creditor_id, at, months=TREND_MONTHS)
    late = sorted(((line.total - line.buckets["not_due"], line) for line in report.clients
                   if line.total - line.buckets["not_due"] > ZERO),
                  key=lambda pair: (-pair[0], pair[1].ref))
    return {
        "as_of": at.isoformat(), "currency": report.currency,
        "total": amount_text(report.total), "overdue": amount_text(overdue),
        "not_due": amount_text(report.buckets["not_due"]),
        "open_invoices": report.open_invoices, "clients_overdue": len(late),
        "unallocated_credit": amount_text(report.unallocated_credit),
        "buckets": [{"key": k, "label": BUCKET_LABELS[k], "amount": amount_text(report.buckets[k])}
                    for k in BUCKETS],
        "dso": {"simple": _days(trend.dso_simple), "countback": _days(trend.dso_countback),
                "receivables": amount_text(trend.receivables),
                "sales_90_days": amount_text(trend.sales_90_days)},
        "dso_trend": [{"month_end": p.at.isoformat(), "simple": _days(p.dso_simple),
                       "countback": _days(p.dso_countback)} for p in trend.trend],
        "top_late": _top_late(conn, creditor_id, at, [line for _, line in late[:TOP_LATE]]),
        "actions": actions_of_day(conn, creditor_id, at),
        "promised": promised(conn, creditor_id, at),
        "warnings": list(report.warnings),
    }


def _days(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _top_late(conn: Connection, creditor_id: int, at: date, lines: Sequence[Any]
              ) -> list[dict[str, Any]]:
    """The most overdue clients with the days late of their oldest overdue invoice."""
    ids = [line.client_id for line in lines]
    oldest: dict[int, date] = {}
    if ids:
        inv = t.invoices
        query = (select(inv.c.client_id, func.min(inv.c.due_date))
                 .where(inv.c.client_id.in_(ids), inv.c.doc_type == "invoice",
                        inv.c.issue_date <= at, inv.c.due_date < at,
                        inv.c.amount > settled_at(at))
                 .group_by(inv.c.client_id))
        oldest = {cid: _as_date(due) for cid, due in conn.execute(query)}
    return [{"client_id": line.client_id, "ref": line.ref, "name": line.name,
             "overdue": amount_text(line.total - line.buckets["not_due"]),
             "total": amount_text(line.total),
             "days_late": (at - oldest[line.client_id]).days if line.client_id in oldest
             else None} for line in lines]


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def actions_of_day(conn: Connection, creditor_id: int, at: date) -> list[dict[str, Any]]:
    """What the run of `at` gave to do, by kind: messages by channel, calls, escalations, and
    the messages still waiting for approval."""
    counts: dict[str, int] = {}
    o = t.outbox
    waiting = conn.execute(select(func.count()).where(
        o.c.creditor_id == creditor_id, o.c.status == "awaiting_approval",
        o.c.run_date <= at)).scalar_one()
    counts["to_approve"] = int(waiting)
    for channel, n in conn.execute(select(o.c.channel, func.count()).where(
            o.c.creditor_id == creditor_id, o.c.run_date == at).group_by(o.c.channel)):
        counts[channel] = counts.get(channel, 0) + int(n)
    calls = conn.execute(select(func.count()).where(
        t.calls.c.creditor_id == creditor_id, t.calls.c.run_date == at,
        t.calls.c.status == "open")).scalar_one()
    counts["call"] = int(calls)
    e = t.events
    for kind, n in conn.execute(select(e.c.kind, func.count()).where(
            e.c.creditor_id == creditor_id, e.c.occurred_on == at,
            e.c.kind.in_(("escalation_proposed", "payment_plan_offer"))).group_by(e.c.kind)):
        key = "escalation" if kind == "escalation_proposed" else kind
        counts[key] = counts.get(key, 0) + int(n)
    return [{"kind": kind, "label": label, "count": counts[kind]}
            for kind, label in ACTION_LABELS.items() if counts.get(kind)]


def promised(conn: Connection, creditor_id: int, at: date) -> dict[str, Any]:
    """Money promised in the 7 days from `at`: open promises and instalments of active plans."""
    end = at + timedelta(days=PROMISE_WINDOW_DAYS - 1)
    c, p, pl = t.clients, t.promises, t.payment_plans
    items: list[dict[str, Any]] = []
    for r in conn.execute(select(p.c.pay_by, p.c.amount, c.c.id, c.c.ref, c.c.name)
                          .join(c, c.c.id == p.c.client_id)
                          .where(c.c.creditor_id == creditor_id, p.c.status == "open",
                                 p.c.pay_by >= at, p.c.pay_by <= end)):
        items.append(_promised_item("promise", r.pay_by, r.amount, r))
    for plan in conn.execute(select(pl.c.installments, c.c.id, c.c.ref, c.c.name)
                             .join(c, c.c.id == pl.c.client_id)
                             .where(c.c.creditor_id == creditor_id, pl.c.status == "active")):
        for part in plan.installments or []:
            when = date.fromisoformat(part["date"])
            if at <= when <= end:
                items.append(_promised_item("installment", when, Decimal(part["amount"]),
                                            plan))
    items.sort(key=lambda i: (i["date"], i["ref"]))
    total = sum((Decimal(i["amount"]) for i in items), ZERO)
    return {"from": at.isoformat(), "to": end.isoformat(), "total": amount_text(total),
            "items": items}


def _promised_item(kind: str, when: date, amount: Decimal, row: Any) -> dict[str, Any]:
    return {"kind": kind, "date": when.isoformat(), "amount": amount_text(amount),
            "client_id": row.id, "ref": row.ref, "name": row.name}


# --- open amounts of a few invoices -----------------------------------------------------------


def settled_at(at: date) -> Any:
    """What was settled on `t.invoices` by `at` (cents), as a correlated subquery: read through
    the allocations index, it costs nothing when the outer query holds a few invoices only
    (one client's, one page's), where the creditor-wide aggregate would read them all."""
    a = t.allocations
    return (select(func.coalesce(cents_sum(a.c.amount), 0))
            .where(a.c.invoice_id == t.invoices.c.id, a.c.effective_on <= at)
            .correlate(t.invoices).scalar_subquery())


def rows_query(creditor_id: int, at: date) -> Any:
    """Invoices issued by `at` with their open amount at `at`: the columns of
    ledger.invoice_rows (penalties_for_rows takes them), the open amount read per invoice."""
    inv, c = t.invoices, t.clients
    open_amount = type_coerce(inv.c.amount - settled_at(at), t.Money()).label("open_amount")
    return (select(inv.c.id, inv.c.number, inv.c.issue_date, inv.c.due_date, inv.c.amount,
                   inv.c.currency, inv.c.terms, inv.c.po_ref, inv.c.penalty_rate,
                   c.c.id.label("client_id"), c.c.ref.label("client_ref"),
                   c.c.name.label("client_name"), c.c.kind.label("client_kind"),
                   c.c.penalty_rate.label("client_penalty_rate"), open_amount)
            .select_from(inv.join(c, c.c.id == inv.c.client_id))
            .where(inv.c.creditor_id == creditor_id, inv.c.doc_type == "invoice",
                   inv.c.issue_date <= at))


def client_invoice_rows(conn: Connection, creditor_id: int, client_id: int, at: date, *,
                        include_settled: bool = False) -> list[Any]:
    """One client's invoices with their open amount at `at`, oldest due first; read for this
    client only (the creditor-wide aggregate of invoice_rows would read every allocation)."""
    query = rows_query(creditor_id, at).where(t.invoices.c.client_id == client_id)
    rows = list(conn.execute(query.order_by(t.invoices.c.due_date, t.invoices.c.number)))
    return rows if include_settled else [r for r in rows if r.open_amount > ZERO]


# --- the clients list -------------------------------------------------------------------------

STATUS_FILTERS = {
    "suspendu": "suspendu",
    "ne-pas-contacter": "ne pas contacter",
    "procedure": "procédure",
    "litige": "litige",
}
GRADES = ("A", "B", "C", "D", "E")


@dataclass(frozen=True)
class ClientFilters:
    """What the clients list is filtered on."""

    q: str = ""
    grade: str = ""
    overdue: bool = False
    status: str = ""
    page: int = 1


@dataclass(frozen=True)
class ClientPage:
    """One page of clients, each with its open and overdue amounts."""

    rows: list[dict[str, Any]]
    page: int
    has_next: bool


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _overdue_exists(at: date) -> Any:
    inv = t.invoices
    return exists(select(inv.c.id).where(
        inv.c.client_id == t.clients.c.id, inv.c.doc_type == "invoice",
        inv.c.issue_date <= at, inv.c.due_date < at, inv.c.amount > settled_at(at)))


def _status_condition(status: str, at: date) -> Any:
    st, c = t.client_status, t.clients
    if status == "suspendu":
        return st.c.hold_until >= at
    if status == "ne-pas-contacter":
        return st.c.do_not_contact.is_(True)
    if status == "procedure":
        pr = t.proceedings
        return or_(st.c.legal_case.is_(True), exists(select(pr.c.id).where(
            pr.c.client_id == c.c.id, pr.c.closed_on.is_(None))))
    d, inv = t.disputes, t.invoices
    return exists(select(d.c.id).join(inv, inv.c.id == d.c.invoice_id).where(
        inv.c.client_id == c.c.id, d.c.resolved_on.is_(None)))


def client_page(conn: Connection, creditor_id: int, at: date, filters: ClientFilters,
                size: int | None = None) -> ClientPage:
    """Clients matching the filters, by name, one page read in SQL; then the open and overdue
    amounts of that page's clients only."""
    c, st, sc = t.clients, t.client_status, t.client_scores
    query = (select(c.c.id, c.c.ref, c.c.name, c.c.siren, c.c.kind, c.c.collector,
                    sc.c.grade, st.c.hold_until, st.c.do_not_contact, st.c.legal_case)
             .select_from(c.outerjoin(sc, sc.c.client_id == c.c.id)
                          .outerjoin(st, st.c.client_id == c.c.id))
             .where(c.c.creditor_id == creditor_id))
    q = filters.q.strip()
    if q:
        pattern = _like(q)
        query = query.where(or_(c.c.ref.ilike(pattern, escape="\\"),
                                c.c.name.ilike(pattern, escape="\\"),
                                c.c.siren.like(pattern.replace(" ", ""), escape="\\")))
    if filters.grade in GRADES:
        query = query.where(sc.c.grade == filters.grade)
    if filters.overdue:
        query = query.where(_overdue_exists(at))
    if filters.status in STATUS_FILTERS:
        query = query.where(_status_condition(filters.status, at))
    page, size = max(filters.page, 1), size or PAGE_SIZE
    found = list(conn.execute(query.order_by(c.c.name, c.c.id)
                              .limit(size + 1).offset((page - 1) * size)))
    rows = found[:size]
    balances = balances_of(conn, [r.id for r in rows], at)
    return ClientPage(
        [{"id": r.id, "ref": r.ref, "name": r.name, "siren": r.siren, "kind": r.kind,
          "collector": r.collector, "grade": r.grade,
          "hold_until": r.hold_until if r.hold_until and r.hold_until >= at else None,
          "do_not_contact": bool(r.do_not_contact), "legal_case": bool(r.legal_case),
          **balances.get(r.id, {"open": ZERO, "overdue": ZERO, "invoices": 0})}
         for r in rows], page, len(found) > size)


def balances_of(conn: Connection, client_ids: Sequence[int], at: date
                ) -> dict[int, dict[str, Any]]:
    """Open and overdue amounts at `at` of a few clients (a page), read for them only."""
    if not client_ids:
        return {}
    inv = t.invoices
    per_invoice = (select(inv.c.client_id, inv.c.due_date,
                          type_coerce(inv.c.amount - settled_at(at), BigInteger)
                          .label("open_cents"))
                   .where(inv.c.client_id.in_(list(client_ids)), inv.c.doc_type == "invoice",
                          inv.c.issue_date <= at).subquery("page_invoices"))
    v = per_invoice.c
    query = (select(v.client_id, cents_sum(v.open_cents).label("open"),
                    cents_sum(case((v.due_date < at, v.open_cents), else_=0)).label("overdue"),
                    func.count().label("invoices"))
             .where(v.open_cents > 0).group_by(v.client_id))
    return {r.client_id: {"open": euros(r.open), "overdue": euros(r.overdue),
                          "invoices": int(r.invoices)} for r in conn.execute(query)}


# --- the invoices list ------------------------------------------------------------------------

INVOICE_STATUSES = {"open": "ouvertes", "overdue": "échues", "all": "toutes"}


@dataclass(frozen=True)
class InvoiceFilters:
    """What the invoices list is filtered on."""

    status: str = "open"
    client: str = ""
    q: str = ""
    page: int = 1


def invoice_page(conn: Connection, creditor_id: int, at: date, filters: InvoiceFilters,
                 size: int | None = None) -> tuple[list[Any], bool]:
    """A page of invoices with their open amount at `at` (the columns of invoice_rows), by
    number, latest first; and whether there is a next page.

    Read along the (creditor, number) index, each invoice's open amount looked up as it comes:
    the page ends as soon as it is full, where sorting by due date would first compute the open
    amount of every invoice of the creditor (seconds on a million)."""
    inv = t.invoices
    query = rows_query(creditor_id, at)
    open_cents = inv.c.amount - settled_at(at)
    if filters.status == "overdue":
        query = query.where(inv.c.due_date < at, open_cents > 0)
    elif filters.status != "all":
        query = query.where(open_cents > 0)
    client = filters.client.strip()
    if client:
        query = query.where(or_(t.clients.c.ref == client,
                                t.clients.c.name.ilike(_like(client), escape="\\")))
    if filters.q.strip():
        query = query.where(inv.c.number.ilike(_like(filters.q.strip()), escape="\\"))
    page, size = max(filters.page, 1), size or PAGE_SIZE
    found = list(conn.execute(query.order_by(inv.c.number.desc()).limit(size + 1)
                              .offset((page - 1) * size)))
    return found[:size], len(found) > size


def open_disputes(conn: Connection, invoice_ids: Sequence[int]) -> dict[int, Any]:
    """The open dispute of each of these invoices."""
    if not invoice_ids:
        return {}
    d = t.disputes
    return {r.invoice_id: r for r in conn.execute(select(d).where(
        d.c.invoice_id.in_(list(invoice_ids)), d.c.resolved_on.is_(None)))}
