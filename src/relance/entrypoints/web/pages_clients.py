"""Clients and invoices: the searchable lists, the client page with everything about the client
and the day's collection actions (each a POST needing the "work" right, audited), the invoice
page with its penalty breakdown.

A client or an invoice of another company is answered 404, as if it did not exist.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form
from fastapi import Path as UrlPath
from fastapi.responses import Response
from sqlalchemy import select

from relance.adapters import tables as t
from relance.domain.errors import ValidationError
from relance.dunning.scenario import CLIENT_KIND_LABELS, LATE_CAUSE_LABELS
from relance.entrypoints.web.deps import Ctx, NotFound, page
from relance.entrypoints.web.deps import own_client as _client
from relance.imports.values import BadValue, parse_amount, parse_date
from relance.law import NotComputable
from relance.services import dashboard as board
from relance.services.calls import OUTCOME_LABELS

router = APIRouter(prefix="/c/{creditor_ref}")

EVENT_LABELS = {
    "reminder": "Relance", "call": "Appel", "payment": "Règlement", "promise_made": "Promesse",
    "promise_kept": "Promesse tenue", "promise_broken": "Promesse non tenue",
    "dispute_opened": "Litige", "dispute_resolved": "Litige résolu",
    "payment_plan_agreed": "Échéancier", "payment_plan_offer": "Échéancier proposé",
    "status_changed": "Statut", "penalties_waived": "Abandon de pénalités",
    "waiver_revoked": "Abandon révoqué", "formal_notice": "Mise en demeure",
    "escalation_proposed": "Escalade proposée", "grade_changed": "Note de fiabilité",
    "collector_assigned": "Chargé de recouvrement", "payment_plan_completed": "Échéancier soldé",
    "payment_plan_broken": "Échéancier rompu", "message_sent": "Envoi",
    "message_approved": "Envoi validé", "message_edited": "Message modifié",
    "message_skipped": "Envoi écarté", "message_failed": "Échec d'envoi",
    "agency_handoff": "Transmis au recouvrement", "prescription_interruption": "Prescription",
    "proceeding_opened": "Procédure collective", "proceeding_closed": "Fin de procédure",
    "claim_declared": "Créance déclarée", "claim_prepared": "Déclaration préparée",
    "warning_sign": "Signal d'alerte", "warning_sign_withdrawn": "Signal retiré",
    "bad_payer_marked": "Mauvais payeur", "bad_payer_unmarked": "Signalement retiré",
    "limits_set": "Limites de crédit", "email_logged": "Courriel", "postponing": "Report",
}


# --- lists --------------------------------------------------------------------------------------


MAX_ID = 2**31 - 1  # the largest key of an Integer column on PostgreSQL (int4; SQLite: more)
RowId = Annotated[int, UrlPath(ge=1, le=MAX_ID)]  # a row id in a URL: too large is 422, not 500


def number_or(text: str, default: int, top: int = MAX_ID) -> int:
    """The positive whole number typed (ASCII or other decimal digits), else the default."""
    text = text.strip()
    if not text.isdecimal() or len(text) > len(str(top)):
        return default
    value = int(text)
    return value if 0 < value <= top else default


def _page_number(text: str) -> int:
    return number_or(text, 1, 999_999)


@router.get("/clients")
def clients(ctx: Ctx = Depends(page("read")), q: str = "", note: str = "", retard: str = "",
            statut: str = "") -> Response:
    """Clients: search, filters, one page at a time."""
    raw_page = ctx.request.query_params.get("page", "")
    filters = board.ClientFilters(q=q[:100], grade=note if note in board.GRADES else "",
                                  overdue=retard == "1",
                                  status=statut if statut in board.STATUS_FILTERS else "",
                                  page=_page_number(raw_page))
    found = board.client_page(ctx.conn, ctx.creditor.id, ctx.today, filters)
    query = urlencode({k: v for k, v in (("q", filters.q), ("note", filters.grade),
                                         ("retard", "1" if filters.overdue else ""),
                                         ("statut", filters.status)) if v})
    return ctx.render("clients.html", title="Clients", found=found, filters=filters,
                      grades=board.GRADES, statuses=board.STATUS_FILTERS,
                      url=f"{ctx.base}/clients?{query}{'&' if query else ''}")


@router.get("/factures")
def invoices(ctx: Ctx = Depends(page("read")), statut: str = "open", client: str = "",
             q: str = "") -> Response:
    """Invoices: open, overdue or all, by client or number, one page at a time."""
    filters = board.InvoiceFilters(
        status=statut if statut in board.INVOICE_STATUSES else "open", client=client[:100],
        q=q[:100], page=_page_number(ctx.request.query_params.get("page", "")))
    rows, has_next = board.invoice_page(ctx.conn, ctx.creditor.id, ctx.today, filters)
    from relance.services.penalties import penalties_for_rows

    penalties = penalties_for_rows(ctx.conn, ctx.creditor, rows, ctx.today)
    disputes = board.open_disputes(ctx.conn, [r.id for r in rows])
    query = urlencode({k: v for k, v in (("statut", filters.status), ("client", filters.client),
                                         ("q", filters.q)) if v})
    return ctx.render("invoices.html", title="Factures", rows=rows, has_next=has_next,
                      filters=filters, statuses=board.INVOICE_STATUSES,
                      penalties=_penalty_view(penalties), disputes=disputes,
                      url=f"{ctx.base}/factures?{query}&")


def _penalty_view(found: dict[int, Any]) -> dict[int, dict[str, Any]]:
    """{invoice id: {total, interest, indemnity} or {reason}} for the templates."""
    view: dict[int, dict[str, Any]] = {}
    for invoice_id, result in found.items():
        if isinstance(result, NotComputable):
            view[invoice_id] = {"reason": result.reason}
        else:
            view[invoice_id] = {"total": result.total, "interest": result.interest,
                                "indemnity": result.indemnity}
    return view


# --- the client page ------------------------------------------------------------------------------


def collectors(conn: Any, creditor_id: int) -> list[Any]:
    """The active users serving this company who may do collection work."""
    u, uc = t.users, t.user_creditors
    return list(conn.execute(
        select(u.c.username, u.c.full_name).join(uc, uc.c.user_id == u.c.id)
        .where(uc.c.creditor_id == creditor_id, u.c.active.is_(True),
               u.c.role.in_(("admin", "collector")))
        .order_by(u.c.full_name, u.c.username)))


@router.get("/clients/{client_id}")
def client_page(client_id: RowId, ctx: Ctx = Depends(page("read"))) -> Response:
    """Everything about one client, and the actions of the day."""
    from relance.services.calls import timeline
    from relance.services.ledger import payment_rows
    from relance.services.penalties import penalties_for_rows, waivers_in_force
    from relance.services.risk import active_mark

    conn, at = ctx.conn, ctx.today
    client = _client(ctx, client_id)
    rows = board.client_invoice_rows(conn, ctx.creditor.id, client.id, at)
    waived = waivers_in_force(conn, ctx.creditor.id, at)
    data = {
        "client": client, "rows": rows,
        "penalties": _penalty_view(penalties_for_rows(conn, ctx.creditor, rows, at)),
        "waived": {r.id for r in rows if waived.covers(client.id, r.id)},
        "client_waived": client.id in waived.clients,
        "disputes": board.open_disputes(conn, [r.id for r in rows]),
        "open_total": sum((r.open_amount for r in rows), Decimal("0.00")),
        "overdue_total": sum((r.open_amount for r in rows if r.due_date < at),
                             Decimal("0.00")),
        "contacts": list(conn.execute(select(t.contacts).where(
            t.contacts.c.client_id == client.id).order_by(t.contacts.c.is_primary.desc(),
                                                          t.contacts.c.id))),
        "status": conn.execute(select(t.client_status).where(
            t.client_status.c.client_id == client.id)).first(),
        "score": score_of(conn, ctx.creditor.id, client.id, at),
        "timeline": [e for e in reversed(timeline(conn, client.id))
                     if ctx.user.can("bad_payers") or not e["kind"].startswith("bad_payer")],
        "mark": active_mark(conn, client.id) if ctx.user.can("bad_payers") else None,
        "payments": payment_rows(conn, ctx.creditor.id, client.id),
        "promises": list(conn.execute(select(t.promises).where(
            t.promises.c.client_id == client.id, t.promises.c.status == "open")
            .order_by(t.promises.c.pay_by))),
        "plans": list(conn.execute(select(t.payment_plans).where(
            t.payment_plans.c.client_id == client.id, t.payment_plans.c.status == "active"))),
        "collectors": collectors(conn, ctx.creditor.id),
        "outcomes": OUTCOME_LABELS, "causes": LATE_CAUSE_LABELS,
        "kinds": CLIENT_KIND_LABELS, "events": EVENT_LABELS,
    }
    return ctx.render("client.html", title=client.name, **data)


def score_of(conn: Any, creditor_id: int, client_id: int, at: date) -> dict[str, Any]:
    """The client's score and its explanation: the one the run stored when it is of `at` (the
    daily run scores every client), else risk.assess_one now (it reads every allocation of the
    creditor: seconds on a million invoices)."""
    from relance.services.risk import assess_one, signs_in_force

    stored = conn.execute(select(t.client_scores).where(
        t.client_scores.c.client_id == client_id)).first()
    if stored is not None and stored.computed_on == at:
        return {"score": stored.score, "grade": stored.grade, "live": False,
                "factors": [{"points": f["points"], "text": f["text"]} for f in stored.factors],
                "policy": (stored.policy or {}).get("text", ""), "alerts": [],
                "signs": signs_in_force(conn, creditor_id, at, [client_id]).get(client_id, [])}
    live = assess_one(conn, creditor_id, client_id, at)
    found = live.score
    return {"score": found.score, "grade": found.grade, "live": True,
            "factors": [{"points": f.points, "text": f.text} for f in found.factors],
            "policy": found.policy.text, "alerts": list(found.alerts),
            "signs": list(live.signs)}


# --- the client's actions (POST, right "work", audited) ----------------------------------------


def _amount(text: str, what: str) -> Decimal:
    try:
        return parse_amount(text)
    except BadValue:
        raise ValidationError(f"{what} : « {text} » n'est pas un montant "
                              "(ex. 1 234,56).") from None


def _date(text: str, what: str) -> date:
    try:
        return parse_date(text)
    except BadValue:
        raise ValidationError(f"{what} : « {text} » n'est pas une date "
                              "(ex. 31/12/2026).") from None


def _done(ctx: Ctx, client: Any, action: str, message: str, /, **detail: Any) -> Response:
    """Audit, commit and go back to the client page with the message."""
    ctx.audit(action, client.ref, client_id=client.id, **detail)
    ctx.commit()
    return ctx.redirect(f"/clients/{client.id}", message)


@router.post("/clients/{client_id}/appel")
def log_call(client_id: RowId, ctx: Ctx = Depends(page("work")), outcome: str = Form(""),
             note: str = Form(""), amount: str = Form(""), promise_date: str = Form(""),
             invoices: list[str] = Form([]), cause: str = Form("")) -> Response:
    """Record a call's outcome, as `relance log-call` does."""
    from relance.services.calls import record_call

    client = _client(ctx, client_id)
    if outcome not in OUTCOME_LABELS:
        raise ValidationError("Choisissez l'issue de l'appel.")
    if cause and cause not in LATE_CAUSE_LABELS:
        raise ValidationError("Cause du retard inconnue.")
    value = _amount(amount, "Montant promis") if amount.strip() else None
    when = _date(promise_date, "Date promise") if promise_date.strip() else None
    if outcome == "promise" and (value is None or when is None):
        raise ValidationError("Une promesse demande un montant et une date.")
    if outcome == "dispute" and not invoices:
        raise ValidationError("Cochez la ou les factures contestées.")
    invoices = [_own_invoice(ctx, client, number) for number in invoices]
    message = record_call(ctx.conn, ctx.creditor.id, client, outcome, ctx.today, amount=value,
                          promise_date=when, invoice_numbers=tuple(invoices),
                          cause=cause or None, note=note.strip())
    return _done(ctx, client, "call.log", message, outcome=outcome,
                 amount=str(value) if value is not None else None,
                 promise_date=when.isoformat() if when else None, invoices=invoices)


@router.post("/clients/{client_id}/promesse")
def add_promise(client_id: RowId, ctx: Ctx = Depends(page("work")), amount: str = Form(""),
                pay_by: str = Form("")) -> Response:
    """Record a promise to pay."""
    from relance.services.pauses import add_promise as add

    client = _client(ctx, client_id)
    value, when = _amount(amount, "Montant promis"), _date(pay_by, "Date promise")
    add(ctx.conn, ctx.creditor.id, client.id, value, when, ctx.today)
    return _done(ctx, client, "promise.add", f"Promesse de {_money(value)} au "
                 f"{when:%d/%m/%Y} enregistrée.", amount=str(value), pay_by=when.isoformat())


@router.post("/clients/{client_id}/litige")
def dispute(client_id: RowId, ctx: Ctx = Depends(page("work")), invoice: str = Form(""),
            action: str = Form("open"), text: str = Form("")) -> Response:
    """Open or close the dispute of one of the client's invoices."""
    from relance.services.pauses import open_dispute, resolve_dispute

    client = _client(ctx, client_id)
    number = _own_invoice(ctx, client, invoice)
    if action == "close":
        resolve_dispute(ctx.conn, ctx.creditor.id, number, text.strip(), ctx.today)
        return _done(ctx, client, "dispute.resolve", f"Litige sur {number} clos : relances "
                     "reprises.", invoice=number, resolution=text.strip())
    open_dispute(ctx.conn, ctx.creditor.id, number, text.strip(), ctx.today)
    return _done(ctx, client, "dispute.open", f"Litige ouvert sur {number} : relances "
                 "suspendues.", invoice=number, reason=text.strip())


def _own_invoice(ctx: Ctx, client: Any, number: str) -> str:
    """The number of an invoice of this client, or a clear error."""
    found = ctx.conn.execute(select(t.invoices.c.number).where(
        t.invoices.c.creditor_id == ctx.creditor.id, t.invoices.c.client_id == client.id,
        t.invoices.c.number == number.strip(), t.invoices.c.doc_type == "invoice")).first()
    if found is None:
        raise ValidationError(f"Facture « {number} » inconnue pour ce client.")
    return str(found.number)


@router.post("/clients/{client_id}/echeancier")
def add_plan(client_id: RowId, ctx: Ctx = Depends(page("work")),
             dates: list[str] = Form([]), amounts: list[str] = Form([])) -> Response:
    """Set up a payment plan from the instalment lines filled in."""
    from relance.services.pauses import add_plan as add

    client = _client(ctx, client_id)
    schedule = []
    for n, (when, amount) in enumerate(zip(dates, amounts, strict=False), 1):
        if not when.strip() and not amount.strip():
            continue
        if not when.strip() or not amount.strip():
            raise ValidationError(f"Échéance {n} : indiquez la date et le montant.")
        value = _amount(amount, f"Échéance {n}")
        if value <= 0:
            raise ValidationError(f"Échéance {n} : le montant doit être positif.")
        schedule.append((_date(when, f"Échéance {n}"), value))
    if not schedule:
        raise ValidationError("Aucune échéance saisie.")
    schedule.sort()
    plan_id = add(ctx.conn, ctx.creditor.id, client.id, schedule, ctx.today)
    total = sum((a for _, a in schedule), Decimal("0.00"))
    return _done(ctx, client, "plan.add", f"Échéancier de {len(schedule)} échéance(s), "
                 f"{_money(total)}, enregistré.", plan_id=plan_id,
                 installments=[[d.isoformat(), str(a)] for d, a in schedule])


@router.post("/clients/{client_id}/suspension")
def hold(client_id: RowId, ctx: Ctx = Depends(page("work")), until: str = Form(""),
         reason: str = Form("")) -> Response:
    """Put the client's dunning on hold until a date."""
    from relance.services.pauses import set_status

    client = _client(ctx, client_id)
    when = _date(until, "Suspendre jusqu'au")
    if when < ctx.today:
        raise ValidationError("La date de fin de suspension est déjà passée.")
    if not reason.strip():
        raise ValidationError("Le motif de la suspension est obligatoire.")
    set_status(ctx.conn, ctx.creditor.id, client.id,
               {"hold_until": when, "hold_reason": reason.strip()}, ctx.today, reason.strip())
    return _done(ctx, client, "status.hold", f"Relances suspendues jusqu'au {when:%d/%m/%Y}.",
                 until=when.isoformat(), reason=reason.strip())


@router.post("/clients/{client_id}/ne-pas-contacter")
def do_not_contact(client_id: RowId, ctx: Ctx = Depends(page("work")), value: str = Form("1"),
                   reason: str = Form("")) -> Response:
    """Mark the client do-not-contact (or lift it)."""
    from relance.services.pauses import set_status

    client = _client(ctx, client_id)
    on = value == "1"
    set_status(ctx.conn, ctx.creditor.id, client.id, {"do_not_contact": on}, ctx.today,
               reason.strip())
    return _done(ctx, client, "status.do_not_contact",
                 "Client marqué « ne pas contacter »." if on else "Le client peut de nouveau "
                 "être contacté.", value=on, reason=reason.strip())


ESCALATIONS: dict[str, tuple[dict[str, Any], str]] = {
    "legal_case": ({"legal_case": True}, "Procédure judiciaire ouverte : plus de relance "
                   "amiable."),
    "no_legal_case": ({"legal_case": False}, "Procédure judiciaire close : les relances "
                      "reprennent."),
    "formal_notice": ({"late_cause": "bad_faith"}, "Mauvaise foi notée : le prochain run "
                      "passe directement à la mise en demeure."),
}


@router.post("/clients/{client_id}/escalade")
def escalate(client_id: RowId, ctx: Ctx = Depends(page("work")), action: str = Form(""),
             reason: str = Form("")) -> Response:
    """Escalate, as `relance status` does: legal case, or straight to the formal notice."""
    from relance.services.pauses import set_status

    client = _client(ctx, client_id)
    if action not in ESCALATIONS:
        raise ValidationError("Choisissez une escalade.")
    changes, message = ESCALATIONS[action]
    set_status(ctx.conn, ctx.creditor.id, client.id, dict(changes), ctx.today, reason.strip())
    return _done(ctx, client, "status.escalate", message, escalation=action,
                 reason=reason.strip())


@router.post("/clients/{client_id}/charge")
def assign(client_id: RowId, ctx: Ctx = Depends(page("work")),
           collector: str = Form("")) -> Response:
    """Assign the client to a collector serving this company (empty: nobody)."""
    client = _client(ctx, client_id)
    people = {r.username: r.full_name or r.username
              for r in collectors(ctx.conn, ctx.creditor.id)}
    if collector and collector not in people:
        raise ValidationError(f"« {collector} » ne travaille pas pour cette société.")
    from relance.services.pauses import assign_collector

    summary = assign_collector(ctx.conn, ctx.creditor.id, client, collector,
                               people.get(collector, ""), ctx.today)
    return _done(ctx, client, "client.collector", summary + ".", collector=collector,
                 before=client.collector)


@router.post("/clients/{client_id}/abandon")
def waive(client_id: RowId, ctx: Ctx = Depends(page("work")), invoice: str = Form(""),
          reason: str = Form("")) -> Response:
    """Waive the penalties and the 40 € of one invoice, or of every invoice of the client."""
    from relance.services.penalties import invoice_by_number
    from relance.services.penalties import waive as record

    client = _client(ctx, client_id)
    if not reason.strip():
        raise ValidationError("Le motif de l'abandon est obligatoire.")
    if invoice.strip():
        number = _own_invoice(ctx, client, invoice)
        target = invoice_by_number(ctx.conn, ctx.creditor.id, number)
        waiver_id = record(ctx.conn, ctx.creditor.id, on=ctx.today, reason=reason.strip(),
                           invoice_id=target.id)
        what = f"la facture {number}"
    else:
        waiver_id = record(ctx.conn, ctx.creditor.id, on=ctx.today, reason=reason.strip(),
                           client_id=client.id)
        what = "toutes les factures du client"
    return _done(ctx, client, "penalties.waive", f"Pénalités et indemnité abandonnées pour "
                 f"{what}.", waiver_id=waiver_id, invoice=invoice.strip() or None,
                 reason=reason.strip())


@router.post("/clients/{client_id}/reglement")
def payment(client_id: RowId, ctx: Ctx = Depends(page("work")), amount: str = Form(""),
            paid_on: str = Form(""), method: str = Form(""), reference: str = Form(""),
            invoices: list[str] = Form([])) -> Response:
    """Enter a payment by hand and allocate it (to the ticked invoices, else oldest first)."""
    from relance.services.ledger import record_payment

    client = _client(ctx, client_id)
    value = _amount(amount, "Montant du règlement")
    when = _date(paid_on, "Date du règlement") if paid_on.strip() else ctx.today
    result = record_payment(ctx.conn, ctx.creditor.id, client_ref=client.ref, paid_on=when,
                            amount=value, invoice_numbers=tuple(invoices),
                            method=method.strip()[:40], reference=reference.strip()[:140])
    return _done(ctx, client, "payment.add", f"Règlement de {_money(value)} enregistré"
                 + _allocation_text(result), payment_id=result.payment_id,
                 amount=str(value), paid_on=when.isoformat(),
                 allocations=[[n, str(a)] for n, a in result.allocations])


@router.post("/clients/{client_id}/lettrage")
def allocate(client_id: RowId, ctx: Ctx = Depends(page("work")), payment_id: str = Form(""),
             invoices: list[str] = Form([])) -> Response:
    """Re-allocate one of the client's payments (to the ticked invoices, else oldest first)."""
    from relance.services.ledger import reallocate

    client = _client(ctx, client_id)
    owned = ctx.conn.execute(select(t.payments.c.id).where(
        t.payments.c.id == number_or(payment_id, -1),
        t.payments.c.client_id == client.id)).first()
    if owned is None:
        raise ValidationError("Règlement inconnu pour ce client.")
    result = reallocate(ctx.conn, ctx.creditor.id, owned.id, tuple(invoices))
    return _done(ctx, client, "payment.allocate", f"Règlement n° {owned.id} relettré"
                 + _allocation_text(result), payment_id=owned.id,
                 allocations=[[n, str(a)] for n, a in result.allocations])


def _allocation_text(result: Any) -> str:
    parts = [f"{number} : {_money(amount)}" for number, amount in result.allocations]
    text = (" — affecté à " + ", ".join(parts)) if parts else ""
    if result.unallocated:
        text += f" ; non affecté : {_money(result.unallocated)}"
    return text + "."


def _money(value: Decimal) -> str:
    from relance.i18n import format_money

    return format_money(value)


# --- the invoice page ------------------------------------------------------------------------


@router.get("/factures/{invoice_id}")
def invoice_page(invoice_id: RowId, ctx: Ctx = Depends(page("read"))) -> Response:
    """One invoice: amounts, settlements, the penalty breakdown and its history."""
    from relance.services.penalties import penalties_of_invoice

    invoice = ctx.conn.execute(select(t.invoices, t.clients.c.ref.label("client_ref"),
                                      t.clients.c.name.label("client_name"))
                               .join(t.clients, t.clients.c.id == t.invoices.c.client_id)
                               .where(t.invoices.c.id == invoice_id,
                                      t.invoices.c.creditor_id == ctx.creditor.id)).first()
    if invoice is None:
        raise NotFound("Facture introuvable.")
    row = result = None
    waived = False
    if invoice.doc_type == "invoice" and invoice.issue_date <= ctx.today:
        row, result, waived = penalties_of_invoice(ctx.conn, ctx.creditor, invoice.number,
                                                   ctx.today)
    e = t.events
    events = list(ctx.conn.execute(select(e.c.occurred_on, e.c.kind, e.c.summary).where(
        e.c.invoice_id == invoice.id).order_by(e.c.occurred_on.desc(), e.c.id.desc())))
    return ctx.render("invoice.html", title=f"Facture {invoice.number}", invoice=invoice,
                      row=row, result=result, waived=waived,
                      computable=result is not None and not isinstance(result, NotComputable),
                      settlements=_settlements(ctx, invoice.id), events=events,
                      disputes=_disputes(ctx, invoice.id), labels=EVENT_LABELS)


def _settlements(ctx: Ctx, invoice_id: int) -> list[dict[str, Any]]:
    a, p = t.allocations, t.payments
    notes = t.invoices.alias("notes")
    rows = ctx.conn.execute(
        select(a.c.amount, p.c.date, p.c.method, p.c.reference, notes.c.number,
               notes.c.issue_date)
        .select_from(a.outerjoin(p, p.c.id == a.c.payment_id)
                     .outerjoin(notes, notes.c.id == a.c.credit_note_id))
        .where(a.c.invoice_id == invoice_id))
    found = [{"date": r.date or r.issue_date, "amount": r.amount,
              "label": (f"Avoir {r.number}" if r.number else
                        "Règlement" + (f" ({r.method})" if r.method else "")
                        + (f", réf. {r.reference}" if r.reference else ""))} for r in rows]
    return sorted(found, key=lambda s: s["date"])


def _disputes(ctx: Ctx, invoice_id: int) -> list[Any]:
    d = t.disputes
    return list(ctx.conn.execute(select(d).where(d.c.invoice_id == invoice_id)
                                 .order_by(d.c.opened_on)))
