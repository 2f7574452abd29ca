"""What every report writes to files: CSV cells and text as French spreadsheets read them,
the XLSX amount format, and the writing itself with a French error."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from relance.domain.errors import ValidationError
from relance.i18n import format_money, format_short_date

EUROS = '#,##0.00\\ "€"'  # XLSX number format of amounts: 1 234,56 € in a French Excel
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """`1234,56` for an amount (a number to a spreadsheet), `23/11/2026` for a date, and text
    that can never run as a formula (CSV injection: a client named "=HYPERLINK(…)")."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, date):
        return format_short_date(value)
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(_FORMULA_STARTS) else text


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """`;`-separated rows, as French spreadsheets expect; cells through csv_cell."""
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(
        [csv_cell(v) for v in row] for row in rows)
    return out.getvalue()


def xlsx_bytes(book: Any) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_file(path: Path, data: bytes | str, *, bom: bool = False) -> None:
    """Write a report file, or say in French why it cannot be. A CSV wants `bom`: Excel then
    reads the UTF-8 accents right."""
    try:
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8-sig" if bom else "utf-8", newline="")
        else:
            path.write_bytes(data)
    except OSError as exc:
        raise ValidationError(f"{path} : écriture impossible ({exc.strerror}).") from exc


def written(*paths: Path | None) -> None:
    for path in paths:
        if path is not None:
            click.echo(f"Fichier écrit : {path}")


def check_chart(path: Path | None) -> None:
    """Refuse a chart file that is neither SVG nor PNG (before any work is done)."""
    if path is not None and path.suffix.lower() not in (".svg", ".png"):
        raise ValidationError("--chart : fichier .svg ou .png attendu.")


def deliver(as_json: bool, data: Callable[[], Any], show: Callable[[], None], *,
            csv: tuple[Path | None, Callable[[], str]] | None = None,
            xlsx: tuple[Path | None, Callable[[], bytes]] | None = None,
            chart: tuple[Path | None, Callable[[], str], Callable[[], bytes]] | None = None
            ) -> None:
    """The end of every report command: write the files asked for (CSV with a BOM, the chart
    as SVG or PNG by its suffix), then print the JSON, or the text and the files written."""
    paths: list[Path] = []
    if csv is not None and csv[0] is not None:
        write_file(csv[0], csv[1](), bom=True)
        paths.append(csv[0])
    if xlsx is not None and xlsx[0] is not None:
        write_file(xlsx[0], xlsx[1]())
        paths.append(xlsx[0])
    if chart is not None:
        path, svg, png = chart
        if path is not None:
            write_file(path, svg() if path.suffix.lower() == ".svg" else png())
            paths.append(path)
    if as_json:
        from relance.entrypoints.cli import emit_json

        emit_json(data())
        return
    show()
    written(*paths)


def days_text(value: Decimal | None) -> str:
    """`12,5 j`, or `n.d.` when there is nothing to divide by."""
    return "n.d." if value is None else f"{value}".replace(".", ",") + " j"


# --- charts ---------------------------------------------------------------------------------


def nice_top(top: Decimal) -> Decimal:
    """The axis maximum of a chart in euros: four ticks of 1, 2, 2.5 or 5 × 10^k covering `top`.

    >>> nice_top(Decimal("930")), nice_top(Decimal("12000")), nice_top(Decimal(0))
    (Decimal('1000'), Decimal('20000'), Decimal('4'))
    >>> nice_top(Decimal("0.30"))  # cents only: the axis still covers them
    Decimal('0.40')
    """
    if top <= 0:
        return Decimal(4)
    quarter = top / 4
    power = Decimal(1).scaleb(quarter.adjusted())
    for mantissa in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        if mantissa * power >= quarter:
            found = mantissa * power * 4
            return found.quantize(Decimal(1) if found >= 1 else Decimal("0.01"))
    return power * 40  # pragma: no cover - 10 × power always covers


def axis_label(value: Decimal) -> str:
    """`20 000 €`: an axis tick, without the cents."""
    return format_money(value.quantize(Decimal("0.01"))).replace(",00\xa0€", "\xa0€")
