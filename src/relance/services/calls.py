"""Calls and the history: today's call list with scripts, call outcomes, the timeline."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from relance.adapters import tables as t
from relance.domain.errors import ValidationError
from relance.i18n import format_money
from relance.services.pauses import _event, add_promise, open_dispute, set_status

OUTCOME_LABELS = {
    "promise": "promesse de paiement", "dispute": "litige signalé", "voicemail": "messagerie",
    "no-answer": "pas de réponse", "paid": "paiement annoncé", "refused": "refus de payer",
    "aggressive": "client agressif", "wrong-number": "mauvais numéro",
}


def call_list(conn: Connection, creditor: Any, on: date,
              collector: str | None = None) -> list[dict[str, Any]]:
    """Open calls of the day by priority, each with invoices, history and a script."""
    from relance.dunning.scripts import call_script
    from relance.services.ledger import invoice_rows
    from relance.services.penalties import penalties_for_rows

    c = t.calls
    query = (select(c, t.clients.c.ref, t.clients.c.name, t.clients.c.phone,
                    t.clients.c.kind)
             .join(t.clients, t.clients.c.id == c.c.client_id)
             .where(c.c.creditor_id == creditor.id, c.c.run_date == on, c.c.status == "open")
             .order_by(c.c.priority.desc(), c.c.id))
    if collector:
        query = query.where(c.c.collector == collector)
    items = []
    calls = list(conn.execute(query))
    predicted = _predictions(conn, creditor.id, [call.client_id for call in calls])
    for call in calls:
        rows = [r for r in invoice_rows(conn, creditor.id, at=on, client_id=call.client_id)
                if r.number in call.data.get("invoices", [])]
        penalties = penalties_for_rows(conn, creditor, rows, on)
        invoices = []
        total_pen = Decimal("0.00")
        for r in rows:
            p = penalties.get(r.id)
            pen = getattr(p, "total", None)
            total_pen += pen or Decimal("0.00")
            guess = predicted.get(r.id)
            invoices.append({"number": r.number, "due": r.due_date,
                             "open_amount": f"{r.open_amount:.2f}",
                             "penalties": f"{pen:.2f}" if pen else None,
                             "p_late": f"{guess[0]}" if guess else None,
                             "expected_on": guess[1] if guess else None})
        contact = conn.execute(select(t.contacts.c.name, t.contacts.c.phone).where(
            t.contacts.c.client_id == call.client_id).order_by(
            t.contacts.c.is_primary.desc(), t.contacts.c.id)).first()
        history = [f"{e.occurred_on:%d/%m} {e.summary}" for e in conn.execute(
            select(t.events.c.occurred_on, t.events.c.summary)
            .where(t.events.c.client_id == call.client_id, t.events.c.occurred_on < on)
            .order_by(t.events.c.occurred_on.desc(), t.events.c.id.desc()).limit(5))]
        total = sum((r.open_amount for r in rows), Decimal("0.00"))
        custom = _custom_script(call, contact, rows, total, total_pen, creditor)
        script = custom if custom is not None else call_script(
            tone=call.tone, client_name=call.name, contact_name=contact.name if contact else None,
            invoices=[(r.number, r.due_date, r.open_amount) for r in rows], total_open=total,
            penalties=total_pen or None, creditor_name=creditor.legal_name,
            step_label=call.data.get("label", call.step_key), kind=call.kind)
        # The predicted lateness raises the priority of the calls most likely to matter: the
        # amount at stake times the days late, times (1 + the highest probability of delay).
        p_late = max((predicted[r.id][0] for r in rows if r.id in predicted), default=None)
        priority = call.priority * (1 + (p_late or 0))
        items.append({"id": call.id, "client": call.ref, "client_name": call.name,
                      "phone": (contact.phone if contact and contact.phone else call.phone),
                      "collector": call.collector,
                      "priority": f"{priority.quantize(Decimal('0.01'))}",
                      "base_priority": f"{call.priority:.2f}",
                      "p_late": f"{p_late}" if p_late is not None else None,
                      "step": call.step_key, "tone": call.tone, "invoices": invoices,
                      "total_open": f"{total:.2f}", "history": history, "script": script})
    items.sort(key=lambda item: (-Decimal(item["priority"]), item["id"]))
    return items


def _predictions(conn: Connection, creditor_id: int,
                 client_ids: list[int]) -> dict[int, tuple[Decimal, date]]:
    """The stored lateness prediction of the open invoices of these clients."""
    if not client_ids:
        return {}
    p, inv = t.invoice_predictions, t.invoices
    return {r.invoice_id: (r.p_late, r.expected_on) for r in conn.execute(
        select(p.c.invoice_id, p.c.p_late, p.c.expected_on).join(inv, inv.c.id == p.c.invoice_id)
        .where(inv.c.creditor_id == creditor_id, inv.c.client_id.in_(sorted(set(client_ids)))))}


def _custom_script(call: Any, contact: Any, rows: list[Any], total: Decimal,
                   penalties: Decimal, creditor: Any) -> str | None:
    """The user's own script for this step (`{step}.call.txt` in RELANCE_TEMPLATES_DIR), if any."""
    from pathlib import Path

    from relance import config
    from relance.documents.render import available, environment, render

    folder = config.get("templates_dir")
    if not folder:
        return None
    env = environment(Path(folder))
    step = call.data.get("template", call.step_key)
    if (step, "call.txt", "user") not in available(env):
        return None
    return render(env, step, "call.txt", {
        "client": {"name": call.name, "kind": call.kind,
                   "contact_name": contact.name if contact else ""},
        "invoices": [{"number": r.number, "due_date": r.due_date, "open_amount": r.open_amount}
                     for r in rows],
        "total_open": total, "penalties_total": penalties, "tone": call.tone,
        "creditor": {"legal_name": creditor.legal_name},
        "step_label": call.data.get("label", call.step_key)})


def record_call(conn: Connection, creditor_id: int, client: Any, outcome: str, on: date, *,
                amount: Decimal | None = None, promise_date: date | None = None,
                invoice_numbers: tuple[str, ...] = (), cause: str | None = None,
                note: str = "") -> str:
    """Store a call's outcome and apply its effect; returns a French confirmation."""
    effect = ""
    if outcome == "promise" and (amount is None or promise_date is None):
        raise ValidationError("Une promesse demande --amount et --promise-date.")
    if outcome == "dispute" and not invoice_numbers:
        raise ValidationError("Précisez la ou les factures contestées avec --invoice.")
    if invoice_numbers:
        own = set(conn.execute(select(t.invoices.c.number).where(
            t.invoices.c.client_id == client.id,
            t.invoices.c.number.in_(list(invoice_numbers)))).scalars())
        others = [n for n in invoice_numbers if n not in own]
        if others:
            raise ValidationError(f"Facture(s) {', '.join(others)} : pas une facture de "
                                  f"{client.name} ({client.ref}).")
    _event(conn, creditor_id, client.id, None, "call", on,
           f"Appel : {OUTCOME_LABELS[outcome]}" + (f" — {note}" if note else ""),
           {"outcome": outcome, "note": note, "cause": cause,
            "amount": str(amount) if amount is not None else None,
            "promise_date": promise_date.isoformat() if promise_date else None})
    if outcome == "promise":
        assert amount is not None and promise_date is not None
        add_promise(conn, creditor_id, client.id, amount, promise_date, on)
        effect = f"relances suspendues jusqu'au {promise_date:%d/%m/%Y} (plus 3 jours de grâce)"
    elif outcome == "dispute":
        for number in invoice_numbers:
            open_dispute(conn, creditor_id, number, note or "contestation au téléphone", on)
        effect = "facture(s) en litige : relances suspendues"
    elif outcome == "paid":
        set_status(conn, creditor_id, client.id, {
            "hold_until": on + timedelta(days=5), "hold_reason": "paiement annoncé au "
            "téléphone, en attente de réception"}, on)
        effect = "relances suspendues 5 jours le temps que le paiement arrive"
    elif outcome == "refused":
        cause = cause or "bad_faith"
        effect = "refus de payer : passage direct à la mise en demeure"
    elif outcome == "aggressive":
        set_status(conn, creditor_id, client.id, {"no_calls": True, "blocked": True}, on,
                   "client agressif au téléphone")
        effect = ("plus d'appels : la suite passe par l'écrit et la voie judiciaire ; client "
                  "signalé, ne plus accepter de nouvelle affaire")
    elif outcome == "wrong-number":
        set_status(conn, creditor_id, client.id, {"no_calls": True}, on, "mauvais numéro")
        effect = "numéro erroné : plus d'appels tant qu'il n'est pas corrigé"
    if cause:
        set_status(conn, creditor_id, client.id, {"late_cause": cause}, on)
    conn.execute(t.calls.update().where(
        t.calls.c.client_id == client.id, t.calls.c.run_date <= on, t.calls.c.status == "open"
    ).values(status="done", outcome=outcome))
    return f"Appel enregistré ({OUTCOME_LABELS[outcome]})" + (f" : {effect}." if effect else ".")


def timeline(conn: Connection, client_id: int) -> list[dict[str, Any]]:
    """The client's whole history, payments included, in date order."""
    items = [{"date": e.occurred_on, "kind": e.kind, "summary": e.summary,
              "invoice": e.number, "data": e.data}
             for e in conn.execute(
                 select(t.events.c.occurred_on, t.events.c.kind, t.events.c.summary,
                        t.events.c.data, t.invoices.c.number)
                 .outerjoin(t.invoices, t.invoices.c.id == t.events.c.invoice_id)
                 .where(t.events.c.client_id == client_id)
                 .order_by(t.events.c.occurred_on, t.events.c.id))]
    for p in conn.execute(select(t.payments).where(t.payments.c.client_id == client_id)):
        items.append({"date": p.date, "kind": "payment",
                      "summary": f"Règlement de {format_money(p.amount)}"
                      + (f" ({p.method})" if p.method else "")
                      + (f", réf. {p.reference}" if p.reference else ""),
                      "invoice": None, "data": {"amount": f"{p.amount:.2f}"}})
    items.sort(key=lambda i: i["date"])
    return items
