"""Reliability commands: `score`, `check`, `signs`, `limits`, `bad-payers`, `proceedings`,
`registry`, `log-email`. Registered on `relance` by entrypoints/cli.py."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from relance import bootstrap
from relance.adapters.repository import client_by_ref, resolve_creditor
from relance.domain.errors import ValidationError
from relance.entrypoints.cli import (
    AMOUNT,
    DATE,
    cli,
    creditor_option,
    db_option,
    emit_json,
    json_option,
    table,
    today,
)
from relance.i18n import format_date, format_money, format_short_date
from relance.risk.score import GRADE_LABELS, GRADES
from relance.risk.signs import SIGN_KINDS


def print_score(assessment: Any, *, indent: str = "") -> None:
    """The score, its explanation line by line, the policy and the alerts (French)."""
    s, b = assessment.score, assessment.behaviour
    click.echo(f"{indent}Note de fiabilité : {s.grade} ({GRADE_LABELS[s.grade]}), score "
               f"{s.score}/100")
    for f in s.factors:
        click.echo(f"{indent}  {f.text}")
    if not s.factors:
        click.echo(f"{indent}  Aucun point négatif : réglé à l'heure, sans incident.")
    click.echo(f"{indent}Conseil : {s.policy.text}.")
    for alert in s.alerts:
        click.echo(f"{indent}ALERTE : {alert}")
    trend = {"amélioration": "en amélioration", "dégradation": "en dégradation",
             "stable": "stable"}.get(b.trend, "pas assez de factures pour le dire")
    def days(value: Decimal) -> str:
        return f"{value}".replace(".", ",").removesuffix(",0")

    click.echo(f"{indent}Comportement : {b.paid} facture(s) réglée(s), {b.paid_late} en retard "
               f"({int(b.late_share * 100)} %), retard moyen {days(b.avg_days_late)} j "
               f"(pondéré {days(b.weighted_days_late)} j), plus long {b.longest_delay} j"
               + (f", DSO client {days(b.dso)} j" if b.dso is not None else "")
               + f", tendance {trend}.")


@cli.command("score")
@db_option
@creditor_option
@click.argument("ref", required=False)
@click.option("--at", type=DATE, default=None, help="Score à cette date (défaut : aujourd'hui).")
@click.option("--all", "all_clients", is_flag=True,
              help="Recalcule et enregistre le score de tous les clients.")
@json_option
def score_cmd(db_url: str | None, creditor_ref: str | None, ref: str | None, at: date | None,
              all_clients: bool, as_json: bool) -> None:
    """Score de fiabilité d'un client (0–100, note A–E) avec son explication."""
    from relance.services.risk import assess_one, assessment_json, refresh_scores

    at = at or today()
    if not ref and not all_clients:
        raise ValidationError("Précisez un client, ou --all pour tous les clients.")
    engine = bootstrap.database(db_url)
    if all_clients:
        with engine.begin() as conn:
            creditor = resolve_creditor(conn, creditor_ref)
            found = refresh_scores(conn, creditor.id, at)
        grades = Counter(a.score.grade for a in found.values())
        if as_json:
            emit_json({"at": at, "clients": len(found),
                       "grades": {g: grades.get(g, 0) for g in GRADES}})
            return
        click.echo(f"Scores au {format_date(at)} : {len(found)} client(s) — "
                   + ", ".join(f"{g} : {grades.get(g, 0)}" for g in GRADES) + ".")
        return
    assert ref is not None
    with engine.connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        client = client_by_ref(conn, creditor.id, ref)
        a = assess_one(conn, creditor.id, client.id, at)
    if as_json:
        emit_json({"client": client.ref, "name": client.name, "at": at, **assessment_json(a)})
        return
    click.echo(f"{client.name} ({client.ref}) au {format_date(at)}")
    print_score(a)


# --- before signing ---------------------------------------------------------------------------


@cli.command("check")
@db_option
@creditor_option
@click.argument("siren")
@click.option("--at", type=DATE, default=None, help="Date de la vérification.")
@click.option("--offline", is_flag=True, help="Sans interroger les registres (cache seul).")
@json_option
def check_cmd(db_url: str | None, creditor_ref: str | None, siren: str, at: date | None,
              offline: bool, as_json: bool) -> None:
    """Avant de signer : registre, BODACC, votre historique avec cette entreprise, conditions
    conseillées."""
    from relance.services.registry import check_company

    at = at or today()
    engine = bootstrap.database(db_url)
    with engine.connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
    result = check_company(engine, creditor, siren, at, offline=offline)
    if as_json:
        emit_json(result.as_json())
        return
    for line in result.lines():
        click.echo(line)


@cli.command("registry")
@db_option
@creditor_option
@click.argument("ref", required=False)
@click.option("--at", type=DATE, default=None, help="Date de la vérification.")
def registry_cmd(db_url: str | None, creditor_ref: str | None, ref: str | None,
                 at: date | None) -> None:
    """Interroge le registre des entreprises et le BODACC pour un client (ou tous ceux qui ont
    un SIREN) et enregistre les signaux : fermeture, procédure collective, jeune entreprise."""
    from relance.services.registry import refresh_clients

    at = at or today()
    engine = bootstrap.database(db_url)
    with engine.connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        client_id = client_by_ref(conn, creditor.id, ref).id if ref else None
    summary = refresh_clients(engine, creditor, at, client_id=client_id)
    for line in summary:
        click.echo(line)


# --- warning signs ----------------------------------------------------------------------------


@cli.group("signs")
def signs() -> None:
    """Signaux d'alerte d'un client (datés, avec leur source)."""


@signs.command("list")
@db_option
@creditor_option
@click.argument("ref")
@json_option
def signs_list(db_url: str | None, creditor_ref: str | None, ref: str, as_json: bool) -> None:
    """Les signaux d'alerte d'un client, retirés compris."""
    from relance.services.risk import sign_rows

    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        client = client_by_ref(conn, creditor.id, ref)
        rows = sign_rows(conn, creditor.id, client.id)
    data = [{"id": r.id, "kind": r.kind, "label": SIGN_KINDS[r.kind].label,
             "observed_on": r.observed_on, "source": r.source, "detail": r.detail,
             "recorded_by": r.recorded_by, "withdrawn_on": r.withdrawn_on,
             "withdrawn_reason": r.withdrawn_reason} for r in rows]
    if as_json:
        emit_json(data)
        return
    if not data:
        click.echo(f"Aucun signal d'alerte pour « {ref} ».")
        return
    table(["N°", "Date", "Signal", "Source", "Détail", "Retiré"],
          [(d["id"], format_short_date(d["observed_on"]), d["label"], d["source"],
            d["detail"][:60], format_short_date(d["withdrawn_on"]) if d["withdrawn_on"] else "")
           for d in data])


@signs.command("add")
@db_option
@creditor_option
@click.argument("ref")
@click.argument("kind", type=click.Choice(sorted(SIGN_KINDS)))
@click.option("--date", "on", type=DATE, default=None, help="Date du constat.")
@click.option("--detail", default="", help="Ce qui a été constaté.")
@click.option("--by", "by", required=True, help="Qui l'a constaté.")
def signs_add(db_url: str | None, creditor_ref: str | None, ref: str, kind: str,
              on: date | None, detail: str, by: str) -> None:
    """Consigne un signal d'alerte constaté (acompte refusé, contrat non signé, …)."""
    from relance.services.risk import record_sign

    on = on or today()
    with bootstrap.database(db_url).begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        client = client_by_ref(conn, creditor.id, ref)
        sign_id = record_sign(conn, creditor.id, client, kind, on, detail, by)
    click.echo(f"Signal n° {sign_id} consigné pour « {ref} » : {SIGN_KINDS[kind].label}.")


@signs.command("withdraw")
@db_option
@creditor_option
@click.argument("sign_id", type=int)
@click.option("--reason", required=True, help="Pourquoi le signal est retiré.")
@click.option("--date", "on", type=DATE, default=None)
def signs_withdraw(db_url: str | None, creditor_ref: str | None, sign_id: int, reason: str,
                   on: date | None) -> None:
    """Retire un signal (gardé dans l'historique)."""
    from relance.services.risk import withdraw_sign

    with bootstrap.database(db_url).begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        withdraw_sign(conn, creditor.id, sign_id, on or today(), reason)
    click.echo(f"Signal n° {sign_id} retiré.")


@cli.command("log-email")
@db_option
@creditor_option
@click.argument("ref")
@click.option("--text", default=None, help="Texte du courriel reçu ou envoyé.")
@click.option("--file", "file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Fichier texte (.txt ou .eml) du courriel.")
@click.option("--date", "on", type=DATE, default=None)
@click.option("--subject", default="", help="Objet du courriel.")
def log_email(db_url: str | None, creditor_ref: str | None, ref: str, text: str | None,
              file: Path | None, on: date | None, subject: str) -> None:
    """Consigne un courriel échangé avec le client dans son historique."""
    from relance.services.pauses import _event
    from relance.services.risk import detect_signs

    if (text is None) == (file is None):
        raise ValidationError("Donnez le courriel avec --text ou avec --file (l'un des deux).")
    if file is not None:
        try:
            text = file.read_text("utf-8", errors="replace")
        except OSError as exc:
            raise ValidationError(f"{file} : lecture impossible ({exc.strerror}).") from exc
    assert text is not None
    on = on or today()
    with bootstrap.database(db_url).begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        client = client_by_ref(conn, creditor.id, ref)
        _event(conn, creditor.id, client.id, None, "email_logged", on,
               "Courriel consigné" + (f" : {subject}" if subject else ""),
               {"subject": subject, "text": text[:20000]})
        found = detect_signs(conn, creditor.id, on)
    click.echo("Courriel consigné dans l'historique."
               + (" Signal d'alerte détecté : difficultés financières." if found else ""))


# --- limits -------------------------------------------------------------------------------------


@cli.command("limits")
@db_option
@creditor_option
@click.argument("ref")
@click.option("--credit-limit", type=AMOUNT, default=None, help="Encours maximal accordé.")
@click.option("--insured", type=AMOUNT, default=None,
              help="Montant garanti par l'assurance-crédit.")
@click.option("--insurer", default=None, help="Assureur-crédit.")
@click.option("--declare-days", type=click.IntRange(1, 365), default=None,
              help="Délai de déclaration de menace de sinistre (jours après l'échéance "
                   "impayée).")
@click.option("--clear", is_flag=True, help="Efface les limites du client.")
def limits_cmd(db_url: str | None, creditor_ref: str | None, ref: str,
               credit_limit: Decimal | None, insured: Decimal | None, insurer: str | None,
               declare_days: int | None, clear: bool) -> None:
    """Limite de crédit et assurance-crédit d'un client."""
    from relance.services.risk import set_limits

    changes: dict[str, Any] = {}
    if clear:
        changes = {"credit_limit": None, "insured_limit": None, "insurer": "",
                   "declare_within_days": None}
    for key, value in (("credit_limit", credit_limit), ("insured_limit", insured),
                       ("insurer", insurer), ("declare_within_days", declare_days)):
        if value is not None:
            changes[key] = value
    if not changes:
        raise ValidationError("Rien à changer : --credit-limit, --insured, --insurer, "
                              "--declare-days ou --clear.")
    with bootstrap.database(db_url).begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        client = client_by_ref(conn, creditor.id, ref)
        limits = set_limits(conn, creditor.id, client, today(), changes)
    click.echo(f"Limites de « {ref} » : crédit "
               + (format_money(limits.credit_limit) if limits.credit_limit is not None
                  else "aucune")
               + ", assuré " + (format_money(limits.insured_limit)
                                if limits.insured_limit is not None else "aucun")
               + (f" ({limits.insurer})" if limits.insurer else "")
               + (f", déclaration sous {limits.declare_within_days} jours"
                  if limits.declare_within_days else "") + ".")


# --- bad payers ---------------------------------------------------------------------------------


@cli.group("bad-payers")
def bad_payers_group() -> None:
    """Clients signalés mauvais payeurs : impayés avérés, contrôle humain, usage interne."""


@bad_payers_group.command("list")
@db_option
@creditor_option
@json_option
def bad_payers_list(db_url: str | None, creditor_ref: str | None, as_json: bool) -> None:
    """Les clients signalés, par montant impayé avéré."""
    from relance.services.risk import bad_payers

    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        rows = bad_payers(conn, creditor.id)
    data = [{"client": r.ref, "name": r.name, "marked_on": r.marked_on,
             "marked_by": r.marked_by, "reason": r.reason, "proven_amount": r.proven_amount,
             "invoices": r.invoices} for r in rows]
    if as_json:
        emit_json(data)
        return
    if not data:
        click.echo("Aucun client signalé mauvais payeur.")
        return
    table(["Client", "Signalé le", "Par", "Impayés avérés", "Motif"],
          [(d["client"], format_short_date(d["marked_on"]), d["marked_by"],
            format_money(d["proven_amount"]), d["reason"][:50]) for d in data])


@bad_payers_group.command("mark")
@db_option
@creditor_option
@click.argument("ref")
@click.option("--by", "by", required=True, help="Qui a vérifié le dossier.")
@click.option("--reason", required=True, help="Le motif, tel que vérifié.")
@click.option("--date", "on", type=DATE, default=None)
def bad_payers_mark(db_url: str | None, creditor_ref: str | None, ref: str, by: str,
                    reason: str, on: date | None) -> None:
    """Signale un client mauvais payeur (impayés avérés seulement, après vérification)."""
    from relance.services.risk import mark_bad_payer

    with bootstrap.database(db_url).begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        client = client_by_ref(conn, creditor.id, ref)
        total = mark_bad_payer(conn, creditor.id, client, on or today(), by, reason)
    click.echo(f"« {ref} » signalé mauvais payeur ({format_money(total)} impayés avérés). "
               "Usage interne uniquement ; le signalement est levé dès le paiement.")


@bad_payers_group.command("unmark")
@db_option
@creditor_option
@click.argument("ref")
@click.option("--reason", required=True)
@click.option("--date", "on", type=DATE, default=None)
def bad_payers_unmark(db_url: str | None, creditor_ref: str | None, ref: str, reason: str,
                      on: date | None) -> None:
    """Retire le signalement d'un client."""
    from relance.services.risk import unmark_bad_payer

    with bootstrap.database(db_url).begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        client = client_by_ref(conn, creditor.id, ref)
        if not unmark_bad_payer(conn, creditor.id, client, on or today(), reason):
            raise ValidationError(f"« {ref} » n'est pas signalé mauvais payeur.")
    click.echo(f"Signalement de « {ref} » retiré.")


# --- collective proceedings ---------------------------------------------------------------------


@cli.group("proceedings")
def proceedings_group() -> None:
    """Procédures collectives et surendettement : relances arrêtées, créance à déclarer."""


def _proceeding_json(r: Any) -> dict[str, Any]:
    from relance.law.proceedings import LABELS as KIND_LABELS
    from relance.services.proceedings import deadline_of

    return {"id": r.id, "client": r.ref, "name": r.name, "kind": r.kind,
            "label": KIND_LABELS[r.kind], "judgment_date": r.judgment_date,
            "published_on": r.published_on, "court": r.court,
            "administrator": r.administrator, "source": r.source,
            "claim_deadline": deadline_of(r), "claim_declared_on": r.claim_declared_on,
            "closed_on": r.closed_on}


@proceedings_group.command("list")
@db_option
@creditor_option
@click.argument("ref", required=False)
@json_option
def proceedings_list(db_url: str | None, creditor_ref: str | None, ref: str | None,
                     as_json: bool) -> None:
    """Les procédures enregistrées, avec la date limite de déclaration de créance."""
    from relance.services.proceedings import proceeding_rows

    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        client_id = client_by_ref(conn, creditor.id, ref).id if ref else None
        rows = [_proceeding_json(r) for r in proceeding_rows(conn, creditor.id, client_id)]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("Aucune procédure enregistrée.")
        return
    table(["N°", "Client", "Procédure", "Jugement", "Déclarer avant", "Déclarée", "Close"],
          [(r["id"], r["client"], r["label"], format_short_date(r["judgment_date"]),
            format_short_date(r["claim_deadline"]) if r["claim_deadline"] else "—",
            format_short_date(r["claim_declared_on"]) if r["claim_declared_on"] else "",
            format_short_date(r["closed_on"]) if r["closed_on"] else "") for r in rows])


@proceedings_group.command("open")
@db_option
@creditor_option
@click.argument("ref")
@click.option("--kind", required=True,
              type=click.Choice(["sauvegarde", "redressement", "liquidation", "surendettement"]))
@click.option("--judgment", "judgment", type=DATE, required=True,
              help="Date du jugement d'ouverture (ou de la décision de recevabilité).")
@click.option("--published", type=DATE, default=None,
              help="Date de publication au BODACC (point de départ des 2 mois).")
@click.option("--court", default="", help="Tribunal.")
@click.option("--administrator", default="",
              help="Mandataire judiciaire (nom et adresse).")
@click.option("--by", "by", default="", help="Qui l'enregistre.")
def proceedings_open(db_url: str | None, creditor_ref: str | None, ref: str, kind: str,
                     judgment: date, published: date | None, court: str, administrator: str,
                     by: str) -> None:
    """Enregistre l'ouverture d'une procédure : les relances des créances antérieures
    s'arrêtent, leurs pénalités aussi."""
    from relance.law.proceedings import LABELS as KIND_LABELS
    from relance.services.proceedings import open_proceeding

    with bootstrap.database(db_url).begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        client = client_by_ref(conn, creditor.id, ref)
        pid, created = open_proceeding(
            conn, creditor.id, client, kind=kind, judgment_date=judgment,
            published_on=published, court=court, administrator=administrator, by=by)
    if not created:
        click.echo(f"Procédure n° {pid} déjà enregistrée.")
        return
    click.echo(f"Procédure n° {pid} enregistrée : {KIND_LABELS[kind]} de « {ref} » "
               f"(jugement du {format_date(judgment)}).")
    if kind == "surendettement":
        click.echo("Relances suspendues pour tout le dossier.")
    else:
        click.echo("Relances arrêtées pour les factures antérieures au jugement ; les "
                   "fournitures postérieures restent relancées.")
        if published:
            from relance.law.proceedings import claim_deadline

            click.echo(f"Déclaration de créance à adresser au mandataire avant le "
                       f"{format_date(claim_deadline(published))} : "
                       f"relance proceedings claim {pid}")


@proceedings_group.command("close")
@db_option
@creditor_option
@click.argument("proceeding_id", type=int)
@click.option("--date", "on", type=DATE, default=None)
@click.option("--outcome", required=True, help="Issue : plan adopté, clôture, …")
def proceedings_close(db_url: str | None, creditor_ref: str | None, proceeding_id: int,
                      on: date | None, outcome: str) -> None:
    """Clôt une procédure (les relances reprennent selon l'issue)."""
    from relance.services.proceedings import close_proceeding

    with bootstrap.database(db_url).begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        close_proceeding(conn, creditor.id, proceeding_id, on or today(), outcome)
    click.echo(f"Procédure n° {proceeding_id} close : {outcome}.")


@proceedings_group.command("claim")
@db_option
@creditor_option
@click.argument("proceeding_id", type=int)
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Fichier PDF à écrire (défaut : declaration-creance-N.pdf).")
@click.option("--date", "on", type=DATE, default=None, help="Date de la déclaration.")
@click.option("--security", default="", help="Sûreté ou privilège (vide : chirographaire).")
@click.option("--agent", default="", help="Préposé ou mandataire qui déclare, s'il y a lieu.")
def proceedings_claim(db_url: str | None, creditor_ref: str | None, proceeding_id: int,
                      out: Path | None, on: date | None, security: str, agent: str) -> None:
    """Prépare la déclaration de créance au mandataire judiciaire (PDF et texte)."""
    from relance.documents.claim import claim_text, render_claim
    from relance.entrypoints.report_files import write_file
    from relance.services.pauses import _event
    from relance.services.proceedings import claim_declaration

    on = on or today()
    out = out or Path(f"declaration-creance-{proceeding_id}.pdf")
    with bootstrap.database(db_url).begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        data, row = claim_declaration(conn, creditor, proceeding_id, on, security=security,
                                      agent=agent)
        write_file(out, render_claim(data))
        _event(conn, creditor.id, row.client_id, None, "claim_prepared", on,
               f"Déclaration de créance préparée ({out.name}), à adresser avant le "
               f"{format_date(data.deadline)}", {"proceeding_id": proceeding_id,
                                                 "file": str(out)})
    click.echo(claim_text(data))
    click.echo("")
    click.echo(f"PDF écrit : {out}. À envoyer en recommandé avec AR avant le "
               f"{format_date(data.deadline)}, puis : relance proceedings declared "
               f"{proceeding_id}")
    if on > data.deadline:
        click.echo("ATTENTION : le délai de déclaration est dépassé ; seule une requête en "
                   "relevé de forclusion reste possible (C. com. L622-26).")


@proceedings_group.command("declared")
@db_option
@creditor_option
@click.argument("proceeding_id", type=int)
@click.option("--date", "on", type=DATE, default=None)
def proceedings_declared(db_url: str | None, creditor_ref: str | None, proceeding_id: int,
                         on: date | None) -> None:
    """Note que la créance a été déclarée (date d'envoi)."""
    from relance.services.proceedings import mark_declared

    with bootstrap.database(db_url).begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        mark_declared(conn, creditor.id, proceeding_id, on or today())
    click.echo(f"Déclaration de créance de la procédure n° {proceeding_id} notée.")


# --- report bad-payers (registered on the `report` group by entrypoints/cli.py) -------------


@click.command("bad-payers")
@db_option
@creditor_option
@click.option("--at", type=DATE, default=None, help="Situation à cette date.")
@json_option
def report_bad_payers(db_url: str | None, creditor_ref: str | None, at: date | None,
                      as_json: bool) -> None:
    """Classement des clients signalés mauvais payeurs, avec leurs raisons (usage interne)."""
    from relance.services.risk import assess, bad_payers

    at = at or today()
    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        rows = bad_payers(conn, creditor.id)
        scores = {a.client_id: a for a in assess(conn, creditor.id, at,
                                                 [r.client_id for r in rows])} if rows else {}
    data = []
    for r in rows:
        a = scores.get(r.client_id)
        data.append({"client": r.ref, "name": r.name, "marked_on": r.marked_on,
                     "marked_by": r.marked_by, "reason": r.reason,
                     "proven_amount": r.proven_amount, "invoices": r.invoices,
                     "overdue_amount": a.behaviour.overdue_amount if a else None,
                     "grade": a.score.grade if a else None,
                     "factors": [f.text for f in a.score.factors if f.points < 0] if a else []})
    data.sort(key=lambda d: d["overdue_amount"] or d["proven_amount"], reverse=True)
    if as_json:
        emit_json({"at": at, "clients": data})
        return
    if not data:
        click.echo("Aucun client signalé mauvais payeur.")
        return
    click.echo(f"Mauvais payeurs signalés au {format_date(at)} (usage interne, jamais partagé) :")
    for rank, d in enumerate(data, 1):
        click.echo(f"{rank}. {d['name']} ({d['client']}) — échu "
                   f"{format_money(d['overdue_amount'] or d['proven_amount'])}, note "
                   f"{d['grade']} ; signalé le {format_short_date(d['marked_on'])} par "
                   f"{d['marked_by']} : {d['reason']}")
        for text in d["factors"][:4]:
            click.echo(f"     {text}")


def register_report(report_group: click.Group) -> None:
    """Add `report bad-payers` to the `report` group."""
    report_group.add_command(report_bad_payers)
