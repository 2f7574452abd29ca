"""The claim declaration (déclaration de créance) to the mandataire judiciaire, as PDF and text.

A registered letter from the creditor (or its agent) to the mandataire judiciaire — the
liquidator in a liquidation — with what C. com. L622-25 and R622-23 ask for: the amount due
at the opening judgment and the sums to fall due with their dates, penalties stopped at the
judgment (L622-28) and the 40 € indemnities as separate lines, the nature of the claim
(chirographaire unless a security is given), the sincerity statement, the deadline
(R622-24) and the list of documents attached. The lines and totals come from
`relance.law.proceedings.declaration_lines`; the layout is the letters' (documents/pdf.py).

>>> from relance.law.proceedings import PriorInvoice, declaration_lines
>>> lines = declaration_lines("redressement", date(2026, 3, 2), [
...     PriorInvoice("F1", date(2026, 1, 5), date(2026, 2, 4), Decimal("1200.00"))])
>>> data = ClaimDeclaration(
...     creditor=Party("Atelier Dupont SARL", ("12 rue des Lilas", "75011 Paris")),
...     client_name="Boulangerie Martin SAS", client_siren="732829320",
...     client_address=("3 place du Marché", "69002 Lyon"), kind="redressement",
...     judgment_date=date(2026, 3, 2), published_on=date(2026, 3, 12),
...     court="Tribunal de commerce de Lyon",
...     administrator=Party("Maître Anne Roux", ("3 rue Vauban", "69006 Lyon")),
...     deadline=date(2026, 5, 12), declaration=lines, place="Paris", on=date(2026, 3, 20),
...     signatory="Marie Dupont", signatory_title="Gérante")
>>> render_claim(data)[:5]
b'%PDF-'
>>> text = claim_text(data)
>>> "Objet : Déclaration de créance — redressement judiciaire de Boulangerie" in text
True
>>> "créance chirographaire" in text, "qui expire le 12 mai 2026" in text
(True, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from stdnum.fr import siren as stdnum_siren

from relance.documents.pdf import (
    _PDF,
    LEFT,
    LINE,
    PAGE_W,
    REGISTERED,
    RIGHT,
    WIDTH,
    WINDOW_X,
    DocumentError,
    Party,
    _address,
    _begin,
    _below_heads,
    _finish,
    _keep,
    _letterhead,
    _new_pdf,
    _output,
    _signature,
    _table,
    _text,
    _title,
    _total,
    _write,
)
from relance.i18n import format_date, format_money, format_short_date
from relance.law.proceedings import COLLECTIVE, KINDS, Declaration, kind_label

__all__ = ["ClaimDeclaration", "claim_text", "render_claim"]

TITLE = "DÉCLARATION DE CRÉANCE"
OPENINGS = {
    "sauvegarde": "une procédure de sauvegarde",
    "redressement": "une procédure de redressement judiciaire",
    "liquidation": "une procédure de liquidation judiciaire",
}
ACCESSORIES = {
    "penalties": "Pénalités de retard",
    "indemnity": "Indemnité forfaitaire pour frais de recouvrement",
}


@dataclass(frozen=True)
class ClaimDeclaration:
    """Everything printed on a claim declaration.

    `declaration` holds the lines and totals (law.proceedings.declaration_lines);
    `deadline` the last day to declare (law.proceedings.claim_deadline); `security` the
    nature and subject of a security or privilege, empty for a chirographaire claim;
    `agent` who declares for the creditor (préposé or mandataire, L622-24), if not itself;
    `litigation` the court already seized of the claim, if any (R622-23).
    """

    creditor: Party
    client_name: str
    client_siren: str
    client_address: tuple[str, ...]
    kind: str
    judgment_date: date
    published_on: date
    court: str
    administrator: Party
    deadline: date
    declaration: Declaration
    place: str
    on: date
    signatory: str
    signatory_title: str = ""
    security: str = ""
    formal_notice_on: date | None = None
    agent: str = ""
    litigation: str = ""
    attachments: tuple[str, ...] = ()
    footer: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Content:
    """The declaration's text, shared by the PDF and the plain-text version."""

    subject: str
    before: tuple[str, ...]
    invoice_heads: tuple[str, ...]
    invoice_rows: tuple[tuple[str, ...], ...]
    accessory_rows: tuple[tuple[str, str, str], ...]
    totals: tuple[tuple[str, Decimal], ...]
    after: tuple[str, ...]
    attachments: tuple[str, ...]
    closing: str
    signature: tuple[str, ...]


def render_claim(data: ClaimDeclaration) -> bytes:
    """The declaration as a one-letter PDF (A4, window envelope, registered letter)."""
    content = _content(data)
    pdf = _new_pdf(content.subject, data.creditor.name, data.on)
    head = f"{data.creditor.name} · {TITLE.capitalize()} · {data.client_name}"
    first = _begin(pdf, head, data.footer)
    _letterhead(pdf, data.creditor)
    _address(pdf, data.administrator, registered=True)
    pdf.set_xy(WINDOW_X, _below_heads(pdf))
    _text(pdf, 10)
    _write(pdf, f"{data.place}, le {format_date(data.on)}", PAGE_W - RIGHT - WINDOW_X, LINE)
    pdf.set_xy(LEFT, pdf.y + 8)
    _title(pdf, TITLE, 16)
    _text(pdf, 10, bold=True)
    _write(pdf, f"Objet : {content.subject}", WIDTH, LINE)
    pdf.ln(4)
    _paragraphs(pdf, content.before)
    _invoice_table(pdf, content)
    if content.accessory_rows:
        pdf.ln(3)
        _table(pdf, ("Pénalités et indemnités", "Détail", "Montant"), (62.0, 75.0, 38.0),
               "LLR", content.accessory_rows)
    for label, amount in content.totals:
        _total(pdf, label, amount)
    pdf.ln(5)
    _paragraphs(pdf, content.after)
    _attachments(pdf, content.attachments)
    _signature(pdf, (content.closing, "", *content.signature))
    _finish(pdf, first, data.footer)
    return _output(pdf)


def claim_text(data: ClaimDeclaration) -> str:
    """The same declaration as plain text, for the outbox and previews."""
    content = _content(data)
    out: list[str] = [data.creditor.name, *data.creditor.lines, *data.creditor.legal, "",
                      REGISTERED, data.administrator.name, *data.administrator.lines, "",
                      f"{data.place}, le {format_date(data.on)}", "", TITLE, "",
                      f"Objet : {content.subject}", ""]
    for paragraph in content.before:
        out += [paragraph, ""]
    out += [" | ".join(content.invoice_heads)]
    out += [" | ".join(row) for row in content.invoice_rows]
    out.append("")
    if content.accessory_rows:
        out += ["Pénalités et indemnités :"]
        out += [f"- {label} — {detail} : {amount}"
                for label, detail, amount in content.accessory_rows]
        out.append("")
    out += [f"{label} : {format_money(amount)}" for label, amount in content.totals]
    out.append("")
    for paragraph in content.after:
        out += [paragraph, ""]
    out += ["Pièces jointes (bordereau) :"]
    out += [f"{number}. {item}" for number, item in enumerate(content.attachments, start=1)]
    out += ["", content.closing, "", *content.signature]
    if data.footer:
        out += ["", "--", *data.footer]
    return "\n".join(out) + "\n"


def _content(data: ClaimDeclaration) -> _Content:
    """Check the data and write every sentence of the declaration once."""
    _check(data)
    decl = data.declaration
    judgment = format_date(data.judgment_date)
    liquidation = data.kind == "liquidation"
    role = "liquidateur judiciaire" if liquidation else "mandataire judiciaire"
    siren = _siren(data.client_siren)
    debtor = f"{data.client_name} ({siren})" if siren else data.client_name
    subject = (f"Déclaration de créance — {kind_label(data.kind)} de {debtor}, "
               f"jugement d'ouverture du {judgment} ({data.court})")
    address = f", {', '.join(data.client_address)}" if data.client_address else ""
    articles = "L622-24, L622-25 et L641-3" if liquidation else "L622-24 et L622-25"
    before = (
        "Maître,",
        f"Par jugement du {judgment}, le {data.court} a ouvert {OPENINGS[data.kind]} à "
        f"l'égard de {debtor}{address}, et vous a désigné en qualité de {role}. Ce jugement a "
        f"été publié au BODACC le {format_date(data.published_on)}.",
        f"Conformément aux articles {articles} du code de commerce, {data.creditor.name} "
        f"vous déclare sa créance sur {data.client_name}, arrêtée au jour du jugement "
        "d'ouverture, pour les montants suivants :",
    )
    return _Content(
        subject=subject,
        before=before,
        invoice_heads=_invoice_heads(decl),
        invoice_rows=_invoice_rows(decl),
        accessory_rows=tuple(
            (ACCESSORIES[line.kind], _accessory_detail(line.kind, line.invoice, judgment),
             format_money(line.amount)) for line in decl.accessory_lines),
        totals=(
            (f"Total échu au {judgment}", decl.matured),
            ("Total à échoir", decl.to_mature),
            ("Montant total déclaré", decl.total),
        ),
        after=_after(data, judgment),
        attachments=_attachment_list(data, judgment),
        closing=f"Fait à {data.place}, le {format_date(data.on)}",
        signature=_signature_lines(data),
    )


def _check(data: ClaimDeclaration) -> None:
    if data.kind not in KINDS:
        raise DocumentError(f"Procédure inconnue : « {data.kind} ».")
    if data.kind not in COLLECTIVE:
        raise DocumentError(
            "Pas de déclaration de créance pour un dossier de surendettement : la créance se "
            "fait valoir auprès de la commission de surendettement.")
    decl = data.declaration
    if decl.kind != data.kind or decl.judgment_date != data.judgment_date:
        raise DocumentError("Les lignes de la déclaration ne correspondent pas à cette "
                            "procédure (nature ou date du jugement).")
    if data.published_on < data.judgment_date:
        raise DocumentError("La publication au BODACC ne peut précéder le jugement d'ouverture.")
    if data.deadline < data.published_on:
        raise DocumentError("Le délai de déclaration ne peut expirer avant la publication.")
    if not data.administrator.name.strip():
        raise DocumentError("Nom du mandataire judiciaire manquant.")


def _siren(value: str) -> str:
    """`SIREN 732 829 320`, or the text as given when it is not nine digits."""
    compact = stdnum_siren.compact(value) if value.strip() else ""
    if not compact:
        return ""
    shown = stdnum_siren.format(compact) if compact.isdigit() and len(compact) == 9 else value
    return f"SIREN {shown}"


def _invoice_heads(decl: Declaration) -> tuple[str, ...]:
    heads = ("Facture", "Date", "Échéance", "Reste dû TTC", "Échu / à échoir")
    if any(line.amount_excl_tax is not None for line in decl.invoice_lines):
        return (*heads[:3], "Dont HT", *heads[3:])
    return heads


def _invoice_rows(decl: Declaration) -> tuple[tuple[str, ...], ...]:
    with_ht = any(line.amount_excl_tax is not None for line in decl.invoice_lines)
    rows = []
    for line in decl.invoice_lines:
        assert line.issue_date is not None and line.due_date is not None
        cells = [line.invoice, format_short_date(line.issue_date),
                 format_short_date(line.due_date)]
        if with_ht:
            ht = line.amount_excl_tax
            cells.append("" if ht is None else format_money(ht))
        cells += [format_money(line.amount), line.status]
        rows.append(tuple(cells))
    return tuple(rows)


def _accessory_detail(kind: str, invoice: str, judgment: str) -> str:
    if kind == "penalties":
        return f"facture {invoice}, arrêtées au {judgment} (C. com. L622-28)"
    return f"facture {invoice} payée en retard (C. com. L441-10 et D441-5)"


def _after(data: ClaimDeclaration, judgment: str) -> tuple[str, ...]:
    decl = data.declaration
    nature = (f"Nature de la créance : créance assortie d'une sûreté — {data.security} "
              "(C. com. L622-25)." if data.security.strip() else
              "Nature de la créance : créance chirographaire, sans privilège ni sûreté.")
    paragraphs = [nature]
    if decl.penalties:
        paragraphs.append(
            f"Les pénalités de retard sont arrêtées au {judgment}, le jugement d'ouverture "
            "arrêtant le cours des intérêts et majorations de retard (C. com. L622-28) ; "
            "aucun intérêt dont le cours continuerait n'est déclaré.")
    paragraphs += decl.notes
    if data.litigation.strip():
        paragraphs.append(f"Cette créance fait l'objet d'un litige devant : {data.litigation} "
                          "(C. com. R622-23).")
    if data.agent.strip():
        paragraphs.append(f"La présente déclaration est faite pour le créancier par "
                          f"{data.agent}, son mandataire (C. com. L622-24).")
    paragraphs += [
        "Nous certifions sincère et véritable la créance déclarée ci-dessus (C. com. L622-25).",
        f"La présente déclaration vous est adressée dans le délai de déclaration, qui expire "
        f"le {format_date(data.deadline)} (délai courant de la publication du jugement "
        f"d'ouverture au BODACC le {format_date(data.published_on)}, C. com. L622-24 et "
        "R622-24).",
        "Nous vous prions d'agréer, Maître, l'expression de nos salutations distinguées.",
    ]
    return tuple(paragraphs)


def _attachment_list(data: ClaimDeclaration, judgment: str) -> tuple[str, ...]:
    decl = data.declaration
    issued = {line.invoice: line.issue_date for line in decl.invoice_lines}
    numbers = dict.fromkeys(line.invoice for line in decl.lines)
    items = []
    for number in numbers:
        day = issued.get(number)
        items.append(f"Copie de la facture {number}"
                     + (f" du {format_short_date(day)}" if day else ""))
    if decl.penalties:
        items.append(f"Décompte des pénalités de retard arrêté au {judgment}")
    if data.formal_notice_on is not None:
        items.append(f"Copie de la mise en demeure du {format_date(data.formal_notice_on)}")
    if data.agent.strip():
        items.append(f"Pouvoir donné à {data.agent}")
    return (*items, *data.attachments)


def _signature_lines(data: ClaimDeclaration) -> tuple[str, ...]:
    lines = [data.signatory]
    if data.signatory_title:
        lines.append(data.signatory_title)
    lines.append(f"pour {data.agent if data.agent.strip() else data.creditor.name}")
    return tuple(lines)


def _paragraphs(pdf: _PDF, paragraphs: Sequence[str]) -> None:
    _text(pdf, 10)
    for paragraph in paragraphs:
        _write(pdf, paragraph, WIDTH, LINE)
        pdf.ln(2.5)


def _invoice_table(pdf: _PDF, content: _Content) -> None:
    if not content.invoice_rows:
        return
    pdf.ln(1.5)
    widths: tuple[float, ...] = (43.0, 26.0, 26.0, 42.0, 38.0)
    aligns = "LLLRL"
    if len(content.invoice_heads) == 6:
        widths, aligns = (33.0, 24.0, 24.0, 31.0, 34.0, 29.0), "LLLRRL"
    _table(pdf, content.invoice_heads, widths, aligns, content.invoice_rows)


def _attachments(pdf: _PDF, items: Sequence[str]) -> None:
    _keep(pdf, LINE * 3)
    _text(pdf, 10, bold=True)
    _write(pdf, "Pièces jointes (bordereau, C. com. R622-23) :", WIDTH, LINE)
    _text(pdf, 10)
    for number, item in enumerate(items, start=1):
        _write(pdf, f"{number}. {item}", WIDTH, LINE)
