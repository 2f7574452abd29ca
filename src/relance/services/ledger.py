"""Ledger use cases: creditors, client balances, invoice lists at a date, payments by hand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, type_coerce

from relance.adapters import tables as t
from relance.adapters.repository import (
    client_by_ref,
    invoices_with_open_amount,
    open_items,
    unallocated_of_payments,
)
from relance.domain.errors import NotFoundError, ValidationError
from relance.domain.ledger import allocate_in_order, allocate_oldest_first
from relance.domain.money import ZERO

CREDITOR_FIELDS = (
    "ref", "legal_name", "legal_form", "share_capital", "rcs_city", "siren", "siret",
    "vat_number", "address", "postal_code", "city", "country", "iban", "bic", "email", "phone",
    "signatory_name", "signatory_title", "default_terms", "penalty_rate", "is_private_person",
)


def add_creditor(conn: Connection, values: dict[str, Any]) -> int:
    """Register one of the user's companies; its reference must be new."""
    exists = conn.execute(select(t.creditors.c.id).where(t.creditors.c.ref == values["ref"]))
    if exists.first():
        raise ValidationError(f"La société créancière « {values['ref']} » existe déjà.")
    result = conn.execute(insert(t.creditors).values(**values).returning(t.creditors.c.id))
    return int(result.scalar_one())


def creditor_dict(row: Any) -> dict[str, Any]:
    """A creditor row as plain JSON-ready data."""
    data = {name: getattr(row, name) for name in CREDITOR_FIELDS}
    for money_field in ("share_capital", "penalty_rate"):
        if data[money_field] is not None:
            data[money_field] = str(data[money_field])
    return data


def invoice_rows(
    conn: Connection, creditor_id: int, *, at: date, overdue: bool = False,
    include_settled: bool = False, client_id: int | None = None, limit: int | None = None,
) -> list[Any]:
    """Invoices with their open amount as of `at` (only settlements dated on or before it)."""
    query = invoices_with_open_amount(creditor_id, at)
    open_col = query.selected_columns.open_amount
    if overdue:
        query = query.where(t.invoices.c.due_date < at, open_col > 0)
    elif not include_settled:
        query = query.where(open_col > 0)
    if client_id is not None:
        query = query.where(t.invoices.c.client_id == client_id)
    query = query.order_by(t.invoices.c.due_date, t.invoices.c.number)
    if limit:
        query = query.limit(limit)
    return list(conn.execute(query))


@dataclass(frozen=True)
class ClientBalance:
    """A client's position at a date."""

    open_amount: Decimal
    overdue_amount: Decimal
    open_invoices: int
    overdue_invoices: int
    unallocated_credit: Decimal


def client_balances(conn: Connection, creditor_id: int, at: date) -> dict[int, ClientBalance]:
    """Every client's open and overdue totals at a date, in one query, plus unused credit."""
    query = invoices_with_open_amount(creditor_id, at).subquery()
    rows = conn.execute(
        select(
            query.c.client_id,
            type_coerce(func.sum(query.c.open_amount), t.Money()).label("open_amount"),
            type_coerce(
                func.sum(_when(query.c.due_date < at, query.c.open_amount)), t.Money()
            ).label("overdue_amount"),
            func.count().label("open_invoices"),
            func.sum(_when(query.c.due_date < at, 1)).label("overdue_invoices"),
        )
        .where(query.c.open_amount > 0)
        .group_by(query.c.client_id)
    )
    credits = _unallocated_credit(conn, creditor_id, at)
    balances = {
        r.client_id: ClientBalance(r.open_amount, r.overdue_amount or ZERO, r.open_invoices,
                                   int(r.overdue_invoices or 0), credits.get(r.client_id, ZERO))
        for r in rows
    }
    for client_id, credit in credits.items():
        if client_id not in balances:
            balances[client_id] = ClientBalance(ZERO, ZERO, 0, 0, credit)
    return balances


def _when(condition: Any, value: Any) -> Any:
    from sqlalchemy import case

    return case((condition, value), else_=0)


def _unallocated_credit(conn: Connection, creditor_id: int, at: date) -> dict[int, Decimal]:
    """What each client's payments dated on or before `at` have left unallocated today."""
    p = t.payments
    rows = conn.execute(
        select(p.c.client_id, type_coerce(func.sum(p.c.amount - p.c.allocated), t.Money())
               .label("credit"))
        .where(p.c.creditor_id == creditor_id, p.c.date <= at, p.c.allocated < p.c.amount)
        .group_by(p.c.client_id)
    )
    return {r.client_id: r.credit for r in rows}


@dataclass(frozen=True)
class PaymentResult:
    """A recorded or re-matched payment: where its money went."""

    payment_id: int
    allocations: tuple[tuple[str, Decimal], ...]
    unallocated: Decimal


def record_payment(
    conn: Connection, creditor_id: int, *, client_ref: str, paid_on: date, amount: Decimal,
    invoice_numbers: Sequence[str] = (), method: str = "", reference: str = "",
) -> PaymentResult:
    """Enter a payment by hand and match it to the named invoices, or oldest first."""
    if amount <= ZERO:
        raise ValidationError(f"Montant invalide : {amount} (attendu : un montant positif).")
    client = client_by_ref(conn, creditor_id, client_ref)
    payment_id = int(conn.execute(insert(t.payments).values(
        creditor_id=creditor_id, client_id=client.id, date=paid_on, amount=amount,
        method=method, reference=reference,
    ).returning(t.payments.c.id)).scalar_one())
    result = _match(conn, payment_id, client.id, paid_on, amount, invoice_numbers)
    from relance.services.risk import lift_paid_marks

    lift_paid_marks(conn, creditor_id, paid_on)  # CNIL: the mark goes on payment
    return result


def reallocate(
    conn: Connection, creditor_id: int, payment_id: int, invoice_numbers: Sequence[str] = ()
) -> PaymentResult:
    """Re-match a payment: drop its allocations, then match again as `record_payment` does."""
    payment = conn.execute(select(t.payments).where(
        t.payments.c.id == payment_id, t.payments.c.creditor_id == creditor_id)).first()
    if payment is None:
        raise NotFoundError(f"Règlement n° {payment_id} introuvable.")
    conn.execute(delete(t.allocations).where(t.allocations.c.payment_id == payment_id))
    return _match(conn, payment_id, payment.client_id, payment.date, payment.amount,
                  invoice_numbers)


def _match(
    conn: Connection, payment_id: int, client_id: int, paid_on: date, amount: Decimal,
    invoice_numbers: Sequence[str],
) -> PaymentResult:
    items = open_items(conn, [client_id])[client_id]
    by_number = {i.number: i for i in items}
    if invoice_numbers:
        missing = [n for n in invoice_numbers if n not in by_number]
        if missing:
            known = conn.execute(select(t.invoices.c.number).where(
                t.invoices.c.client_id == client_id, t.invoices.c.number.in_(missing)))
            settled = set(known.scalars())
            unknown = [n for n in missing if n not in settled]
            if unknown:
                raise NotFoundError(
                    f"Facture(s) inconnue(s) pour ce client : {', '.join(unknown)}.")
            raise ValidationError(f"Facture(s) déjà soldée(s) : {', '.join(missing)}.")
        plan = allocate_in_order(amount, [by_number[n] for n in invoice_numbers])
    else:
        candidates = [i for i in items if i.issue_date is None or i.issue_date <= paid_on]
        plan = allocate_oldest_first(amount, candidates)
    if plan.lines:
        conn.execute(insert(t.allocations), [
            {"invoice_id": invoice_id, "payment_id": payment_id, "amount": part}
            for invoice_id, part in plan.lines
        ])
    numbers = {i.invoice_id: i.number for i in items}
    return PaymentResult(payment_id, tuple((numbers[i], a) for i, a in plan.lines),
                         plan.unallocated)


def payment_rows(
    conn: Connection, creditor_id: int, client_id: int | None = None,
    unallocated_only: bool = False,
) -> list[dict[str, Any]]:
    """Payments with what is left unallocated."""
    query = (select(t.payments, t.clients.c.ref.label("client_ref"))
             .join(t.clients, t.clients.c.id == t.payments.c.client_id)
             .where(t.payments.c.creditor_id == creditor_id)
             .order_by(t.payments.c.date, t.payments.c.id))
    if client_id is not None:
        query = query.where(t.payments.c.client_id == client_id)
    rows = list(conn.execute(query))
    left = unallocated_of_payments(conn, [r.id for r in rows]) if rows else {}
    result = [
        {"id": r.id, "date": r.date, "amount": r.amount, "client_ref": r.client_ref,
         "method": r.method, "reference": r.reference, "unallocated": left.get(r.id, ZERO)}
        for r in rows
    ]
    if unallocated_only:
        result = [p for p in result if p["unallocated"] > ZERO]
    return result
