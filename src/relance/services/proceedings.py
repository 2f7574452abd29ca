"""Collective proceedings and consumer over-indebtedness: record them, stop what the law
forbids, and prepare the claim declaration to the mandataire judiciaire."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from relance.adapters import tables as t
from relance.domain.errors import ValidationError
from relance.i18n import format_date
from relance.law.proceedings import LABELS as KIND_LABELS
from relance.law.proceedings import claim_deadline
from relance.services.pauses import _event
from relance.services.risk import record_sign

KINDS = tuple(KIND_LABELS)


def open_proceeding(conn: Connection, creditor_id: int, client: Any, *, kind: str,
                    judgment_date: date, published_on: date | None, court: str = "",
                    administrator: str = "", source: str = "manual", source_ref: str = "",
                    by: str = "") -> tuple[int, bool]:
    """Record a proceeding (idempotent on client, kind and judgment date): (id, created)."""
    if kind not in KIND_LABELS:
        raise ValidationError(f"Procédure « {kind} » inconnue ; attendu : "
                              + ", ".join(KIND_LABELS) + ".")
    if kind != "surendettement" and client.kind == "b2c" and not client.siren:
        raise ValidationError("Une procédure collective concerne une entreprise ; pour un "
                              "particulier, utilisez « surendettement ».")
    if published_on is not None and published_on < judgment_date:
        raise ValidationError("La publication au BODACC ne peut précéder le jugement.")
    p = t.proceedings
    found = conn.execute(select(p.c.id).where(
        p.c.client_id == client.id, p.c.kind == kind,
        p.c.judgment_date == judgment_date)).first()
    if found is not None:
        return int(found.id), False
    new_id = int(conn.execute(p.insert().values(
        creditor_id=creditor_id, client_id=client.id, kind=kind, judgment_date=judgment_date,
        published_on=published_on, court=court, administrator=administrator, source=source,
        source_ref=source_ref).returning(p.c.id)).scalar_one())
    label = KIND_LABELS[kind]
    if kind == "surendettement":
        summary = (f"{label.capitalize()} le {format_date(judgment_date)} : relances "
                   "suspendues (C. consom. L722-2 et L722-5)")
    else:
        summary = (f"{label.capitalize()} ouverte par jugement du {format_date(judgment_date)}"
                   + (f" ({court})" if court else "")
                   + " : plus de relance des factures antérieures (C. com. L622-21), "
                     "pénalités arrêtées au jugement (L622-28)")
        if published_on is not None:
            summary += (f" ; créance à déclarer au mandataire judiciaire avant le "
                        f"{format_date(claim_deadline(published_on))} (L622-24, R622-24)")
        else:
            summary += " ; déclaration de créance dans les 2 mois de la publication au BODACC"
    _event(conn, creditor_id, client.id, None, "proceeding_opened", judgment_date, summary,
           {"kind": kind, "source": source, "proceeding_id": new_id})
    sign = "over_indebtedness" if kind == "surendettement" else "collective_proceedings"
    record_sign(conn, creditor_id, client, sign, judgment_date, summary, by or "Relance",
                source=source, ref=f"proceeding:{new_id}")
    return new_id, True


def close_proceeding(conn: Connection, creditor_id: int, proceeding_id: int, on: date,
                     outcome: str) -> Any:
    p = t.proceedings
    row = conn.execute(select(p).where(p.c.id == proceeding_id,
                                       p.c.creditor_id == creditor_id)).first()
    if row is None:
        raise ValidationError(f"Procédure n° {proceeding_id} inconnue pour cette société.")
    if row.closed_on is not None:
        raise ValidationError(f"La procédure n° {proceeding_id} est déjà close.")
    if on < row.judgment_date:
        raise ValidationError("La clôture ne peut précéder le jugement d'ouverture.")
    conn.execute(p.update().where(p.c.id == proceeding_id).values(closed_on=on))
    _event(conn, creditor_id, row.client_id, None, "proceeding_closed", on,
           f"Fin de la {KIND_LABELS[row.kind]} : {outcome}", {"proceeding_id": proceeding_id})
    w = t.warning_signs
    conn.execute(w.update().where(w.c.client_id == row.client_id,
                                  w.c.source_ref == f"proceeding:{proceeding_id}",
                                  w.c.withdrawn_on.is_(None))
                 .values(withdrawn_on=on, withdrawn_reason=f"procédure close : {outcome}"))
    return row


def mark_declared(conn: Connection, creditor_id: int, proceeding_id: int, on: date) -> None:
    p = t.proceedings
    row = conn.execute(select(p).where(p.c.id == proceeding_id,
                                       p.c.creditor_id == creditor_id)).first()
    if row is None:
        raise ValidationError(f"Procédure n° {proceeding_id} inconnue pour cette société.")
    conn.execute(p.update().where(p.c.id == proceeding_id).values(claim_declared_on=on))
    _event(conn, creditor_id, row.client_id, None, "claim_declared", on,
           "Créance déclarée au mandataire judiciaire", {"proceeding_id": proceeding_id})


def proceeding_rows(conn: Connection, creditor_id: int, client_id: int | None = None,
                    ) -> list[Any]:
    p, c = t.proceedings, t.clients
    query = (select(p, c.c.ref, c.c.name).join(c, c.c.id == p.c.client_id)
             .where(p.c.creditor_id == creditor_id).order_by(p.c.judgment_date, p.c.id))
    if client_id is not None:
        query = query.where(p.c.client_id == client_id)
    return list(conn.execute(query))


def deadline_of(row: Any) -> date | None:
    if row.kind == "surendettement" or row.published_on is None:
        return None
    deadline: date = claim_deadline(row.published_on)
    return deadline


def claim_declaration(conn: Connection, creditor: Any, proceeding_id: int, on: date,
                      *, security: str = "", agent: str = "") -> tuple[Any, Any]:
    """The claim declaration of a proceeding: (ClaimDeclaration, row). Open amounts as they
    stood at the judgment, penalties and 40 € indemnities stopped at the judgment."""
    from relance.adapters.repository import invoices_with_open_amount
    from relance.documents.claim import ClaimDeclaration
    from relance.documents.pdf import Party
    from relance.law import PenaltyTotals
    from relance.law.errors import LawError
    from relance.law.proceedings import PriorInvoice, accrual_until, declaration_lines
    from relance.services.compose import (
        client_address,
        creditor_context,
        creditor_party,
        creditor_place,
    )
    from relance.services.penalties import penalties_for_rows

    p, inv = t.proceedings, t.invoices
    row = conn.execute(select(p).where(p.c.id == proceeding_id,
                                       p.c.creditor_id == creditor.id)).first()
    if row is None:
        raise ValidationError(f"Procédure n° {proceeding_id} inconnue pour cette société.")
    if row.kind == "surendettement":
        raise ValidationError("Pas de déclaration au mandataire pour un surendettement : la "
                              "créance se fait valoir auprès de la commission de surendettement.")
    if row.published_on is None:
        raise ValidationError("Date de publication au BODACC inconnue : enregistrez-la "
                              "(--published) pour calculer le délai de déclaration.")
    if not row.administrator.strip():
        raise ValidationError("Mandataire judiciaire inconnu : précisez-le avec "
                              "« relance proceedings open … --administrator ».")
    client = conn.execute(select(t.clients).where(t.clients.c.id == row.client_id)).one()
    eve = accrual_until(row.kind, row.judgment_date) or row.judgment_date
    rows = [r for r in conn.execute(invoices_with_open_amount(creditor.id, eve).where(
        inv.c.client_id == client.id, inv.c.issue_date < row.judgment_date)).all()]
    penalties = penalties_for_rows(conn, creditor, rows, row.judgment_date)
    prior = []
    for r in rows:
        result = penalties.get(r.id)
        interest = indemnity = Decimal("0.00")
        if isinstance(result, PenaltyTotals):
            interest, indemnity = result.interest, result.indemnity
        if r.open_amount <= 0 and not interest and not indemnity:
            continue
        prior.append(PriorInvoice(r.number, r.issue_date, r.due_date,
                                  max(r.open_amount, Decimal("0.00")),
                                  penalties=interest, indemnity=indemnity))
    try:
        declaration = declaration_lines(row.kind, row.judgment_date, prior)
    except LawError as exc:
        raise ValidationError(str(exc)) from exc
    ctx, _ = creditor_context(conn, creditor.id)
    admin_lines = [x.strip() for x in row.administrator.replace(";", ",").split(",")]
    notice = conn.execute(select(t.events.c.occurred_on).where(
        t.events.c.client_id == client.id, t.events.c.kind == "formal_notice",
        t.events.c.occurred_on < row.judgment_date).order_by(t.events.c.occurred_on)).first()
    data = ClaimDeclaration(
        creditor=creditor_party(ctx),
        client_name=client.name, client_siren=client.siren,
        client_address=client_address(client),
        kind=row.kind, judgment_date=row.judgment_date, published_on=row.published_on,
        court=row.court, administrator=Party(admin_lines[0], tuple(admin_lines[1:])),
        deadline=claim_deadline(row.published_on), declaration=declaration,
        place=creditor_place(ctx),
        on=on, signatory=creditor.signatory_name or creditor.legal_name,
        signatory_title=creditor.signatory_title, security=security, agent=agent,
        formal_notice_on=notice.occurred_on if notice else None)
    return data, row
