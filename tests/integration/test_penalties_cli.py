"""Penalties through the `relance` command: the calculator, invoices of the database, rates,
conventions, waivers, formal notices and prescription, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from tests.integration.test_imports import write

CALC = ("penalties", "--json")


def calc(relance, *args: str, ok: bool = True):
    result = relance(*CALC, *args, ok=ok)
    return json.loads(result.stdout) if result.exit_code == 0 else result


# --- the calculator: the worked examples of the law file, §10 ------------------------------


def test_example_a_comes_out_to_the_cent_with_its_breakdown(relance):
    data = calc(relance, "--amount", "10000", "--due", "2024-03-15", "--paid", "2024-09-30")
    assert (data["interest"], data["indemnity"], data["total"]) == ("784.25", "40.00", "824.25")
    assert data["amount_due"] == "824.25"  # the principal itself was paid on 30 September
    assert [(p["from"], p["to"], p["days"], p["rate"], p["interest"]) for p in data["periods"]] \
        == [("2024-03-16", "2024-06-30", 107, "14.50", "425.07"),
            ("2024-07-01", "2024-09-30", 92, "14.25", "359.18")]
    assert data["conventions"]["day_count"] == "actual/365"
    assert any("L441-10" in s for s in data["sources"])


@pytest.mark.parametrize(("setting", "interest"), [
    ("day_count=actual/actual", "782.11"),
    ("floor_default_rate=oui", "817.91"),
])
def test_example_a_variants_come_out_when_their_setting_is_chosen(relance, setting, interest):
    data = calc(relance, "--amount", "10000", "--due", "2024-03-15", "--paid", "2024-09-30",
                "--set", setting)
    assert data["interest"] == interest
    assert data["indemnity"] == "40.00"


def test_example_b_unpaid_invoice_gives_68_24_plus_40_and_the_amount_due(relance):
    data = calc(relance, "--amount", "2500", "--due", "2025-11-20", "--at", "2026-02-10")
    assert (data["interest"], data["indemnity"], data["amount_due"]) == \
        ("68.24", "40.00", "2608.24")
    assert sum(p["days"] for p in data["periods"]) == 82
    variant = calc(relance, "--amount", "2500", "--due", "2025-11-20", "--at", "2026-02-10",
                   "--set", "count_payment_day=non")
    assert variant["interest"] == "67.41"


def test_example_c_consumer_legal_interest_by_creditor_column(relance):
    args = ("--amount", "1200", "--due", "2025-04-01", "--notice", "2025-05-05", "--paid",
            "2025-12-31", "--kind", "b2c")
    business = calc(relance, *args)
    assert (business["interest"], business["indemnity"]) == ("23.53", "0.00")
    private = calc(relance, *args, "--creditor-private")
    assert private["interest"] == "53.50"
    assert [p["rate"] for p in private["periods"]] == ["7.21", "6.65"]
    counted = calc(relance, *args, "--creditor-private", "--set", "count_notice_day=oui",
                   "--set", "count_payment_day=non")
    assert counted["interest"] == "53.52"


def test_the_text_output_shows_the_calculation_in_french(relance):
    out = relance("penalties", "--amount", "10000", "--due", "2024-03-15", "--paid",
                  "2024-09-30").stdout
    assert "16/03/2024  30/06/2024  107" in out
    assert "14,50\xa0%" in out and "425,07\xa0€" in out
    assert "Pénalités de retard : 784,25\xa0€" in out
    assert "Indemnité forfaitaire pour frais de recouvrement : 40,00\xa0€" in out
    assert "hors champ de la TVA" in out


@pytest.mark.parametrize(("args", "expected"), [
    (("--amount", "100", "--due", "2026-06-01", "--at", "2026-08-01"),
     "relance rates add 2026-H2"),
    (("--amount", "100", "--due", "2014-06-01", "--at", "2014-08-01"), "2015"),
    (("--amount", "-5", "--due", "2025-06-01", "--at", "2025-08-01"), "Montant négatif"),
    (("--amount", "100", "--due", "2025-06-01", "--paid", "2025-07-01", "--at", "2025-08-01"),
     "soit --paid"),
    (("--amount", "100", "--due", "2025-06-01", "--at", "2025-08-01", "--kind", "b2c"),
     "mise en demeure"),
    (("--amount", "100", "--due", "2025-06-01", "--at", "2025-08-01", "--kind", "b2c",
      "--notice", "2025-05-01"), "Dates incohérentes"),
    (("--amount", "100", "--due", "2025-06-01", "--at", "2025-08-01", "--rate", "douze"),
     "taux contractuel"),
    (("--amount", "100", "--due", "2025-06-01", "--at", "2025-08-01", "--set", "rounding=x"),
     "rounding"),
])
def test_bad_calculator_input_exits_2_with_a_french_message(relance, args, expected):
    result = relance("penalties", *args, ok=False)
    assert result.exit_code == 2
    assert expected in result.output
    assert "Traceback" not in result.output


def test_a_contractual_rate_is_floored_at_three_times_the_legal_rate(relance):
    low = calc(relance, "--amount", "1000", "--due", "2025-01-31", "--at", "2025-03-02",
               "--rate", "1")
    # 3 x 3.71 % (2025-H1, "autres cas") = 11.13 %
    assert [p["rate"] for p in low["periods"]] == ["11.13"]
    high = calc(relance, "--amount", "1000", "--due", "2025-01-31", "--at", "2025-03-02",
                "--rate", "15")
    assert [p["rate"] for p in high["periods"]] == ["15.00"]


def test_public_buyers_pay_ecb_plus_8_fixed_for_the_whole_delay(relance):
    data = calc(relance, "--amount", "1000", "--due", "2024-05-31", "--at", "2025-02-28",
                "--kind", "public")
    assert {p["rate"] for p in data["periods"]} == {"12.50"}  # 4.50 % on 1 Jan 2024 + 8
    assert data["indemnity"] == "40.00"


# --- rates -----------------------------------------------------------------------------------


def test_rates_list_shows_the_table_with_sources_and_the_last_half_year(relance):
    out = relance("rates", "list").stdout
    assert "2015-H1" in out and "2026-H1" in out and "2026-H2" not in out.split("Sources")[0]
    assert "Sources :" in out and "http" in out
    assert "relance rates add 2026-H2" in out
    data = json.loads(relance("rates", "list", "--json").stdout)
    h1 = next(r for r in data["rates"] if r["half"] == "2024-H1")
    assert (h1["ecb"], h1["b2b_default"], h1["public"]) == ("4.50", "14.50", "12.50")
    assert all(r["sources"] for r in data["rates"])


def test_a_rate_added_by_the_user_is_stored_and_used_by_the_calculator(relance):
    missing = relance("penalties", "--amount", "1000", "--due", "2026-06-30", "--at",
                      "2026-07-31", ok=False)
    assert missing.exit_code == 2
    relance("rates", "add", "2026-H2", "--ecb", "2,15", "--legal-private", "6,50",
            "--legal-other", "2,80", "--source", "https://www.legifrance.gouv.fr/jorf/x")
    data = calc(relance, "--amount", "1000", "--due", "2026-06-30", "--at", "2026-07-31")
    assert data["periods"][0]["rate"] == "12.15"
    assert data["interest"] == "10.32"  # 1000 x 12.15 % x 31 / 365 = 10.319
    listing = json.loads(relance("rates", "list", "--json").stdout)
    added = next(r for r in listing["rates"] if r["half"] == "2026-H2")
    assert added["origin"] == "user" and added["sources"] == ["https://www.legifrance.gouv.fr/jorf/x"]
    again = relance("rates", "add", "2026-H2", "--ecb", "2", "--legal-private", "6",
                    "--legal-other", "3", "--source", "x", ok=False)
    assert again.exit_code == 2 and "--replace" in again.output
    relance("rates", "add", "2026-H2", "--ecb", "2.00", "--legal-private", "6",
            "--legal-other", "3", "--source", "x", "--replace")
    assert calc(relance, "--amount", "1000", "--due", "2026-06-30", "--at",
                "2026-07-31")["periods"][0]["rate"] == "12.00"


def test_a_user_rate_overrides_a_shipped_half_year(relance):
    relance("rates", "add", "2024-H1", "--ecb", "5.00", "--legal-private", "8",
            "--legal-other", "5", "--source", "correction")
    data = calc(relance, "--amount", "10000", "--due", "2024-03-15", "--at", "2024-06-30")
    assert data["periods"][0]["rate"] == "15.00"


@pytest.mark.parametrize("args", [
    ("2026-H3", "--ecb", "2", "--legal-private", "6", "--legal-other", "3"),
    ("2026-H2", "--ecb", "beaucoup", "--legal-private", "6", "--legal-other", "3"),
    ("2026-H2", "--ecb", "2", "--legal-private", "600", "--legal-other", "3"),
])
def test_rates_add_refuses_nonsense_and_writes_nothing(relance, args):
    result = relance("rates", "add", *args, "--source", "x", ok=False)
    assert result.exit_code == 2 and "Erreur" in result.output
    assert "2026-H2" not in relance("rates", "list").stdout.split("Sources")[0]


def test_rates_update_offline_says_so_and_changes_nothing(relance):
    result = relance("rates", "update", "--url", "http://127.0.0.1:9/ecb", "--timeout", "2",
                     ok=False)
    assert result.exit_code == 2
    assert "injoignable" in result.output and "Rien n'a été modifié" in result.output


class _Ecb(BaseHTTPRequestHandler):
    body = ("KEY,FREQ,TIME_PERIOD,OBS_VALUE\n"
            "FM.D,D,2025-06-11,2.15\nFM.D,D,2026-06-30,2.15\nFM.D,D,2026-07-01,2.40\n")

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.end_headers()
        self.wfile.write(self.body.encode())

    def log_message(self, *args: object) -> None:
        pass


def test_rates_update_reads_the_ecb_series_and_says_which_half_year_to_add(relance):
    server = HTTPServer(("127.0.0.1", 0), _Ecb)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        out = relance("rates", "update", "--url",
                      f"http://127.0.0.1:{server.server_port}/series").stdout
    finally:
        server.shutdown()
    assert "2026-H2 : taux BCE au 01/07/2026 = 2,40\xa0%" in out
    assert "relance rates add 2026-H2 --ecb 2.40" in out
    assert "Aucune modification" in out
    assert "2026-H2" not in relance("rates", "list").stdout.split("Sources")[0]


# --- invoices of the database --------------------------------------------------------------


@pytest.fixture
def ledger(relance, creditor, tmp_path: Path) -> Path:
    write(tmp_path / "clients.csv",
          "client_ref,name,kind\nPRO,Garage Martin SARL,b2b\nPART,Julie Petit,b2c\n"
          "MAIRIE,Commune de Vénissieux,public\n")
    write(tmp_path / "invoices.csv",
          "number,client_ref,issue_date,due_date,amount\n"
          "F1,PRO,2024-02-14,2024-03-15,10000.00\n"
          "F2,PRO,2025-10-21,2025-11-20,2500.00\n"
          "F3,PART,2025-03-01,2025-04-01,1200.00\n"
          "F4,MAIRIE,2024-05-01,2024-05-31,1000.00\n")
    for kind in ("clients", "invoices"):
        relance("import", kind, str(tmp_path / f"{kind}.csv"))
    return tmp_path


def test_an_invoice_paid_late_still_owes_its_penalties(relance, ledger):
    relance("payments", "add", "--client", "PRO", "--amount", "10000", "--date", "2024-09-30",
            "--invoice", "F1")
    data = json.loads(relance("penalties", "F1", "--at", "2024-12-31", "--json").stdout)
    assert (data["interest"], data["indemnity"], data["principal_open"]) == \
        ("784.25", "40.00", "0.00")
    assert data["invoice"] == "F1" and data["client_ref"] == "PRO"


def test_a_partial_payment_reduces_the_base_from_the_next_day(relance, ledger):
    relance("payments", "add", "--client", "PRO", "--amount", "1000", "--date", "2025-12-31",
            "--invoice", "F2")
    data = json.loads(relance("penalties", "F2", "--at", "2026-02-10", "--json").stdout)
    assert [(p["base"], p["days"]) for p in data["periods"]] == \
        [("2500.00", 41), ("1500.00", 41)]
    # 2500 x 12.15 % x 41/365 = 34.12 ; 1500 x 12.15 % x 41/365 = 20.47
    assert data["interest"] == "54.59"
    assert data["principal_open"] == "1500.00" and data["amount_due"] == "1594.59"


def test_a_credit_note_reduces_the_base_like_a_payment(relance, ledger, tmp_path):
    write(tmp_path / "avoir.csv", "number,client_ref,issue_date,due_date,amount,type,applies_to\n"
          "A1,PRO,2025-12-31,,1000.00,avoir,F2\n")
    relance("import", "invoices", str(tmp_path / "avoir.csv"))
    data = json.loads(relance("penalties", "F2", "--at", "2026-02-10", "--json").stdout)
    assert data["interest"] == "54.59"


def test_the_invoice_or_client_contractual_rate_applies(relance, ledger, engine):
    from sqlalchemy import update

    from relance.adapters import tables as t

    with engine.begin() as conn:
        conn.execute(update(t.invoices).where(t.invoices.c.number == "F2")
                     .values(penalty_rate="15"))
    data = json.loads(relance("penalties", "F2", "--at", "2026-02-10", "--json").stdout)
    assert {p["rate"] for p in data["periods"]} == {"15.00"}


def test_a_consumer_owes_interest_only_from_the_recorded_formal_notice(relance, ledger):
    before = json.loads(relance("penalties", "F3", "--at", "2025-12-31", "--json").stdout)
    assert (before["interest"], before["indemnity"]) == ("0.00", "0.00")
    relance("notices", "record", "F3", "--sent", "2025-05-02", "--received", "2025-05-05")
    after = json.loads(relance("penalties", "F3", "--at", "2025-12-31", "--json").stdout)
    assert after["start"] == "2025-05-06"
    assert after["interest"] == "23.53" and after["indemnity"] == "0.00"
    relance("settings", "set", "notice_basis", "sending")
    sent = json.loads(relance("penalties", "F3", "--at", "2025-12-31", "--json").stdout)
    assert sent["start"] == "2025-05-03" and sent["interest"] > after["interest"]


def test_settings_change_the_conventions_used_and_are_recorded_in_the_result(relance, ledger):
    relance("payments", "add", "--client", "PRO", "--amount", "10000", "--date", "2024-09-30",
            "--invoice", "F1")
    relance("settings", "set", "day_count", "actual/actual")
    data = json.loads(relance("penalties", "F1", "--at", "2024-12-31", "--json").stdout)
    assert data["interest"] == "782.11"
    assert data["conventions"]["day_count"] == "actual/actual"
    listing = relance("settings", "list").stdout
    assert "day_count = actual/actual (modifié)" in listing
    bad = relance("settings", "set", "day_count", "actual/360", ok=False)
    assert bad.exit_code == 2 and "actual/365" in bad.output
    unknown = relance("settings", "set", "couleur", "bleu", ok=False)
    assert unknown.exit_code == 2 and "Réglage inconnu" in unknown.output


def test_a_waiver_claims_nothing_is_kept_in_the_history_and_can_be_revoked(relance, ledger,
                                                                           engine):
    from sqlalchemy import select

    from relance.adapters import tables as t

    relance("waivers", "add", "--invoice", "F2", "--date", "2026-01-15", "--reason",
            "geste commercial")
    data = json.loads(relance("penalties", "F2", "--at", "2026-02-10", "--json").stdout)
    assert (data["interest"], data["indemnity"], data["total"]) == ("0.00", "0.00", "0.00")
    assert data["waived"] == {"interest": "68.24", "indemnity": "40.00"}
    listing = json.loads(relance("invoices", "list", "--at", "2026-02-10", "--json").stdout)
    f2 = next(i for i in listing["invoices"] if i["number"] == "F2")
    assert f2["penalties"]["total"] == "0.00"
    waiver_id = json.loads(relance("waivers", "list", "--json").stdout)["waivers"][0]["id"]
    relance("waivers", "revoke", str(waiver_id), "--date", "2026-02-01")
    again = json.loads(relance("penalties", "F2", "--at", "2026-02-10", "--json").stdout)
    assert again["total"] == "108.24"
    with engine.connect() as conn:
        kinds = conn.execute(select(t.events.c.kind).order_by(t.events.c.id)).scalars().all()
    assert kinds == ["penalties_waived", "waiver_revoked"]


def test_a_client_waiver_covers_all_its_invoices(relance, ledger):
    relance("waivers", "add", "--client", "PRO", "--date", "2024-01-01")
    listing = json.loads(relance("invoices", "list", "--overdue", "--at", "2026-02-10",
                                 "--json").stdout)
    pro = [i for i in listing["invoices"] if i["client_ref"] == "PRO"]
    assert pro and all(i["penalties"]["total"] == "0.00" for i in pro)
    mairie = next(i for i in listing["invoices"] if i["client_ref"] == "MAIRIE")
    assert mairie["penalties"]["indemnity"] == "40.00"


def test_overdue_lists_show_penalties_and_name_the_missing_rate(relance, ledger):
    data = json.loads(relance("invoices", "list", "--overdue", "--at", "2026-02-10",
                              "--json").stdout)
    f2 = next(i for i in data["invoices"] if i["number"] == "F2")
    assert f2["penalties"] == {"computable": True, "interest": "68.24", "indemnity": "40.00",
                               "total": "108.24", "amount_due": "2608.24"}
    late = json.loads(relance("invoices", "list", "--overdue", "--at", "2026-08-01",
                              "--json").stdout)
    f2 = next(i for i in late["invoices"] if i["number"] == "F2")
    assert f2["penalties"]["computable"] is False
    assert f2["penalties"]["missing_half"] == "2026-H2"
    text = relance("invoices", "list", "--overdue", "--at", "2026-08-01").stdout
    assert "non calculable (2026-H2)" in text
    assert "taux du semestre 2026-H2 manquant" in text and "relance rates add 2026-H2" in text
    client = json.loads(relance("clients", "show", "PRO", "--at", "2026-02-10", "--json").stdout)
    assert client["open_invoices"][-1]["penalties"]["total"] == "108.24"


def test_penalties_of_an_invoice_over_a_missing_half_year_exit_2_with_the_reason(relance,
                                                                                 ledger):
    result = relance("penalties", "F2", "--at", "2026-08-01", ok=False)
    assert result.exit_code == 2
    assert "non calculables" in result.output and "2026-H2" in result.output


def test_an_unknown_invoice_is_a_clear_error(relance, ledger):
    result = relance("penalties", "NOPE", ok=False)
    assert result.exit_code == 2 and "Facture « NOPE » introuvable" in result.output


# --- terms, caps and the clause ------------------------------------------------------------


def test_an_import_warns_about_due_dates_beyond_the_legal_caps(relance, creditor, tmp_path):
    write(tmp_path / "long.csv", "number,client_ref,issue_date,due_date,terms,amount\n"
          "L1,PRO,2026-01-10,2026-04-15,,100.00\n"
          "L2,PRO,2026-01-10,,45 jours fin de mois,100.00\n"
          "L3,PRO,2026-01-10,,90 jours,100.00\n")
    result = relance("import", "invoices", str(tmp_path / "long.csv"), "--json")
    warnings = json.loads(result.stdout)["warnings"]
    assert [w.split(" : ")[0] for w in warnings] == ["long.csv, ligne 2, facture L1",
                                                     "long.csv, ligne 4, facture L3"]
    assert "plafond légal" in warnings[0]


def test_terms_clause_prints_an_enforceable_clause(relance):
    out = relance("terms-clause", "--terms", "45 jours fin de mois").stdout
    assert "40 €" in out and "10 points" in out and "L441-10" in out
    assert "45 jours fin de mois" in out
    b2c = relance("terms-clause", "--kind", "b2c", "--json").stdout
    assert "40 €" not in json.loads(b2c)["text"]
    long = json.loads(relance("terms-clause", "--terms", "90 jours", "--json").stdout)
    assert long["warnings"] and "60 jours" in long["warnings"][0]


def test_terms_clause_uses_the_creditors_terms_and_rate(relance):
    relance("creditors", "add", "ZED", "--name", "Zed SARL", "--terms", "60 jours",
            "--penalty-rate", "12")
    out = relance("terms-clause").stdout
    assert "60 jours" in out and "12,00 %" in out


# --- prescription ----------------------------------------------------------------------------


def test_prescription_dates_warnings_and_interruptions(relance, ledger):
    data = json.loads(relance("prescription", "list", "--at", "2029-01-15", "--json").stdout)
    by_number = {i["number"]: i for i in data["invoices"]}
    assert by_number["F1"]["expires"] == "2029-03-15"          # 5 years from the due date
    assert by_number["F1"]["state"] == "warning"
    assert by_number["F3"]["expires"] == "2027-03-01"          # 2 years against a consumer
    assert by_number["F3"]["state"] == "expired"
    assert by_number["F4"]["expires"] == "2028-12-31"          # déchéance quadriennale
    out = relance("prescription", "interrupt", "F1", "--kind", "acknowledgement", "--date",
                  "2028-06-01").stdout
    assert "01/06/2033" in out
    again = json.loads(relance("prescription", "list", "--at", "2029-01-15", "--json").stdout)
    f1 = next(i for i in again["invoices"] if i["number"] == "F1")
    assert f1["expires"] == "2033-06-01" and f1["state"] == "ok"


def test_a_partial_payment_interrupts_prescription_but_a_notice_does_not(relance, ledger):
    relance("notices", "record", "F2", "--sent", "2027-01-10", "--received", "2027-01-12")
    data = json.loads(relance("prescription", "list", "--at", "2027-02-01", "--json").stdout)
    f2 = next(i for i in data["invoices"] if i["number"] == "F2")
    assert f2["expires"] == "2030-11-20"
    relance("payments", "add", "--client", "PRO", "--amount", "100", "--date", "2027-03-01",
            "--invoice", "F2")
    data = json.loads(relance("prescription", "list", "--at", "2027-04-01", "--json").stdout)
    f2 = next(i for i in data["invoices"] if i["number"] == "F2")
    assert f2["expires"] == "2032-03-01"
    assert f2["interrupted_by"] == {"date": "2027-03-01", "kind": "partial_payment"}
