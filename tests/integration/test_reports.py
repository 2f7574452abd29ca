"""The aged balance and the DSO through the CLI, on a small ledger whose every figure is known:
each bucket boundary, partial payments, credit notes, invoices issued and payments received
after the date, unallocated credit (overpayment, payment before its invoice, unused credit
notes), an invoice in another currency; CSV, XLSX and charts read back."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from relance.adapters import tables as t
from relance.entrypoints.cli import cli
from relance.entrypoints.cli_reports import register
from relance.entrypoints.report_files import EUROS
from relance.i18n import format_money
from relance.services.reports import DailyAmounts, countback, dso_simple
from tests.integration.test_imports import write

if "report" not in cli.commands:
    register(cli)

AT = date(2026, 3, 31)
EMPTY = {"not_due": "0.00", "1-30": "0.00", "31-60": "0.00", "61-90": "0.00", "90+": "0.00"}


def js(relance, *args):
    return json.loads(relance(*args, "--json").stdout)


def buckets(**amounts: str) -> dict[str, str]:
    keys = {"not_due": "not_due", "b1": "1-30", "b31": "31-60", "b61": "61-90", "b90": "90+"}
    return {**EMPTY, **{keys[k]: v for k, v in amounts.items()}}


@pytest.fixture
def ledger(relance, creditor, tmp_path: Path) -> Path:
    """A: one invoice N days past due at AT for each boundary N (amount 100 + N, due AT - N,
    issued 30 days before), never paid; plus one in USD.
    B: a partial payment, a credit note, a payment after AT, an invoice issued after AT,
    an invoice settled before AT, a credit note issued after AT.
    C: an invoice paid on AT itself, one overpaid (50.00 left as credit), one not due.
    D: no invoice; an unused credit note, a payment with nothing to match, a later credit note.
    E: pays on 20/03 an invoice issued on 05/04 (credit until the invoice exists)."""
    write(tmp_path / "clients.csv",
          "client_ref,name\nA,Alpha SARL\nB,Beta SAS\nC,Gamma SA\nD,Delta EURL\nE,Epsilon SAS\n")
    rows = ["number,client_ref,issue_date,due_date,amount,currency,type,applies_to"]
    for n in (0, 1, 30, 31, 60, 61, 90, 91):
        due = AT - timedelta(days=n)
        rows.append(f"A{n},A,{due - timedelta(days=30)},{due},{100 + n}.00,EUR,invoice,")
    rows += [
        "AU1,A,2026-03-01,2026-03-31,999.00,USD,invoice,",
        "B1,B,2026-01-10,2026-02-09,1200.00,EUR,invoice,",
        "B2,B,2026-02-01,2026-03-03,600.00,EUR,invoice,",
        "B3,B,2026-02-15,2026-04-16,900.00,EUR,invoice,",
        "B4,B,2026-04-02,2026-05-02,5000.00,EUR,invoice,",
        "B5,B,2026-01-05,2026-02-04,300.00,EUR,invoice,",
        "BA1,B,2026-03-10,,100.00,EUR,avoir,B2",
        "BA2,B,2026-04-10,,200.00,EUR,avoir,B1",
        "C1,C,2025-12-01,2025-12-31,400.00,EUR,invoice,",
        "C2,C,2026-02-20,2026-03-22,250.00,EUR,invoice,",
        "C3,C,2026-03-15,2026-04-14,700.00,EUR,invoice,",
        "DA1,D,2026-03-05,,80.00,EUR,avoir,",
        "DA2,D,2026-04-03,,30.00,EUR,avoir,",
        "E1,E,2026-04-05,2026-05-05,1000.00,EUR,invoice,",
    ]
    write(tmp_path / "invoices.csv", "\n".join(rows) + "\n")
    write(tmp_path / "payments.csv",
          "date,client_ref,amount,invoice_number\n"
          "2026-02-20,B,500.00,B1\n"
          "2026-04-05,B,900.00,B3\n"
          "2026-03-20,B,300.00,B5\n"
          "2026-03-31,C,400.00,C1\n"
          "2026-03-25,C,300.00,C2\n"
          "2026-03-28,D,40.00,\n"
          "2026-03-20,E,1000.00,E1\n")
    for kind in ("clients", "invoices", "payments"):
        relance("import", kind, str(tmp_path / f"{kind}.csv"))
    return tmp_path


# --- aged balance -------------------------------------------------------------------------------


def test_aged_balance_at_a_date_by_client_and_bucket(relance, ledger):
    data = js(relance, "report", "aging", "--at", AT.isoformat())
    assert data["at"] == "2026-03-31"
    by_ref = {c["ref"]: c for c in data["clients"]}
    assert [c["ref"] for c in data["clients"]] == ["A", "B", "C", "D", "E"]
    # Exactly 0 days late is not due; 1 and 30 days: 1-30; 31 and 60: 31-60; 61 and 90: 61-90;
    # 91: 90+.
    assert by_ref["A"] == {
        "ref": "A", "name": "Alpha SARL", "total": "1164.00", "open_invoices": 8,
        "buckets": buckets(not_due="100.00", b1="231.00", b31="291.00", b61="351.00",
                           b90="191.00"),
        "unallocated_credit": "0.00"}
    # B1 1200 - 500 paid = 700, 50 days late (the credit note of 10/04 does not count yet);
    # B2 600 - credit note 100 = 500, 28 days late; B3 paid on 05/04: still open, not due;
    # B4 issued after AT: does not exist yet; B5 paid on 20/03.
    assert by_ref["B"] == {
        "ref": "B", "name": "Beta SAS", "total": "2100.00", "open_invoices": 3,
        "buckets": buckets(not_due="900.00", b1="500.00", b31="700.00"),
        "unallocated_credit": "0.00"}
    # C1 paid on AT itself (counts); C2 paid 300 for 250: 50 of credit; C3 not due.
    assert by_ref["C"] == {
        "ref": "C", "name": "Gamma SA", "total": "700.00", "open_invoices": 1,
        "buckets": buckets(not_due="700.00"), "unallocated_credit": "50.00"}
    # D: credit note 80 unused + payment 40 unmatched; the credit note of 03/04 is not yet.
    assert by_ref["D"] == {"ref": "D", "name": "Delta EURL", "total": "0.00",
                           "open_invoices": 0, "buckets": EMPTY, "unallocated_credit": "120.00"}
    # E paid an invoice that does not exist yet: credit at AT.
    assert by_ref["E"]["unallocated_credit"] == "1000.00" and by_ref["E"]["open_invoices"] == 0
    assert data["buckets"] == buckets(not_due="1700.00", b1="731.00", b31="991.00",
                                      b61="351.00", b90="191.00")
    assert (data["total"], data["open_invoices"], data["unallocated_credit"]) == (
        "3964.00", 12, "1170.00")
    assert data["warnings"] == ["1 facture(s) ouverte(s) en USD non comprise(s) (999.00 USD)."]


def test_aged_balance_moves_with_the_date(relance, ledger):
    data = js(relance, "report", "aging", "--at", "2026-04-30")
    by_ref = {c["ref"]: c for c in data["clients"]}
    # B1: 1200 - 500 - credit note 200 = 500, 80 days late; B2 500, 58 days; B3 paid; B4 issued.
    assert by_ref["B"]["buckets"] == buckets(not_due="5000.00", b31="500.00", b61="500.00")
    assert by_ref["B"]["open_invoices"] == 3
    # E1 now exists and is paid: no credit left, nothing open.
    assert "E" not in by_ref
    assert by_ref["D"]["unallocated_credit"] == "150.00"
    # Before anything was issued: empty.
    early = js(relance, "report", "aging", "--at", "2025-01-01")
    assert (early["total"], early["open_invoices"], early["clients"]) == ("0.00", 0, [])


def test_aged_balance_agrees_with_the_ledger_queries_at_every_date(relance, ledger, engine):
    """The report's set-wise query against the open amounts of the ledger's own query
    (`invoices_with_open_amount`), bucketed in Python, every 5 days over the whole history."""
    from relance.adapters.repository import invoices_with_open_amount
    from relance.services.reports import aging, bucket_of

    with engine.connect() as conn:
        creditor_id = conn.execute(select(t.creditors.c.id)).scalar_one()
        day = date(2025, 11, 1)
        while day <= date(2026, 5, 31):
            expected: dict[str, dict[str, D]] = {}
            counts: dict[str, int] = {}
            for r in conn.execute(invoices_with_open_amount(creditor_id, day)):
                if r.open_amount > 0 and r.currency == "EUR":
                    per = expected.setdefault(r.client_ref, {k: D("0.00") for k in EMPTY})
                    per[bucket_of((day - r.due_date).days)] += r.open_amount
                    counts[r.client_ref] = counts.get(r.client_ref, 0) + 1
            found = aging(conn, creditor_id, day)
            assert {c.ref: c.buckets for c in found.clients if c.open_invoices} == expected, day
            assert {c.ref: c.open_invoices for c in found.clients if c.open_invoices} == counts
            day += timedelta(days=5)


def test_another_creditors_ledger_stays_out(relance, ledger, tmp_path):
    """An accounting firm keeps several companies in one base: each report is its own."""
    relance("creditors", "add", "OTHER", "--name", "Autre SAS")
    write(tmp_path / "o_clients.csv", "client_ref,name\nA,Alpha chez Autre\nZ,Zeta SA\n")
    write(tmp_path / "o_invoices.csv",
          "number,client_ref,issue_date,due_date,amount,type,applies_to\n"
          "O1,A,2026-01-02,2026-02-01,777.00,invoice,\n"
          "O2,Z,2026-03-01,2026-03-31,50.00,invoice,\n"
          "OA1,Z,2026-03-02,,20.00,avoir,\n"
          "O3,Z,2026-04-01,2026-05-01,500.00,invoice,\n")
    write(tmp_path / "o_payments.csv", "date,client_ref,amount,invoice_number\n"
          "2026-03-10,A,100.00,O1\n2026-03-20,Z,500.00,O3\n2026-03-21,Z,9.00,\n")
    for kind in ("clients", "invoices", "payments"):
        relance("import", kind, str(tmp_path / f"o_{kind}.csv"), "--creditor", "OTHER")
    acme = js(relance, "report", "aging", "--at", AT.isoformat(), "--creditor", "ACME")
    assert (acme["total"], acme["open_invoices"], acme["unallocated_credit"]) == (
        "3964.00", 12, "1170.00")
    other = js(relance, "report", "aging", "--at", AT.isoformat(), "--creditor", "OTHER")
    # O1 677 open 59 days late; O2 50 - 20 (the credit note went to it) - 9 (the payment
    # without invoice number went to it) = 21, due AT; Z's 500 paid for O3, issued after AT:
    # credit at AT.
    assert [(c["ref"], c["total"], c["unallocated_credit"]) for c in other["clients"]] == [
        ("A", "677.00", "0.00"), ("Z", "21.00", "500.00")]
    assert other["buckets"] == buckets(not_due="21.00", b31="677.00")
    acme_dso = js(relance, "report", "dso", "--at", AT.isoformat(), "--creditor", "ACME")
    assert (acme_dso["receivables"], acme_dso["sales_90_days"]) == ("3964.00", "4232.00")
    other_dso = js(relance, "report", "dso", "--at", AT.isoformat(), "--creditor", "OTHER")
    assert (other_dso["receivables"], other_dso["sales_90_days"]) == ("698.00", "807.00")


def test_aged_balance_in_french(relance, ledger, tmp_path):
    out = relance("report", "aging", "--at", "31/03/2026").stdout
    assert (f"Balance âgée au 31 mars 2026 (montants TTC, reste dû à cette date) : "
            f"{format_money(D('3964.00'))} sur 12 facture(s) ouverte(s), 3 client(s).") in out
    assert "Plus de 90 j" in out and "Non échu" in out
    total = next(line for line in out.splitlines() if line.startswith("TOTAL"))
    assert format_money(D("1700.00")) in total and format_money(D("1170.00")) in total
    assert "Répartition : non échu 42,9\u00a0%" in out
    assert f"Crédit non affecté des clients : {format_money(D('1170.00'))}" in out
    assert "Attention : 1 facture(s) ouverte(s) en USD" in out
    bad = relance("report", "aging", "--chart", str(tmp_path / "chart.gif"), ok=False)
    assert bad.exit_code == 2 and "--chart : fichier .svg ou .png attendu." in bad.output


def test_aged_balance_as_csv_and_xlsx(relance, ledger, tmp_path):
    csv_path, xlsx_path = tmp_path / "balance.csv", tmp_path / "balance.xlsx"
    out = relance("report", "aging", "--at", AT.isoformat(), "--csv", str(csv_path),
                  "--xlsx", str(xlsx_path)).stdout
    assert f"Fichier écrit : {csv_path}" in out and f"Fichier écrit : {xlsx_path}" in out

    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0] == ["Client", "Nom", "Non échu", "1 à 30 j", "31 à 60 j", "61 à 90 j",
                       "Plus de 90 j", "Total", "Factures ouvertes", "Crédit non affecté"]
    assert rows[1] == ["A", "Alpha SARL", "100,00", "231,00", "291,00", "351,00", "191,00",
                       "1164,00", "8", "0,00"]
    assert rows[4] == ["D", "Delta EURL", "0,00", "0,00", "0,00", "0,00", "0,00", "0,00", "0",
                       "120,00"]
    assert rows[-1] == ["TOTAL", "", "1700,00", "731,00", "991,00", "351,00", "191,00",
                        "3964,00", "12", "1170,00"]
    assert len(rows) == 7

    sheet = load_workbook(xlsx_path).active
    assert sheet["A1"].value == "Balance âgée au"
    assert sheet["B1"].value == datetime(2026, 3, 31) and sheet["B1"].is_date
    assert [c.value for c in sheet[2]][:3] == ["Client", "Nom", "Non échu"]
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert values[0] == ["A", "Alpha SARL", 100, 231, 291, 351, 191, 1164, 8, 0]
    assert values[-1] == ["TOTAL", None, 1700, 731, 991, 351, 191, 3964, 12, 1170]
    assert all(isinstance(v, int | float) for v in values[1][2:])
    assert sheet["C3"].number_format == EUROS
    assert sheet["J8"].number_format == EUROS and sheet["I8"].number_format == "General"
    assert sheet["A8"].font.bold


def test_aged_balance_charts(relance, ledger, tmp_path):
    from PIL import Image

    svg, png = tmp_path / "balance.svg", tmp_path / "balance.png"
    relance("report", "aging", "--at", AT.isoformat(), "--chart", str(svg))
    relance("report", "aging", "--at", AT.isoformat(), "--chart", str(png))
    text = svg.read_text("utf-8")
    assert text.startswith("<svg") and text.count("<rect") == 6   # background + 5 bars
    for label in ("Non échu", "1 à 30 j", "31 à 60 j", "61 à 90 j", "Plus de 90 j"):
        assert f">{label}</text>" in text
    assert format_money(D("1700.00")) in text and "Balance âgée au 31 mars 2026" in text
    with Image.open(png) as image:
        assert image.format == "PNG" and image.size == (760, 420)


# --- DSO ----------------------------------------------------------------------------------------


def test_dso_simple_and_countback_by_hand(relance, ledger):
    data = js(relance, "report", "dso", "--at", AT.isoformat(), "--months", "3")
    # Sales of 01/01–31/03 (90 days): A0 100 + A1 101 + A30 130 + A31 131, B1 1200 + B2 600
    # + B3 900 + B5 300 - BA1 100, C2 250 + C3 700, - DA1 80 = 4232 (USD and later ones out).
    assert (data["receivables"], data["sales_90_days"]) == ("3964.00", "4232.00")
    # 3964 / 4232 × 90 = 84.3006
    assert data["dso_simple"] == "84.3"
    # Months back from 31/03: March 620 (31 d), February 1851 (28 d), January 1761 (31 d):
    # 3964 - 620 - 1851 = 1493 left in January: 31 + 28 + 31 × 1493 / 1761 = 85.2822
    assert data["dso_countback"] == "85.3"
    assert [p["month_end"] for p in data["trend"]] == ["2026-01-31", "2026-02-28",
                                                        "2026-03-31"]
    feb = data["trend"][1]
    # At 28/02: issued 4714 (A1..A91 1064, B1 B2 B3 B5 3000, C1 C2 650) - 500 paid = 4214;
    # sales 01/12–28/02 = 911 + 1761 + 1851 = 4523: 4214 / 4523 × 90 = 83.85;
    # countback: 4214 - 1851 - 1761 = 602 of December's 911: 28 + 31 + 31 × 602 / 911 = 79.49
    assert feb == {"month_end": "2026-02-28", "dso_simple": "83.9", "dso_countback": "79.5",
                   "receivables": "4214.00", "sales_90_days": "4523.00"}
    assert data["trend"][2]["dso_simple"] == "84.3"
    assert data["trend"][2]["receivables"] == data["receivables"]


def test_dso_receivables_match_the_aged_balance_at_every_month_end(relance, ledger):
    data = js(relance, "report", "dso", "--at", "2026-05-15", "--months", "7")
    assert next(p["month_end"] for p in data["trend"]) == "2025-10-31"
    assert data["trend"][-1]["month_end"] == "2026-04-30"
    for point in [*data["trend"], {"month_end": data["at"], "receivables": data["receivables"]}]:
        aging = js(relance, "report", "aging", "--at", point["month_end"])
        assert point["receivables"] == aging["total"], point["month_end"]
    # No sale yet at 31/10/2025: no DSO.
    assert data["trend"][0]["dso_simple"] is None and data["trend"][0]["dso_countback"] is None


def test_dso_in_french_and_as_files(relance, ledger, tmp_path):
    out = relance("report", "dso", "--at", AT.isoformat(), "--months", "2").stdout
    assert "DSO au 31 mars 2026" in out
    assert (f"méthode simple : 84,3 j (encours {format_money(D('3964.00'))} ÷ ventes des 90 "
            f"derniers jours {format_money(D('4232.00'))} × 90)") in out
    assert "méthode par épuisement : 85,3 j" in out
    feb = next(line for line in out.splitlines() if line.startswith("28/02/2026"))
    assert feb.split()[:5] == ["28/02/2026", "83,9", "j", "79,5", "j"]

    csv_path, xlsx_path = tmp_path / "dso.csv", tmp_path / "dso.xlsx"
    relance("report", "dso", "--at", "2026-03-15", "--months", "2", "--csv", str(csv_path),
            "--xlsx", str(xlsx_path))
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0] == ["Date", "DSO simple (jours)", "DSO par épuisement (jours)", "Encours",
                       "Ventes des 90 jours"]
    assert [r[0] for r in rows[1:]] == ["31/01/2026", "28/02/2026", "15/03/2026"]
    assert rows[2] == ["28/02/2026", "83,9", "79,5", "4214,00", "4523,00"]
    sheet = load_workbook(xlsx_path).active
    assert sheet["B1"].value == datetime(2026, 3, 15)
    feb = [c.value for c in sheet[4]]
    assert feb == [datetime(2026, 2, 28), 83.9, 79.5, 4214, 4523]
    assert sheet["A4"].is_date and sheet["B4"].number_format == "0.0"
    assert sheet["D4"].number_format == EUROS


def test_no_sales_no_dso(relance, creditor):
    data = js(relance, "report", "dso", "--at", "2026-03-31", "--months", "1")
    assert (data["dso_simple"], data["dso_countback"], data["receivables"]) == (None, None,
                                                                                "0.00")
    out = relance("report", "dso", "--at", "2026-03-31", "--months", "0").stdout
    assert "méthode simple : n.d." in out and "Tendance" not in out


def test_rounding_is_half_up_to_a_tenth_and_countback_edges():
    assert dso_simple(D("1.05"), D("90.00")) == D("1.1")      # half-even would give 1.0
    assert dso_simple(D("1.00"), D("0.00")) is None
    sales = DailyAmounts({date(2026, 1, 15): D("100.00"), date(2026, 2, 10): D("-20.00"),
                          date(2026, 3, 5): D("300.00")})
    at = date(2026, 3, 31)
    assert countback(D("150.00"), sales, at) == D("15.5")      # 31 × 150 / 300
    # 300 of March, February's sales are negative: its 28 days, then 50 of January's 100.
    assert countback(D("350.00"), sales, at) == D("74.5")      # 31 + 28 + 31 × 50 / 100
    assert countback(D("400.00"), sales, at) == D("90.0")
    assert countback(D("400.01"), sales, at) is None           # more than every sale
    assert countback(D("0.00"), sales, at) == D("0.0")
    assert countback(D("10.00"), sales, date(2026, 1, 14)) is None   # no sale yet
