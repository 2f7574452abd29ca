"""Set-wise ledger queries: open amounts at any date, open items, lookups by reference."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Date,
    Select,
    cast,
    func,
    literal,
    select,
    type_coerce,
)
from sqlalchemy.sql.elements import ColumnElement

from relance.adapters.tables import (
    Money,
    allocations,
    clients,
    creditors,
    invoices,
    payments,
)
from relance.domain.errors import AmbiguousCreditorError, NotFoundError
from relance.domain.ledger import OpenItem
from relance.domain.money import ZERO

credit_notes = invoices.alias("credit_notes")


def settled_subquery(at: date | None = None, *, dated: bool = False,
                     of_invoices: Any = None) -> Any:
    """Sum of allocations per invoice, counting only settlements dated on or before `at`.

    With `dated`, also `last_on`: the date of the last of them (a payment's date, a credit
    note's issue date). An allocation never exceeds what is open on its invoice, so when
    `settled` reaches the invoice's amount, `last_on` is the day it was fully settled.
    `of_invoices` (a select of invoice ids) limits the sums to those invoices: reading one
    client must not sum the whole ledger's allocations.
    """
    effective = allocations.c.effective_on    # kept by the database (migration 0008)
    columns = [
        allocations.c.invoice_id.label("invoice_id"),
        type_coerce(cents_sum(allocations.c.amount), Money()).label("settled"),
    ]
    if dated:
        columns.append(type_coerce(func.max(effective), Date()).label("last_on"))
    query = select(*columns).group_by(allocations.c.invoice_id)
    if at is not None:
        query = query.where(effective <= at)
    if of_invoices is not None:
        query = query.where(allocations.c.invoice_id.in_(of_invoices))
    return query.subquery("settled")


def open_amount_column(settled: Any) -> ColumnElement[Decimal]:
    """Invoice amount minus what was settled (as cents, coerced back to money)."""
    return type_coerce(
        invoices.c.amount - func.coalesce(settled.c.settled, literal(0)), Money()
    ).label("open_amount")


def invoices_with_open_amount(creditor_id: int, at: date | None = None) -> Select[Any]:
    """Invoices of a creditor with their client and open amount at a date (None: now)."""
    settled = settled_subquery(at)
    open_amount = open_amount_column(settled)
    query = (
        select(
            invoices.c.id,
            invoices.c.number,
            invoices.c.issue_date,
            invoices.c.due_date,
            invoices.c.amount,
            invoices.c.currency,
            invoices.c.terms,
            invoices.c.po_ref,
            invoices.c.penalty_rate,
            clients.c.id.label("client_id"),
            clients.c.ref.label("client_ref"),
            clients.c.name.label("client_name"),
            clients.c.kind.label("client_kind"),
            clients.c.penalty_rate.label("client_penalty_rate"),
            open_amount,
        )
        .select_from(
            invoices.join(clients, invoices.c.client_id == clients.c.id).outerjoin(
                settled, settled.c.invoice_id == invoices.c.id
            )
        )
        .where(invoices.c.creditor_id == creditor_id, invoices.c.doc_type == "invoice")
    )
    if at is not None:
        query = query.where(invoices.c.issue_date <= at)
    return query


def open_items(
    conn: Connection, client_ids: Iterable[int], doc_type: str = "invoice"
) -> dict[int, list[OpenItem]]:
    """Open invoices (or unused credit notes) per client, with today's open amounts.

    The open amount is the amount less the `allocated` total the database keeps. For many
    clients, one query over their creditor's ledger replaces many `IN` queries.
    """
    ids = sorted(set(client_ids))
    result: dict[int, list[OpenItem]] = {cid: [] for cid in ids}
    left = type_coerce(invoices.c.amount - invoices.c.allocated, Money()).label("open_amount")
    query = (
        select(
            invoices.c.id,
            invoices.c.client_id,
            invoices.c.due_date,
            invoices.c.number,
            invoices.c.issue_date,
            left,
        )
        .where(invoices.c.doc_type == doc_type, invoices.c.allocated < invoices.c.amount)
    )
    if len(ids) > 900:
        creditor_ids = select(clients.c.creditor_id).where(clients.c.id == ids[0])
        queries = [query.where(invoices.c.creditor_id == creditor_ids.scalar_subquery())]
    else:
        queries = [query.where(invoices.c.client_id.in_(ids))] if ids else []
    for one in queries:
        for row in conn.execute(one):
            if row.client_id in result:
                result[row.client_id].append(
                    OpenItem(row.id, row.due_date, row.open_amount, row.number, row.issue_date)
                )
    return result


def unallocated_of_payments(conn: Connection, payment_ids: Sequence[int]) -> dict[int, Decimal]:
    """What remains of each payment after its allocations."""
    left = type_coerce(payments.c.amount - payments.c.allocated, Money())
    rows = conn.execute(select(payments.c.id, left).where(payments.c.id.in_(payment_ids)))
    return {payment_id: left for payment_id, left in rows}


def resolve_creditor(conn: Connection, ref: str | None) -> Any:
    """The creditor named by `ref`, or the only one when there is a single creditor."""
    if ref:
        row = conn.execute(select(creditors).where(creditors.c.ref == ref)).first()
        if row is None:
            known = ", ".join(conn.execute(select(creditors.c.ref)).scalars()) or "aucune"
            raise NotFoundError(f"Société créancière « {ref} » inconnue (connues : {known}).")
        return row
    rows = conn.execute(select(creditors).order_by(creditors.c.id).limit(2)).all()
    if not rows:
        raise NotFoundError(
            "Aucune société créancière dans cette base : ajoutez-en une avec "
            "« relance creditors add » (ou lancez « relance demo »)."
        )
    if len(rows) > 1:
        refs = ", ".join(conn.execute(select(creditors.c.ref)).scalars())
        raise AmbiguousCreditorError(
            f"Plusieurs sociétés créancières dans cette base ({refs}) : précisez --creditor REF."
        )
    return rows[0]


def client_by_ref(conn: Connection, creditor_id: int, ref: str) -> Any:
    """A client by its reference, or a clear error."""
    row = conn.execute(
        select(clients).where(clients.c.creditor_id == creditor_id, clients.c.ref == ref)
    ).first()
    if row is None:
        raise NotFoundError(f"Client « {ref} » inconnu.")
    return row


def _chunks(items: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def cents_sum(expr: Any) -> Any:
    """SUM of amounts in cents, kept an integer (PostgreSQL would compute it in numeric)."""
    return cast(func.sum(expr), BigInteger)


def euros(cents: int | Decimal | None) -> Decimal:
    """Cents read from SQL as an amount with two decimals."""
    return Decimal(int(cents)).scaleb(-2) if cents else ZERO
