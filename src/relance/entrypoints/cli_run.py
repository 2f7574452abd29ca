"""Daily-run commands: `run`, `outbox`, `calls`, `log-call`, `history`, `scenarios`,
`disputes`, `promises`, `plans`, `status`. Registered on `relance` by entrypoints/cli.py."""

from __future__ import annotations

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

OUTCOMES = ("promise", "dispute", "voicemail", "no-answer", "paid", "refused", "aggressive",
            "wrong-number")
CAUSES = ("forgetting", "dispute", "financial_difficulty", "internal_process", "bad_faith",
          "unknown")
CAUSE_LABELS = {"forgetting": "oubli", "dispute": "litige",
                "financial_difficulty": "difficultés financières",
                "internal_process": "circuit interne du client", "bad_faith": "mauvaise foi",
                "unknown": "inconnue"}


# --- the run -----------------------------------------------------------------------------------


@cli.command("run")
@db_option
@creditor_option
@click.option("--date", "run_date", type=DATE, default=None,
              help="Date du run (défaut : aujourd'hui).")
@click.option("--dry-run", is_flag=True, help="Montre ce qui serait fait, sans rien écrire.")
@click.option("--replay", is_flag=True, help="Autorise une date passée sur un historique vide.")
@click.option("--limit", type=int, default=30, show_default=True,
              help="Lignes affichées par section (texte).")
@json_option
def run_cmd(db_url: str | None, creditor_ref: str | None, run_date: date | None,
            dry_run: bool, replay: bool, limit: int, as_json: bool) -> None:
    """Le run quotidien : relances, appels, mises en demeure, selon les scénarios."""
    from relance.services.run import run

    run_date = run_date or today()
    engine = bootstrap.database(db_url)
    if creditor_ref:
        with engine.connect() as conn:
            resolve_creditor(conn, creditor_ref)
    report = run(engine, run_date, dry_run=dry_run, replay=replay, creditor_ref=creditor_ref)
    if as_json:
        emit_json(report.as_json())
        return
    head = "Simulation du run" if dry_run else "Run"
    click.echo(f"{head} du {format_date(run_date)} : {report.clients} client(s) examiné(s), "
               f"{len(report.actions)} action(s)"
               + (f", {report.already_done} client(s) déjà traité(s) ce jour" if
                  report.already_done else "") + ".")
    if report.actions:
        table(["Client", "Étape", "Canal", "Factures", "Montant", "Validation"],
              [(a["client"], a["label"][:40], a["channel"], ", ".join(a["invoices"])[:40],
                format_money(Decimal(a["amount"]), a["currency"]),
                "à valider" if a["needs_approval"] else "")
               for a in report.actions[:limit]])
        if len(report.actions) > limit:
            click.echo(f"… et {len(report.actions) - limit} autre(s) (--json pour tout voir).")
    if dry_run and report.skipped:
        click.echo("")
        click.echo("Sans action aujourd'hui :")
        table(["Facture", "Client", "Raison"],
              [(s["invoice"], s["client"], s["reason"]) for s in report.skipped[:limit]])
        if len(report.skipped) > limit:
            click.echo(f"… et {len(report.skipped) - limit} autre(s).")
    for half in sorted(report.missing_rates):
        click.echo(f"Taux du semestre {half} manquant : les pénalités des factures concernées "
                   "ne sont pas calculables et les mises en demeure attendent. Ajoutez-le : "
                   f"relance rates add {half} --ecb … --legal-private … --legal-other … "
                   "--source URL")
    for warning in report.warnings:
        click.echo(f"Attention : {warning}")


@cli.command("outbox")
@db_option
@creditor_option
@json_option
def outbox_cmd(db_url: str | None, creditor_ref: str | None, as_json: bool) -> None:
    """Messages en attente d'envoi (ou de validation)."""
    from relance.services.run import outbox_rows

    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        rows = outbox_rows(conn, creditor.id)
    if as_json:
        emit_json({"messages": [
            {"id": r.id, "client": r.client_ref, "channel": r.channel, "step": r.step_key,
             "tone": r.tone, "template": r.template, "status": r.status,
             "run_date": r.run_date, "invoices": r.data.get("invoices", []),
             "amount": r.data.get("amount")} for r in rows]})
        return
    status = {"pending": "à envoyer", "awaiting_approval": "à valider"}
    table(["N°", "Date", "Client", "Canal", "Étape", "Factures", "Statut"],
          [(r.id, format_short_date(r.run_date), r.client_ref, r.channel, r.step_key,
            ", ".join(r.data.get("invoices", []))[:40], status.get(r.status, r.status))
           for r in rows])
    click.echo(f"{len(rows)} message(s) en attente.")


# --- calls ---------------------------------------------------------------------------------------


@cli.command("calls")
@db_option
@creditor_option
@click.option("--date", "on", type=DATE, default=None, help="Jour (défaut : aujourd'hui).")
@click.option("--collector", default=None, help="Seulement ce chargé de recouvrement.")
@json_option
def calls_cmd(db_url: str | None, creditor_ref: str | None, on: date | None,
              collector: str | None, as_json: bool) -> None:
    """Liste d'appels du jour, par priorité, avec un script d'appel."""
    from relance.services.calls import call_list
    from relance.services.penalties import run_settings

    on = on or today()
    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        items = call_list(conn, creditor, on, collector)
        hours = run_settings(conn, creditor.id)["call_hours"]
    if as_json:
        emit_json({"date": on, "hours": hours.split(","), "calls": items})
        return
    if not items:
        click.echo(f"Aucun appel prévu le {format_date(on)}.")
        return
    slots = " et ".join(h.replace(":", " h ").replace(" h 00", " h") for h in hours.split(","))
    click.echo(f"Appels du {format_date(on)} (créneaux : lundi-vendredi {slots}) :")
    for n, item in enumerate(items, 1):
        click.echo("")
        phone = item["phone"] or "sans téléphone"
        who = item["collector"] or "non attribué"
        click.echo(f"{n}. {item['client_name']} ({item['client']}) — {phone} — chargé : {who}"
                   f" — priorité {item['priority']}")
        for inv in item["invoices"]:
            click.echo(f"   {inv['number']} échue le {format_short_date(inv['due'])} : "
                       f"{format_money(Decimal(inv['open_amount']))}"
                       + (f" + pénalités {format_money(Decimal(inv['penalties']))}"
                          if inv.get("penalties") else ""))
        if item["history"]:
            click.echo("   Historique : " + " ; ".join(item["history"]))
        click.echo("   Script :")
        for line in item["script"].splitlines():
            click.echo(f"     {line}")


@cli.command("log-call")
@db_option
@creditor_option
@click.argument("client_ref")
@click.option("--outcome", type=click.Choice(OUTCOMES), required=True, help="Issue de l'appel.")
@click.option("--date", "on", type=DATE, default=None, help="Jour de l'appel.")
@click.option("--amount", type=AMOUNT, default=None, help="Montant promis.")
@click.option("--promise-date", type=DATE, default=None, help="Date de paiement promise.")
@click.option("--invoice", "invoice_numbers", multiple=True, help="Facture concernée (litige).")
@click.option("--cause", type=click.Choice(CAUSES), default=None, help="Cause du retard.")
@click.option("--note", default="", help="Commentaire.")
def log_call(db_url: str | None, creditor_ref: str | None, client_ref: str, outcome: str,
             on: date | None, amount: Decimal | None, promise_date: date | None,
             invoice_numbers: tuple[str, ...], cause: str | None, note: str) -> None:
    """Enregistre l'issue d'un appel et son effet sur les relances."""
    from relance.services.calls import record_call

    on = on or today()
    with bootstrap.database(db_url).begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        client = client_by_ref(conn, creditor.id, client_ref)
        message = record_call(conn, creditor.id, client, outcome, on, amount=amount,
                              promise_date=promise_date, invoice_numbers=invoice_numbers,
                              cause=cause, note=note)
    click.echo(message)


# --- history -------------------------------------------------------------------------------------


@cli.command("history")
@db_option
@creditor_option
@click.argument("client_ref")
@json_option
def history_cmd(db_url: str | None, creditor_ref: str | None, client_ref: str,
                as_json: bool) -> None:
    """Historique complet d'un client : relances, appels, promesses, litiges, règlements."""
    from relance.services.calls import timeline

    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        client = client_by_ref(conn, creditor.id, client_ref)
        items = timeline(conn, client.id)
    if as_json:
        emit_json({"client": client.ref, "name": client.name, "events": items})
        return
    click.echo(f"Historique de {client.name} ({client.ref}) :")
    for item in items:
        click.echo(f"  {format_short_date(item['date'])}  {item['kind']:<22} {item['summary']}")


# --- scenarios -----------------------------------------------------------------------------------


@cli.group()
def scenarios() -> None:
    """Scénarios de relance (fichiers YAML)."""


@scenarios.command("list")
@db_option
@creditor_option
@json_option
def scenarios_list(db_url: str | None, creditor_ref: str | None, as_json: bool) -> None:
    """Scénarios disponibles (chargés et livrés) et leurs étapes."""
    from relance.services.scenarios import available

    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        found = available(conn, creditor.id)
    if as_json:
        emit_json({"scenarios": [
            {"name": s.name, "label": s.label, "origin": origin,
             "segment": {"kinds": list(s.segment.kinds)},
             "steps": [{"key": st.key, "offset": st.offset, "channels": list(st.channels),
                        "tone": st.tone, "required": st.required, "approval": st.approval,
                        "label": st.label} for st in s.steps]} for s, origin in found]})
        return
    for s, origin in found:
        click.echo(f"{s.name} — {s.label} ({'chargé' if origin == 'loaded' else 'livré'})")
        for st in s.steps:
            flags = " ".join(f for f, on in (("obligatoire", st.required),
                                               ("à valider", st.approval)) if on)
            click.echo(f"  J{st.offset:+d}  {st.label} [{', '.join(st.channels)}; {st.tone}]"
                       + (f" ({flags})" if flags else ""))


@scenarios.command("load")
@db_option
@creditor_option
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def scenarios_load(db_url: str | None, creditor_ref: str | None, file: Path) -> None:
    """Charge (ou remplace) un scénario depuis un fichier YAML, après validation."""
    from relance.services.scenarios import load_file

    with bootstrap.database(db_url).begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        scenario = load_file(conn, creditor.id, file)
    click.echo(f"Scénario « {scenario.name} » chargé : {len(scenario.steps)} étape(s).")


@scenarios.command("show")
@db_option
@creditor_option
@click.argument("name")
def scenarios_show(db_url: str | None, creditor_ref: str | None, name: str) -> None:
    """Affiche le YAML d'un scénario (pour le copier et l'adapter)."""
    from relance.dunning.scenario import scenario_to_yaml
    from relance.services.scenarios import available

    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        found = {s.name: s for s, _ in available(conn, creditor.id)}
    if name not in found:
        raise ValidationError(f"Scénario « {name} » inconnu ({', '.join(found)}).")
    click.echo(scenario_to_yaml(found[name]))


# --- pauses: disputes, promises, plans, status ---------------------------------------------------


@cli.group()
def disputes() -> None:
    """Litiges : la facture contestée n'est plus relancée jusqu'à résolution."""


@disputes.command("open")
@db_option
@creditor_option
@click.argument("invoice")
@click.option("--reason", required=True, help="Motif du litige.")
@click.option("--date", "on", type=DATE, default=None)
def disputes_open(db_url: str | None, creditor_ref: str | None, invoice: str, reason: str,
                  on: date | None) -> None:
    """Ouvre un litige sur une facture."""
    from relance.services.pauses import open_dispute

    on = on or today()
    with bootstrap.database(db_url).begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        open_dispute(conn, creditor.id, invoice, reason, on)
    click.echo(f"Litige ouvert sur {invoice} : relances suspendues.")


@disputes.command("resolve")
@db_option
@creditor_option
@click.argument("invoice")
@click.option("--resolution", default="", help="Comment il a été réglé.")
@click.option("--date", "on", type=DATE, default=None)
def disputes_resolve(db_url: str | None, creditor_ref: str | None, invoice: str,
                     resolution: str, on: date | None) -> None:
    """Clôt le litige : les relances reprennent sur le reste dû."""
    from relance.services.pauses import resolve_dispute

    on = on or today()
    with bootstrap.database(db_url).begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        resolve_dispute(conn, creditor.id, invoice, resolution, on)
    click.echo(f"Litige sur {invoice} résolu : relances reprises.")


@cli.group()
def promises() -> None:
    """Promesses de paiement."""


@promises.command("add")
@db_option
@creditor_option
@click.argument("client_ref")
@click.option("--amount", type=AMOUNT, required=True)
@click.option("--by", "pay_by", type=DATE, required=True, help="Date promise.")
@click.option("--date", "on", type=DATE, default=None, help="Jour de la promesse.")
def promises_add(db_url: str | None, creditor_ref: str | None, client_ref: str,
                 amount: Decimal, pay_by: date, on: date | None) -> None:
    """Enregistre une promesse : relances suspendues jusqu'à la date (plus 3 jours)."""
    from relance.services.pauses import add_promise

    on = on or today()
    with bootstrap.database(db_url).begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        client = client_by_ref(conn, creditor.id, client_ref)
        add_promise(conn, creditor.id, client.id, amount, pay_by, on)
    click.echo(f"Promesse de {format_money(amount)} au {format_date(pay_by)} enregistrée.")


@cli.group()
def plans() -> None:
    """Échéanciers (plans d'apurement)."""


@plans.command("add")
@db_option
@creditor_option
@click.argument("client_ref")
@click.option("--installments", required=True, metavar="DATE:MONTANT,…",
              help="Échéances, par ex. 2026-12-15:500,2027-01-15:500.")
@click.option("--date", "on", type=DATE, default=None, help="Jour de l'accord.")
def plans_add(db_url: str | None, creditor_ref: str | None, client_ref: str,
              installments: str, on: date | None) -> None:
    """Enregistre un échéancier signé : chaque échéance est surveillée."""
    from relance.services.pauses import add_plan, parse_installments

    on = on or today()
    schedule = parse_installments(installments)
    with bootstrap.database(db_url).begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        client = client_by_ref(conn, creditor.id, client_ref)
        add_plan(conn, creditor.id, client.id, schedule, on)
    total = sum((a for _, a in schedule), Decimal("0.00"))
    click.echo(f"Échéancier de {len(schedule)} échéance(s), {format_money(total)}, enregistré.")


@cli.command("status")
@db_option
@creditor_option
@click.argument("client_ref")
@click.option("--hold-until", type=DATE, default=None, help="Suspendre jusqu'à cette date.")
@click.option("--reason", default="", help="Motif (suspension ou note).")
@click.option("--do-not-contact/--contact", default=None, help="Ne plus contacter ce client.")
@click.option("--legal-case/--no-legal-case", default=None, help="Procédure judiciaire ouverte.")
@click.option("--cause", type=click.Choice(CAUSES), default=None, help="Cause du retard.")
@click.option("--scenario", default=None, help="Scénario imposé à ce client.")
@click.option("--date", "on", type=DATE, default=None)
def status_cmd(db_url: str | None, creditor_ref: str | None, client_ref: str,
               hold_until: date | None, reason: str, do_not_contact: bool | None,
               legal_case: bool | None, cause: str | None, scenario: str | None,
               on: date | None) -> None:
    """Change le statut de recouvrement d'un client (conservé dans l'historique)."""
    from relance.services.pauses import set_status

    on = on or today()
    changes: dict[str, Any] = {}
    if hold_until is not None:
        changes.update(hold_until=hold_until, hold_reason=reason)
    if do_not_contact is not None:
        changes["do_not_contact"] = do_not_contact
    if legal_case is not None:
        changes["legal_case"] = legal_case
    if cause is not None:
        changes["late_cause"] = cause
    if scenario is not None:
        changes["scenario"] = scenario
    if not changes:
        raise ValidationError("Rien à changer : précisez au moins une option.")
    with bootstrap.database(db_url).begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        client = client_by_ref(conn, creditor.id, client_ref)
        set_status(conn, creditor.id, client.id, changes, on, reason)
    click.echo(f"Statut de {client_ref} mis à jour.")

