"""Legal year-end reports on a small ledger whose every figure is known: the D441-6 payment
terms table of the management report, its alternative presentation, and the doubtful
receivables with their write-down base excl. tax."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import click
import pytest
from openpyxl import load_workbook

from relance.adapters import tables as t
from relance.entrypoints.cli import cli
from relance.entrypoints.cli_reports_legal import register
from relance.services.d441 import d441_table
from relance.services.doubtful import doubtful
from tests.integration.test_imports import write

try:   # the `report` group of relance.entrypoints.cli_reports when it exists, else our own
    from relance.entrypoints import cli_reports as _cli_reports
except ImportError:
    _cli_reports = None
if _cli_reports is not None:
    _cli_reports.register(cli)
elif "report" not in cli.commands:
    @click.group("report")
    def _report() -> None:
        """Rapports."""

    cli.add_command(_report)
_group = cli.commands["report"]
assert isinstance(_group, click.Group)
if "d441" not in _group.commands:
    register(_group)

CLOSING = "2025-12-31"
NBSP = "\u00a0"
NNBSP = "\u202f"

CLIENTS = """client_ref,name,kind,siren
C1,Alpha SARL,b2b,
C2,Bravo SAS,b2b,
C3,Charlie SA,b2b,
C4,Delta SARL,b2b,
C5,Echo SAS,b2b,
C6,Foxtrot SAS,b2b,
"""

# number, client, issue, due, amount incl. tax, amount excl. tax, currency, type, applies_to
INVOICES = """number,client_ref,issue_date,due_date,amount,amount_excl_tax,currency,type,applies_to
N0,C1,2025-12-15,2026-01-14,1200.00,1000.00,EUR,invoice,
N0B,C1,2025-12-01,2025-12-31,600.00,500.00,EUR,invoice,
B1,C1,2025-11-15,2025-12-15,2400.00,2000.00,EUR,invoice,
B30,C2,2025-11-01,2025-12-01,100.00,,EUR,invoice,
B2,C2,2025-10-11,2025-11-10,1000.00,,EUR,invoice,
B3,C3,2025-09-15,2025-10-15,500.00,450.00,EUR,invoice,
B4,C4,2025-08-02,2025-09-01,3000.00,2500.00,EUR,invoice,
B5,C5,2025-09-01,2025-10-01,300.00,,EUR,invoice,
D1,C3,2025-10-02,2025-11-01,800.00,700.00,EUR,invoice,
D2,C1,2025-08-31,2025-09-30,200.00,,EUR,invoice,
D3,C6,2025-11-20,2025-12-20,150.00,,EUR,invoice,
P1,C1,2025-01-10,2025-02-09,1000.00,,EUR,invoice,
P2,C1,2025-03-01,2025-03-31,2000.00,,EUR,invoice,
P3,C1,2025-04-01,2025-05-01,500.00,,EUR,invoice,
P4,C1,2025-05-01,2025-05-31,1000.00,,EUR,invoice,
P5,C1,2024-11-01,2024-12-01,700.00,,EUR,invoice,
P6,C1,2024-10-01,2024-10-31,300.00,,EUR,invoice,
P7,C1,2025-06-01,2025-07-01,900.00,,EUR,invoice,
P8,C1,2025-02-01,2025-03-03,1500.00,,EUR,invoice,
P9,C1,2025-08-01,2025-08-31,600.00,,EUR,invoice,
X1,C1,2025-07-01,2025-07-31,400.00,,EUR,invoice,
U1,C1,2025-06-01,2025-07-01,1000.00,,USD,invoice,
F2026,C1,2026-01-05,2026-02-04,5000.00,,EUR,invoice,
A1,C1,2025-09-01,,400.00,,EUR,avoir,X1
A2,C3,2025-12-20,,100.00,,EUR,avoir,B3
A4,C1,2025-09-05,,100.00,,EUR,avoir,P9
A3,C1,2026-01-15,,50.00,,EUR,avoir,N0
"""

PAYMENTS = """date,amount,client_ref,invoice_number
2025-12-20,400.00,C1,B1
2025-10-01,1000.00,C4,B4
2026-01-10,2000.00,C4,B4
2025-02-05,1000.00,C1,P1
2025-04-20,2000.00,C1,P2
2025-05-10,200.00,C1,P3
2025-06-15,300.00,C1,P3
2025-09-15,1000.00,C1,P4
2025-01-20,700.00,C1,P5
2024-12-15,300.00,C1,P6
2025-08-05,900.00,C1,P7
2025-05-20,1500.00,C1,P8
2025-10-10,500.00,C1,P9
"""


def js(relance, *args):
    return json.loads(relance(*args, "--json").stdout)


def plain(text: str) -> str:
    return text.replace(NNBSP, " ").replace(NBSP, " ")


@pytest.fixture
def ledger(relance, creditor, engine, tmp_path: Path) -> Path:
    relance("import", "clients", str(write(tmp_path / "clients.csv", CLIENTS)))
    relance("import", "invoices", str(write(tmp_path / "invoices.csv", INVOICES)))
    relance("import", "payments", str(write(tmp_path / "payments.csv", PAYMENTS)))
    # Disputes: D1 open at the closing, D2 resolved before it, D3 opened after it, P7 disputed
    # before it was paid (late).
    relance("disputes", "open", "D1", "--reason", "Livraison incomplète", "--date", "2025-11-20")
    relance("disputes", "open", "D2", "--reason", "Erreur de prix", "--date", "2025-10-01")
    relance("disputes", "resolve", "D2", "--date", "2025-12-10")
    relance("disputes", "open", "D3", "--reason", "Retard de livraison", "--date", "2026-01-05")
    relance("disputes", "open", "P7", "--reason", "Qualité", "--date", "2025-07-10")
    relance("disputes", "resolve", "P7", "--date", "2025-08-01")
    # Formal notices: B2 recorded for the invoice; B3 listed in a client-level notice; B1 after
    # the closing.
    relance("notices", "record", "B2", "--sent", "2025-12-10")
    relance("notices", "record", "B1", "--sent", "2026-01-02")
    with engine.begin() as conn:
        c3 = conn.execute(t.clients.select().where(t.clients.c.ref == "C3")).one()
        conn.execute(t.events.insert().values(
            creditor_id=c3.creditor_id, client_id=c3.id, invoice_id=None, kind="formal_notice",
            occurred_on=date(2025, 12, 5), summary="Mise en demeure",
            data={"invoices": ["B3"], "channel": "registered_letter"}))
    # Legal case: C4 and C5; collective proceedings: C5 ongoing, C6 closed before the closing.
    relance("status", "C4", "--legal-case", "--date", "2025-11-01")
    relance("status", "C5", "--legal-case", "--date", "2025-11-01")
    relance("proceedings", "open", "C5", "--kind", "redressement", "--judgment", "2025-11-15")
    relance("proceedings", "open", "C6", "--kind", "sauvegarde", "--judgment", "2025-06-01")
    relance("proceedings", "close", _proceeding_id(engine, "C6"), "--date", "2025-12-01",
            "--outcome", "plan de sauvegarde adopté")
    return tmp_path


def _proceeding_id(engine, ref: str) -> str:
    with engine.connect() as conn:
        return str(conn.execute(
            t.proceedings.select().join(t.clients, t.clients.c.id == t.proceedings.c.client_id)
            .where(t.clients.c.ref == ref)).one().id)


# --- D441-6 -------------------------------------------------------------------------------------


def cells(section: dict, key: str) -> list:
    return [section["buckets"][k][key] for k in ("0", "1-30", "31-60", "61-90", "91+", "total")]


def test_d441_unpaid_invoices_by_bucket_with_disputes_excluded(relance, ledger):
    data = js(relance, "report", "d441", "--at", CLOSING)
    assert (data["closing"], data["year_start"], data["amounts"]) == (CLOSING, "2025-01-01",
                                                                      "TTC")
    # 19 invoices issued in 2025 (in euros) for 18 150 €, credit notes 600 € (A3 is in 2026).
    assert data["revenue"] == {"invoices": "18150.00", "credit_notes": "600.00",
                               "total": "17550.00"}
    assert data["issued"] == {"count": 19, "amount": "18150.00"}
    unpaid = data["unpaid"]
    assert cells(unpaid, "count") == [2, 3, 1, 1, 3, 8]
    assert cells(unpaid, "amount") == ["1800.00", "2250.00", "1000.00", "400.00", "2500.00",
                                       "6150.00"]
    assert cells(unpaid, "percent_amount") == ["10.26", "12.82", "5.70", "2.28", "14.25",
                                               "35.04"]
    columns = {i["number"]: (i["column"], i["days_late"], i["counted_amount"])
               for i in unpaid["invoices"]}
    assert columns == {
        "N0": ("0", -14, "1200.00"),          # not due yet; A3 (2026) does not reduce it
        "N0B": ("0", 0, "600.00"),            # due on the closing day
        "B1": ("1-30", 16, "2000.00"),        # partly paid
        "D3": ("1-30", 11, "150.00"),         # disputed only after the closing
        "B30": ("1-30", 30, "100.00"),
        "B2": ("31-60", 51, "1000.00"),
        "B3": ("61-90", 77, "400.00"),        # reduced by the credit note A2
        "B5": ("91+", 91, "300.00"),
        "D2": ("91+", 92, "200.00"),          # dispute resolved before the closing
        "B4": ("91+", 121, "2000.00"),        # the 2026 payment does not count
    }
    assert unpaid["excluded"]["count"] == 1 and unpaid["excluded"]["amount"] == "800.00"
    assert [i["number"] for i in unpaid["excluded_invoices"]] == ["D1"]
    assert data["reference_terms"] == "Délais contractuels : 30 jours"
    assert any("1 en USD" in w for w in data["warnings"])


def test_d441_alternative_table_counts_invoices_paid_late_in_the_year(relance, ledger):
    late = js(relance, "report", "d441", "--at", CLOSING)["late_paid"]
    assert cells(late, "count") == [1, 1, 3, 1, 1, 6]
    assert cells(late, "amount") == ["1000.00", "2000.00", "1800.00", "1500.00", "1000.00",
                                     "6300.00"]
    assert cells(late, "percent_amount") == ["5.51", "11.02", "9.92", "8.26", "5.51", "34.71"]
    assert cells(late, "percent_count") == ["5.26", "5.26", "15.79", "5.26", "5.26", "31.58"]
    found = {i["number"]: (i["column"], i["days_late"], i["settled_on"]) for i in late["invoices"]}
    assert found == {
        "P1": ("0", -4, "2025-02-05"),
        "P2": ("1-30", 20, "2025-04-20"),
        "P3": ("31-60", 45, "2025-06-15"),    # two payments: the last one counts
        "P5": ("31-60", 50, "2025-01-20"),    # issued in 2024, paid in the year
        "P9": ("31-60", 40, "2025-10-10"),    # credit note then payment
        "P8": ("61-90", 78, "2025-05-20"),
        "P4": ("91+", 107, "2025-09-15"),
    }
    # P6 was paid in 2024, X1 only cancelled by a credit note, B4 finished in 2026.
    assert [i["number"] for i in late["excluded_invoices"]] == ["P7"]
    assert late["excluded"] == {"count": 1, "amount": "900.00", "percent_amount": None,
                                "percent_count": None}


def test_d441_parameters_and_point_in_time(relance, ledger):
    # A fiscal year starting in July: only the invoices issued since then make the revenue.
    data = js(relance, "report", "d441", "--at", CLOSING, "--year-start", "2025-07-01",
              "--terms", "Délais légaux : 60 jours à compter de la date d'émission")
    assert data["year_start"] == "2025-07-01"
    assert data["reference_terms"] == "Délais légaux : 60 jours à compter de la date d'émission"
    # July–December 2025: N0 N0B B1 B30 B2 B3 B4 B5 D1 D2 D3 X1 P9 = 11 250 €; A1 A2 A4 = 600 €.
    assert data["revenue"] == {"invoices": "11250.00", "credit_notes": "600.00",
                               "total": "10650.00"}
    assert cells(data["late_paid"], "count") == [0, 0, 1, 0, 1, 2]    # P9, P4
    # Later: B4 is paid in January 2026 and F2026 is now issued and not yet due.
    later = js(relance, "report", "d441", "--at", "2026-01-31", "--year-start", "2026-01-01")
    numbers = {i["number"] for i in later["unpaid"]["invoices"]}
    assert "B4" not in numbers and "F2026" in numbers
    assert later["revenue"] == {"invoices": "5000.00", "credit_notes": "50.00",
                                "total": "4950.00"}
    assert [i["number"] for i in later["unpaid"]["excluded_invoices"]] == ["D1", "D3"]
    bad = relance("report", "d441", "--at", CLOSING, "--year-start", "2026-01-01", ok=False)
    assert bad.exit_code == 2 and "postérieur à la clôture" in bad.output


def test_d441_service_matches_the_cli(engine, ledger):
    with engine.connect() as conn:
        creditor = conn.execute(t.creditors.select()).one()
        table = d441_table(conn, creditor.id, date(2025, 12, 31))
    assert table.revenue == D("17550.00")
    assert table.unpaid["total"].amount == D("6150.00")
    assert table.unpaid["total"].percent_amount == D("35.04")
    assert table.excluded.count == 1


def test_d441_french_text(relance, ledger):
    text = plain(relance("report", "d441", "--at", CLOSING).stdout)
    assert "Exercice du 1er janvier 2025 au 31 décembre 2025 ; montants TTC." in text
    assert "Chiffre d'affaires TTC de l'exercice : 17 550,00 €" in text
    assert "factures émises non réglées à la date de clôture de l'exercice dont le terme est " \
           "échu" in text
    assert "0 jour (indicatif)" in text and "Total (1 jour et plus)" in text
    row = next(line for line in text.splitlines()
               if line.startswith("Montant total des factures concernées"))
    assert [c.strip() for c in row.split("  ") if c.strip()][1:] == [
        "1 800,00 €", "2 250,00 €", "1 000,00 €", "400,00 €", "2 500,00 €", "6 150,00 €"]
    pct = next(line for line in text.splitlines()
               if line.startswith("Pourcentage du chiffre d'affaires"))
    assert "10,26 %" in pct and pct.rstrip().endswith("35,04 %")
    assert "Nombre des factures exclues : 1" in text
    assert "Montant total des factures exclues (TTC) : 800,00 €" in text
    assert "Délais de paiement utilisés pour le calcul des retards de paiement : Délais " \
           "contractuels : 30 jours" in text
    assert "ayant connu un retard de paiement au cours de l'exercice" in text
    assert "Factures émises dans l'année : 19, 18 150,00 € TTC." in text
    assert "Attention : Factures en devise non comprises" in text


def test_d441_csv_and_xlsx(relance, ledger, tmp_path):
    out_csv, out_xlsx = tmp_path / "d441.csv", tmp_path / "d441.xlsx"
    result = relance("report", "d441", "--at", CLOSING, "--csv", str(out_csv),
                     "--xlsx", str(out_xlsx))
    assert f"Fichier écrit : {out_csv}" in result.stdout
    raw = out_csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header = next(r for r in rows if r and r[1:2] == ["0 jour (indicatif)"])
    assert header[1:] == ["0 jour (indicatif)", "1 à 30 jours", "31 à 60 jours",
                          "61 à 90 jours", "91 jours et plus", "Total (1 jour et plus)"]
    by_label = {}
    for r in rows:
        by_label.setdefault(r[0], r[1:]) if r else None
    assert by_label["Nombre de factures concernées"] == ["2", "3", "1", "1", "3", "8"]
    assert by_label["Montant total des factures concernées (TTC)"] == [
        "1800,00", "2250,00", "1000,00", "400,00", "2500,00", "6150,00"]
    assert by_label["Pourcentage du chiffre d'affaires de l'exercice (TTC)"] == [
        "10,26", "12,82", "5,70", "2,28", "14,25", "35,04"]
    assert by_label["Montant cumulé des factures concernées (TTC)"] == [
        "1000,00", "2000,00", "1800,00", "1500,00", "1000,00", "6300,00"]
    assert by_label["Nombre des factures exclues"] == ["1"]   # first one: (A) table
    detail = [r for r in rows if r and r[0].startswith(("non réglées", "retards"))]
    assert len(detail) == 10 + 1 + 7 + 1
    assert ["non réglées (B)", "D1", "C3", "Charlie SA", "02/10/2025", "01/11/2025", "800,00",
            "800,00", "60", "exclue", ""] in detail

    book = load_workbook(out_xlsx)
    assert book.sheetnames == ["Non réglées à la clôture", "Retards de l'exercice", "Détail"]
    sheet = book["Non réglées à la clôture"]
    values = {r[0]: r[1:] for r in sheet.iter_rows(values_only=True) if r[0]}
    assert values["Chiffre d'affaires TTC de l'exercice"][0] == 17550
    assert list(values["Nombre de factures concernées"][:6]) == [2, 3, 1, 1, 3, 8]
    assert [D(str(v)) for v in values["Montant total des factures concernées (TTC)"][:6]] == [
        D(x) for x in ("1800", "2250", "1000", "400", "2500", "6150")]
    pct = values["Pourcentage du chiffre d'affaires de l'exercice (TTC)"]
    assert [round(v * 100, 2) for v in pct[:6]] == [10.26, 12.82, 5.70, 2.28, 14.25, 35.04]
    pct_row = next(r for r in sheet.iter_rows() if r[0].value and r[0].value.startswith(
        "Pourcentage"))
    assert pct_row[1].number_format == "0.00%"
    assert values["Délais de paiement utilisés pour le calcul des retards de paiement"][0] == \
        "Délais contractuels : 30 jours"
    alt = {r[0]: r[1:] for r in book["Retards de l'exercice"].iter_rows(values_only=True)
           if r[0]}
    assert list(alt["Nombre cumulé de factures concernées"][:6]) == [1, 1, 3, 1, 1, 6]
    assert alt["Montant total des factures exclues (TTC)"][0] == 900
    detail_rows = list(book["Détail"].iter_rows(values_only=True))
    assert detail_rows[0][:3] == ("tableau", "facture", "client")
    assert len(detail_rows) == 1 + 19


def test_d441_json_mode_still_writes_files(relance, ledger, tmp_path):
    target = tmp_path / "d441.csv"
    data = js(relance, "report", "d441", "--at", CLOSING, "--csv", str(target))
    assert data["unpaid"]["buckets"]["total"]["count"] == 8 and target.exists()


# --- doubtful receivables -----------------------------------------------------------------------


def test_doubtful_receivables_with_every_reason(relance, ledger):
    data = js(relance, "report", "doubtful", "--at", CLOSING)
    found = {i["number"]: (i["open_amount"], i["open_amount_excl_tax"], i["note"],
                           sorted(r["kind"] for r in i["reasons"])) for i in data["invoices"]}
    assert found == {
        "B2": ("1000.00", "833.33", "TVA à 20 % présumée", ["formal_notice"]),
        "B3": ("400.00", "360.00", "", ["formal_notice"]),        # listed in a client notice
        "D1": ("800.00", "700.00", "", ["dispute"]),
        "B4": ("2000.00", "1666.67", "", ["legal_case"]),
        "B5": ("300.00", "250.00", "TVA à 20 % présumée",
               ["collective_proceedings", "legal_case"]),
    }
    # Not doubtful: D2 (dispute resolved), D3 (dispute after the date, proceeding closed),
    # B1 (notice after the date), P7 (paid).
    assert data["totals"] == {"count": 5, "open_amount": "4500.00",
                              "open_amount_excl_tax": "3810.00"}
    assert data["by_reason"] == {
        "dispute": {"count": 1, "open_amount": "800.00", "open_amount_excl_tax": "700.00"},
        "formal_notice": {"count": 2, "open_amount": "1400.00",
                          "open_amount_excl_tax": "1193.33"},
        "legal_case": {"count": 2, "open_amount": "2300.00", "open_amount_excl_tax": "1916.67"},
        "collective_proceedings": {"count": 1, "open_amount": "300.00",
                                   "open_amount_excl_tax": "250.00"},
    }
    d1 = next(i for i in data["invoices"] if i["number"] == "D1")
    assert d1["reasons"] == [{"kind": "dispute", "since": "2025-11-20",
                              "label": "litige ouvert le 20 novembre 2025 (Livraison "
                                       "incomplète)"}]
    assert d1["amount_excl_tax"] == "700.00" and d1["vat_presumed"] is False
    assert d1["days_overdue"] == 60
    b5 = next(i for i in data["invoices"] if i["number"] == "B5")
    assert {r["label"] for r in b5["reasons"]} == {
        "dossier en procédure judiciaire", "redressement judiciaire (jugement du 15 novembre "
                                           "2025)"}


def test_doubtful_is_point_in_time(relance, ledger, engine):
    later = js(relance, "report", "doubtful", "--at", "2026-01-15")
    numbers = {i["number"]: sorted(r["kind"] for r in i["reasons"]) for i in later["invoices"]}
    assert numbers["B1"] == ["formal_notice"]                # notice of 2 January 2026
    assert "B4" not in numbers                               # paid on 10 January 2026
    assert "D3" in numbers and numbers["D3"] == ["dispute"]  # C6's proceeding closed
    early = js(relance, "report", "doubtful", "--at", "2025-11-01")
    assert {i["number"] for i in early["invoices"]} == {"D2", "B4", "B5"}
    with engine.connect() as conn:
        creditor = conn.execute(t.creditors.select()).one()
        result = doubtful(conn, creditor.id, date(2025, 12, 31))
    assert result.total.open_excl_tax == D("3810.00")


def test_doubtful_french_text_csv_and_xlsx(relance, ledger, tmp_path):
    out_csv, out_xlsx = tmp_path / "douteuses.csv", tmp_path / "douteuses.xlsx"
    text = plain(relance("report", "doubtful", "--at", CLOSING, "--csv", str(out_csv),
                         "--xlsx", str(out_xlsx)).stdout)
    assert "Créances douteuses au 31 décembre 2025 — ACME Services SAS (ACME)" in text
    b2 = next(line for line in text.splitlines() if line.startswith("B2 "))
    assert "1 000,00 €" in b2 and "833,33 €" in b2 and "mise en demeure du 10 décembre 2025" \
        in b2 and "TVA à 20 % présumée" in b2
    assert "Total : 5 facture(s), reste dû 4 500,00 € TTC, soit 3 810,00 € HT dépréciable au " \
           "plus." in text
    assert "litige : 1 (800,00 € TTC, 700,00 € HT)" in text
    assert "Attention : « Procédure judiciaire » : statut actuel du client" in text

    rows = list(csv.reader(io.StringIO(out_csv.read_text("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["facture", "client", "nom"]
    b3 = next(r for r in rows if r[0] == "B3")
    assert b3[7:13] == ["500,00", "450,00", "400,00", "360,00", "mise en demeure du 5 "
                        "décembre 2025", ""]
    assert rows[-1][0] == "Total" and rows[-1][9:11] == ["4500,00", "3810,00"]

    sheet = load_workbook(out_xlsx)["Créances douteuses"]
    got = list(sheet.iter_rows(values_only=True))
    assert got[0][0] == "facture" and len(got) == 1 + 5 + 1
    b2x = next(r for r in got if r[0] == "B2")
    assert (b2x[9], b2x[10], b2x[12]) == (1000, 833.33, "TVA à 20 % présumée")
    assert b2x[8] is None and b2x[4].date() == date(2025, 11, 10)
    assert got[-1][9:11] == (4500, 3810)


def test_no_doubtful_receivables(relance, creditor):
    text = relance("report", "doubtful", "--at", CLOSING).stdout
    assert "Aucune créance douteuse à cette date." in text
    data = js(relance, "report", "d441", "--at", CLOSING)
    assert data["unpaid"]["buckets"]["total"] == {"count": 0, "amount": "0.00",
                                                  "percent_amount": None, "percent_count": None}
    assert any("pourcentages non calculables" in w for w in data["warnings"])
