"""Documents and channels: `send`, `approve`, `templates`, `statement`. Registered on
`relance` by entrypoints/cli.py."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from relance import bootstrap, config
from relance.adapters.repository import client_by_ref, resolve_creditor
from relance.domain.errors import ValidationError
from relance.entrypoints.cli import DATE, cli, creditor_option, db_option, emit_json, json_option
from relance.entrypoints.cli import today as _today


def output_dir() -> Path:
    """Where emails (file transport), letters and SMS are written."""
    return Path(config.get("output_dir") or "relance-sortie")


def templates_dir() -> Path | None:
    """The user's template folder, if any."""
    value = config.get("templates_dir")
    return Path(value) if value else None


@cli.command("send")
@db_option
@click.option("--limit", type=click.IntRange(1), default=None, help="Nombre maximal de messages.")
@click.option("--date", "on", type=DATE, default=None,
              help="N'envoyer que les messages préparés jusqu'à cette date.")
@json_option
def send_cmd(db_url: str | None, limit: int | None, on: date | None, as_json: bool) -> None:
    """Vide la boîte d'envoi : e-mails, courriers PDF, SMS ; chaque message une seule fois."""
    from relance.services.send import send, transports

    out = output_dir()
    email, sms = transports(out)
    report = send(bootstrap.database(db_url), transport=email, sms_transport=sms, output=out,
                  limit=limit, rate_per_minute=int(config.get("send_rate") or 0), on=on,
                  templates_dir=templates_dir())
    if report.problems:
        for problem in report.problems:
            click.echo(f"Erreur de modèle : {problem}", err=True)
        click.echo(f"{report.sent} message(s) envoyé(s) ; les autres attendent : corrigez les "
                   "modèles puis relancez « relance send ».", err=True)
        raise SystemExit(2)
    if as_json:
        emit_json({"sent": report.sent, "retried": report.retried, "failed": report.failed,
                   "to_check": report.to_check, "recovered": report.recovered,
                   "letters": [str(p) for p in report.letters],
                   "batches": [str(p) for p in report.batches]})
        return
    click.echo(f"{report.sent} message(s) envoyé(s) ou imprimé(s), {report.retried} à "
               f"réessayer, {report.failed} en échec, {report.to_check} à vérifier.")
    for batch in report.batches:
        click.echo(f"Lot de courriers à imprimer : {batch}")


@cli.command("approve")
@db_option
@creditor_option
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "approve_all", is_flag=True, help="Valide tout ce qui attend.")
@click.option("--date", "on", type=DATE, default=None)
def approve_cmd(db_url: str | None, creditor_ref: str | None, ids: tuple[int, ...],
                approve_all: bool, on: date | None) -> None:
    """Valide des envois en attente (mises en demeure, escalades) : relance approve 12 13."""
    from relance.services.send import approve

    if not ids and not approve_all:
        raise ValidationError("Indiquez les numéros à valider (voir « relance outbox ») ou --all.")
    with bootstrap.database(db_url).begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        count = approve(conn, creditor.id, list(ids) or None, on or _today())
    click.echo(f"{count} envoi(s) validé(s).")


@cli.group()
def templates() -> None:
    """Modèles de courriers, e-mails et SMS (Jinja2, personnalisables)."""


@templates.command("list")
@json_option
def templates_list(as_json: bool) -> None:
    """Liste les modèles (livrés ou personnalisés) et signale ceux qui ne se rendent pas."""
    from relance.documents.render import available, check_templates, environment, sample_context
    from relance.services.compose import template_names

    env = environment(templates_dir())
    found = available(env)
    problems = [p.message for p in check_templates(env, sorted(template_names()),
                                                   sample_context())]
    if as_json:
        emit_json({"templates": [{"name": n, "kind": k, "origin": o} for n, k, o in found],
                   "problems": problems})
        return
    for name, kind, origin in found:
        click.echo(f"{name:<32} {kind:<12} {'personnalisé' if origin == 'user' else 'livré'}")
    for problem in problems:
        click.echo(f"ERREUR : {problem}")
    if problems:
        raise SystemExit(2)


@templates.command("preview")
@db_option
@creditor_option
@click.argument("step")
@click.option("--client", "client_ref", required=True, help="Client dont les données servent.")
@click.option("--kind", type=click.Choice(["email.txt", "email.html", "letter.txt", "sms.txt"]),
              default="email.txt", show_default=True)
@click.option("--date", "on", type=DATE, default=None)
def templates_preview(db_url: str | None, creditor_ref: str | None, step: str, client_ref: str,
                      kind: str, on: date | None) -> None:
    """Affiche un modèle rendu avec les vraies données d'un client."""
    from types import SimpleNamespace

    from relance.documents.render import TemplateProblem, environment, render
    from relance.services.compose import message_context
    from relance.services.ledger import invoice_rows

    on = on or _today()
    env = environment(templates_dir())
    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        client = client_by_ref(conn, creditor.id, client_ref)
        rows = invoice_rows(conn, creditor.id, at=on, overdue=True, client_id=client.id)
        if not rows:
            rows = invoice_rows(conn, creditor.id, at=on, client_id=client.id)
        fake = SimpleNamespace(
            creditor_id=creditor.id, client_id=client.id, run_date=on, step_key=step,
            template=step, tone="courteous", key=f"preview:{client.id}:{step}",
            data={"invoices": [r.number for r in rows], "recap": [], "deadline_days": 8,
                  "label": step, "claims_penalties": step.startswith("mise_en_demeure")})
        ctx = message_context(conn, fake)
    try:
        click.echo(render(env, step, "subject", ctx).strip())
        click.echo("")
        click.echo(render(env, step, kind, ctx))
    except TemplateProblem as problem:
        raise ValidationError(problem.message) from None


@cli.command("statement")
@db_option
@creditor_option
@click.argument("client_ref")
@click.option("--at", type=DATE, default=None, help="Relevé à cette date.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Fichier PDF (défaut : releve-CLIENT-DATE.pdf) ; le CSV est écrit à côté.")
def statement_cmd(db_url: str | None, creditor_ref: str | None, client_ref: str,
                  at: date | None, out: Path | None) -> None:
    """Relevé de compte d'un client, en PDF et CSV."""
    from relance.documents.pdf import statement_csv
    from relance.services.compose import statement_lines, statement_pdf

    at = at or _today()
    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        client = client_by_ref(conn, creditor.id, client_ref)
        pdf = statement_pdf(conn, client.id, at)
        lines, _ = statement_lines(conn, client.id, at)
    target = out or Path(f"releve-{client.ref}-{at.isoformat()}.pdf")
    target.write_bytes(pdf)
    target.with_suffix(".csv").write_text(statement_csv(lines), "utf-8")
    click.echo(f"Relevé écrit : {target} et {target.with_suffix('.csv')}")
