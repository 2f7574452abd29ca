"""Cash reports on a real database (SQLite, or PostgreSQL with RELANCE_TEST_DATABASE_URL):
the receipts forecast (plans, promises, predicted and due dates, point in time), its back-test
against the payments really received, the CEI, days late, recovery by scenario step; JSON,
text, CSV, XLSX and charts. Every figure is worked out by hand on tiny ledgers."""

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
from PIL import Image
from sqlalchemy import update

from relance.adapters import tables as t
from relance.adapters.repository import resolve_creditor
from relance.entrypoints.cli import cli
from relance.entrypoints.cli_reports_cash import register
from relance.services import forecast as fc
from tests.integration.test_imports import write

AT = date(2026, 3, 31)   # week 1: 1–7 April … week 13: 24–30 June; beyond: from 1 July
NBSP, NNBSP = "\xa0", "\u202f"


@pytest.fixture(autouse=True)
def _report_commands() -> None:
    if "report" not in cli.commands:
        try:   # the real group when it exists, so other report tests find their commands
            from relance.entrypoints.cli_reports import register as register_reports
        except ImportError:
            @click.group("report")
            def report() -> None:
                """Rapports."""

            cli.add_command(report)
        else:
            register_reports(cli)
    group = cli.commands["report"]
    assert isinstance(group, click.Group)
    if "forecast" not in group.commands:
        register(group)


def js(relance, *args):
    return json.loads(relance("report", *args, "--json").stdout)


def load(relance, folder: Path, clients: list[str], invoices: list[str],
         payments: list[str]) -> None:
    write(folder / "clients.csv", "client_ref,name,kind,email\n"
          + "".join(f"{c},{c} SARL,b2b,compta@{c.lower()}.fr\n" for c in clients))
    write(folder / "invoices.csv", "number,client_ref,issue_date,due_date,amount,type,"
          "applies_to\n" + "\n".join(invoices) + "\n")
    relance("import", "clients", str(folder / "clients.csv"))
    relance("import", "invoices", str(folder / "invoices.csv"))
    if payments:
        write(folder / "payments.csv", "date,client_ref,amount,invoice_number\n"
              + "\n".join(payments) + "\n")
        relance("import", "payments", str(folder / "payments.csv"))


def creditor_id(engine) -> int:
    with engine.connect() as conn:
        return int(resolve_creditor(conn, "ACME").id)


# --- the forecast ---------------------------------------------------------------------------


@pytest.fixture
def book(relance, creditor, tmp_path, engine) -> Path:
    """PLAN owes 1 200 under a plan of 300 a month (more than it owes: capped); PROM owes 900
    and promised 600 (100 paid since); PRED pays 10 days late, one invoice overdue, one not
    yet due; NEWC has no history. Paid after AT: 300 by PLAN; promised after AT: NEWC."""
    load(relance, tmp_path, ["PLAN", "PROM", "PRED", "NEWC"], [
        "P1,PLAN,2025-12-16,2026-01-15,1000.00,,",
        "P2,PLAN,2026-01-16,2026-02-15,500.00,,",
        "R1,PROM,2026-01-29,2026-02-28,1000.00,,",
        "H1,PRED,2025-10-01,2025-10-31,100.00,,",
        "H2,PRED,2025-11-01,2025-12-01,100.00,,",
        "H3,PRED,2025-12-01,2025-12-31,100.00,,",
        "D0,PRED,2026-01-30,2026-03-01,400.00,,",
        "D1,PRED,2026-03-21,2026-04-20,800.00,,",
        "N1,NEWC,2026-03-20,2026-05-20,500.00,,",
    ], [
        "2025-11-10,PRED,100.00,H1", "2025-12-11,PRED,100.00,H2", "2026-01-10,PRED,100.00,H3",
        "2026-03-20,PLAN,300.00,P1", "2026-03-28,PROM,100.00,R1",
        "2026-04-02,PLAN,300.00,P1",
    ])
    relance("plans", "add", "PLAN", "--date", "2026-03-01", "--installments",
            "2026-03-20:300,2026-04-10:300,2026-05-10:300,2026-06-10:300,2026-07-10:300,"
            "2026-08-10:300")
    relance("promises", "add", "PROM", "--amount", "999", "--by", "2026-03-10",
            "--date", "2026-03-01")
    relance("promises", "add", "PROM", "--amount", "600", "--by", "2026-04-16",
            "--date", "2026-03-25")
    relance("promises", "add", "NEWC", "--amount", "500", "--by", "2026-04-05",
            "--date", "2026-04-02")
    with engine.begin() as conn:
        p = t.promises
        # Broken before AT: not expected any more. Kept after AT: still open at AT.
        conn.execute(update(p).where(p.c.amount == D("999")).values(
            status="broken", closed_on=date(2026, 3, 14)))
        conn.execute(update(p).where(p.c.amount == D("600")).values(
            status="kept", closed_on=date(2026, 4, 20)))
    return tmp_path


def weeks_of(data) -> dict[int, dict[str, str]]:
    """Non-empty weeks: {week: {source: amount}} (0 = beyond)."""
    out = {}
    for w in [*data["weeks"], {"week": 0, **data["beyond"]}]:
        parts = {s: a for s, a in w["by_source"].items() if a != "0.00"}
        if parts:
            assert w["amount"] == str(sum(D(a) for a in parts.values()))
            out[w["week"]] = parts
    return out


def test_forecast_puts_plans_promises_and_predicted_dates_in_their_weeks(relance, book):
    data = js(relance, "forecast", "--at", AT.isoformat())
    assert data["method"] == "regle-taux-client" and data["total_open"] == "3800.00"
    assert weeks_of(data) == {
        1: {"prévision": "800.00"},    # R1's 400 beyond the promise, D0 overdue (due + 31 d)
        2: {"échéancier": "300.00"},   # 10 April
        3: {"promesse": "500.00"},     # 16 April: 600 promised, 100 paid since
        5: {"prévision": "800.00"},    # D1 due 20 April + PRED's 10 days = 30 April
        6: {"échéancier": "300.00"},   # 10 May
        9: {"prévision": "500.00"},    # N1 due 20 May + the ledger's median 10 days
        11: {"échéancier": "300.00"},  # 10 June
        0: {"échéancier": "300.00"},   # 10 July; 10 August: nothing left to pay (capped)
    }
    assert data["weeks"][0]["start"] == "2026-04-01" and data["weeks"][0]["end"] == "2026-04-07"
    assert data["weeks"][12]["end"] == "2026-06-30" and data["beyond"]["start"] == "2026-07-01"
    lines = [(i["invoice"], i["on"], i["week"], i["amount"], i["source"])
             for i in data["invoices"]]
    # The plan covers the oldest invoice first.
    assert [x for x in lines if x[0] in ("P1", "P2")] == [
        ("P1", "2026-04-10", 2, "300.00", "échéancier"),
        ("P1", "2026-05-10", 6, "300.00", "échéancier"),
        ("P1", "2026-06-10", 11, "100.00", "échéancier"),
        ("P2", "2026-06-10", 11, "200.00", "échéancier"),
        ("P2", "2026-07-10", None, "300.00", "échéancier"),
    ]
    assert [x for x in lines if x[0] in ("R1", "D0", "D1", "N1")] == [
        ("R1", "2026-04-16", 3, "500.00", "promesse"),
        ("R1", "2026-04-01", 1, "400.00", "prévision"),
        ("D0", "2026-04-01", 1, "400.00", "prévision"),
        ("D1", "2026-04-30", 5, "800.00", "prévision"),
        ("N1", "2026-05-30", 9, "500.00", "prévision"),
    ]


def test_forecast_is_point_in_time(relance, book):
    """The payment and the promise of 2 April change nothing at 31 March; on 3 April, the
    payment is ahead of the plan (it covers the 10 April installment) and the promise counts."""
    before = js(relance, "forecast", "--at", AT.isoformat())
    assert js(relance, "forecast", "--at", AT.isoformat()) == before
    later = js(relance, "forecast", "--at", "2026-04-03")   # week 1: 4–10 April
    assert later["total_open"] == "3500.00"
    plan = [(i["on"], i["amount"]) for i in later["invoices"] if i["source"] == "échéancier"]
    assert plan == [("2026-05-10", "300.00"), ("2026-06-10", "100.00"),
                    ("2026-06-10", "200.00"), ("2026-07-10", "300.00")]
    assert [(i["invoice"], i["on"], i["amount"]) for i in later["invoices"]
            if i["source"] == "promesse"] == [("R1", "2026-04-16", "500.00"),
                                              ("N1", "2026-04-05", "500.00")]


def test_forecast_falls_back_to_due_dates_when_the_model_cannot_run(relance, book, engine,
                                                                     monkeypatch):
    import relance.services.prediction as prediction

    def broken(*_args, **_kwargs):
        raise ImportError("no scikit-learn")

    monkeypatch.setattr(prediction, "predict_open", broken)
    with engine.connect() as conn:
        got = fc.forecast(conn, creditor_id(engine), AT)
        naive = fc.forecast(conn, creditor_id(engine), AT, method="due")
    assert got.method == fc.METHOD_FALLBACK
    assert [(e.number, e.on, e.amount, e.source) for e in got.lines
            if e.number in ("R1", "D0", "D1", "N1")] == [
        ("R1", date(2026, 4, 16), D("500.00"), "promesse"),
        ("R1", date(2026, 4, 1), D("400.00"), "échéance"),     # no history: due date, past
        ("D0", date(2026, 4, 1), D("400.00"), "prévision"),    # 1 March + 10 days, past
        ("D1", date(2026, 4, 30), D("800.00"), "prévision"),   # 20 April + 10 days
        ("N1", date(2026, 5, 20), D("500.00"), "échéance"),
    ]
    assert sum((w.amount for w in got.weeks), got.beyond) == got.total_open == D("3800.00")
    # The naive forecast: every open amount on its due date (overdue: week 1).
    assert naive.method == "échéances"
    assert {w.index: w.amount for w in naive.weeks if w.amount} == {
        1: D("2500.00"), 3: D("800.00"), 8: D("500.00")}
    assert naive.weeks[0].by_source["échéance"] == D("2500.00") and naive.beyond == D("0.00")


def test_forecast_text_csv_xlsx_and_charts(relance, book):
    out = book / "out"
    out.mkdir()
    text = relance("report", "forecast", "--at", AT.isoformat(), "--csv", str(out / "f.csv"),
                   "--xlsx", str(out / "f.xlsx"), "--chart", str(out / "f.svg")).stdout
    assert "Prévision d'encaissements au 31 mars 2026 (13 semaines" in text
    assert f"encours ouvert 3{NNBSP}800,00{NBSP}€" in text
    lines = {line.split()[0]: line for line in text.splitlines()[1:]}
    assert lines["Semaine"].split() == ["Semaine", "Du", "Au", "Attendu", "Échéancier",
                                        "Promesse", "Prévision", "Échéance"]
    assert lines["S1"].split()[:3] == ["S1", "01/04/2026", "07/04/2026"]
    assert f"800,00{NBSP}€" in lines["S1"] and f"300,00{NBSP}€" in lines["au-delà"]
    assert f"3{NNBSP}800,00{NBSP}€" in lines["total"] and "Fichier" in lines

    rows = list(csv.reader(io.StringIO((out / "f.csv").read_text("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["semaine", "du", "au", "attendu", "échéancier", "promesse",
                       "prévision", "échéance"]
    assert rows[1] == ["S1", "01/04/2026", "07/04/2026", "800,00", "0,00", "0,00", "800,00",
                       "0,00"]
    assert rows[3] == ["S3", "15/04/2026", "21/04/2026", "500,00", "0,00", "500,00", "0,00",
                       "0,00"]
    assert rows[14] == ["au-delà", "01/07/2026", "", "300,00", "300,00", "0,00", "0,00", "0,00"]
    assert rows[15] == ["total", "", "", "3800,00", "1200,00", "500,00", "2100,00", "0,00"]

    wb = load_workbook(out / "f.xlsx")
    sheet = wb["Prévision"]
    assert [c.value for c in sheet[2]] == ["Semaine", "Du", "Au", "Attendu", "Échéancier",
                                           "Promesse", "Prévision", "Échéance"]
    week1 = [c.value for c in sheet[3]]
    assert week1[0] == "S1" and week1[1].date() == date(2026, 4, 1)
    assert [D(str(v)) for v in week1[3:]] == [D(800), D(0), D(0), D(800), D(0)]
    total = [c.value for c in sheet[sheet.max_row]]
    assert total[0] == "total" and D(str(total[3])) == D("3800")
    invoices = {(r[0], r[3].date()): (D(str(r[5])), r[6])
                for r in wb["Factures"].iter_rows(min_row=2, values_only=True)}
    assert invoices[("P2", date(2026, 7, 10))] == (D("300"), "échéancier")

    svg = (out / "f.svg").read_text("utf-8")
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert svg.count("<title>S") == 7          # one bar segment per non-empty week and source
    assert "S2 échéancier : 300,00" in svg and "au-delà : 300,00" in svg

    relance("report", "forecast", "--at", AT.isoformat(), "--chart", str(out / "f.png"))
    with Image.open(out / "f.png") as image:
        assert image.format == "PNG" and image.size == (900, 420)
    bad = relance("report", "forecast", "--chart", str(out / "f.gif"), ok=False)
    assert bad.exit_code == 2 and ".svg ou .png" in bad.output


# --- the back-test --------------------------------------------------------------------------


@pytest.fixture
def tiny(relance, creditor, tmp_path) -> None:
    """A1 paid 2 days late; A2 paid 21 days late; A3 paid a day late; A4, issued after the
    first forecast date, paid the next day; a credit note (not a receipt) on A2."""
    load(relance, tmp_path, ["A"], [
        "A1,A,2025-12-01,2026-01-10,1000.00,,",
        "A2,A,2025-12-15,2026-01-20,600.00,,",
        "A3,A,2026-01-20,2026-02-15,300.00,,",
        "A4,A,2026-01-08,2026-01-08,200.00,,",
        "AV1,A,2026-01-25,,100.00,avoir,A2",
    ], [
        "2026-01-12,A,1000.00,A1", "2026-01-09,A,200.00,A4", "2026-02-10,A,500.00,A2",
        "2026-02-16,A,300.00,A3",
    ])


def test_backtest_compares_with_the_payments_received(relance, tiny, engine):
    with engine.connect() as conn:
        bt = fc.forecast_backtest(conn, creditor_id(engine), date(2026, 1, 5),
                                  date(2026, 2, 2), weeks=4)
        remade = [fc.forecast(conn, creditor_id(engine), o.at, 4) for o in bt.origins]
    assert [o.at for o in bt.origins] == [date(2026, 1, 5), date(2026, 2, 2)]
    first, second = bt.origins
    # 5 January: A1 and A2 open (A4 not issued yet: its payment of 9 January is not counted).
    assert first.open_amount == D("1600.00")
    assert first.actual == (D("1000.00"), D(0), D(0), D(0))      # A2 paid after week 4
    assert first.naive == (D("1000.00"), D(0), D("600.00"), D(0))
    assert first.forecast == (D("1000.00"), D(0), D("600.00"), D(0))  # no history yet
    # 2 February: A2 (500 left after the credit note, overdue) and A3 open.
    assert second.open_amount == D("800.00")
    assert second.actual == (D(0), D("800.00"), D(0), D(0))      # 10 and 16 February
    assert second.naive == (D("500.00"), D("300.00"), D(0), D(0))
    # Rule: A2, 14 days overdue, on 3 February; A3 on its due date + 2 days (A's median).
    assert second.forecast == (D("500.00"), D(0), D("300.00"), D(0))
    assert [tuple(w.amount for w in f.weeks) for f in remade] == [o.forecast for o in bt.origins]
    assert bt.mae_by_week == (D("250.00"), D("400.00"), D("450.00"), D("0.00"))
    assert bt.naive_mae_by_week == (D("250.00"), D("250.00"), D("300.00"), D("0.00"))
    assert (bt.mae, bt.naive_mae) == (D("275.00"), D("200.00"))     # 2 200 / 8, 1 600 / 8
    assert (bt.total_mae, bt.naive_total_mae) == (D("300.00"), D("300.00"))
    assert bt.actual_mean_week == D("225.00") and not bt.beats_naive


def test_backtest_through_the_cli(relance, tiny):
    data = js(relance, "forecast", "--at", "2026-03-02", "--weeks", "4",
              "--backtest-from", "2026-01-05")
    bt = data["backtest"]
    assert [o["at"] for o in bt["origins"]] == ["2026-01-05", "2026-02-02"]
    assert bt["origins"][1]["actual"] == ["0.00", "800.00", "0.00", "0.00"]
    assert (bt["mae"], bt["naive_mae"], bt["beats_naive"]) == ("275.00", "200.00", False)
    assert bt["mae_by_week"][2] == {"week": 3, "mae": "450.00", "naive_mae": "300.00"}
    text = relance("report", "forecast", "--at", "2026-03-02", "--weeks", "4",
                   "--backtest-from", "2026-01-05").stdout
    assert "Back-test : 2 prévision(s) refaite(s) du 5 janvier 2026 au 2 février 2026" in text
    assert f"Erreur absolue moyenne par semaine : 275,00{NBSP}€" in text
    assert "ne bat pas la prévision naïve" in text
    too_late = relance("report", "forecast", "--at", "2026-03-02", "--weeks", "4",
                       "--backtest-from", "2026-02-10", ok=False)
    assert too_late.exit_code == 2 and "2 février 2026" in too_late.output


# --- KPIs -----------------------------------------------------------------------------------


@pytest.fixture
def kpi(relance, creditor, tmp_path) -> None:
    """February and March 2026, with a credit note and partial payments."""
    load(relance, tmp_path, ["X", "Y"], [
        "X1,X,2026-01-15,2026-02-14,1000.00,,",
        "X2,X,2026-02-10,2026-03-12,600.00,,",
        "X3,X,2026-03-05,2026-04-04,800.00,,",
        "X4,X,2026-03-10,2026-03-25,400.00,,",
        "CN1,X,2026-03-20,,100.00,avoir,X2",
        "Y1,Y,2026-03-01,2026-03-20,200.00,,",
        "Y2,Y,2026-02-01,2026-03-01,300.00,,",
        "Y3,Y,2026-01-02,2026-01-31,50.00,,",
        "Y4,Y,2026-03-02,2026-03-31,70.00,,",
    ], [
        "2026-03-15,X,1000.00,X1", "2026-03-28,X,150.00,X4", "2026-03-18,Y,200.00,Y1",
        "2026-03-05,Y,100.00,Y2", "2026-03-11,Y,200.00,Y2", "2026-02-20,Y,50.00,Y3",
        "2026-04-02,Y,70.00,Y4",
    ])


def test_cei_by_hand(relance, kpi, engine):
    with engine.connect() as conn:
        march = fc.cei(conn, creditor_id(engine), date(2026, 3, 1), date(2026, 3, 31))
    # Beginning: X1 1 000 + X2 600 + Y2 300. Sales: X3 800 + X4 400 + Y1 200 + Y4 70 − CN1
    # 100. End: X2 500 + X4 250 overdue; X3 800 and Y4 70 (due that very day) not past due.
    assert (march.beginning, march.sales, march.ending_total, march.ending_current) == (
        D("1900.00"), D("1370.00"), D("1620.00"), D("870.00"))
    assert march.collected == D("1650.00")           # the payments of March, exactly
    assert march.cei == D("68.75")                   # 1 650 / 2 400
    months = js(relance, "cei", "--at", "2026-03-31", "--months", "3")["months"]
    assert [(m["month"], m["beginning"], m["sales"], m["ending_total"], m["ending_current"],
             m["cei"], m["partial"]) for m in months] == [
        ("2026-01", "0.00", "1050.00", "1050.00", "1050.00", None, False),   # 0 ÷ 0
        ("2026-02", "1050.00", "900.00", "1900.00", "900.00", "4.76", False),  # 50 / 1 050
        ("2026-03", "1900.00", "1370.00", "1620.00", "870.00", "68.75", False),
    ]
    partial = js(relance, "cei", "--at", "2026-03-15", "--months", "1")["months"][0]
    assert (partial["end"], partial["partial"]) == ("2026-03-15", True)
    text = relance("report", "cei", "--at", "2026-03-31", "--months", "3").stdout
    assert "mars 2026" in text and f"68,75{NBSP}%" in text and f"4,76{NBSP}%" in text
    assert "janvier 2026" in text and "n.d." in text


def test_days_late_simple_and_weighted(relance, kpi):
    data = js(relance, "lateness", "--from", "2026-03-01", "--to", "2026-03-31")
    # X1: 29 days late on 1 000; Y1: on time (0) on 200; Y2: settled 11 March, 10 days on 300.
    assert data == {"start": "2026-03-01", "end": "2026-03-31", "invoices": 3, "late": 2,
                    "amount": "1500.00", "average_days": "13.0", "weighted_days": "21.3",
                    "max_days": 29}
    text = relance("report", "lateness", "--from", "2026-03-01", "--to", "2026-03-31").stdout
    assert "3 (1\u202f500,00\xa0€), dont 2 en retard" in text
    assert "Retard moyen : 13,0 j ; pondéré par les montants : 21,3 j" in text
    empty = js(relance, "lateness", "--from", "2025-01-01", "--to", "2025-12-31")
    assert (empty["invoices"], empty["average_days"]) == (0, None)


@pytest.fixture
def reminded(relance, creditor, tmp_path) -> None:
    """Two real runs: the courteous reminder on 11 March (F1, F2), the reminder after the due
    date on 17 March (F1 only: F2 paid on 13 March); F1 then paid 500 and 200."""
    load(relance, tmp_path, ["PRO"], ["F1,PRO,2026-02-14,2026-03-16,1200.00,,",
                                      "F2,PRO,2026-02-14,2026-03-16,300.00,,"], [])
    relance("run", "--date", "2026-03-11")
    write(tmp_path / "p1.csv", "date,client_ref,amount,invoice_number\n"
          "2026-03-13,PRO,300.00,F2\n")
    relance("import", "payments", str(tmp_path / "p1.csv"))
    relance("run", "--date", "2026-03-17")
    write(tmp_path / "p2.csv", "date,client_ref,amount,invoice_number\n"
          "2026-03-20,PRO,500.00,F1\n2026-03-30,PRO,200.00,F1\n")
    relance("import", "payments", str(tmp_path / "p2.csv"))


def test_recovery_by_step(relance, reminded):
    data = js(relance, "recovery", "--from", "2026-03-01", "--to", "2026-03-31")
    steps = [(s["step"], s["invoices"], s["reminded"], s["paid"], s["rate"])
             for s in data["steps"]]
    assert steps == [
        ("rappel_avant_echeance", 2, "1500.00", "800.00", "53.33"),   # F2 300 + F1 500
        ("relance_lendemain", 1, "1200.00", "700.00", "58.33"),       # F1 500 + 200
    ]
    quick = js(relance, "recovery", "--from", "2026-03-01", "--to", "2026-03-31",
               "--within", "5")
    assert [(s["paid"], s["rate"]) for s in quick["steps"]] == [("300.00", "20.00"),
                                                               ("500.00", "41.67")]
    later = js(relance, "recovery", "--from", "2026-03-12", "--to", "2026-03-31")
    assert [s["step"] for s in later["steps"]] == ["relance_lendemain"]
    text = relance("report", "recovery", "--from", "2026-03-01", "--to", "2026-03-31").stdout
    assert f"53,33{NBSP}%" in text and text.splitlines()[-1].split()[:2] == ["Total", "3"]
    assert f"1{NNBSP}500,00{NBSP}€" in text and f"{NBSP}%" in text.splitlines()[-1]
