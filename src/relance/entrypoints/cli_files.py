"""Files for the steps after the formal notice: `relance files injonction`, `petites-creances`,
`agence`, `agence-suivi`. Registered on `relance` by entrypoints/cli.py."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import click

from relance import bootstrap, config
from relance.adapters.repository import client_by_ref, resolve_creditor
from relance.entrypoints.cli import DATE, cli, creditor_option, db_option, emit_json, json_option
from relance.entrypoints.cli import today as _today

out_option = click.option(
    "--out", type=click.Path(path_type=Path, file_okay=False), default=None,
    help="Dossier de sortie (défaut : relance-sortie/dossiers/).")


def _out(out: Path | None) -> Path:
    folder = out or Path(config.get("output_dir") or "relance-sortie") / "dossiers"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write(path: Path, content: bytes | str) -> Path:
    """Write atomically: an interrupted command leaves no half file."""
    tmp = path.with_name(path.name + ".tmp")
    if isinstance(content, bytes):
        tmp.write_bytes(content)
    else:
        tmp.write_text(content, "utf-8")
    os.replace(tmp, path)
    return path


@cli.group("files")
def files() -> None:
    """Dossiers pour aller plus loin : injonction de payer, petites créances, cabinet."""


@files.command("injonction")
@db_option
@creditor_option
@click.argument("client_ref")
@click.option("--at", type=DATE, default=None, help="Décompte arrêté à cette date.")
@click.option("--court", default=None, help="Nom du tribunal (sinon « à compléter »).")
@out_option
@json_option
def injonction_cmd(db_url: str | None, creditor_ref: str | None, client_ref: str,
                   at: date | None, court: str | None, out: Path | None, as_json: bool) -> None:
    """Requête en injonction de payer (PDF) et dossier ZIP avec bordereau des pièces."""
    from relance.services.legal_files import competent_court, injonction_file

    at = at or _today()
    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        client = client_by_ref(conn, creditor.id, client_ref)
        _, label = competent_court(client)
        pdf, archive = injonction_file(conn, creditor.id, client.id, at, court)
    folder = _out(out)
    stem = f"injonction-{client.ref}-{at.isoformat()}"
    pdf_path = _write(folder / f"{stem}.pdf", pdf)
    zip_path = _write(folder / f"{stem}.zip", archive)
    if as_json:
        emit_json({"court": label, "pdf": str(pdf_path), "zip": str(zip_path)})
        return
    click.echo(f"Juridiction compétente : {label} du domicile du débiteur.")
    click.echo(f"Requête écrite : {pdf_path}")
    click.echo(f"Dossier complet (requête, pièces, bordereau) : {zip_path}")
    click.echo("Joignez les copies des factures et des conditions de vente, datez et signez "
               "la requête avant de la déposer au greffe.")


@files.command("petites-creances")
@db_option
@creditor_option
@click.argument("client_ref")
@click.option("--at", type=DATE, default=None, help="Décompte arrêté à cette date.")
@click.option("--officer", default=None, help="Commissaire de justice (sinon « à compléter »).")
@out_option
@json_option
def small_claims_cmd(db_url: str | None, creditor_ref: str | None, client_ref: str,
                     at: date | None, officer: str | None, out: Path | None,
                     as_json: bool) -> None:
    """Demande de procédure simplifiée des petites créances (≤ 5 000 €) à un commissaire."""
    from relance.services.legal_files import small_claims_file

    at = at or _today()
    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        client = client_by_ref(conn, creditor.id, client_ref)
        pdf, archive = small_claims_file(conn, creditor.id, client.id, at, officer)
    folder = _out(out)
    stem = f"petites-creances-{client.ref}-{at.isoformat()}"
    pdf_path = _write(folder / f"{stem}.pdf", pdf)
    zip_path = _write(folder / f"{stem}.zip", archive)
    if as_json:
        emit_json({"pdf": str(pdf_path), "zip": str(zip_path)})
        return
    click.echo(f"Demande écrite : {pdf_path}")
    click.echo(f"Dossier complet (demande, pièces, bordereau) : {zip_path}")


@files.command("agence")
@db_option
@creditor_option
@click.argument("client_ref")
@click.option("--agency", required=True, help="Nom du cabinet de recouvrement.")
@click.option("--deadline", type=DATE, required=True, help="Date de fin du mandat.")
@click.option("--at", type=DATE, default=None, help="Date de transmission (défaut : aujourd'hui).")
@out_option
@json_option
def agency_cmd(db_url: str | None, creditor_ref: str | None, client_ref: str, agency: str,
               deadline: date, at: date | None, out: Path | None, as_json: bool) -> None:
    """Confie un dossier à un cabinet de recouvrement : mandat PDF, CSV et JSON."""
    from relance.services.legal_files import agency_handoff, json_text

    at = at or _today()
    with bootstrap.database(db_url).begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        client = client_by_ref(conn, creditor.id, client_ref)
        handoff = agency_handoff(conn, creditor.id, client.id, at, agency, deadline)
    folder = _out(out)
    stem = f"cabinet-{client.ref}-{at.isoformat()}"
    paths = [_write(folder / f"{stem}.pdf", handoff["pdf"]),
             _write(folder / f"{stem}.csv", handoff["csv"]),
             _write(folder / f"{stem}.json", json_text(handoff["json"]) + "\n")]
    if as_json:
        emit_json({"pdf": str(paths[0]), "csv": str(paths[1]), "json": str(paths[2])})
        return
    click.echo(f"Dossier {client.ref} confié à {agency} jusqu'au {deadline:%d/%m/%Y}.")
    for path in paths:
        click.echo(f"Fichier écrit : {path}")


@files.command("agence-suivi")
@db_option
@creditor_option
@click.argument("client_ref")
@click.option("--status", type=click.Choice(["payment_received", "returned_unpaid"]),
              required=True, help="payment_received (payé) ou returned_unpaid (retourné).")
@click.option("--date", "on", type=DATE, default=None)
@click.option("--note", default="", help="Commentaire du cabinet.")
def agency_update_cmd(db_url: str | None, creditor_ref: str | None, client_ref: str,
                      status: str, on: date | None, note: str) -> None:
    """Enregistre le retour du cabinet : paiement reçu ou dossier retourné impayé."""
    from relance.services.legal_files import agency_update

    with bootstrap.database(db_url).begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        client = client_by_ref(conn, creditor.id, client_ref)
        summary = agency_update(conn, creditor.id, client.id, status, on or _today(), note)
    click.echo(f"Enregistré : {summary}.")
