"""`relance predict`: predicted lateness of open invoices, and its back-test.

    relance predict [--at DATE] [--json]                  # train, predict, store, show
    relance predict backtest [--ar-ibm FILE] [--json]     # model against the baseline rule

Registered on `relance` by `register(cli)` (see the end of this module).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import click

from relance import bootstrap
from relance.adapters.repository import resolve_creditor
from relance.domain.errors import ValidationError
from relance.entrypoints.cli import (
    DATE,
    creditor_option,
    db_option,
    emit_json,
    json_option,
    table,
    today,
)
from relance.i18n import format_date, format_money, format_short_date

RULE_LABEL = "règle « taux de retard passé du client »"


def percent(p: Decimal) -> str:
    """`72 %` (whole percent, no-break space)."""
    return f"{int((p * 100).to_integral_value())}\u00a0%"


@click.group("predict", invoke_without_command=True)
@db_option
@creditor_option
@click.option("--at", "at", type=DATE, default=None,
              help="Date de la prédiction, en fin de journée (défaut : aujourd'hui).")
@click.option("--limit", type=int, default=50, show_default=True,
              help="Lignes affichées (texte).")
@json_option
@click.pass_context
def predict(ctx: click.Context, db_url: str | None, creditor_ref: str | None, at: date | None,
            limit: int, as_json: bool) -> None:
    """Retard prévu des factures ouvertes : probabilité de retard et date de paiement attendue,
    appris sur l'historique de la société créancière (enregistré pour chaque facture)."""
    if ctx.invoked_subcommand is not None:
        return
    from relance.services.prediction import predict_open, store_predictions

    at = at or today()
    engine = bootstrap.database(db_url)
    with engine.connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        forecast = predict_open(conn, creditor.id, at)
    with engine.begin() as conn:
        store_predictions(conn, forecast, at, forecast.model_name)
    rows = sorted(forecast.items(), key=lambda item: (
        -item[1].p_late, forecast.invoices[item[0]].due_date, forecast.invoices[item[0]].number))
    if as_json:
        emit_json({
            "at": at, "model": forecast.model_name, "examples": forecast.examples,
            "predictions": [
                {"invoice": forecast.invoices[i].number,
                 "client": forecast.invoices[i].client_ref,
                 "due": forecast.invoices[i].due_date,
                 "open_amount": forecast.invoices[i].open_amount,
                 "currency": forecast.invoices[i].currency,
                 "p_late": str(p.p_late), "expected_on": p.expected_on,
                 "baseline": str(p.baseline)}
                for i, p in rows]})
        return
    if forecast.model_name == "regle-taux-client":
        how = ("règle « taux de retard passé du client » : historique trop court pour "
               "entraîner un modèle (moins de 50 factures réglées, ou une seule issue)")
    else:
        how = f"modèle {forecast.model_name}, appris sur {forecast.examples} facture(s) échue(s)"
    click.echo(f"Retard prévu au {format_date(at)} ({how}) : {len(rows)} facture(s) "
               "ouverte(s), prédictions enregistrées.")
    if not rows:
        return
    table(["Facture", "Client", "Échéance", "Montant restant", "Retard probable",
           "Paiement attendu"],
          [(forecast.invoices[i].number, forecast.invoices[i].client_ref,
            format_short_date(forecast.invoices[i].due_date),
            format_money(forecast.invoices[i].open_amount, forecast.invoices[i].currency),
            percent(p.p_late), format_date(p.expected_on))
           for i, p in rows[:limit]])
    if len(rows) > limit:
        click.echo(f"… et {len(rows) - limit} autre(s) (--json pour tout voir).")


@predict.command("backtest")
@db_option
@creditor_option
@click.option("--ar-ibm", "ar_ibm", type=click.Path(dir_okay=False, path_type=Path),
              default=None, metavar="FICHIER",
              help="Back-test sur l'échantillon public « Accounts Receivable » d'IBM (CSV) au "
                   "lieu du grand livre de la société créancière.")
@click.option("--at", "at", type=DATE, default=None,
              help="Grand livre tel que connu à cette date (défaut : aujourd'hui).")
@click.option("--step", "step_days", type=click.IntRange(min=1), default=30, show_default=True,
              help="Jours entre deux dates de coupure.")
@json_option
def backtest_cmd(db_url: str | None, creditor_ref: str | None, ar_ibm: Path | None,
                 at: date | None, step_days: int, as_json: bool) -> None:
    """Back-test chronologique : le modèle contre la règle « taux de retard passé du client »
    (AUC, score de Brier, calibration, erreur sur la date de paiement)."""
    from relance.prediction.model import backtest, read_ar_sample

    if ar_ibm is not None:
        if not ar_ibm.is_file():
            raise ValidationError(f"Fichier « {ar_ibm} » introuvable.")
        try:
            records = read_ar_sample(ar_ibm)
        except (KeyError, ValueError, UnicodeDecodeError) as exc:
            raise ValidationError(
                f"Fichier « {ar_ibm} » illisible comme l'échantillon IBM Accounts Receivable "
                f"(colonnes customerID, invoiceNumber, InvoiceDate, DueDate, InvoiceAmount, "
                f"SettledDate ; dates m/j/aaaa) : {exc}") from None
        result = backtest(records, step_days=step_days)
        source = f"échantillon IBM Accounts Receivable ({len(records)} factures)"
    else:
        from relance.services.prediction import history

        at = at or today()
        with bootstrap.database(db_url).connect() as conn:
            creditor = resolve_creditor(conn, creditor_ref)
            records = history(conn, creditor.id, at)
        result = backtest(records, step_days=step_days, asof=at)
        source = f"grand livre de {creditor.ref} au {format_date(at)} ({len(records)} factures)"
    if as_json:
        emit_json({"source": source, **result.as_json()})
        return
    click.echo(f"Source : {source}.")
    click.echo(result.text())


def register(cli: click.Group) -> None:
    """Add `relance predict` (and `relance predict backtest`) to the `relance` command."""
    cli.add_command(predict)
