"""Files for the next step after the formal notice: injonction de payer, small claims, agency.

The request for an injonction de payer (art. 1405 s. CPC) is a plain-paper request with the
mentions of art. 57 CPC: the parties (form, name, head office, legal representative), the
amount broken into principal, interest (start date and rate) and the 40 € indemnity of
professionals, the basis of the claim and a numbered list of the supporting documents. It is
filed with the court of the debtor's domicile (art. 1406 CPC): the tribunal de commerce (or
tribunal des activités économiques) between traders, the tribunal judiciaire otherwise. A
public body cannot be sued this way. The small-claims procedure (L125-1 CPCE) is for claims
of at most 5 000 €, principal and interest, and goes through a commissaire de justice.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from relance.adapters import tables as t
from relance.domain.errors import NotFoundError, ValidationError
from relance.domain.money import ZERO
from relance.i18n import format_money, format_short_date

SMALL_CLAIMS_CAP = Decimal("5000.00")
TO_FILL = "à compléter : tribunal de …"
COMMERCE = ("commerce",
            "tribunal de commerce (ou tribunal des activités économiques là où il siège)")
JUDICIAIRE = ("judiciaire", "tribunal judiciaire")
# Legal forms whose claims are civil: civil companies, liberal professions, associations.
CIVIL_FORMS = {"SCI", "SCP", "SCM", "SCEA", "GAEC", "GFA", "SELARL", "SELAS", "SELAFA",
               "SELCA", "SEL", "ASSOCIATION", "FONDATION", "SYNDICAT"}
CIVIL_WORDS = ("association", "libéral", "liberal", "civile", "profession libérale")
AGENCY_STATUSES = ("payment_received", "returned_unpaid")


def competent_court(client: Any) -> tuple[str, str]:
    """(code, label) of the court for an injonction de payer against `client`.

    >>> from types import SimpleNamespace as C
    >>> competent_court(C(kind="b2b", legal_form="SAS"))[0]
    'commerce'
    >>> competent_court(C(kind="b2b", legal_form="SCI"))[0]
    'judiciaire'
    """
    if client.kind == "public":
        raise ValidationError(
            "Pas d'injonction de payer contre une personne publique : adressez d'abord une "
            "demande préalable de paiement (avec les intérêts moratoires et l'indemnité de "
            "40 €), puis, sans réponse dans les deux mois, saisissez le tribunal administratif "
            "(référé-provision) ; le Médiateur des entreprises, gratuit, peut aussi être saisi.")
    if client.kind == "b2c":
        return JUDICIAIRE
    form = (client.legal_form or "").strip()
    first = form.upper().replace(".", "").split(" ")[0] if form else ""
    if first in CIVIL_FORMS or any(word in form.lower() for word in CIVIL_WORDS):
        return JUDICIAIRE
    return COMMERCE


@dataclass(frozen=True)
class Claim:
    """One invoice of the claim: principal, interest (from, rates) and indemnity."""

    number: str
    issue_date: date
    due_date: date
    amount: Decimal
    principal: Decimal
    terms: str
    interest: Decimal
    interest_from: date | None
    rates: tuple[Decimal, ...]
    indemnity: Decimal
    note: str = ""

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.indemnity

    def rate_text(self) -> str:
        return " puis ".join(f"{_num(r)} %" for r in self.rates)


@dataclass(frozen=True)
class Case:
    """Everything the files are built from."""

    creditor: dict[str, Any]
    client: Any
    contacts: list[Any]
    claims: list[Claim]
    notices: list[date]
    documents: list[tuple[str, Path]]
    at: date

    @property
    def principal(self) -> Decimal:
        return sum((c.principal for c in self.claims), ZERO)

    @property
    def interest(self) -> Decimal:
        return sum((c.interest for c in self.claims), ZERO)

    @property
    def indemnity(self) -> Decimal:
        return sum((c.indemnity for c in self.claims), ZERO)

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.indemnity

    @property
    def professional(self) -> bool:
        return bool(self.client.kind != "b2c")


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f").replace(".", ",")


def load_case(conn: Connection, creditor_id: int, client_id: int, at: date) -> Case:
    """The client's overdue invoices with their penalties, notices and sent documents."""
    from relance.law import NotComputable
    from relance.services.compose import creditor_context
    from relance.services.ledger import invoice_rows
    from relance.services.penalties import penalties_of_invoice

    creditor, _ = creditor_context(conn, creditor_id)
    creditor_row = conn.execute(select(t.creditors).where(t.creditors.c.id == creditor_id)).one()
    client = conn.execute(select(t.clients).where(
        t.clients.c.id == client_id, t.clients.c.creditor_id == creditor_id)).one_or_none()
    if client is None:
        raise NotFoundError("Client introuvable.")
    contacts = list(conn.execute(select(t.contacts).where(t.contacts.c.client_id == client_id)
                                 .order_by(t.contacts.c.is_primary.desc(), t.contacts.c.id)))
    claims = []
    for row in invoice_rows(conn, creditor_id, at=at, overdue=True, client_id=client_id):
        interest, start, indemnity, note = ZERO, None, ZERO, ""
        rates: tuple[Decimal, ...] = ()
        _, result, waived = penalties_of_invoice(conn, creditor_row, row.number, at)
        if isinstance(result, NotComputable):
            note = "intérêts non calculables à ce jour"
        elif not waived:
            interest = result.interest
            start = result.start or (result.periods[0].start if result.periods else None)
            rates = tuple(dict.fromkeys(p.rate for p in result.periods))
            indemnity = result.indemnity if client.kind != "b2c" else ZERO
        claims.append(Claim(row.number, row.issue_date, row.due_date, row.amount,
                            row.open_amount, row.terms or creditor_row.default_terms,
                            interest, start, rates, indemnity, note))
    if not claims:
        raise ValidationError(f"Aucune facture échue et impayée pour le client {client.ref} "
                              f"au {at:%d/%m/%Y} : rien à réclamer.")
    notices = sorted({e.occurred_on for e in conn.execute(select(t.events).where(
        t.events.c.client_id == client_id, t.events.c.kind == "formal_notice",
        t.events.c.occurred_on <= at))})
    documents = []
    for event in conn.execute(select(t.events).where(
            t.events.c.client_id == client_id, t.events.c.kind == "message_sent",
            t.events.c.occurred_on <= at).order_by(t.events.c.occurred_on, t.events.c.id)):
        path = Path(str((event.data or {}).get("document") or ""))
        if event.data and event.data.get("document") and path.is_file():
            documents.append((f"Mise en demeure du {event.occurred_on:%d/%m/%Y}", path))
    return Case(creditor, client, contacts, claims, notices, documents, at)


# --- texts -------------------------------------------------------------------------------------


def _address(row: Any) -> str:
    return ", ".join(x for x in (row.address, f"{row.postal_code} {row.city}".strip()) if x)


def _creditor_text(c: dict[str, Any]) -> str:
    text = str(c["legal_name"])
    if c["legal_form"]:
        text += f", {c['legal_form']}"
    if c["share_capital"]:
        text += f" au capital de {format_money(c['share_capital'])}"
    if c["siren"]:
        text += f", immatriculée au RCS de {c['rcs_city'] or '…'} sous le numéro SIREN {c['siren']}"
    text += ", dont le siège social est situé " + (", ".join(c["address_lines"]) or "…")
    who = ", ".join(x for x in (c["signatory_name"], c["signatory_title"]) if x)
    return text + (f", représentée par {who}, son représentant légal" if who else
                   ", prise en la personne de son représentant légal") + "."


def _debtor_text(client: Any) -> str:
    address = _address(client) or "adresse à compléter"
    if client.kind == "b2c":
        return f"{client.name}, personne physique, demeurant {address}."
    text = str(client.name)
    if client.legal_form:
        text += f", {client.legal_form}"
    if client.siren:
        text += f", SIREN {client.siren}"
    text += f", dont le siège social est situé {address}"
    rep = client.legal_representative
    return text + (f", prise en la personne de son représentant légal, {rep}." if rep else
                   ", prise en la personne de son représentant légal en exercice.")


def _breakdown(case: Case) -> list[str]:
    lines = []
    for c in case.claims:
        lines.append(f"– Facture {c.number} du {format_short_date(c.issue_date)}, échue le "
                     f"{format_short_date(c.due_date)} : principal restant dû "
                     f"{format_money(c.principal)}")
        if c.interest_from is not None:
            kind = "pénalités de retard" if case.professional else "intérêts au taux légal"
            lines.append(f"– {kind.capitalize()} sur la facture {c.number}, à compter du "
                         f"{format_short_date(c.interest_from)} au taux annuel de "
                         f"{c.rate_text()}, arrêtés au {format_short_date(case.at)} : "
                         f"{format_money(c.interest)}")
        elif c.note:
            lines.append(f"– Intérêts sur la facture {c.number} : {c.note}")
        if c.indemnity:
            lines.append(f"– Indemnité forfaitaire pour frais de recouvrement, facture "
                         f"{c.number} (art. L441-10 et D441-5 C. com.) : "
                         f"{format_money(c.indemnity)}")
    lines.append(f"Total en principal : {format_money(case.principal)} ; intérêts : "
                 f"{format_money(case.interest)} ; indemnités : {format_money(case.indemnity)}"
                 f" ; TOTAL RÉCLAMÉ : {format_money(case.total)}")
    return lines


def _basis(case: Case) -> str:
    terms = sorted({c.terms for c in case.claims if c.terms})
    text = ("La créance est de nature contractuelle : elle résulte des factures "
            + ", ".join(c.number for c in case.claims)
            + " émises en exécution des commandes et prestations du débiteur, restées "
            "impayées à leur échéance" + (f" (conditions de paiement : {', '.join(terms)})"
                                          if terms else "") + ". ")
    if case.professional:
        text += ("Entre professionnels, les pénalités de retard et l'indemnité forfaitaire de "
                 "40 € par facture sont dues de plein droit, sans rappel, en application de "
                 "l'article L441-10 du Code de commerce.")
    else:
        text += ("Les intérêts au taux légal courent à compter de la mise en demeure "
                 "(article 1231-6 du Code civil) ; aucun frais de recouvrement n'est réclamé.")
    if case.notices:
        text += " Mise(s) en demeure restée(s) sans effet : " + ", ".join(
            format_short_date(d) for d in case.notices) + "."
    return text


def _exhibits(conn: Connection, case: Case) -> list[tuple[str, bytes | None]]:
    """(label, content or None when the user must add it) of each supporting document."""
    from relance.services.compose import statement_pdf

    items: list[tuple[str, bytes | None]] = [
        (f"Facture {c.number} du {format_short_date(c.issue_date)} (copie à joindre)", None)
        for c in case.claims]
    items.append(("Conditions générales de vente, devis ou bon de commande (à joindre)", None))
    items.extend((label, path.read_bytes()) for label, path in case.documents)
    items.append((f"Relevé de compte au {format_short_date(case.at)}",
                  statement_pdf(conn, case.client.id, case.at)))
    return items


def _file_name(number: int, label: str, suffix: str = ".pdf") -> str:
    import re
    import unicodedata

    ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_label.lower()).strip("-")[:50]
    return f"{number:02d}-{slug}{suffix}"


def _letter(case: Case, *, recipient: tuple[str, tuple[str, ...]], subject: str, title: str,
            paragraphs: list[str], place_total: bool = True) -> bytes:
    from relance.documents.pdf import InvoiceLine, Letter, Party, PenaltyLine, render_letter
    from relance.services.compose import creditor_party, creditor_place

    c = case.creditor
    penalties = []
    for claim in case.claims:
        if claim.interest:
            penalties.append(PenaltyLine(
                f"Intérêts, facture {claim.number}", claim.interest,
                f"à compter du {format_short_date(claim.interest_from)} au taux de "
                f"{claim.rate_text()}" if claim.interest_from else ""))
        if claim.indemnity:
            penalties.append(PenaltyLine(f"Indemnité forfaitaire, facture {claim.number}",
                                         claim.indemnity, "art. L441-10 C. com."))
    sender = creditor_party(c)
    letter = Letter(
        sender=sender,
        recipient=Party(recipient[0], recipient[1]),
        place=creditor_place(c),
        on=case.at, subject=subject, paragraphs=tuple(paragraphs),
        invoices=tuple(InvoiceLine(x.number, x.issue_date, x.due_date, x.amount, x.principal)
                       for x in case.claims),
        penalties=tuple(penalties), total_due=case.total if place_total else None,
        signature=(*(x for x in (c["signatory_name"], c["signatory_title"], c["legal_name"])
                     if x), "Signature :"),
        title=title, footer=sender.legal)
    pdf: bytes = render_letter(letter)
    return pdf


def _numbered(items: list[tuple[str, bytes | None]]) -> list[str]:
    return [f"Pièce n° {n} : {label}" for n, (label, _) in enumerate(items, start=1)]


def _zip(request_name: str, request: bytes, items: list[tuple[str, bytes | None]],
         heading: str) -> bytes:
    bordereau = [heading, "", *_numbered(items)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(request_name, request)
        for number, (label, content) in enumerate(items, start=1):
            if content is not None:
                archive.writestr(_file_name(number, label), content)
        archive.writestr("bordereau.txt", "\n".join(bordereau) + "\n")
    return buffer.getvalue()


# --- injonction de payer -------------------------------------------------------------------


def injonction_file(conn: Connection, creditor_id: int, client_id: int, at: date,
                    court_name: str | None = None) -> tuple[bytes, bytes]:
    """(request PDF, ZIP of the request, the supporting documents and their bordereau)."""
    case = load_case(conn, creditor_id, client_id, at)
    code, label = competent_court(case.client)
    court = court_name or TO_FILL
    items = _exhibits(conn, case)
    president = ("Monsieur ou Madame le Président du tribunal de commerce (ou du tribunal des "
                 "activités économiques)" if code == "commerce"
                 else "Monsieur ou Madame le Juge du tribunal judiciaire")
    paragraphs = [
        f"À {president} – {court}, juridiction du domicile du débiteur "
        "(article 1406 du Code de procédure civile).",
        "Requête présentée en application des articles 1405 et suivants (R. 1405 s.) du Code "
        "de procédure civile, contenant les mentions prescrites par l'article 57 du même code.",
        "LE DEMANDEUR (créancier) : " + _creditor_text(case.creditor),
        "LE DÉFENDEUR (débiteur) : " + _debtor_text(case.client),
        f"OBJET : le demandeur a l'honneur de solliciter qu'il soit enjoint au débiteur de lui "
        f"payer la somme de {format_money(case.total)}, outre les intérêts postérieurs "
        "jusqu'à parfait paiement et les dépens, selon le décompte suivant :",
        "\n".join(_breakdown(case)),
        "FONDEMENT DE LA CRÉANCE : " + _basis(case),
        "PIÈCES PRODUITES (bordereau) :\n" + "\n".join(_numbered(items)),
        f"Fait à {_place(case)}, le {format_short_date(at)}.",
    ]
    request = _letter(case, recipient=(f"Greffe du {label}", (court,
                                       "Service des injonctions de payer")),
                      subject="Requête en injonction de payer (art. 1405 s. et 57 CPC)",
                      title="REQUÊTE EN INJONCTION DE PAYER", paragraphs=paragraphs)
    archive = _zip("00-requete-injonction-de-payer.pdf", request, items,
                   f"Bordereau des pièces – requête en injonction de payer contre "
                   f"{case.client.name} ({format_short_date(at)})")
    return request, archive


def _place(case: Case) -> str:
    lines = case.creditor["address_lines"]
    return lines[-1].split(" ", 1)[-1] if lines else "…"


# --- small claims --------------------------------------------------------------------------


def small_claims_file(conn: Connection, creditor_id: int, client_id: int, at: date,
                      officer: str | None = None) -> tuple[bytes, bytes]:
    """(request PDF to a commissaire de justice, ZIP) for claims of at most 5 000 €."""
    case = load_case(conn, creditor_id, client_id, at)
    if case.client.kind == "public":
        competent_court(case.client)  # raises with the administrative route
    claimed = case.principal + case.interest
    if claimed > SMALL_CLAIMS_CAP:
        raise ValidationError(
            f"Procédure des petites créances impossible : {format_money(claimed)} en principal "
            f"et intérêts dépasse le plafond de {format_money(SMALL_CLAIMS_CAP)} (article "
            "R125-1 du Code des procédures civiles d'exécution) ; demandez une injonction "
            "de payer.")
    items = _exhibits(conn, case)
    who = officer or "Maître … (à compléter), commissaire de justice"
    paragraphs = [
        f"À {who}, dans le ressort de la cour d'appel du domicile du débiteur.",
        "Demande de mise en œuvre de la procédure simplifiée de recouvrement des petites "
        "créances (article L125-1 et articles R125-1 et suivants du Code des procédures "
        "civiles d'exécution), pour une créance de cause contractuelle n'excédant pas "
        f"{format_money(SMALL_CLAIMS_CAP)} en principal et intérêts.",
        "LE CRÉANCIER : " + _creditor_text(case.creditor),
        "LE DÉBITEUR : " + _debtor_text(case.client),
        f"MONTANT : {format_money(case.total)}, selon le décompte suivant :",
        "\n".join(_breakdown(case)),
        "FONDEMENT DE LA CRÉANCE : " + _basis(case),
        "Je vous remercie d'inviter le débiteur, par lettre recommandée avec accusé de "
        "réception ou par voie électronique, à participer à cette procédure dans le délai "
        "d'un mois, et, en cas d'accord sur le montant et les modalités de paiement, de "
        "délivrer un titre exécutoire. Les frais de la procédure restent à ma charge.",
        "PIÈCES JOINTES :\n" + "\n".join(_numbered(items)),
        f"Fait à {_place(case)}, le {format_short_date(at)}.",
    ]
    request = _letter(case, recipient=(who, ("Commissaire de justice",)),
                      subject="Procédure simplifiée de recouvrement des petites créances",
                      title="DEMANDE DE RECOUVREMENT D'UNE PETITE CRÉANCE",
                      paragraphs=paragraphs)
    archive = _zip("00-demande-petites-creances.pdf", request, items,
                   f"Bordereau des pièces – petite créance contre {case.client.name} "
                   f"({format_short_date(at)})")
    return request, archive


# --- collection agency ---------------------------------------------------------------------


def _amount(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):f}".replace(".", ",")


def agency_handoff(conn: Connection, creditor_id: int, client_id: int, at: date, agency: str,
                   deadline: date) -> dict[str, Any]:
    """The mandate given to a collection agency: {"pdf", "csv", "json"}; records the event."""
    agency = agency.strip()
    if not agency:
        raise ValidationError("Indiquez le nom du cabinet de recouvrement (--agency).")
    if deadline <= at:
        raise ValidationError(f"L'échéance donnée au cabinet ({deadline:%d/%m/%Y}) doit suivre "
                              f"la date de transmission ({at:%d/%m/%Y}).")
    case = load_case(conn, creditor_id, client_id, at)
    client = case.client
    history = [{"date": e.occurred_on.isoformat(), "kind": e.kind, "summary": e.summary}
               for e in conn.execute(select(t.events).where(
                   t.events.c.client_id == client_id, t.events.c.occurred_on <= at)
                   .order_by(t.events.c.occurred_on, t.events.c.id))]
    contacts = [{"name": c.name, "role": c.role, "email": c.email, "phone": c.phone,
                 "address": ", ".join(x for x in (c.address, f"{c.postal_code} {c.city}"
                                                  .strip()) if x)} for c in case.contacts]
    invoices = [{"number": c.number, "issue_date": c.issue_date.isoformat(),
                 "due_date": c.due_date.isoformat(), "amount": _amount(c.amount),
                 "open_amount": _amount(c.principal), "interest": _amount(c.interest),
                 "interest_from": c.interest_from.isoformat() if c.interest_from else None,
                 "rates": [_num(r) for r in c.rates], "indemnity": _amount(c.indemnity),
                 "total": _amount(c.total)} for c in case.claims]
    data = {
        "agency": agency, "handed_over_on": at.isoformat(), "deadline": deadline.isoformat(),
        "creditor": {"legal_name": case.creditor["legal_name"],
                     "siren": case.creditor["siren"], "email": case.creditor["email"]},
        "client": {"ref": client.ref, "name": client.name, "kind": client.kind,
                   "legal_form": client.legal_form,
                   "legal_representative": client.legal_representative,
                   "siren": client.siren, "email": client.email, "phone": client.phone,
                   "address": _address(client)},
        "contacts": contacts, "invoices": invoices, "history": history,
        "totals": {"principal": _amount(case.principal), "interest": _amount(case.interest),
                   "indemnity": _amount(case.indemnity), "total": _amount(case.total)},
    }
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(["facture", "date", "echeance", "montant_ttc", "reste_du", "interets",
                     "interets_depuis", "indemnite", "total"])
    for c in case.claims:
        writer.writerow([c.number, c.issue_date.isoformat(), c.due_date.isoformat(),
                         _amount(c.amount), _amount(c.principal), _amount(c.interest),
                         c.interest_from.isoformat() if c.interest_from else "",
                         _amount(c.indemnity), _amount(c.total)])
    costs = ("Aucun frais de recouvrement ne peut être mis à la charge du débiteur particulier "
             "(article L111-8 du Code des procédures civiles d'exécution)."
             if client.kind == "b2c" else
             "Seule l'indemnité forfaitaire de 40 € par facture peut être réclamée au débiteur "
             "au titre des frais ; la rémunération du cabinet reste à la charge du mandant.")
    paragraphs = [
        f"Nous vous confions, à compter du {format_short_date(at)}, le recouvrement amiable de "
        f"notre créance sur {client.name} ({_address(client) or 'adresse à compléter'}).",
        "Débiteur : " + _debtor_text(client),
        "Décompte :\n" + "\n".join(_breakdown(case)),
        "Contacts connus :\n" + ("\n".join(
            f"– {c['name']} {c['role']} {c['email']} {c['phone']}".strip() for c in contacts)
            or "– aucun contact enregistré"),
        "Historique des relances :\n" + ("\n".join(
            f"– {h['date']} : {h['summary'] or h['kind']}" for h in history)
            or "– aucun événement enregistré"),
        f"Le mandat prend fin le {format_short_date(deadline)} : sans paiement à cette date, "
        "merci de nous retourner le dossier avec le compte rendu de vos démarches. Vos "
        "courriers au débiteur devront comporter les mentions de l'article R124-4 du Code "
        "des procédures civiles d'exécution. " + costs,
    ]
    pdf = _letter(case, recipient=(agency, ()), subject=f"Mandat de recouvrement – {client.name}",
                  title="MANDAT DE RECOUVREMENT AMIABLE", paragraphs=paragraphs)
    conn.execute(t.events.insert().values(
        creditor_id=creditor_id, client_id=client_id, kind="agency_handoff", occurred_on=at,
        summary=f"Dossier confié au cabinet {agency} jusqu'au {deadline:%d/%m/%Y}",
        data={"agency": agency, "deadline": deadline.isoformat(),
              "total": _amount(case.total)}))
    return {"pdf": pdf, "csv": out.getvalue(), "json": data}


def agency_update(conn: Connection, creditor_id: int, client_id: int, status: str, on: date,
                  note: str = "") -> str:
    """Record what the agency reports: event kind `agency_payment_received` or
    `agency_returned_unpaid`. Returns the event's summary."""
    if status not in AGENCY_STATUSES:
        raise ValidationError(f"Statut « {status} » inconnu : attendu payment_received ou "
                              "returned_unpaid.")
    handoff = conn.execute(select(t.events).where(
        t.events.c.creditor_id == creditor_id, t.events.c.client_id == client_id,
        t.events.c.kind == "agency_handoff").order_by(t.events.c.occurred_on.desc(),
                                                      t.events.c.id.desc())).first()
    if handoff is None:
        raise ValidationError("Ce dossier n'a pas été confié à un cabinet de recouvrement "
                              "(voir « relance files agence »).")
    agency = handoff.data.get("agency", "")
    summary = (f"Cabinet {agency} : paiement reçu" if status == "payment_received" else
               f"Cabinet {agency} : dossier retourné impayé") + (f" ({note})" if note else "")
    conn.execute(t.events.insert().values(
        creditor_id=creditor_id, client_id=client_id, kind=f"agency_{status}", occurred_on=on,
        summary=summary, data={"agency": agency, "status": status, "note": note}))
    return summary


def json_text(data: dict[str, Any]) -> str:
    """The handoff's JSON, indented, accents kept."""
    return json.dumps(data, ensure_ascii=False, indent=2)
