"""The file conventions every report shares: French CSV cells, no formula injection, a clear
French error when a file cannot be written."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from relance.domain.errors import ValidationError
from relance.entrypoints.report_files import csv_cell, csv_text, write_file


def test_cells_are_numbers_and_dates_a_french_spreadsheet_reads():
    assert csv_cell(Decimal("1234.5")) == "1234,50"
    assert csv_cell(date(2026, 11, 23)) == "23/11/2026"
    assert csv_cell(None) == "" and csv_cell(3) == "3"


@pytest.mark.parametrize("name", ["=HYPERLINK(\"x\")", "+33 1", "-1", "@SUM(A1)"])
def test_text_never_runs_as_a_formula(name):
    assert csv_cell(name) == "'" + name


def test_csv_text_uses_semicolons_and_crlf():
    assert csv_text([["Client", "Total"], ["=A1", Decimal("2")]]) == \
        "Client;Total\r\n'=A1;2,00\r\n"


def test_an_unwritable_path_is_a_french_error(tmp_path):
    with pytest.raises(ValidationError, match="écriture impossible"):
        write_file(tmp_path / "absent" / "f.csv", "x", bom=True)
    write_file(tmp_path / "f.csv", "é", bom=True)
    assert (tmp_path / "f.csv").read_bytes() == "é".encode("utf-8-sig")
