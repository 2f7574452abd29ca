"""Composing a message of the outbox: the template context from the ledger, then the email,
the letter PDF or the SMS. Nothing is sent here."""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select

from relance.adapters import tables as t
from relance.adapters.repository import invoices_with_open_amount
from relance.domain.money import ZERO

TEMPLATE_KINDS = ("subject", "email.txt", "email.html", "letter.txt", "sms.txt")
COLLECTOR_KEYS = ("collector_legal_name", "collector_address", "collector_siren",
                  "collector_email", "collector_phone", "collector_mandate")


@dataclass
class Message:
    """A composed message, ready for its channel."""

    message_id: str
    subject: str
    email: EmailMessage | None = None
    sms_to: str = ""
    sms_text: str = ""
    path: Path | None = None
    letter: Any = None
    pdf: bytes = b""

    def write_letter(self) -> None:
        """Write the letter's PDF atomically (a killed process leaves no half file)."""
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_bytes(self.pdf)
        os.replace(tmp, self.path)


def money_text(value: Decimal) -> str:
    """fr-FR amount for letters and references."""
    from relance.i18n import format_money

    return format_money(value)


@dataclass
class Composer:
    """Builds messages for one `relance send`; caches creditors and the template env."""

    engine: Engine
    output: Path
    templates_dir: Path | None = None
    _letters: dict[date, list[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from relance.documents.render import environment

        self.env = environment(self.templates_dir)

    def check(self) -> list[str]:
        """Every template the scenarios use renders with a sample context (before sending)."""
        from relance.documents.render import check_templates, sample_context

        names = sorted(template_names())
        return [p.message for p in check_templates(self.env, names, sample_context())]

    def context(self, conn: Connection, row: Any) -> dict[str, Any]:
        """The template context of an outbox row (see documents/render.py)."""
        return message_context(conn, row)

    def compose(self, conn: Connection, row: Any) -> Message:
        from relance.documents.email import build_email, message_id_for
        from relance.documents.render import render

        ctx = self.context(conn, row)
        name = row.template
        lang = ctx["client"]["language"]
        # A collector may have edited the text before approving it (web application): the
        # edited subject and body replace the template's, the rest (letterhead, legal
        # mentions, attachments) stays.
        edited = (row.data or {}).get("edited") or {}

        def part(kind: str) -> str:
            if edited.get("body") and kind in ("email.txt", "letter.txt", "sms.txt"):
                return str(edited["body"])
            if edited.get("body") and kind == "email.html":
                return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>"
                               for p in str(edited["body"]).split("\n\n"))
            return render(self.env, name, kind, ctx, lang)

        subject = (str(edited["subject"]) if edited.get("subject")
                   else render(self.env, name, "subject", ctx, lang).strip())
        domain = (ctx["creditor"]["email"].partition("@")[2] or "relance.local")
        message_id = message_id_for(row.key, domain)
        if row.channel == "email":
            attachments = [(f"releve-{ctx['client']['ref']}.pdf", "application/pdf",
                            statement_pdf(conn, row.client_id, row.run_date))]
            sender = ctx["collector"] or ctx["creditor"]
            email = build_email(
                sender=ctx["creditor"]["email"] or "relance@localhost",
                sender_name=sender["legal_name"], to=ctx["client"]["email"],
                reply_to=ctx["creditor"]["email"] or "relance@localhost", subject=subject,
                text=part("email.txt"), html=part("email.html"), message_id=message_id,
                attachments=attachments)
            return Message(message_id, subject, email=email)
        if row.channel == "sms":
            return Message(message_id, subject, sms_to=ctx["client"]["mobile"],
                           sms_text=part("sms.txt").strip(),
                           path=self.output / "sms" / f"{row.id:07d}.txt")
        letter = build_letter(ctx, part("letter.txt"), subject,
                              registered=row.channel == "registered_letter",
                              formal_notice=name.startswith("mise_en_demeure"))
        from relance.documents.pdf import render_letter

        folder = self.output / "courriers" / row.run_date.isoformat()
        path = folder / f"{row.id:07d}-{ctx['client']['ref']}-{name}.pdf"
        self._letters.setdefault(row.run_date, []).append(letter)
        return Message(message_id, subject, path=path, letter=letter,
                       pdf=render_letter(letter))

    def print_batch(self, day: date, paths: list[Path]) -> Path:
        """All letters of a day in one PDF, ready to print."""
        from relance.documents.pdf import render_batch

        target = self.output / "courriers" / day.isoformat() / f"lot-{day.isoformat()}.pdf"
        target.parent.mkdir(parents=True, exist_ok=True)
        letters = self._letters.get(day, [])
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(render_batch(letters))
        os.replace(tmp, target)
        return target


def template_names() -> set[str]:
    """Template names used by the shipped scenarios and the engine."""
    from relance.dunning.scenario import shipped_scenarios

    names = {s.template for sc in shipped_scenarios() for s in sc.steps}
    return names | {"proposition_echeancier"}


def _party(row: Any) -> dict[str, Any]:
    lines = [x for x in (row.address, f"{row.postal_code} {row.city}".strip()) if x]
    return {"legal_name": row.legal_name, "address_lines": lines}


def creditor_context(conn: Connection, creditor_id: int) -> tuple[dict[str, Any], Any]:
    """The creditor as templates see it, and the collector when someone else collects."""
    c = conn.execute(select(t.creditors).where(t.creditors.c.id == creditor_id)).one()
    creditor = {
        "ref": c.ref, "legal_name": c.legal_name, "legal_form": c.legal_form,
        "share_capital": c.share_capital, "rcs_city": c.rcs_city, "siren": c.siren,
        "siret": c.siret, "vat_number": c.vat_number, "email": c.email, "phone": c.phone,
        "iban": c.iban, "bic": c.bic, "signatory_name": c.signatory_name,
        "signatory_title": c.signatory_title, **_party(c),
    }
    settings = dict(conn.execute(select(t.creditor_settings.c.name, t.creditor_settings.c.value)
                                 .where(t.creditor_settings.c.creditor_id == creditor_id)).all())
    collector = None
    if settings.get("collector_legal_name"):
        # Same shape as the creditor; payments still go to the creditor's account unless
        # the mandate says otherwise (collector_iban / collector_bic).
        collector = {**{k: "" for k in creditor}, "share_capital": None,
                     "legal_name": settings["collector_legal_name"],
                     "address_lines": [x for x in settings.get("collector_address", "")
                                       .split("|") if x],
                     "siren": settings.get("collector_siren", ""),
                     "email": settings.get("collector_email", ""),
                     "phone": settings.get("collector_phone", ""),
                     "mandate": settings.get("collector_mandate", ""),
                     "iban": settings.get("collector_iban") or creditor["iban"],
                     "bic": settings.get("collector_bic") or creditor["bic"]}
    return creditor, collector


def message_context(conn: Connection, row: Any) -> dict[str, Any]:
    """Everything a template may use for one outbox row, computed as of its run date."""
    from relance.law import NotComputable
    from relance.services.penalties import breakdowns

    creditor, collector = creditor_context(conn, row.creditor_id)
    cl = conn.execute(select(t.clients).where(t.clients.c.id == row.client_id)).one()
    contact = conn.execute(select(t.contacts).where(t.contacts.c.client_id == cl.id).order_by(
        t.contacts.c.is_primary.desc(), t.contacts.c.id)).first()
    address = [x for x in (cl.address, f"{cl.postal_code} {cl.city}".strip()) if x]
    if contact is not None and contact.address:
        address = [contact.address, f"{contact.postal_code} {contact.city}".strip()]
    phone = (contact.phone if contact is not None and contact.phone else cl.phone) or ""
    client = {"name": cl.name, "ref": cl.ref, "kind": cl.kind,
              "contact_name": contact.name if contact is not None else "",
              "email": (contact.email if contact is not None and contact.email else cl.email),
              "mobile": phone, "address_lines": address, "language": cl.language or "fr"}
    at: date = row.run_date
    numbers = list(row.data.get("invoices", []))
    recap_numbers = list(row.data.get("recap", []))
    rows = {r.number: r for r in conn.execute(invoices_with_open_amount(row.creditor_id, at)
                                              .where(t.invoices.c.number.in_(
                                                  numbers + recap_numbers)))}
    invoices = [_invoice_dict(rows[n]) for n in numbers if n in rows]
    recap = [_invoice_dict(rows[n]) for n in recap_numbers if n in rows]
    creditor_row = conn.execute(select(t.creditors).where(
        t.creditors.c.id == row.creditor_id)).one()
    late = [rows[n] for n in numbers if n in rows and rows[n].due_date < at]
    penalties = []
    found = breakdowns(conn, creditor_row, late, at)
    for late_row in late:
        number = late_row.number
        result, waived = found[late_row.id]
        if isinstance(result, NotComputable) or waived:
            continue
        penalties.append({
            "invoice": number, "interest": result.interest, "indemnity": result.indemnity,
            "total": result.total,
            "detail_lines": [f"du {p.start:%d/%m/%Y} au {p.end:%d/%m/%Y} : {p.days} jours "
                             f"sur {money_text(p.base)} à {str(p.rate).replace('.', ',')}\u00a0% "
                             f"= {money_text(p.interest)}" for p in result.periods]})
    total_open = sum((i["open_amount"] for i in invoices), ZERO)
    claims = bool(row.data.get("claims_penalties"))
    penalties_total = sum((p["total"] for p in penalties), ZERO) if claims else ZERO
    reference = f"{cl.ref} {' '.join(numbers)}"[:140]
    return {
        "creditor": creditor, "collector": collector, "client": client,
        "invoices": invoices, "recap": recap, "total_open": total_open,
        "penalties": penalties if claims else [], "penalties_total": penalties_total,
        "total_due": total_open + penalties_total, "claims_penalties": claims,
        "payment_reference": reference, "deadline_days": row.data.get("deadline_days", 8),
        "step_label": row.data.get("label", row.step_key), "tone": row.tone, "today": at,
        "promise": _promise(row.data.get("promise")), "plan": _plan(row.data.get("plan")),
    }


def _promise(data: Any) -> dict[str, Any] | None:
    """A promise from the outbox's JSON, typed for the templates."""
    if not data:
        return None
    return {"amount": Decimal(data["amount"]), "date": date.fromisoformat(data["date"])}


def _plan(data: Any) -> dict[str, Any] | None:
    """A payment plan from the outbox's JSON, typed for the templates."""
    if not data:
        return None
    return {"total": Decimal(data["total"]),
            "installments": [{"date": date.fromisoformat(i["date"]),
                              "amount": Decimal(i["amount"])} for i in data["installments"]]}


def _invoice_dict(r: Any) -> dict[str, Any]:
    return {"number": r.number, "issue_date": r.issue_date, "due_date": r.due_date,
            "amount": r.amount, "open_amount": r.open_amount}


def build_letter(ctx: dict[str, Any], body: str, subject: str, *, registered: bool,
                 formal_notice: bool = False) -> Any:
    """The PDF letter of a context and its rendered body."""
    from relance.documents.epc import epc_payload
    from relance.documents.pdf import InvoiceLine, Letter, Party, PenaltyLine

    creditor, collector = ctx["creditor"], ctx["collector"]
    sender = collector or creditor
    legal = legal_mentions(creditor)
    qr = None
    if creditor["iban"] and ctx["total_due"] > 0:
        try:
            qr = epc_payload(name=creditor["legal_name"][:70], iban=creditor["iban"],
                             bic=creditor["bic"], amount=ctx["total_due"],
                             reference=ctx["payment_reference"])
        except ValueError:
            qr = None
    payment = tuple(x for x in (
        f"IBAN : {creditor['iban']}" if creditor["iban"] else "",
        f"BIC : {creditor['bic']}" if creditor["bic"] else "",
        f"Référence à indiquer : {ctx['payment_reference']}") if x)
    title = "MISE EN DEMEURE" if formal_notice else None
    return Letter(
        sender=Party(sender["legal_name"], tuple(sender["address_lines"]), tuple(legal)),
        recipient=Party(ctx["client"]["name"], tuple(
            ([f"À l'attention de {ctx['client']['contact_name']}"]
             if ctx["client"]["contact_name"] else []) + ctx["client"]["address_lines"])),
        place=creditor_place(creditor),
        on=ctx["today"], subject=subject,
        paragraphs=tuple(p.strip() for p in body.split("\n\n") if p.strip()),
        invoices=tuple(InvoiceLine(i["number"], i["issue_date"], i["due_date"], i["amount"],
                                   i["open_amount"]) for i in ctx["invoices"]),
        penalties=tuple(PenaltyLine(f"Pénalités et indemnité, facture {p['invoice']}",
                                    p["total"], " ; ".join(p["detail_lines"]))
                        for p in ctx["penalties"]),
        total_due=ctx["total_due"], payment=payment, qr_payload=qr,
        signature=tuple(x for x in (creditor["signatory_name"], creditor["signatory_title"],
                                    creditor["legal_name"]) if x),
        title=title, footer=tuple(legal), registered=registered)


def creditor_party(c: dict[str, Any]) -> Any:
    """The creditor as a letter's sender: name, address and legal mentions."""
    from relance.documents.pdf import Party

    return Party(c["legal_name"], tuple(c["address_lines"]), tuple(legal_mentions(c)))


def creditor_place(c: dict[str, Any]) -> str:
    """The town a letter is written from ("Fait à …"): the creditor's last address line."""
    return c["address_lines"][-1].split(" ", 1)[-1] if c["address_lines"] else ""


def client_address(row: Any) -> tuple[str, ...]:
    """A client's postal address lines."""
    return tuple(x for x in (row.address, f"{row.postal_code} {row.city}".strip()) if x)


def legal_mentions(c: dict[str, Any]) -> list[str]:
    parts = [c["legal_name"]]
    if c["legal_form"]:
        parts.append(c["legal_form"])
    if c["share_capital"]:
        parts.append(f"au capital de {money_text(c['share_capital'])}")
    if c["siren"]:
        parts.append(f"RCS {c['rcs_city']} {c['siren']}".replace("  ", " "))
    line = " – ".join(parts)
    more = []
    if c["address_lines"]:
        more.append("Siège : " + ", ".join(c["address_lines"]))
    if c["vat_number"]:
        more.append(f"TVA {c['vat_number']}")
    return [line, " – ".join(more)] if more else [line]


def statement_lines(conn: Connection, client_id: int, at: date) -> tuple[list[Any], Decimal]:
    """The client's account up to `at`: invoices and credit notes, payments, running balance."""
    from relance.documents.pdf import StatementLine

    moves: list[tuple[date, int, str, Decimal | None, Decimal | None]] = []
    for inv in conn.execute(select(t.invoices).where(t.invoices.c.client_id == client_id,
                                                     t.invoices.c.issue_date <= at)):
        if inv.doc_type == "credit_note":
            moves.append((inv.issue_date, 1, f"Avoir {inv.number}", None, inv.amount))
        else:
            moves.append((inv.issue_date, 0, f"Facture {inv.number} (échéance "
                          f"{inv.due_date:%d/%m/%Y})", inv.amount, None))
    for p in conn.execute(select(t.payments).where(t.payments.c.client_id == client_id,
                                                   t.payments.c.date <= at)):
        label = "Règlement" + (f" {p.method}" if p.method else "") + (
            f" réf. {p.reference}" if p.reference else "")
        moves.append((p.date, 2, label, None, p.amount))
    moves.sort(key=lambda m: (m[0], m[1]))
    balance = ZERO
    lines = []
    for on, _, label, debit, credit in moves:
        balance += (debit or ZERO) - (credit or ZERO)
        lines.append(StatementLine(on, label, debit, credit, balance))
    return lines, balance


def statement_pdf(conn: Connection, client_id: int, at: date) -> bytes:
    """The statement of account (relevé de compte) of a client as PDF."""
    from relance.documents.pdf import Party, render_statement

    cl = conn.execute(select(t.clients).where(t.clients.c.id == client_id)).one()
    creditor, _ = creditor_context(conn, cl.creditor_id)
    lines, balance = statement_lines(conn, client_id, at)
    pdf: bytes = render_statement(creditor_party(creditor), Party(cl.name, client_address(cl)),
                                  at, lines, balance)
    return pdf
