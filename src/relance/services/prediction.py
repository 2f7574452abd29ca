"""Predicted lateness of a creditor's open invoices, learnt from its own ledger.

The ledger is read set-wise (SQLAlchemy Core, SQLite and PostgreSQL alike) into the pure
`relance.prediction.model` records: an invoice is settled on the date its allocations
(payments, at the payment's date; credit notes, at the credit note's issue date) reach its
amount; its dispute date is the first dispute opened on it.

A prediction "at D" is made at the end of day D: everything dated D or before is known, so the
model is trained and its features computed at D + 1 (the model's "strictly before").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.dialects import postgresql, sqlite

from relance.adapters import tables as t
from relance.adapters.repository import invoices_with_open_amount, settled_subquery
from relance.domain.money import ZERO
from relance.prediction.model import Prediction, Record, train


class Predictions(dict[int, Prediction]):
    """Predictions by invoice id, with the model that made them and the open invoices."""

    def __init__(self, predictions: Mapping[int, Prediction], *, model_name: str, at: date,
                 invoices: Mapping[int, Any], examples: int = 0) -> None:
        super().__init__(predictions)
        self.model_name = model_name
        self.at = at
        self.invoices = dict(invoices)   # id -> row: number, client_ref, due_date, open_amount…
        self.examples = examples         # invoices the model learnt from


def _ledger(conn: Connection, creditor_id: int) -> tuple[list[Record], dict[str, int]]:
    """Every invoice of the creditor as a record, and the invoice id of each record key."""
    inv, cl = t.invoices, t.clients
    settlements = settled_subquery(dated=True)
    rows = conn.execute(
        select(inv.c.id, inv.c.number, cl.c.ref, inv.c.issue_date, inv.c.due_date,
               inv.c.amount, settlements.c.settled, settlements.c.last_on)
        .select_from(inv.join(cl, inv.c.client_id == cl.c.id)
                     .outerjoin(settlements, settlements.c.invoice_id == inv.c.id))
        .where(inv.c.creditor_id == creditor_id, inv.c.doc_type == "invoice")
        .order_by(inv.c.id)
    ).all()
    settled = {r.id: r.last_on for r in rows
               if r.settled is not None and r.settled >= r.amount}
    disputed: dict[int, date] = {
        row.invoice_id: row.first for row in conn.execute(
            select(t.disputes.c.invoice_id, func.min(t.disputes.c.opened_on).label("first"))
            .select_from(t.disputes.join(inv, t.disputes.c.invoice_id == inv.c.id))
            .where(inv.c.creditor_id == creditor_id)
            .group_by(t.disputes.c.invoice_id))}
    records = [Record(r.number, r.ref, r.issue_date, r.due_date, r.amount, settled.get(r.id),
                      disputed.get(r.id)) for r in rows]
    return records, {r.number: r.id for r in rows}


def known_at(records: Sequence[Record], at: date) -> list[Record]:
    """The records as known at the end of day `at`: later invoices left out, later
    settlements and disputes not yet happened."""
    return [r._replace(settled=r.settled if r.settled and r.settled <= at else None,
                       disputed_on=r.disputed_on if r.disputed_on and r.disputed_on <= at
                       else None)
            for r in records if r.issued <= at]


def history(conn: Connection, creditor_id: int, at: date | None = None) -> list[Record]:
    """The creditor's invoices (credit notes excluded) with their settlement and dispute
    dates; with `at`, as known at the end of that day."""
    records, _ = _ledger(conn, creditor_id)
    return records if at is None else known_at(records, at)


def predict_open(engine_or_conn: Engine | Connection, creditor_id: int,
                 at: date) -> Predictions:
    """Train on the history known at the end of `at` and predict every invoice open then.

    With too little history (fewer than 50 settled invoices, or never / always late), the
    "model" is the rule `regle-taux-client`: the client's past late rate, and the due date
    plus the client's median past delay.
    """
    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.connect() as conn:
            return predict_open(conn, creditor_id, at)
    conn = engine_or_conn
    records, ids = _ledger(conn, creditor_id)
    records = known_at(records, at)
    rows = {r.id: r for r in conn.execute(invoices_with_open_amount(creditor_id, at))
            if r.open_amount > ZERO}
    model = train(records, at + timedelta(days=1))
    wanted = [r for r in records if ids[r.key] in rows]
    predictions = model.predict(wanted, at + timedelta(days=1))
    return Predictions({ids[p.key]: p for p in predictions}, model_name=model.name, at=at,
                       invoices=rows, examples=model.examples)


def store_predictions(conn: Connection, predictions: Mapping[int, Prediction], at: date,
                      model_name: str) -> int:
    """Upsert the latest prediction of each invoice into `invoice_predictions`."""
    values = [{"invoice_id": invoice_id, "predicted_on": at, "p_late": p.p_late,
               "expected_on": p.expected_on, "model": model_name}
              for invoice_id, p in sorted(predictions.items())]
    if not values:
        return 0
    table = t.invoice_predictions
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.invoice_id],
        set_={name: statement.excluded[name]
              for name in ("predicted_on", "p_late", "expected_on", "model")},
    )
    for start in range(0, len(values), 5000):
        conn.execute(statement, values[start:start + 5000])
    return len(values)
