"""Reading CSV (`,` `;` or tab, UTF-8 or Latin-1) and XLSX files into rows of cells.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "f.csv"
>>> _ = path.write_bytes("numero;montant\\nF1;1 234,56\\n".encode("latin-1"))
>>> table = read_table(path)
>>> table.headers, list(table.rows)
(['numero', 'montant'], [(2, ['F1', '1 234,56'])])
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from relance.imports.errors import ImportFailed, ImportProblem
from relance.imports.values import cell_text

_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"\xd0\xcf\x11\xe0")


@dataclass
class Table:
    """Headers and an iterator of (row number in the file, cells)."""

    file: str
    headers: list[str]
    rows: Iterator[tuple[int, list[object]]]
    text_cells: bool = False  # every cell is a str (CSV), which lets imports take fast paths


def _fail(file: str, expected: str, row: int = 0, value: str = "") -> ImportFailed:
    return ImportFailed([ImportProblem(file, row, "", value, expected)])


def read_table(path: Path, encoding: str | None = None) -> Table:
    """Open a CSV or XLSX file; a file of another kind is refused with a clear reason."""
    name = path.name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise _fail(name, "fichier introuvable") from None
    except OSError as exc:
        raise _fail(name, f"fichier illisible ({exc.strerror})") from None
    if not data.strip():
        raise _fail(name, "le fichier est vide (attendu : une ligne d'en-tête puis des lignes)")
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(name, data)
    if data.startswith(_BINARY_MAGIC):
        raise _fail(name, "ce fichier n'est ni un CSV ni un classeur XLSX")
    text = _decode(name, data, encoding)
    return _read_csv(name, text)


def _decode(name: str, data: bytes, encoding: str | None) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise _fail(name, "ce fichier n'est ni un CSV ni un classeur XLSX (contenu binaire)")
        raise _fail(
            name,
            "encodage UTF-16 non pris en charge : enregistrez le fichier en CSV UTF-8 ou Latin-1",
        )
    candidates = [encoding] if encoding else ["utf-8-sig", "cp1252", "latin-1"]
    for candidate in candidates:
        try:
            text = data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
        if candidate == "latin-1" and any("\x80" <= ch <= "\x9f" for ch in text):
            break
        return text
    row = data[: _first_bad_byte(data, candidates[0])].count(b"\n") + 1
    raise _fail(
        name,
        f"encodage non reconnu (attendu : UTF-8 ou Latin-1{', ' + encoding if encoding else ''})",
        row=row,
    )


def _first_bad_byte(data: bytes, encoding: str) -> int:
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        return exc.start
    except LookupError:
        return 0
    return len(data)


def _sniff_delimiter(first_line: str) -> str:
    counts = {sep: first_line.count(sep) for sep in (";", ",", "\t", "|")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _read_csv(name: str, text: str) -> Table:
    first_line = text.split("\n", 1)[0]
    delimiter = _sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = [cell_text(h) for h in next(reader)]
    except StopIteration:
        raise _fail(name, "le fichier est vide") from None
    except csv.Error as exc:
        raise _fail(name, f"CSV illisible : {exc}", row=1) from None
    if not any(headers):
        raise _fail(name, "la première ligne doit contenir les noms des colonnes", row=1)

    def rows() -> Iterator[tuple[int, list[object]]]:
        try:
            for cells in reader:
                if not "".join(cells).strip():
                    continue
                extra = [c for c in cells[len(headers):] if c.strip()]
                if extra:
                    # Never drop a cell: "1 234,56" unquoted in a comma-separated file splits in
                    # two, and the amount would silently lose its cents.
                    joined = delimiter.join(cells[len(headers) - 1:])
                    raise ImportFailed([ImportProblem(
                        name, reader.line_num, headers[-1], joined,
                        f"{len(headers)} colonnes comme l'en-tête, {len(cells)} trouvées (une "
                        f"valeur contenant « {delimiter} » doit être entre guillemets)")])
                yield reader.line_num, cells  # type: ignore[misc]
        except csv.Error as exc:
            raise _fail(name, f"CSV illisible : {exc}", row=reader.line_num) from None

    return Table(name, headers, rows(), text_cells=True)


def _read_xlsx(name: str, data: bytes) -> Table:
    from openpyxl import load_workbook  # imported here: only XLSX imports pay for it

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise _fail(name, "ce fichier n'est ni un CSV ni un classeur XLSX lisible") from None
    sheet = workbook.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    try:
        headers = [cell_text(h) for h in next(iterator)]
    except StopIteration:
        raise _fail(name, "la feuille de calcul est vide") from None
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise _fail(name, "la première ligne doit contenir les noms des colonnes", row=1)

    def rows() -> Iterator[tuple[int, list[object]]]:
        for number, values in enumerate(iterator, start=2):
            cells = list(values)
            if any(v is not None and str(v).strip() for v in cells):
                yield number, cells
        workbook.close()

    return Table(name, headers, rows())
