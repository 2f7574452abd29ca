"""Cash reports under `relance report`: the receipts forecast and the collection KPIs.

    relance report forecast [--at D] [--weeks 13] [--backtest-from D] [--json]
                            [--csv F] [--xlsx F] [--chart F.svg|F.png]
    relance report cei [--at D] [--months 12] [--json]
    relance report lateness [--from D] [--to D] [--json]
    relance report recovery [--from D] [--to D] [--within 15] [--json]

Added to the `report` group by `register(report_group)`.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

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

SOURCE_COLUMNS = ("échéancier", "promesse", "prévision", "échéance")
SOURCE_HEADERS = ("Échéancier", "Promesse", "Prévision", "Échéance")
# Bar colours per source (chart): plan, promise, prediction, due date.
COLOURS = {"échéancier": "#1b6ca8", "promesse": "#2a9d8f", "prévision": "#e9a03b",
           "échéance": "#9aa5b1"}


def _pct(value: Decimal | None) -> str:
    return "n.d." if value is None else f"{value:.2f}".replace(".", ",") + "\u00a0%"


def _money(value: Decimal | None) -> str:
    return "n.d." if value is None else format_money(value)


def _month_label(start: date) -> str:
    from babel.dates import format_date as babel_date

    return str(babel_date(start, "LLLL y", locale="fr_FR"))


# --- files: CSV, XLSX, chart ---------------------------------------------------------------------


def forecast_rows(fc: Any) -> list[tuple[str, date | None, date | None, Decimal,
                                         tuple[Decimal, ...]]]:
    """(label, start, end, amount, amounts by source) per week, then beyond and total."""
    rows: list[tuple[str, date | None, date | None, Decimal, tuple[Decimal, ...]]] = [
        (f"S{w.index}", w.start, w.end, w.amount,
         tuple(w.by_source[s] for s in SOURCE_COLUMNS)) for w in fc.weeks]
    rows.append(("au-delà", fc.horizon_end + timedelta(days=1), None, fc.beyond,
                 tuple(fc.beyond_by_source[s] for s in SOURCE_COLUMNS)))
    totals = tuple(sum((r[4][i] for r in rows), Decimal("0.00"))
                   for i in range(len(SOURCE_COLUMNS)))
    rows.append(("total", None, None, fc.total_open, totals))
    return rows


def forecast_csv(fc: Any) -> str:
    """`;`-separated, decimal commas, dd/mm/yyyy dates (French spreadsheets)."""
    return csv_text([("semaine", "du", "au", "attendu", *SOURCE_COLUMNS),
                     *((label, start, end, amount, *parts)
                       for label, start, end, amount, parts in forecast_rows(fc))])


def forecast_xlsx(fc: Any, backtest: Any | None = None) -> bytes:
    """Workbook: the weeks, the invoices and their expected dates, the back-test if any."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Prévision"
    sheet.append([f"Prévision d'encaissements au {format_date(fc.at)} ({fc.method})"])
    sheet.append(["Semaine", "Du", "Au", "Attendu", *SOURCE_HEADERS])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row, (label, start, end, amount, parts) in enumerate(forecast_rows(fc), start=3):
        sheet.append([label, start, end, amount, *parts])
        for col in "BC":
            sheet[f"{col}{row}"].number_format = "DD/MM/YYYY"
        for col in "DEFGH":
            sheet[f"{col}{row}"].number_format = EUROS
    for col, width in zip("ABCDEFGH", (10, 12, 12, 16, 16, 16, 16, 16), strict=True):
        sheet.column_dimensions[col].width = width

    lines = book.create_sheet("Factures")
    lines.append(["Facture", "Client", "Échéance", "Date attendue", "Semaine", "Montant",
                  "Source"])
    for cell in lines[1]:
        cell.font = Font(bold=True)
    for row, e in enumerate(fc.lines, start=2):  # counted: max_row rescans every cell
        lines.append([e.number, e.client_ref, e.due_date, e.on, fc.week_of(e.on) or "au-delà",
                      e.amount, e.source])
        lines[f"C{row}"].number_format = lines[f"D{row}"].number_format = "DD/MM/YYYY"
        lines[f"F{row}"].number_format = EUROS

    if backtest is not None:
        bt = book.create_sheet("Back-test")
        bt.append(["Date", "Semaine", "Prévu", "Naïf (échéances)", "Encaissé"])
        for cell in bt[1]:
            cell.font = Font(bold=True)
        row = 1
        for o in backtest.origins:
            for k in range(backtest.weeks):
                bt.append([o.at, k + 1, o.forecast[k], o.naive[k], o.actual[k]])
                row += 1
                bt[f"A{row}"].number_format = "DD/MM/YYYY"
                for col in "CDE":
                    bt[f"{col}{row}"].number_format = EUROS
    return xlsx_bytes(book)


_W, _H = 900, 420
_LEFT, _RIGHT, _TOP, _BOTTOM = 90, 20, 50, 70


def _chart_layout(fc: Any) -> tuple[Decimal, list[tuple[float, float, list[tuple[str, float,
                                                                                    float]]]]]:
    """Scale and bars: (x, width, [(source, y top, height)]) per week, in pixels."""
    scale = nice_top(max((w.amount for w in fc.weeks), default=Decimal(0)))
    plot_h = _H - _TOP - _BOTTOM
    slot = (_W - _LEFT - _RIGHT) / max(len(fc.weeks), 1)
    bars = []
    for k, w in enumerate(fc.weeks):
        x = _LEFT + k * slot + slot * 0.15
        y = float(_H - _BOTTOM)
        parts = []
        for source in SOURCE_COLUMNS:
            height = float(w.by_source[source] / scale) * plot_h
            if height > 0:
                y -= height
                parts.append((source, y, height))
        bars.append((x, slot * 0.7, parts))
    return scale, bars


def _chart_title(fc: Any) -> str:
    return (f"Encaissements attendus par semaine au {format_date(fc.at)} — "
            f"encours {format_money(fc.total_open)}")


def forecast_svg(fc: Any) -> str:
    """A stacked bar chart per week, as SVG written by hand."""
    scale, bars = _chart_layout(fc)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
           f'viewBox="0 0 {_W} {_H}" font-family="DejaVu Sans, Arial, sans-serif" '
           f'font-size="11">',
           f'<rect width="{_W}" height="{_H}" fill="white"/>',
           f'<text x="{_W / 2}" y="22" text-anchor="middle" font-size="14">'
           f'{escape(_chart_title(fc))}</text>']
    base = _H - _BOTTOM
    for i in range(5):
        y = base - (base - _TOP) * i / 4
        out.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_W - _RIGHT}" y2="{y:.1f}" '
                   f'stroke="#dddddd"/>')
        out.append(f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                   f'{escape(axis_label(scale * i / 4))}</text>')
    for week, (x, width, parts) in zip(fc.weeks, bars, strict=True):
        for source, y, height in parts:
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" '
                       f'height="{height:.1f}" fill="{COLOURS[source]}">'
                       f'<title>S{week.index} {escape(source)} : '
                       f'{escape(format_money(week.by_source[source]))}</title></rect>')
        out.append(f'<text x="{x + width / 2:.1f}" y="{base + 16}" text-anchor="middle">'
                   f'S{week.index}</text>')
        out.append(f'<text x="{x + width / 2:.1f}" y="{base + 30}" text-anchor="middle" '
                   f'font-size="9">{week.start:%d/%m}</text>')
    for i, source in enumerate(SOURCE_COLUMNS):
        x = _LEFT + i * 150
        out.append(f'<rect x="{x}" y="{_H - 22}" width="12" height="12" '
                   f'fill="{COLOURS[source]}"/>')
        out.append(f'<text x="{x + 18}" y="{_H - 12}">{escape(source)}</text>')
    out.append(f'<text x="{_W - _RIGHT}" y="{_H - 12}" text-anchor="end">au-delà : '
               f'{escape(format_money(fc.beyond))}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def forecast_png(fc: Any) -> bytes:
    """The same chart drawn with Pillow."""
    from importlib.resources import files

    from PIL import Image, ImageDraw, ImageFont

    fonts = files("relance") / "documents" / "fonts"
    regular = str(fonts / "DejaVuSans.ttf")
    font = ImageFont.truetype(regular, 11)
    small = ImageFont.truetype(regular, 9)
    big = ImageFont.truetype(regular, 14)
    image = Image.new("RGB", (_W, _H), "white")
    draw = ImageDraw.Draw(image)
    draw.text((_W / 2, 14), _chart_title(fc), fill="black", font=big, anchor="mt")
    scale, bars = _chart_layout(fc)
    base = _H - _BOTTOM
    for i in range(5):
        y = base - (base - _TOP) * i / 4
        draw.line([(_LEFT, y), (_W - _RIGHT, y)], fill="#dddddd")
        draw.text((_LEFT - 6, y), axis_label(scale * i / 4), fill="black", font=font,
                  anchor="rm")
    for week, (x, width, parts) in zip(fc.weeks, bars, strict=True):
        for source, y, height in parts:
            draw.rectangle([(x, y), (x + width, y + height)], fill=COLOURS[source])
        draw.text((x + width / 2, base + 10), f"S{week.index}", fill="black", font=font,
                  anchor="mm")
        draw.text((x + width / 2, base + 24), f"{week.start:%d/%m}", fill="black", font=small,
                  anchor="mm")
    for i, source in enumerate(SOURCE_COLUMNS):
        x = _LEFT + i * 150
        draw.rectangle([(x, _H - 22), (x + 12, _H - 10)], fill=COLOURS[source])
        draw.text((x + 18, _H - 16), source, fill="black", font=font, anchor="lm")
    draw.text((_W - _RIGHT, _H - 16), f"au-delà : {format_money(fc.beyond)}", fill="black",
              font=font, anchor="rm")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


# --- commands ---------------------------------------------------------------------------------


def backtest_lines(bt: Any) -> list[str]:
    if not bt.origins:
        return ["Back-test : aucune date de prévision dans la période."]
    lines = [
        f"Back-test : {len(bt.origins)} prévision(s) refaite(s) du {format_date(bt.start)} au "
        f"{format_date(bt.origins[-1].at)} (toutes les {bt.step_days // 7} semaines, avec "
        f"seulement ce qui était connu à chaque date), comparées aux règlements reçus.",
        f"Erreur absolue moyenne par semaine : {_money(bt.mae)} — prévision naïve « à "
        f"l'échéance » : {_money(bt.naive_mae)} (encaissement moyen d'une semaine : "
        f"{_money(bt.actual_mean_week)}).",
        f"Erreur moyenne sur le total des {bt.weeks} semaines : {_money(bt.total_mae)} — "
        f"naïve : {_money(bt.naive_total_mae)}.",
        "La prévision " + ("bat" if bt.beats_naive else "ne bat pas")
        + " la prévision naïve « à l'échéance ».",
    ]
    return lines


@click.command("forecast")
@db_option
@creditor_option
@click.option("--at", type=DATE, default=None,
              help="Prévision faite à cette date, en fin de journée (défaut : aujourd'hui).")
@click.option("--weeks", type=click.IntRange(1, 104), default=13, show_default=True,
              help="Nombre de semaines.")
@click.option("--backtest-from", "backtest_from", type=DATE, default=None,
              help="Refait la prévision toutes les 4 semaines depuis cette date et la compare "
                   "aux encaissements réels (jusqu'à --at moins --weeks semaines).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, metavar="FICHIER", help="Écrit les semaines en CSV (;).")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, metavar="FICHIER", help="Écrit un classeur Excel.")
@click.option("--chart", "chart_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, metavar="FICHIER.svg|.png", help="Histogramme par semaine.")
@json_option
def forecast_cmd(db_url: str | None, creditor_ref: str | None, at: date | None, weeks: int,
                 backtest_from: date | None, csv_path: Path | None, xlsx_path: Path | None,
                 chart_path: Path | None, as_json: bool) -> None:
    """Prévision d'encaissements par semaine : échéanciers, promesses, dates de paiement
    prévues (modèle de retard), échéances."""
    from relance.services.forecast import forecast, forecast_backtest

    at = at or today()
    check_chart(chart_path)
    backtest_end = at - timedelta(days=7 * weeks)
    if backtest_from is not None and backtest_from > backtest_end:
        raise ValidationError(
            f"--backtest-from : il faut une date au plus tard le {format_date(backtest_end)} "
            f"({weeks} semaines avant le {format_date(at)}), pour que les encaissements de "
            "chaque semaine comparée soient connus.")
    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        fc = forecast(conn, creditor.id, at, weeks)
        bt = (forecast_backtest(conn, creditor.id, backtest_from, backtest_end, weeks)
              if backtest_from is not None else None)

    def data() -> dict[str, Any]:
        return {**fc.as_json(), **({"backtest": bt.as_json()} if bt is not None else {})}

    deliver(as_json, data, lambda: print_forecast(fc, bt, weeks),
            csv=(csv_path, lambda: forecast_csv(fc)),
            xlsx=(xlsx_path, lambda: forecast_xlsx(fc, bt)),
            chart=(chart_path, lambda: forecast_svg(fc), lambda: forecast_png(fc)))


def print_forecast(fc: Any, bt: Any, weeks: int) -> None:
    """The weeks in French, then the back-test when there is one."""
    how = {"échéances": "échéances seules", "délai-médian-client":
           "échéance + délai médian passé du client"}.get(fc.method, f"modèle {fc.method}")
    click.echo(f"Prévision d'encaissements au {format_date(fc.at)} ({weeks} semaines, {how}) : "
               f"encours ouvert {format_money(fc.total_open)}.")
    table(["Semaine", "Du", "Au", "Attendu", *SOURCE_HEADERS],
          [(label, format_short_date(start) if start else "",
            format_short_date(end) if end else "", format_money(amount),
            *(format_money(p) for p in parts))
           for label, start, end, amount, parts in forecast_rows(fc)])
    if bt is not None:
        click.echo("")
        for line in backtest_lines(bt):
            click.echo(line)


@click.command("cei")
@db_option
@creditor_option
@click.option("--at", type=DATE, default=None, help="Dernier jour couvert (défaut : aujourd'hui).")
@click.option("--months", type=click.IntRange(1, 120), default=12, show_default=True)
@json_option
def cei_cmd(db_url: str | None, creditor_ref: str | None, at: date | None, months: int,
            as_json: bool) -> None:
    """Indice d'efficacité du recouvrement (CEI) mois par mois :
    (encours début + ventes − encours fin) ÷ (encours début + ventes − encours non échu fin)."""
    from relance.services.forecast import cei_by_month

    at = at or today()
    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        rows = cei_by_month(conn, creditor.id, at, months)
    if as_json:
        emit_json({"at": at, "months": [r.as_json() for r in rows]})
        return
    click.echo(f"Indice d'efficacité du recouvrement (CEI) au {format_date(at)} : part de ce "
               "qui était encaissable qui a été encaissé dans le mois.")
    table(["Mois", "Encours début", "Ventes", "Encours fin", "dont non échu", "Encaissé", "CEI"],
          [(_month_label(r.start) + (f" (au {r.end:%d/%m})" if r.partial else ""),
            format_money(r.beginning), format_money(r.sales), format_money(r.ending_total),
            format_money(r.ending_current), format_money(r.collected), _pct(r.cei))
           for r in rows])


def _period(start: date | None, end: date | None) -> tuple[date, date]:
    from relance.services.forecast import month_starts

    end = end or today()
    start = start or month_starts(end, 12)[0]
    if start > end:
        raise ValidationError("--from doit précéder --to.")
    return start, end


@click.command("lateness")
@db_option
@creditor_option
@click.option("--from", "start", type=DATE, default=None,
              help="Début de la période (défaut : 12 mois calendaires jusqu'à --to).")
@click.option("--to", "end", type=DATE, default=None, help="Fin (défaut : aujourd'hui).")
@json_option
def lateness_cmd(db_url: str | None, creditor_ref: str | None, start: date | None,
                 end: date | None, as_json: bool) -> None:
    """Retard moyen des factures soldées dans la période (simple et pondéré par les montants ;
    une facture réglée à l'heure compte 0 jour)."""
    from relance.services.forecast import days_late_paid

    start, end = _period(start, end)
    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        result = days_late_paid(conn, creditor.id, start, end)
    if as_json:
        emit_json(result.as_json())
        return
    click.echo(f"Factures soldées du {format_date(start)} au {format_date(end)} : "
               f"{result.invoices} ({format_money(result.amount)}), dont {result.late} en "
               "retard.")
    if not result.invoices:
        return
    click.echo(f"Retard moyen : {days_text(result.average_days)} ; pondéré par les montants : "
               f"{days_text(result.weighted_days)} ; plus long : {result.max_days} j.")


@click.command("recovery")
@db_option
@creditor_option
@click.option("--from", "start", type=DATE, default=None,
              help="Relances faites à partir de cette date (défaut : 12 mois calendaires "
                   "jusqu'à --to).")
@click.option("--to", "end", type=DATE, default=None, help="Jusqu'à cette date (défaut : "
              "aujourd'hui).")
@click.option("--within", "within", type=click.IntRange(1, 365), default=15, show_default=True,
              help="Jours après la relance pendant lesquels un règlement compte.")
@json_option
def recovery_cmd(db_url: str | None, creditor_ref: str | None, start: date | None,
                 end: date | None, within: int, as_json: bool) -> None:
    """Efficacité de chaque étape du scénario : montant relancé et montant réglé dans les
    N jours qui suivent la relance."""
    from relance.services.forecast import rate, recovery_by_step

    start, end = _period(start, end)
    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        steps = recovery_by_step(conn, creditor.id, start, end, within)
    if as_json:
        emit_json({"start": start, "end": end, "within_days": within,
                   "steps": [s.as_json() for s in steps]})
        return
    click.echo(f"Relances du {format_date(start)} au {format_date(end)} : règlements reçus dans "
               f"les {within} jours suivant chaque relance.")
    if not steps:
        click.echo("Aucune relance dans la période.")
        return
    zero = Decimal("0.00")
    reminded = sum((s.reminded for s in steps), zero)
    paid = sum((s.paid for s in steps), zero)
    table(["Étape", "Factures", "Montant relancé", "Réglé", "Taux"],
          [(s.label, s.invoices, format_money(s.reminded), format_money(s.paid), _pct(s.rate))
           for s in steps]
          + [("Total", sum(s.invoices for s in steps), format_money(reminded),
              format_money(paid), _pct(rate(paid, reminded)))])


def register(report_group: click.Group) -> None:
    """Add `forecast`, `cei`, `lateness` and `recovery` to the `relance report` group."""
    for command in (forecast_cmd, cei_cmd, lateness_cmd, recovery_cmd):
        report_group.add_command(command)
