"""`relance report`: the reports group, with the aged balance and the DSO.

    relance report aging [--at D] [--json] [--csv F] [--xlsx F] [--chart F.svg|F.png]
    relance report dso [--at D] [--months 12] [--json] [--csv F] [--xlsx F]

Added to `relance` by `register(cli)`; other modules add their commands to the group
`report` exported here.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

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
from relance.entrypoints.report_files import (
    EUROS,
    axis_label,
    check_chart,
    csv_text,
    days_text,
    deliver,
    nice_top,
    xlsx_bytes,
)
from relance.i18n import format_date, format_money, format_short_date
from relance.services.reports import BUCKET_LABELS, BUCKETS, Aging, Dso, DsoPoint

DAYS = "0.0"
DATE_FORMAT = "DD/MM/YYYY"
COLOURS = {"not_due": "#2a9d8f", "1-30": "#e9c46a", "31-60": "#f4a261", "61-90": "#e76f51",
           "90+": "#b5332e"}
_FILE = click.Path(dir_okay=False, path_type=Path)


@click.group("report")
def report() -> None:
    """Rapports : balance âgée, DSO, …"""


def register(cli: click.Group) -> None:
    """Add `relance report` (and the commands already in it) to the `relance` command."""
    if "report" not in cli.commands:
        cli.add_command(report)


# --- shared helpers -------------------------------------------------------------------------


def _csv_days(value: Decimal | None) -> str:
    return "" if value is None else f"{value}".replace(".", ",")


def _percent(part: Decimal, whole: Decimal) -> str:
    share = (part * 100 / whole).quantize(Decimal("0.1")) if whole else Decimal("0.0")
    return f"{share}".replace(".", ",") + "\u00a0%"


# --- aged balance: files ----------------------------------------------------------------------

AGING_HEADERS = ["Client", "Nom", *(BUCKET_LABELS[k] for k in BUCKETS), "Total",
                 "Factures ouvertes", "Crédit non affecté"]


def aging_rows(result: Aging) -> list[tuple[str, str, list[Decimal], Decimal, int, Decimal]]:
    """(ref, name, buckets, total, open invoices, credit) per client, then the total line."""
    rows = [(c.ref, c.name, [c.buckets[k] for k in BUCKETS], c.total, c.open_invoices,
             c.unallocated_credit) for c in result.clients]
    rows.append(("TOTAL", "", [result.buckets[k] for k in BUCKETS], result.total,
                 result.open_invoices, result.unallocated_credit))
    return rows


def aging_csv(result: Aging) -> str:
    """The aged balance as CSV: `;`, decimal commas, a TOTAL line last."""
    rows: list[Sequence[object]] = [AGING_HEADERS]
    for ref, name, buckets, total, count, credit in aging_rows(result):
        rows.append([ref, name, *buckets, total, count, credit])
    return csv_text(rows)


def aging_xlsx(result: Aging) -> bytes:
    """Workbook: the date as a date, amounts as numbers in euros, the total line in bold."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Balance âgée"
    sheet.append(["Balance âgée au", result.at, "montants TTC, reste dû à cette date"])
    sheet["A1"].font = Font(bold=True)
    sheet["B1"].number_format = DATE_FORMAT
    sheet.append(AGING_HEADERS)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    row = 2                                     # counted here: max_row scans every cell
    for ref, name, buckets, total, count, credit in aging_rows(result):
        sheet.append([ref, name, *buckets, total, count, credit])
        row += 1
        for col in "CDEFGHJ":
            sheet[f"{col}{row}"].number_format = EUROS
    for cell in sheet[row]:
        cell.font = Font(bold=True)
    for col, width in zip("ABCDEFGHIJ", (14, 32, 15, 15, 15, 15, 15, 16, 10, 16), strict=True):
        sheet.column_dimensions[col].width = width
    sheet.freeze_panes = "C3"
    return xlsx_bytes(book)


# --- aged balance: chart ----------------------------------------------------------------------

_W, _H = 760, 420
_LEFT, _RIGHT, _TOP, _BOTTOM = 100, 20, 60, 60


def _chart_title(result: Aging) -> str:
    return f"Balance âgée au {format_date(result.at)} — total {format_money(result.total)}"


def _chart_bars(result: Aging) -> tuple[Decimal, list[tuple[str, float, float, float]]]:
    """The scale and, per bucket, (bucket, x, y top, height) in pixels; bars 70 % of a slot."""
    scale = nice_top(max(result.buckets.values(), default=Decimal(0)))
    plot_h = _H - _TOP - _BOTTOM
    slot = (_W - _LEFT - _RIGHT) / len(BUCKETS)
    bars = []
    for i, k in enumerate(BUCKETS):
        height = float(result.buckets[k] / scale) * plot_h
        bars.append((k, _LEFT + i * slot + slot * 0.15, _H - _BOTTOM - height, height))
    return scale, bars


def _bar_width() -> float:
    return (_W - _LEFT - _RIGHT) / len(BUCKETS) * 0.7


def aging_svg(result: Aging) -> str:
    """A bar chart of the buckets, as SVG written by hand."""
    scale, bars = _chart_bars(result)
    width = _bar_width()
    base = _H - _BOTTOM
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
           f'viewBox="0 0 {_W} {_H}" font-family="DejaVu Sans, Arial, sans-serif" '
           'font-size="12">',
           f'<rect width="{_W}" height="{_H}" fill="white"/>',
           f'<text x="{_W / 2}" y="26" text-anchor="middle" font-size="15">'
           f'{escape(_chart_title(result))}</text>']
    for i in range(5):
        y = base - (base - _TOP) * i / 4
        out.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_W - _RIGHT}" y2="{y:.1f}" '
                   'stroke="#dddddd"/>')
        out.append(f'<text x="{_LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">'
                   f'{escape(axis_label(scale * i / 4))}</text>')
    for k, x, y, height in bars:
        amount = escape(format_money(result.buckets[k]))
        out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
                   f'fill="{COLOURS[k]}"><title>{escape(BUCKET_LABELS[k])} : {amount}'
                   '</title></rect>')
        out.append(f'<text x="{x + width / 2:.1f}" y="{y - 6:.1f}" text-anchor="middle">'
                   f'{amount}</text>')
        out.append(f'<text x="{x + width / 2:.1f}" y="{base + 20}" text-anchor="middle">'
                   f'{escape(BUCKET_LABELS[k])}</text>')
    out.append(f'<text x="{_W / 2}" y="{_H - 12}" text-anchor="middle" font-size="11">'
               f'{result.open_invoices} facture(s) ouverte(s), montants TTC</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def aging_png(result: Aging) -> bytes:
    """The same chart drawn with Pillow (the DejaVu font shipped for the PDFs)."""
    from importlib.resources import files

    from PIL import Image, ImageDraw, ImageFont

    regular = str(files("relance") / "documents" / "fonts" / "DejaVuSans.ttf")
    font = ImageFont.truetype(regular, 12)
    small = ImageFont.truetype(regular, 11)
    big = ImageFont.truetype(regular, 15)
    image = Image.new("RGB", (_W, _H), "white")
    draw = ImageDraw.Draw(image)
    draw.text((_W / 2, 20), _chart_title(result), fill="black", font=big, anchor="mm")
    scale, bars = _chart_bars(result)
    width = _bar_width()
    base = _H - _BOTTOM
    for i in range(5):
        y = base - (base - _TOP) * i / 4
        draw.line([(_LEFT, y), (_W - _RIGHT, y)], fill="#dddddd")
        draw.text((_LEFT - 8, y), axis_label(scale * i / 4), fill="black", font=font,
                  anchor="rm")
    for k, x, y, height in bars:
        if height > 0:
            draw.rectangle([(x, y), (x + width, y + height)], fill=COLOURS[k])
        draw.text((x + width / 2, y - 8), format_money(result.buckets[k]), fill="black",
                  font=font, anchor="mb" if height else "md")
        draw.text((x + width / 2, base + 16), BUCKET_LABELS[k], fill="black", font=font,
                  anchor="mm")
    draw.text((_W / 2, _H - 14), f"{result.open_invoices} facture(s) ouverte(s), montants TTC",
              fill="black", font=small, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


# --- aged balance: command --------------------------------------------------------------------


@report.command("aging")
@db_option
@creditor_option
@click.option("--at", type=DATE, default=None,
              help="Balance à cette date, en fin de journée (défaut : aujourd'hui).")
@json_option
@click.option("--csv", "csv_path", type=_FILE, default=None, metavar="FICHIER",
              help="Écrit aussi la balance en CSV (séparateur « ; », virgule décimale).")
@click.option("--xlsx", "xlsx_path", type=_FILE, default=None, metavar="FICHIER",
              help="Écrit aussi la balance en classeur Excel (.xlsx).")
@click.option("--chart", "chart_path", type=_FILE, default=None, metavar="FICHIER.svg|.png",
              help="Histogramme des tranches (SVG ou PNG).")
def aging_cmd(db_url: str | None, creditor_ref: str | None, at: date | None, as_json: bool,
              csv_path: Path | None, xlsx_path: Path | None, chart_path: Path | None) -> None:
    """Balance âgée : reste dû des factures ouvertes à la date, par client et par tranche de
    retard (non échu, 1 à 30 j, 31 à 60 j, 61 à 90 j, plus de 90 j)."""
    from relance.services.reports import aging

    at = at or today()
    check_chart(chart_path)
    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        result = aging(conn, creditor.id, at)
    deliver(as_json, result.as_json, lambda: print_aging(result),
            csv=(csv_path, lambda: aging_csv(result)),
            xlsx=(xlsx_path, lambda: aging_xlsx(result)),
            chart=(chart_path, lambda: aging_svg(result), lambda: aging_png(result)))


def print_aging(result: Aging) -> None:
    """The aged balance in French: a line per client, the total, the split by bucket."""
    with_invoices = sum(1 for c in result.clients if c.open_invoices)
    click.echo(f"Balance âgée au {format_date(result.at)} (montants TTC, reste dû à cette "
               f"date) : {format_money(result.total)} sur {result.open_invoices} facture(s) "
               f"ouverte(s), {with_invoices} client(s).")
    if result.clients:
        table(AGING_HEADERS,
              [(ref, name, *(format_money(b) for b in buckets), format_money(total), count,
                format_money(credit))
               for ref, name, buckets, total, count, credit in aging_rows(result)])
    if result.total:
        click.echo("Répartition : " + ", ".join(
            f"{BUCKET_LABELS[k].lower()} {_percent(result.buckets[k], result.total)}"
            for k in BUCKETS) + ".")
    if result.unallocated_credit:
        click.echo(f"Crédit non affecté des clients : {format_money(result.unallocated_credit)}"
                   " (règlements non lettrés et avoirs non imputés, non déduits des tranches).")
    for warning in result.warnings:
        click.echo(f"Attention : {warning}")


# --- DSO --------------------------------------------------------------------------------------

DSO_HEADERS = ["Date", "DSO simple (jours)", "DSO par épuisement (jours)", "Encours",
               "Ventes des 90 jours"]


def dso_points(result: Dso) -> list[DsoPoint]:
    """The month-ends of the trend, then the report date when it is not the last of them."""
    points = list(result.trend)
    if not points or points[-1].at != result.at:
        points.append(DsoPoint(result.at, result.receivables, result.sales_90_days,
                               result.dso_simple, result.dso_countback))
    return points


def dso_csv(result: Dso) -> str:
    """One line per date, oldest first: `;`, decimal commas, dd/mm/yyyy dates."""
    rows: list[Sequence[object]] = [DSO_HEADERS]
    for p in dso_points(result):
        rows.append([p.at, _csv_days(p.dso_simple), _csv_days(p.dso_countback),
                     p.receivables, p.sales_90_days])
    return csv_text(rows)


def dso_xlsx(result: Dso) -> bytes:
    """Workbook: dates as dates, days as numbers with one decimal, amounts in euros."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "DSO"
    sheet.append(["DSO au", result.at])
    sheet["A1"].font = Font(bold=True)
    sheet["B1"].number_format = DATE_FORMAT
    sheet.append(DSO_HEADERS)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row, p in enumerate(dso_points(result), start=3):
        sheet.append([p.at, p.dso_simple, p.dso_countback, p.receivables, p.sales_90_days])
        sheet[f"A{row}"].number_format = DATE_FORMAT
        sheet[f"B{row}"].number_format = sheet[f"C{row}"].number_format = DAYS
        sheet[f"D{row}"].number_format = sheet[f"E{row}"].number_format = EUROS
    for col, width in zip("ABCDE", (12, 20, 26, 18, 20), strict=True):
        sheet.column_dimensions[col].width = width
    return xlsx_bytes(book)


@report.command("dso")
@db_option
@creditor_option
@click.option("--at", type=DATE, default=None,
              help="DSO à cette date, en fin de journée (défaut : aujourd'hui).")
@click.option("--months", type=click.IntRange(0, 120), default=12, show_default=True,
              help="Nombre de fins de mois de la tendance.")
@json_option
@click.option("--csv", "csv_path", type=_FILE, default=None, metavar="FICHIER",
              help="Écrit aussi la tendance en CSV (séparateur « ; », virgule décimale).")
@click.option("--xlsx", "xlsx_path", type=_FILE, default=None, metavar="FICHIER",
              help="Écrit aussi la tendance en classeur Excel (.xlsx).")
def dso_cmd(db_url: str | None, creditor_ref: str | None, at: date | None, months: int,
            as_json: bool, csv_path: Path | None, xlsx_path: Path | None) -> None:
    """Délai moyen de paiement des clients (DSO) : méthode simple (encours ÷ ventes des 90
    derniers jours × 90), méthode par épuisement (countback), et sa tendance fin de mois par
    fin de mois."""
    from relance.services.reports import dso

    at = at or today()
    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        result = dso(conn, creditor.id, at, months)
    deliver(as_json, result.as_json, lambda: print_dso(result),
            csv=(csv_path, lambda: dso_csv(result)), xlsx=(xlsx_path, lambda: dso_xlsx(result)))


def print_dso(result: Dso) -> None:
    """Both figures, how they were obtained, then the trend."""
    click.echo(f"DSO au {format_date(result.at)} (montants TTC ; ventes = factures moins "
               "avoirs émis) :")
    click.echo(f"  méthode simple : {days_text(result.dso_simple)} (encours "
               f"{format_money(result.receivables)} ÷ ventes des 90 derniers jours "
               f"{format_money(result.sales_90_days)} × 90)")
    click.echo(f"  méthode par épuisement : {days_text(result.dso_countback)} (l'encours rapporté "
               "aux ventes des mois les plus récents, mois par mois)")
    if result.dso_simple is None:
        click.echo("Aucune vente dans les 90 derniers jours : DSO simple non calculable.")
    if result.trend:
        click.echo("")
        click.echo("Tendance (fins de mois) :")
        table(["Fin de mois", "DSO simple", "DSO épuisement", "Encours", "Ventes 90 j"],
              [(format_short_date(p.at), days_text(p.dso_simple), days_text(p.dso_countback),
                format_money(p.receivables), format_money(p.sales_90_days))
               for p in result.trend])
