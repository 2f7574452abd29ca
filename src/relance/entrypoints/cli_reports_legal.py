"""Legal year-end reports: the D441-6 payment-terms table of the management report and the
doubtful receivables to write down.

    relance report d441 [--at DATE] [--year-start DATE] [--terms TEXTE] [--json]
                        [--csv FICHIER] [--xlsx FICHIER]
    relance report doubtful [--at DATE] [--json] [--csv FICHIER] [--xlsx FICHIER]

Registered on the `report` group by `register(report_group)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from relance import bootstrap
from relance.adapters.repository import resolve_creditor
from relance.entrypoints.cli import (
    DATE,
    creditor_option,
    db_option,
    json_option,
    table,
    today,
)
from relance.entrypoints.report_files import EUROS, csv_text, deliver, xlsx_bytes
from relance.i18n import format_date, format_money, format_percent, format_short_date
from relance.services.d441 import (
    COLUMN_LABELS,
    COLUMNS,
    TITLE_LATE,
    TITLE_UNPAID,
    D441Table,
    Line,
    Percent,
)
from relance.services.doubtful import REASON_LABELS, Doubtful

_PERCENT_FORMAT = "0.00%"
_FILE = click.Path(path_type=Path, dir_okay=False, writable=True)


def csv_option(func: Any) -> Any:
    return click.option("--csv", "csv_path", type=_FILE, default=None, metavar="FICHIER",
                        help="Écrit aussi le tableau en CSV (séparateur « ; », virgule "
                             "décimale, UTF-8 avec BOM).")(func)


def xlsx_option(func: Any) -> Any:
    return click.option("--xlsx", "xlsx_path", type=_FILE, default=None, metavar="FICHIER",
                        help="Écrit aussi le tableau en classeur Excel (.xlsx).")(func)


# --- D441-6 -------------------------------------------------------------------------------------


@click.command("d441")
@db_option
@creditor_option
@click.option("--at", "at", type=DATE, default=None,
              help="Date de clôture de l'exercice (défaut : aujourd'hui).")
@click.option("--year-start", type=DATE, default=None,
              help="Premier jour de l'exercice (défaut : douze mois avant la clôture).")
@click.option("--terms", default=None, metavar="TEXTE",
              help="Délais de paiement de référence, section (C) (défaut : « Délais "
                   "contractuels : » suivi des conditions de la société créancière).")
@json_option
@csv_option
@xlsx_option
def d441_cmd(db_url: str | None, creditor_ref: str | None, at: date | None,
             year_start: date | None, terms: str | None, as_json: bool,
             csv_path: Path | None, xlsx_path: Path | None) -> None:
    """Délais de paiement des clients pour le rapport de gestion (article D. 441-6 du code de
    commerce) : factures émises non réglées à la clôture par tranche de retard, factures
    exclues pour litige, délais de référence, et la présentation au choix (factures payées en
    retard pendant l'exercice). Montants TTC, modèle de l'arrêté du 20 mars 2017."""
    from relance.services.d441 import d441_table

    closing = at or today()
    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        result = d441_table(conn, creditor.id, closing, year_start=year_start,
                            reference_terms=terms)
    deliver(as_json, result.as_json, lambda: print_d441(result),
            csv=(csv_path, lambda: d441_csv(result)),
            xlsx=(xlsx_path, lambda: d441_xlsx(result)))


def print_d441(r: D441Table) -> None:
    """The two tables in French, as the model lays them out, then the warnings."""
    click.echo(f"Délais de paiement — {r.creditor_name} ({r.creditor_ref})")
    click.echo(f"Exercice du {format_date(r.year_start)} au {format_date(r.closing)} ; "
               "montants TTC.")
    click.echo(f"Chiffre d'affaires TTC de l'exercice : {format_money(r.revenue)} (factures "
               f"{format_money(r.invoiced)}, avoirs {format_money(r.credited)}).")
    click.echo("")
    click.echo(TITLE_UNPAID)
    _print_model(r.unpaid_rows())
    click.echo("")
    click.echo(TITLE_LATE)
    click.echo(f"Factures émises dans l'année : {r.issued_count}, "
               f"{format_money(r.invoiced)} TTC.")
    _print_model(r.late_rows())
    for warning in r.warnings:
        click.echo(f"Attention : {warning}")


def _print_model(rows: Sequence[Sequence[Any]]) -> None:
    grid = [row for row in rows if len(row) == len(COLUMNS) + 1]
    label_width = max(len(row[0]) for row in grid)
    cells = [[_text(v) for v in row[1:]] for row in grid]
    widths = [max(len(COLUMN_LABELS[k]), *(len(c[i]) for c in cells))
              for i, k in enumerate(COLUMNS)]
    header = " " * label_width + "  " + "  ".join(
        COLUMN_LABELS[k].rjust(w) for k, w in zip(COLUMNS, widths, strict=True))
    shown = False
    for row in rows:
        if len(row) == 1:
            click.echo(row[0])
        elif len(row) == len(COLUMNS) + 1:
            if not shown:
                click.echo(header)
                shown = True
            click.echo(row[0].ljust(label_width) + "  " + "  ".join(
                _text(v).rjust(w) for v, w in zip(row[1:], widths, strict=True)))
        else:
            click.echo(f"  {row[0]} : {_text(row[1])}")


def _text(value: Any) -> str:
    if isinstance(value, Percent):
        return "—" if value.value is None else format_percent(value.value)
    if isinstance(value, Decimal):
        return format_money(value)
    return str(value)


def _csv_value(value: Any) -> Any:
    """A percentage as its number (the rest goes through report_files.csv_cell)."""
    return value.value if isinstance(value, Percent) else value


def _detail_headers() -> list[str]:
    return ["tableau", "facture", "client", "nom", "date", "échéance", "montant TTC",
            "montant compté TTC", "jours de retard", "colonne", "soldée le"]


def _detail_rows(r: D441Table) -> list[list[Any]]:
    groups: list[tuple[str, list[Line]]] = [
        ("non réglées (A)", r.unpaid_lines), ("non réglées (B)", r.excluded_lines),
        ("retards de l'exercice", r.late_lines),
        ("retards de l'exercice (B)", r.late_excluded_lines)]
    return [[name, x.number, x.client_ref, x.client_name, x.issue_date, x.due_date, x.amount,
             x.counted, x.days_late, COLUMN_LABELS.get(x.column, "exclue"),
             x.settled_on or ""]
            for name, lines in groups for x in lines]


def d441_csv(r: D441Table) -> str:
    """The two tables then the invoice detail, `;`-separated with decimal commas."""
    header = ["", *(COLUMN_LABELS[k] for k in COLUMNS)]
    lines: list[Sequence[Any]] = [
        [f"Délais de paiement — {r.creditor_name} — exercice du "
         f"{format_short_date(r.year_start)} au {format_short_date(r.closing)} (TTC)"],
        ["Chiffre d'affaires TTC de l'exercice", r.revenue]]
    for title, rows in ((TITLE_UNPAID, r.unpaid_rows()), (TITLE_LATE, r.late_rows())):
        lines += [[], [title], header, *([_csv_value(v) for v in row] for row in rows)]
    lines += [[], ["Détail des factures"], _detail_headers(),
              *([_csv_value(v) for v in row] for row in _detail_rows(r)),
              *([f"Attention : {warning}"] for warning in r.warnings)]
    return csv_text(lines)


def d441_xlsx(r: D441Table) -> bytes:
    """A workbook: one sheet per table (the model's layout) and one for the detail."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    header = ["", *(COLUMN_LABELS[k] for k in COLUMNS)]
    for index, (name, title, rows) in enumerate((
            ("Non réglées à la clôture", TITLE_UNPAID, r.unpaid_rows()),
            ("Retards de l'exercice", TITLE_LATE, r.late_rows()))):
        sheet = book.active if index == 0 else book.create_sheet()
        assert sheet is not None
        sheet.title = name
        sheet.append([title])
        sheet.append([f"{r.creditor_name} — exercice du {format_short_date(r.year_start)} au "
                      f"{format_short_date(r.closing)} — montants TTC"])
        sheet.append(["Chiffre d'affaires TTC de l'exercice", r.revenue])
        sheet.append(header)
        for row in rows:
            sheet.append([_xlsx_value(v) for v in row])
        _style(sheet, bold_rows=(1, 4))
        sheet.column_dimensions["A"].width = 70
        for col in "BCDEFG":
            sheet.column_dimensions[col].width = 20
    detail = book.create_sheet("Détail")
    detail.append(_detail_headers())
    for row in _detail_rows(r):
        detail.append([_xlsx_value(v) for v in row])
    _style(detail, bold_rows=(1,))
    for warning in r.warnings:
        book.worksheets[0].append([f"Attention : {warning}"])
    book.worksheets[0]["A1"].font = Font(bold=True)
    return xlsx_bytes(book)


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, Percent):
        return None if value.value is None else _XlsxPercent(value.value / 100)
    return value if value != "" else None


class _XlsxPercent(Decimal):
    """A fraction shown as a percentage in the workbook."""


def _style(sheet: Any, bold_rows: Sequence[int]) -> None:
    from openpyxl.styles import Font

    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, Decimal):
                cell.number_format = (_PERCENT_FORMAT if isinstance(cell.value, _XlsxPercent)
                                      else EUROS)
            elif isinstance(cell.value, date):
                cell.number_format = "DD/MM/YYYY"
            if cell.row in bold_rows:
                cell.font = Font(bold=True)


# --- doubtful receivables ----------------------------------------------------------------------


@click.command("doubtful")
@db_option
@creditor_option
@click.option("--at", "at", type=DATE, default=None,
              help="Date d'arrêté (clôture ; défaut : aujourd'hui).")
@json_option
@csv_option
@xlsx_option
def doubtful_cmd(db_url: str | None, creditor_ref: str | None, at: date | None,
                 as_json: bool, csv_path: Path | None, xlsx_path: Path | None) -> None:
    """Créances douteuses à une date : factures ouvertes en litige, mises en demeure, en
    procédure judiciaire ou dont le client est en procédure collective, avec le reste dû HT
    qui peut être déprécié (la TVA se récupère sur une créance irrécouvrable)."""
    from relance.services.doubtful import doubtful

    on = at or today()
    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        result = doubtful(conn, creditor.id, on)
    deliver(as_json, result.as_json, lambda: print_doubtful(result),
            csv=(csv_path, lambda: doubtful_csv(result)),
            xlsx=(xlsx_path, lambda: doubtful_xlsx(result)))


def _reasons_text(item: Any) -> str:
    return " ; ".join(r.label for r in item.reasons)


def print_doubtful(r: Doubtful) -> None:
    click.echo(f"Créances douteuses au {format_date(r.at)} — {r.creditor_name} "
               f"({r.creditor_ref})")
    if not r.invoices:
        click.echo("Aucune créance douteuse à cette date.")
        return
    table(["Facture", "Client", "Échéance", "Reste dû TTC", "Reste dû HT", "Motifs", "Note"],
          [(i.number, i.client_ref, format_short_date(i.due_date),
            format_money(i.open_amount, i.currency), format_money(i.open_excl_tax, i.currency),
            _reasons_text(i), i.note) for i in r.invoices])
    total = r.total
    click.echo(f"Total : {total.count} facture(s), reste dû {format_money(total.open_amount)} "
               f"TTC, soit {format_money(total.open_excl_tax)} HT dépréciable au plus.")
    parts = [f"{REASON_LABELS[k]} : {v.count} ({format_money(v.open_amount)} TTC, "
             f"{format_money(v.open_excl_tax)} HT)"
             for k, v in r.by_reason().items() if v.count]
    click.echo("Par motif (une facture peut en avoir plusieurs) : " + " ; ".join(parts) + ".")
    click.echo("La dépréciation porte sur le montant HT (TVA récupérable si la créance devient "
               "irrécouvrable, CGI art. 272) ; son taux reste à apprécier facture par facture.")
    for warning in r.warnings:
        click.echo(f"Attention : {warning}")


def _doubtful_headers() -> list[str]:
    return ["facture", "client", "nom", "date", "échéance", "jours de retard", "devise",
            "montant TTC", "montant HT", "reste dû TTC", "reste dû HT", "motifs", "note"]


def _doubtful_rows(r: Doubtful) -> list[list[Any]]:
    return [[i.number, i.client_ref, i.client_name, i.issue_date, i.due_date,
             (r.at - i.due_date).days, i.currency, i.amount,
             "" if i.amount_excl_tax is None else i.amount_excl_tax, i.open_amount,
             i.open_excl_tax, _reasons_text(i), i.note] for i in r.invoices]


def _doubtful_total(r: Doubtful) -> list[Any]:
    total = r.total
    return ["Total", f"{total.count} facture(s)", "", "", "", "", "EUR", "", "",
            total.open_amount, total.open_excl_tax, "", ""]


def doubtful_csv(r: Doubtful) -> str:
    return csv_text([_doubtful_headers(),
                     *([_csv_value(v) for v in row]
                       for row in [*_doubtful_rows(r), _doubtful_total(r)])])


def doubtful_xlsx(r: Doubtful) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Créances douteuses"
    sheet.append(_doubtful_headers())
    for row in [*_doubtful_rows(r), _doubtful_total(r)]:
        sheet.append([_xlsx_value(v) for v in row])
    _style(sheet, bold_rows=(1, sheet.max_row))
    sheet.column_dimensions["C"].width = 30
    sheet.column_dimensions["L"].width = 60
    return xlsx_bytes(book)


# --- registration -------------------------------------------------------------------------------


def register(report_group: click.Group) -> None:
    """Add `d441` and `doubtful` to the `report` group (once)."""
    for command in (d441_cmd, doubtful_cmd):
        if command.name not in report_group.commands:
            report_group.add_command(command)
