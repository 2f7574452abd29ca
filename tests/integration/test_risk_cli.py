"""Client reliability through the CLI on a real database: score and explanation, automatic
and manual warning signs, limits and alerts, bad-payer marks (CNIL), collective proceedings,
and the grade choosing the scenario of the daily run."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import select

from relance.adapters import tables as t
from tests.integration.test_imports import write

AT = date(2026, 11, 23)   # a Monday


def js(relance, *args, ok=True):
    result = relance(*args, "--json", ok=ok)
    return json.loads(result.stdout)


@pytest.fixture
def ledger(relance, creditor, tmp_path: Path) -> Path:
    """GOOD pays on time; LATE pays a month late and owes an old invoice; NEW has no history."""
    write(tmp_path / "clients.csv",
          "client_ref,name,kind,siren,email,phone,address,postal_code,city\n"
          "GOOD,Bon Payeur SA,b2b,552032534,a@bon.fr,0472000000,1 rue A,69001,Lyon\n"
          "LATE,Retard SARL,b2b,542107651,b@retard.fr,0472000001,2 rue B,69002,Lyon\n"
          "NEW,Nouveau SAS,b2b,,c@nouveau.fr,0472000002,3 rue C,69003,Lyon\n")
    rows = ["number,client_ref,issue_date,due_date,amount,billed_siren"]
    pays = ["date,client_ref,amount,invoice_number"]
    for i in range(6):
        due = date(2026, 3, 2) + timedelta(days=30 * i)
        issue = due - timedelta(days=30)
        rows.append(f"G{i},GOOD,{issue},{due},1000.00,")
        pays.append(f"{due - timedelta(days=1)},GOOD,1000.00,G{i}")
        rows.append(f"L{i},LATE,{issue},{due},1000.00,")
        pays.append(f"{due + timedelta(days=35)},LATE,1000.00,L{i}")
    rows.append("L9,LATE,2026-08-01,2026-08-31,2400.00,")
    rows.append("L10,LATE,2026-09-01,2026-10-01,800.00,732829320")   # billed to another company
    write(tmp_path / "clients_inv.csv", "\n".join(rows) + "\n")
    write(tmp_path / "pays.csv", "\n".join(pays) + "\n")
    relance("import", "clients", str(tmp_path / "clients.csv"))
    relance("import", "invoices", str(tmp_path / "clients_inv.csv"))
    relance("import", "payments", str(tmp_path / "pays.csv"))
    relance("rates", "add", "2026-H2", "--ecb", "2,15", "--legal-private", "6,50",
            "--legal-other", "2,90", "--source", "https://www.banque-france.fr")
    return tmp_path


def test_score_explains_every_factor(relance, ledger):
    good = js(relance, "score", "GOOD", "--at", AT.isoformat())
    assert (good["score"], good["grade"], good["factors"]) == (100, "A", [])
    assert good["behaviour"]["paid"] == 6 and good["behaviour"]["late_share"] == "0.00"
    late = js(relance, "score", "LATE", "--at", AT.isoformat())
    texts = [f["text"] for f in late["factors"]]
    assert "100 % des factures réglées l'ont été en retard (6 sur 6) : −25" in texts
    assert any(t.startswith("Retard moyen pondéré par les montants : 35 jours") for t in texts)
    assert any("échus impayés, le plus ancien depuis 84 jours" in t for t in texts)
    assert late["grade"] in ("D", "E") and late["policy"]["deposit_percent"] >= 50
    assert late["score"] == 100 + sum(f["points"] for f in late["factors"])
    new = js(relance, "score", "NEW", "--at", AT.isoformat())
    assert new["factors"][0]["text"].startswith("Aucune facture réglée")
    text = relance("score", "LATE", "--at", AT.isoformat()).stdout
    assert "Note de fiabilité : " in text and "Conseil : " in text


def test_score_is_point_in_time(relance, ledger):
    early = js(relance, "score", "LATE", "--at", "2026-04-01")["behaviour"]
    assert (early["paid"], early["invoices"], early["oldest_overdue_days"]) == (0, 3, 30)
    later = js(relance, "score", "LATE", "--at", "2026-04-06")["behaviour"]
    assert (later["paid"], later["paid_late"], later["longest_delay"]) == (1, 1, 35)


def test_clients_show_includes_the_score(relance, ledger):
    shown = relance("clients", "show", "LATE", "--at", AT.isoformat()).stdout
    assert "Note de fiabilité" in shown and "des factures réglées l'ont été en retard" in shown
    data = js(relance, "clients", "show", "LATE", "--at", AT.isoformat())
    assert data["reliability"]["grade"] in ("D", "E")


def test_invoice_to_another_company_is_detected(relance, ledger):
    relance("score", "--all", "--at", AT.isoformat())
    signs = js(relance, "signs", "list", "LATE")
    assert [(s["kind"], s["source"]) for s in signs] == [("other_company", "invoice")]
    assert "732829320" in signs[0]["detail"]
    relance("score", "--all", "--at", AT.isoformat())          # detection is idempotent
    assert len(js(relance, "signs", "list", "LATE")) == 1


def test_financial_difficulties_from_call_notes_and_logged_emails(relance, ledger):
    relance("log-call", "GOOD", "--outcome", "no-answer", "--note", "RAS", "--date", "2026-11-02")
    relance("log-call", "GOOD", "--outcome", "voicemail", "--date", "2026-11-03",
            "--note", "La comptable dit qu'ils ont des soucis de trésorerie")
    out = relance("log-email", "GOOD", "--date", "2026-11-10",
                  "--text", "Bonjour, nous attendons un virement de notre client pour vous régler.")
    assert "difficultés financières" in out.stdout
    relance("score", "--all", "--at", AT.isoformat())
    signs = js(relance, "signs", "list", "GOOD")
    assert sorted(s["source"] for s in signs) == ["call", "email"]
    score = js(relance, "score", "GOOD", "--at", AT.isoformat())
    factor = next(f for f in score["factors"] if f["key"] == "sign:financial_difficulties")
    assert factor["points"] == -15 and "(2 fois en 12 mois)" in factor["text"]


def test_postponing_promises_are_a_sign(relance, ledger, engine):
    relance("promises", "add", "LATE", "--amount", "500", "--by", "2026-10-05",
            "--date", "2026-09-28")
    relance("promises", "add", "LATE", "--amount", "500", "--by", "2026-10-20",
            "--date", "2026-10-02")
    relance("promises", "add", "LATE", "--amount", "500", "--by", "2026-11-06",
            "--date", "2026-10-15")
    relance("score", "--all", "--at", AT.isoformat())
    kinds = [s["kind"] for s in js(relance, "signs", "list", "LATE")]
    assert kinds.count("postponing") == 2
    score = js(relance, "score", "LATE", "--at", AT.isoformat())
    assert any(f["key"] == "sign:postponing" and f["points"] == -10 for f in score["factors"])


def test_manual_signs_are_dated_sourced_and_withdrawable(relance, ledger):
    out = relance("signs", "add", "NEW", "deposit_refused", "--date", "2026-11-20",
                  "--detail", "refuse l'acompte de 30 %", "--by", "Julie")
    assert "consigné" in out.stdout
    score = js(relance, "score", "NEW", "--at", AT.isoformat())
    assert any(f["key"] == "sign:deposit_refused" and f["points"] == -10
               for f in score["factors"])
    sign_id = js(relance, "signs", "list", "NEW")[0]["id"]
    relance("signs", "withdraw", str(sign_id), "--reason", "acompte finalement versé",
            "--date", "2026-11-22")
    score = js(relance, "score", "NEW", "--at", AT.isoformat())
    assert not any(f["key"] == "sign:deposit_refused" for f in score["factors"])
    history = relance("history", "NEW").stdout
    assert "Signal d'alerte : a refusé de verser un acompte" in history and "Signal retiré" in history
    bad = relance("signs", "add", "NEW", "astrology", "--by", "x", ok=False)
    assert bad.exit_code == 2


def test_credit_limit_and_insurance_alerts(relance, ledger):
    relance("limits", "LATE", "--credit-limit", "2000", "--insured", "1500",
            "--insurer", "Allianz Trade", "--declare-days", "90")
    score = js(relance, "score", "LATE", "--at", AT.isoformat())
    alerts = " ".join(score["alerts"])
    assert "au-delà de la limite de crédit de 2\u202f000,00\xa0€" in alerts
    assert "1\u202f700,00\xa0€ ne sont pas assurés" in alerts
    assert "Menace de sinistre à déclarer à Allianz Trade avant le 29 novembre 2026" in alerts
    assert "ALERTE" in relance("score", "LATE", "--at", AT.isoformat()).stdout


def test_bad_payer_needs_proven_unpaid_sums_and_goes_on_payment(relance, ledger, tmp_path):
    refused = relance("bad-payers", "mark", "LATE", "--by", "Julie", "--reason", "impayés",
                      "--date", AT.isoformat(), ok=False)
    assert refused.exit_code == 2 and "impayée avérée" in refused.output   # never reminded
    relance("run", "--date", "2026-11-20")                  # reminders go out (a Friday)
    assert relance("bad-payers", "mark", "NEW", "--by", "Julie", "--reason", "x",
                   "--date", AT.isoformat(), ok=False).exit_code == 2     # owes nothing
    relance("bad-payers", "mark", "LATE", "--by", "Julie", "--reason", "3 relances sans réponse",
            "--date", AT.isoformat())
    listed = js(relance, "bad-payers", "list")
    assert [(b["client"], b["proven_amount"]) for b in listed] == [("LATE", "3200.00")]
    ranked = js(relance, "report", "bad-payers", "--at", AT.isoformat())["clients"]
    assert [(r["client"], r["reason"], r["grade"]) for r in ranked] == [
        ("LATE", "3 relances sans réponse", js(relance, "score", "LATE", "--at", AT.isoformat())["grade"])]
    assert any("en retard" in f for f in ranked[0]["factors"])
    score = js(relance, "score", "LATE", "--at", AT.isoformat())
    assert not any("mauvais payeur" in f["text"] for f in score["factors"])   # CNIL
    write(tmp_path / "pay2.csv", "date,client_ref,amount,invoice_number\n"
          "2026-11-24,LATE,2400.00,L9\n2026-11-24,LATE,800.00,L10\n")
    relance("import", "payments", str(tmp_path / "pay2.csv"))
    assert js(relance, "bad-payers", "list") == []
    assert "retiré automatiquement : impayés réglés" in relance("history", "LATE").stdout


def test_collective_proceedings_stop_prior_debts_and_their_penalties(relance, ledger, tmp_path):
    write(tmp_path / "after.csv", "number,client_ref,issue_date,due_date,amount\n"
          "L20,LATE,2026-10-20,2026-11-19,500.00\n")
    relance("import", "invoices", str(tmp_path / "after.csv"))
    at_judgment = js(relance, "penalties", "L9", "--at", "2026-10-14")  # the eve: the
    # judgment day itself bears no interest (L622-28 stops it from 0h)
    out = relance("proceedings", "open", "LATE", "--kind", "redressement",
                  "--judgment", "2026-10-15", "--published", "2026-10-28",
                  "--court", "Tribunal de commerce de Lyon",
                  "--administrator", "Maître Durand, 10 quai de Saône, 69005 Lyon")
    assert "avant le 28 décembre 2026" in out.stdout
    later = js(relance, "penalties", "L9", "--at", AT.isoformat())
    assert later["interest"] == at_judgment["interest"]          # stopped at the judgment
    plan = json.loads(relance("run", "--date", AT.isoformat(), "--dry-run", "--json").stdout)
    acted = [n for a in plan["actions"] if a["client"] == "LATE" for n in a["invoices"]]
    skipped = {s["invoice"]: s for s in plan["skipped"] if s["client"] == "LATE"}
    assert "L20" in acted                                        # supplied after: chased
    assert skipped["L9"]["reason_code"] == "collective_proceedings"
    assert "L622-21" in skipped["L9"]["reason"]
    listed = js(relance, "proceedings", "list")
    assert listed[0]["claim_deadline"] == "2026-12-28"
    score = js(relance, "score", "LATE", "--at", AT.isoformat())
    assert score["grade"] == "E"


def test_over_indebtedness_pauses_every_debt(relance, creditor, tmp_path):
    write(tmp_path / "c.csv", "client_ref,name,kind,email,address,postal_code,city\n"
          "PART,Jean Dupont,b2c,j@dupont.fr,1 rue A,75001,Paris\n")
    write(tmp_path / "i.csv", "number,client_ref,issue_date,due_date,amount\n"
          "P1,PART,2026-09-01,2026-10-01,300.00\nP2,PART,2026-11-01,2026-11-10,200.00\n")
    relance("import", "clients", str(tmp_path / "c.csv"))
    relance("import", "invoices", str(tmp_path / "i.csv"))
    relance("proceedings", "open", "PART", "--kind", "surendettement", "--judgment", "2026-10-20")
    plan = json.loads(relance("run", "--date", AT.isoformat(), "--dry-run", "--json").stdout)
    assert [a for a in plan["actions"] if a["client"] == "PART"] == []
    codes = {s["reason_code"] for s in plan["skipped"] if s["client"] == "PART"}
    assert codes == {"over_indebtedness"}


def test_the_grade_chooses_the_scenario(relance, ledger, engine):
    relance("run", "--date", AT.isoformat())
    with engine.connect() as conn:
        grades = dict(conn.execute(select(t.clients.c.ref, t.client_scores.c.grade).join(
            t.client_scores, t.client_scores.c.client_id == t.clients.c.id)).all())
        scenarios = dict(conn.execute(select(t.invoices.c.number, t.invoice_steps.c.scenario)
                                      .join(t.invoice_steps,
                                            t.invoice_steps.c.invoice_id == t.invoices.c.id)
                                      ).all())
    assert grades["GOOD"] == "A" and grades["LATE"] in ("D", "E")
    assert scenarios["L9"] == "renforce"


def test_claim_declaration_to_the_mandataire(relance, ledger, tmp_path):
    from pypdf import PdfReader

    relance("proceedings", "open", "LATE", "--kind", "liquidation", "--judgment", "2026-10-15",
            "--published", "2026-10-28", "--court", "Tribunal de commerce de Lyon",
            "--administrator", "Maître Durand, 10 quai de Saône, 69005 Lyon")
    pid = js(relance, "proceedings", "list")[0]["id"]
    pdf = tmp_path / "claim.pdf"
    out = relance("proceedings", "claim", str(pid), "--out", str(pdf), "--date", AT.isoformat())
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(pdf).pages).split())
    for shown in (out.stdout, text):
        assert "Maître Durand" in shown
        assert "2\u202f400,00" in shown or "2 400,00" in shown          # L9 open at judgment
        assert "28 décembre 2026" in shown                               # the deadline
    assert "L10" in out.stdout                                           # both prior invoices
    relance("proceedings", "declared", str(pid), "--date", "2026-11-25")
    assert js(relance, "proceedings", "list")[0]["claim_declared_on"] == "2026-11-25"
    history = relance("history", "LATE").stdout
    assert "Déclaration de créance préparée" in history
    assert "Créance déclarée au mandataire judiciaire" in history
    assert relance("proceedings", "close", str(pid), "--outcome", "clôture pour insuffisance "
                   "d'actif", "--date", "2026-12-30").exit_code == 0
    assert relance("proceedings", "close", str(pid), "--outcome", "x", ok=False).exit_code == 2


def test_the_run_predicts_lateness_and_it_orders_the_call_list(relance, ledger, engine,
                                                               tmp_path):
    write(tmp_path / "new.csv", "number,client_ref,issue_date,due_date,amount\n"
          "G9,GOOD,2026-10-17,2026-11-16,1000.00\nN1,NEW,2026-10-17,2026-11-16,1000.00\n")
    relance("import", "invoices", str(tmp_path / "new.csv"))
    relance("run", "--date", AT.isoformat())
    with engine.connect() as conn:
        stored = dict(conn.execute(select(t.invoices.c.number, t.invoice_predictions.c.p_late)
                                   .join(t.invoice_predictions,
                                         t.invoice_predictions.c.invoice_id == t.invoices.c.id))
                      .all())
    assert stored["L9"] == 1                                  # overdue already: certain
    calls = json.loads(relance("calls", "--date", AT.isoformat(), "--json").stdout)
    items = calls["calls"] if isinstance(calls, dict) else calls
    assert items, "the run should have put calls on the list"
    for item in items:
        base = D(item["base_priority"])
        p_late = D(item["p_late"]) if item["p_late"] else D(0)
        assert D(item["priority"]) == (base * (1 + p_late)).quantize(D("0.01"))
    priorities = [D(i["priority"]) for i in items]
    assert priorities == sorted(priorities, reverse=True)
