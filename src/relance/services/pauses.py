"""Pauses and stops of the dunning: disputes, promises, payment plans, holds, client status.

Every change is written to the history with its reason.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from relance.adapters import tables as t
from relance.domain.errors import ValidationError
from relance.i18n import format_money
from relance.imports.values import BadValue, parse_amount, parse_date
from relance.services.penalties import invoice_by_number


def _event(conn: Connection, creditor_id: int, client_id: int, invoice_id: int | None,
           kind: str, on: date, summary: str, data: dict[str, Any] | None = None) -> None:
    conn.execute(t.events.insert().values(
        creditor_id=creditor_id, client_id=client_id, invoice_id=invoice_id, kind=kind,
        occurred_on=on, summary=summary, data=data or {}))


def open_dispute(conn: Connection, creditor_id: int, number: str, reason: str,
                 on: date) -> None:
    """Contest an invoice: it pauses until the dispute is resolved."""
    invoice = invoice_by_number(conn, creditor_id, number)
    if not reason.strip():
        raise ValidationError("Le motif du litige est obligatoire.")
    if conn.execute(select(t.disputes.c.id).where(
            t.disputes.c.invoice_id == invoice.id, t.disputes.c.resolved_on.is_(None))).first():
        raise ValidationError(f"Un litige est déjà ouvert sur la facture {number}.")
    conn.execute(t.disputes.insert().values(invoice_id=invoice.id, opened_on=on, reason=reason))
    _event(conn, creditor_id, invoice.client_id, invoice.id, "dispute_opened", on,
           f"Litige ouvert sur {number} : {reason}", {"reason": reason})


def resolve_dispute(conn: Connection, creditor_id: int, number: str, resolution: str,
                    on: date) -> None:
    """Close the open dispute of an invoice; dunning resumes on what is left."""
    invoice = invoice_by_number(conn, creditor_id, number)
    dispute = conn.execute(select(t.disputes).where(
        t.disputes.c.invoice_id == invoice.id, t.disputes.c.resolved_on.is_(None))).first()
    if dispute is None:
        raise ValidationError(f"Aucun litige ouvert sur la facture {number}.")
    if on < dispute.opened_on:
        raise ValidationError("La résolution ne peut pas précéder l'ouverture du litige.")
    conn.execute(t.disputes.update().where(t.disputes.c.id == dispute.id)
                 .values(resolved_on=on, resolution=resolution))
    _event(conn, creditor_id, invoice.client_id, invoice.id, "dispute_resolved", on,
           f"Litige sur {number} résolu" + (f" : {resolution}" if resolution else ""),
           {"resolution": resolution})


HORIZON_YEARS = 10  # a pause further away is a typo, and would overflow the run's date sums


def within_horizon(when: date, on: date, what: str) -> None:
    """Refuse a date more than HORIZON_YEARS after `on` (« 31/12/9999 » typed by mistake would
    pause a client for ever and break the date arithmetic of every later run)."""
    limit = on.replace(year=on.year + HORIZON_YEARS, day=min(on.day, 28))
    if when > limit:
        raise ValidationError(f"{what} : {when:%d/%m/%Y} est à plus de {HORIZON_YEARS} ans "
                              f"(au plus le {limit:%d/%m/%Y}).")


def add_promise(conn: Connection, creditor_id: int, client_id: int, amount: Decimal,
                pay_by: date, on: date) -> int:
    """A promise to pay: dunning pauses until its date plus a grace."""
    if amount <= 0:
        raise ValidationError("Le montant promis doit être positif.")
    if pay_by < on:
        raise ValidationError("La date promise ne peut pas précéder le jour de la promesse.")
    within_horizon(pay_by, on, "Date promise")
    promise_id = int(conn.execute(t.promises.insert().values(
        client_id=client_id, made_on=on, pay_by=pay_by, amount=amount)
    ).inserted_primary_key[0])  # type: ignore[index]
    _event(conn, creditor_id, client_id, None, "promise_made", on,
           f"Promesse de paiement de {format_money(amount)} au {pay_by:%d/%m/%Y}",
           {"promise_id": promise_id, "amount": str(amount), "pay_by": pay_by.isoformat()})
    _confirm(conn, creditor_id, client_id, on, f"promise:{promise_id}", "confirmation_promesse",
             "Confirmation de la promesse de paiement",
             {"promise": {"amount": str(amount), "date": pay_by.isoformat()}})
    return promise_id


def _confirm(conn: Connection, creditor_id: int, client_id: int, on: date, key: str,
             template: str, label: str, extra: dict[str, Any], *,
             channel: str | None = None) -> None:
    """Put a confirmation in the outbox (by email when the client has one, else by letter)."""
    from relance.services.ledger import invoice_rows

    client = conn.execute(select(t.clients.c.email).where(t.clients.c.id == client_id)).one()
    numbers = [r.number for r in invoice_rows(conn, creditor_id, at=on, client_id=client_id)]
    conn.execute(t.outbox.insert().values(
        creditor_id=creditor_id, client_id=client_id, key=key, run_date=on,
        channel=channel or ("email" if client.email else "letter"), step_key=template,
        tone="courteous", template=template, status="pending",
        data={"invoices": numbers, "recap": [], "label": label, "deadline_days": 0,
              "claims_penalties": False, **extra}))


def parse_installments(text: str) -> list[tuple[date, Decimal]]:
    """`2026-12-15:500,2027-01-15:500` → [(date, amount), …], in date order."""
    schedule = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        when, sep, amount = part.partition(":")
        if not sep:
            raise ValidationError(f"Échéance « {part} » : attendu DATE:MONTANT.")
        try:
            schedule.append((parse_date(when), parse_amount(amount)))
        except BadValue as exc:
            raise ValidationError(f"Échéance « {part} » : attendu {exc.expected}.") from None
    if not schedule:
        raise ValidationError("Aucune échéance donnée.")
    if any(a <= 0 for _, a in schedule):
        raise ValidationError("Chaque échéance doit avoir un montant positif.")
    return sorted(schedule)


def add_plan(conn: Connection, creditor_id: int, client_id: int,
             schedule: list[tuple[date, Decimal]], on: date) -> int:
    """A signed payment plan; it also interrupts prescription (art. 2240 C. civ.)."""
    for when, _ in schedule:
        within_horizon(when, on, "Échéance")
    total = sum((a for _, a in schedule), Decimal("0.00"))
    plan_id = int(conn.execute(t.payment_plans.insert().values(
        client_id=client_id, agreed_on=on, total=total,
        installments=[{"date": d.isoformat(), "amount": str(a)} for d, a in schedule])
    ).inserted_primary_key[0])  # type: ignore[index]
    _event(conn, creditor_id, client_id, None, "payment_plan_agreed", on,
           f"Échéancier signé : {len(schedule)} échéance(s), {format_money(total)}",
           {"plan_id": plan_id, "total": str(total)})
    # A signed plan acknowledges the debt: it interrupts prescription (art. 2240 C. civ.).
    from relance.services.ledger import invoice_rows
    from relance.services.prescription import INTERRUPTION_EVENT

    for row in invoice_rows(conn, creditor_id, at=on, client_id=client_id):
        _event(conn, creditor_id, client_id, row.id, INTERRUPTION_EVENT, on,
               "Échéancier signé : reconnaissance de dette, prescription interrompue",
               {"kind": "payment_plan", "ends": None, "note": f"échéancier n° {plan_id}"})
    _confirm(conn, creditor_id, client_id, on, f"plan:{plan_id}", "accord_echeancier",
             "Accord d'échéancier à signer",
             {"plan": {"total": str(total), "installments": [
                 {"date": d.isoformat(), "amount": str(a)} for d, a in schedule]}},
             channel="letter")
    return plan_id


def assign_collector(conn: Connection, creditor_id: int, client: Any, username: str,
                     display: str, on: date) -> str:
    """Give the client a collector (a username; "" for nobody); the history says who, and who
    had it before. Returns the French summary."""
    conn.execute(t.clients.update().where(t.clients.c.id == client.id)
                 .values(collector=username))
    summary = (f"Chargé de recouvrement : {display or username}" if username
               else "Plus de chargé de recouvrement attitré")
    _event(conn, creditor_id, client.id, None, "collector_assigned", on, summary,
           {"collector": username, "before": client.collector})
    return summary


_STATUS_LABELS = {"hold_until": "suspension", "do_not_contact": "ne pas contacter",
                  "legal_case": "procédure judiciaire", "late_cause": "cause du retard",
                  "scenario": "scénario", "no_calls": "plus d'appels", "blocked":
                  "plus de nouvelles affaires"}


def set_status(conn: Connection, creditor_id: int, client_id: int, changes: dict[str, Any],
               on: date, reason: str = "") -> None:
    """Change a client's collection status; the history keeps each change and its reason."""
    if changes.get("hold_until"):
        within_horizon(changes["hold_until"], on, "Suspension")
    cs = t.client_status
    if changes.get("scenario"):
        from relance.services.scenarios import available

        names = {s.name for s, _ in available(conn, creditor_id)}
        if changes["scenario"] not in names:
            raise ValidationError(f"Scénario « {changes['scenario']} » inconnu "
                                  f"({', '.join(sorted(names))}).")
    if conn.execute(select(cs.c.client_id).where(cs.c.client_id == client_id)).first():
        conn.execute(cs.update().where(cs.c.client_id == client_id).values(**changes))
    else:
        conn.execute(cs.insert().values(client_id=client_id, **changes))
    parts = []
    for name, value in changes.items():
        if name == "hold_reason":
            continue
        shown = value.strftime("%d/%m/%Y") if isinstance(value, date) else (
            "oui" if value is True else "non" if value is False else value)
        parts.append(f"{_STATUS_LABELS.get(name, name)} : {shown}")
    _event(conn, creditor_id, client_id, None, "status_changed", on,
           "Statut : " + ", ".join(parts) + (f" ({reason})" if reason else ""),
           {k: (v.isoformat() if isinstance(v, date) else v) for k, v in changes.items()})
