"""Prescription of open invoices: the law core fed with payments and recorded acts.

A partial payment is an acknowledgement of the debt (art. 2240 C. civ.) and interrupts
prescription; acts recorded with `relance prescription interrupt` (written acknowledgement,
signed payment plan, court filing, enforcement) do too. A formal notice does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from relance.adapters import tables as t
from relance.domain.errors import ValidationError
from relance.law.errors import LawError
from relance.law.prescription import Interruption, PrescriptionStatus, prescription_status

INTERRUPTION_EVENT = "prescription_interruption"


@dataclass(frozen=True)
class PrescriptionRow:
    """One open invoice and its prescription status."""

    invoice_id: int
    number: str
    client_ref: str
    client_name: str
    open_amount: Decimal
    status: PrescriptionStatus

    def to_json(self) -> dict[str, Any]:
        """JSON-ready view."""
        s = self.status
        return {
            "number": self.number, "client_ref": self.client_ref, "client_name": self.client_name,
            "open_amount": self.open_amount, "kind": s.kind, "start": s.start,
            "expires": s.expires, "state": s.state, "days_left": s.days_left,
            "interrupted_by": ({"date": s.interrupted_by.date, "kind": s.interrupted_by.kind}
                               if s.interrupted_by else None),
            "message": s.message, "notes": list(s.notes), "sources": list(s.sources),
        }


def interruptions_of(conn: Connection, invoice_ids: list[int],
                     at: date) -> dict[int, list[Interruption]]:
    """Partial payments and recorded acts per invoice, dated on or before `at`."""
    found: dict[int, list[Interruption]] = {i: [] for i in invoice_ids}
    if not invoice_ids:
        return found
    a, p, e = t.allocations, t.payments, t.events
    for start in range(0, len(invoice_ids), 500):
        chunk = invoice_ids[start:start + 500]
        for r in conn.execute(
                select(a.c.invoice_id, p.c.date).join(p, a.c.payment_id == p.c.id)
                .where(a.c.invoice_id.in_(chunk), p.c.date <= at)):
            found[r.invoice_id].append(Interruption(r.date, "partial_payment"))
        for ev in conn.execute(
                select(e.c.invoice_id, e.c.occurred_on, e.c.data).where(
                    e.c.invoice_id.in_(chunk), e.c.kind == INTERRUPTION_EVENT,
                    e.c.occurred_on <= at)):
            data = ev.data or {}
            ends = data.get("ends")
            found[ev.invoice_id].append(Interruption(
                ev.occurred_on, data["kind"], date.fromisoformat(ends) if ends else None))
    return found


def prescription_rows(conn: Connection, creditor_id: int, at: date, *,
                      client_id: int | None = None, horizon_days: int = 90
                      ) -> list[PrescriptionRow]:
    """Every invoice still open at `at` with its prescription date, soonest first."""
    from relance.services.ledger import invoice_rows

    rows = invoice_rows(conn, creditor_id, at=at, client_id=client_id)
    acts = interruptions_of(conn, [r.id for r in rows], at)
    out = [
        PrescriptionRow(r.id, r.number, r.client_ref, r.client_name, r.open_amount,
                        prescription_status(r.client_kind, invoice_date=r.issue_date,
                                            due_date=r.due_date, today=at,
                                            interruptions=acts[r.id],
                                            horizon_days=horizon_days))
        for r in rows
    ]
    far = date.max
    out.sort(key=lambda x: (x.status.expires or far, x.number))
    return out


def record_interruption(conn: Connection, creditor_id: int, number: str, kind: str, on: date,
                        ends: date | None, note: str) -> PrescriptionStatus:
    """Record an interrupting act in the history and return the recomputed status."""
    from relance.services.penalties import invoice_by_number

    invoice = invoice_by_number(conn, creditor_id, number)
    try:
        act = Interruption(on, kind, ends)
    except LawError as err:
        raise ValidationError(err.message) from None
    if on < invoice.issue_date:
        raise ValidationError(f"L'acte du {on:%d/%m/%Y} précède la facture {number}.")
    labels = {"acknowledgement": "Reconnaissance de dette", "payment_plan": "Échéancier signé",
              "court_filing": "Demande en justice", "enforcement": "Acte d'exécution forcée"}
    conn.execute(t.events.insert().values(
        creditor_id=creditor_id, client_id=invoice.client_id, invoice_id=invoice.id,
        kind=INTERRUPTION_EVENT, occurred_on=on,
        summary=f"{labels[kind]} : prescription interrompue" + (f" ({note})" if note else ""),
        data={"kind": act.kind, "ends": ends.isoformat() if ends else None, "note": note}))
    client_kind = conn.execute(select(t.clients.c.kind).where(
        t.clients.c.id == invoice.client_id)).scalar_one()
    acts = interruptions_of(conn, [invoice.id], max(on, ends or on))[invoice.id]
    return prescription_status(client_kind, invoice_date=invoice.issue_date,
                               due_date=invoice.due_date, today=on, interruptions=acts)
