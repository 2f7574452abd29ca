"""`relance predict` on a real database (SQLite, or PostgreSQL with RELANCE_TEST_DATABASE_URL),
and its back-test on the public IBM accounts-receivable sample."""

from __future__ import annotations

import json
import os
import random
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from relance.adapters import tables as t
from relance.adapters.repository import resolve_creditor
from relance.entrypoints.cli import cli
from relance.entrypoints.cli_predict import register
from relance.services.prediction import history
from tests.conftest import SAMPLES
from tests.integration.test_imports import write

AT = date(2025, 12, 31)
AR_SAMPLE = Path(os.environ.get("RELANCE_AR_SAMPLE",
                                "/work/shared/data/ar_ibm/WA_Fn-UseC_-Accounts-Receivable.csv"))


@pytest.fixture(autouse=True)
def _predict_command() -> None:
    if "predict" not in cli.commands:
        register(cli)


def make_ledger(folder: Path) -> dict[str, date | None]:
    """Twelve clients, punctual, late or in between, about 300 invoices over 2025; returns the
    date each invoice is fully paid (None: open at the end of 2025)."""
    rng = random.Random(3)
    clients = ["client_ref,name,kind,email"]
    invoices = ["number,client_ref,issue_date,due_date,amount"]
    payments = ["date,amount,client_ref,invoice_number,reference"]
    settled: dict[str, date | None] = {}
    n = 0
    for c in range(12):
        ref, habit = f"C{c:02d}", c % 3          # 0 punctual, 1 late, 2 in between
        clients.append(f"{ref},Client {c} SARL,b2b,compta{c}@example.fr")
        issued = date(2025, 1, 2) + timedelta(days=rng.randrange(10))
        while issued < date(2025, 12, 20):
            n += 1
            number = f"F{n:04d}"
            due = issued + timedelta(days=30)
            amount = Decimal(rng.randint(10_000, 300_000)) / 100
            invoices.append(f"{number},{ref},{issued},{due},{amount}")
            late = rng.random() < (0.05, 0.9, 0.4)[habit]
            paid = due + timedelta(days=rng.randint(3, 45) if late else -rng.randint(0, 10))
            if paid <= AT:
                if n % 10 == 0:                     # paid in two halves: settled on the second
                    half = (amount / 2).quantize(Decimal("0.01"))
                    first = paid - timedelta(days=7)
                    payments.append(f"{first},{half},{ref},{number},P{n}a")
                    payments.append(f"{paid},{amount - half},{ref},{number},P{n}b")
                else:
                    payments.append(f"{paid},{amount},{ref},{number},P{n}")
            settled[number] = paid if paid <= AT else None
            issued += timedelta(days=rng.randint(10, 18))
    write(folder / "clients.csv", "\n".join(clients) + "\n")
    write(folder / "invoices.csv", "\n".join(invoices) + "\n")
    write(folder / "payments.csv", "\n".join(payments) + "\n")
    return settled


@pytest.fixture
def ledger(relance, creditor, tmp_path) -> dict[str, date | None]:
    settled = make_ledger(tmp_path)
    for kind in ("clients", "invoices", "payments"):
        relance("import", kind, str(tmp_path / f"{kind}.csv"))
    return settled


def test_the_history_has_settlement_dates_from_allocations_and_dispute_dates(
        relance, ledger, engine):
    open_one = next(k for k, v in ledger.items() if v is None)
    relance("disputes", "open", open_one, "--reason", "prestation contestée",
            "--date", "2025-12-20")
    with engine.connect() as conn:
        creditor_id = resolve_creditor(conn, "ACME").id
        records = {r.key: r for r in history(conn, creditor_id)}
        known = {r.key: r for r in history(conn, creditor_id, date(2025, 12, 19))}
    assert {k: r.settled for k, r in records.items()} == ledger  # halves: the second date
    assert records[open_one].disputed_on == date(2025, 12, 20)
    assert known[open_one].disputed_on is None                    # not yet raised then
    assert all(r.settled is None or r.settled <= date(2025, 12, 19) for r in known.values())


def test_predict_trains_on_the_ledger_and_stores_a_prediction_per_open_invoice(
        relance, ledger, engine):
    data = json.loads(relance("predict", "--at", AT.isoformat(), "--json").stdout)
    assert data["model"] in ("hgb-v1", "logreg-v1")
    open_numbers = {k for k, v in ledger.items() if v is None}
    got = {p["invoice"]: p for p in data["predictions"]}
    assert set(got) == open_numbers
    for p in got.values():
        assert re.fullmatch(r"[01]\.\d{4}", p["p_late"])
        assert p["expected_on"] >= p["due"]
        if p["due"] < AT.isoformat():
            assert p["p_late"] == "1.0000"
    with engine.connect() as conn:
        rows = conn.execute(select(t.invoice_predictions, t.invoices.c.number).join(
            t.invoices, t.invoices.c.id == t.invoice_predictions.c.invoice_id)).all()
    assert {r.number for r in rows} == open_numbers
    assert {r.predicted_on for r in rows} == {AT} and {r.model for r in rows} == {data["model"]}
    assert all(r.p_late == Decimal(got[r.number]["p_late"]) for r in rows)

    # Predicting again replaces each invoice's prediction.
    later = date(2026, 1, 10)
    relance("predict", "--at", later.isoformat(), "--json")
    with engine.connect() as conn:
        again = conn.execute(select(t.invoice_predictions)).all()
    assert len(again) == len(rows) and {r.predicted_on for r in again} == {later}


def test_predict_prints_a_french_table(relance, ledger):
    out = relance("predict", "--at", AT.isoformat()).stdout
    assert "Retard prévu au 31 décembre 2025" in out and "prédictions enregistrées" in out
    assert "Retard probable" in out and "Paiement attendu" in out
    assert re.search(r"\d+\u00a0%", out)
    assert re.search(r"\d+ (janvier|février|mars) 2026", out)


def test_too_little_history_falls_back_to_the_client_rate_rule(relance, creditor, engine):
    for kind in ("clients", "invoices", "payments"):
        relance("import", kind, str(SAMPLES / f"{kind}.csv"))
    data = json.loads(relance("predict", "--at", "2026-06-30", "--json").stdout)
    assert data["model"] == "regle-taux-client"
    assert data["predictions"] and all(p["p_late"] == "1.0000" for p in data["predictions"])
    with engine.connect() as conn:
        models = set(conn.execute(select(t.invoice_predictions.c.model)).scalars())
    assert models == {"regle-taux-client"}
    assert "historique trop court" in relance("predict", "--at", "2026-06-30").stdout


def test_backtest_on_the_creditor_ledger(relance, ledger):
    data = json.loads(relance("predict", "backtest", "--at", AT.isoformat(), "--json").stdout)
    assert data["predictions"] > 20 and data["auc_model"] is not None
    assert data["source"].startswith("grand livre de ACME")


def test_backtest_on_the_ibm_sample_beats_the_client_late_rate_rule(relance):
    if not AR_SAMPLE.is_file():
        pytest.skip(f"IBM accounts-receivable sample absent ({AR_SAMPLE}); set "
                    "RELANCE_AR_SAMPLE to its path")
    out = relance("predict", "backtest", "--ar-ibm", str(AR_SAMPLE)).stdout
    found = re.search(r"AUC du modèle : (0,\d{4}) — AUC de la règle « taux de retard passé du "
                      r"client » : (0,\d{4})", out)
    assert found, out
    model, rule = (float(x.replace(",", ".")) for x in found.groups())
    assert model > rule > 0.5
    assert "Le modèle bat la règle" in out and "2466 factures" in out


def test_a_file_that_is_not_the_ibm_sample_is_refused_in_french(relance, tmp_path):
    bad = write(tmp_path / "bad.csv", "a,b\n1,2\n")
    result = relance("predict", "backtest", "--ar-ibm", str(bad), ok=False)
    assert result.exit_code == 2 and "Erreur : Fichier" in result.output
    missing = relance("predict", "backtest", "--ar-ibm", str(tmp_path / "none.csv"), ok=False)
    assert missing.exit_code == 2 and "introuvable" in missing.output
