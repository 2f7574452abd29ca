"""The daily run on a real database (SQLite, or PostgreSQL with RELANCE_TEST_DATABASE_URL)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from relance.adapters import tables as t
from tests.integration.test_imports import write

DUE = date(2026, 3, 16)  # a Monday


@pytest.fixture
def one_client(relance, creditor, tmp_path: Path) -> None:
    write(tmp_path / "clients.csv",
          "client_ref,name,kind,email,phone,address,postal_code,city\n"
          "PRO,Garage Martin SARL,b2b,compta@garage-martin.fr,04 72 00 00 00,"
          "3 rue de la Gare,69001,Lyon\n")
    write(tmp_path / "invoices.csv", "number,client_ref,issue_date,due_date,amount\n"
          f"F1,PRO,2026-02-14,{DUE},1200.00\nF2,PRO,2026-02-14,{DUE},300.00\n")
    relance("import", "clients", str(tmp_path / "clients.csv"))
    relance("import", "invoices", str(tmp_path / "invoices.csv"))


def run(relance, day: date, *extra: str, ok: bool = True):
    result = relance("run", "--date", day.isoformat(), "--json", *extra, ok=ok)
    return json.loads(result.stdout) if result.exit_code == 0 else result


def test_the_standard_scenario_reminds_before_then_after_the_due_date(relance, one_client):
    before = run(relance, DUE - timedelta(days=5))
    assert [(a["client"], a["invoices"], a["tone"]) for a in before["actions"]] == \
        [("PRO", ["F1", "F2"], "courteous")]            # one message for both invoices
    assert run(relance, DUE - timedelta(days=5))["actions"] == []   # same date: nothing new
    after = run(relance, DUE + timedelta(days=1))
    assert len(after["actions"]) == 1 and "email" in after["actions"][0]["channels"]
    outbox = json.loads(relance("outbox", "--json").stdout)["messages"]
    assert len(outbox) == 2 and {m["status"] for m in outbox} == {"pending"}


def test_run_dates_only_move_forward(relance, one_client):
    run(relance, DUE + timedelta(days=1))
    back = run(relance, DUE, ok=False)
    assert back.exit_code == 2 and "arrière" in back.output


def test_catch_up_gives_the_step_due_now_but_never_skips_the_formal_notice(relance, one_client,
                                                                        engine):
    late = run(relance, DUE + timedelta(days=71))   # escalation (J+60) is past
    steps = [a["step"] for a in late["actions"]]
    assert len(steps) == 1
    with engine.connect() as conn:
        notice_like = conn.execute(select(t.outbox.c.channel, t.outbox.c.status)).all()
    assert ("registered_letter", "awaiting_approval") in notice_like
    # What follows the notice waits for its deadline, with the reason in the dry run.
    dry = run(relance, DUE + timedelta(days=73), "--dry-run")
    assert dry["actions"] == []
    assert {s["reason_code"] for s in dry["skipped"]} == {"notice_deadline"}


def test_nothing_goes_out_on_a_sunday_and_the_dry_run_says_why(relance, one_client):
    sunday = date(2026, 3, 22)
    dry = run(relance, sunday, "--dry-run")
    assert dry["actions"] == []
    assert {s["reason_code"] for s in dry["skipped"]} == {"guard_day"}
    assert "23/03/2026" in dry["skipped"][0]["reason"]


def test_dry_run_writes_nothing(relance, one_client, engine):
    run(relance, DUE + timedelta(days=1), "--dry-run")
    with engine.connect() as conn:
        assert conn.execute(select(t.events.c.id)).first() is None
        assert conn.execute(select(t.runs.c.run_date)).first() is None


def test_pauses_each_show_their_reason(relance, one_client):
    relance("disputes", "open", "F2", "--reason", "livraison incomplète", "--date", "2026-03-10")
    dry = run(relance, DUE + timedelta(days=1), "--dry-run")
    assert [a["invoices"] for a in dry["actions"]] == [["F1"]]
    assert {(s["invoice"], s["reason_code"]) for s in dry["skipped"]} == {("F2", "dispute")}
    relance("promises", "add", "PRO", "--amount", "1200", "--by", "2026-03-25", "--date",
            "2026-03-12")
    dry = run(relance, DUE + timedelta(days=1), "--dry-run")
    assert dry["actions"] == []
    assert {s["reason_code"] for s in dry["skipped"]} == {"dispute", "promise"}


def test_a_broken_promise_resumes_dunning_and_is_kept_in_the_history(relance, one_client):
    relance("promises", "add", "PRO", "--amount", "1500", "--by", "2026-03-20", "--date",
            "2026-03-12")
    assert run(relance, date(2026, 3, 17))["actions"] == []
    resumed = run(relance, date(2026, 3, 24))   # 20 March + 3 days of grace have passed
    assert len(resumed["actions"]) == 1
    history = json.loads(relance("history", "PRO", "--json").stdout)["events"]
    kinds = [e["kind"] for e in history]
    assert kinds.index("promise_made") < kinds.index("promise_broken") < len(kinds)
    assert kinds[-1] == "reminder"


def test_a_kept_promise_stops_dunning(relance, one_client):
    relance("promises", "add", "PRO", "--amount", "1500", "--by", "2026-03-20", "--date",
            "2026-03-12")
    relance("payments", "add", "--client", "PRO", "--amount", "1500", "--date", "2026-03-19")
    result = run(relance, date(2026, 3, 24))
    assert result["actions"] == []
    kinds = [e["kind"] for e in json.loads(relance("history", "PRO", "--json").stdout)["events"]]
    assert "promise_kept" in kinds and "payment" in kinds


def test_calls_come_with_a_script_and_log_call_records_the_outcome(relance, one_client):
    for day in (DUE - timedelta(days=5), DUE + timedelta(days=1), DUE + timedelta(days=8)):
        run(relance, day)
    calls = json.loads(relance("calls", "--date", (DUE + timedelta(days=8)).isoformat(),
                               "--json").stdout)["calls"]
    assert len(calls) == 1 and calls[0]["client"] == "PRO"
    assert "1 500,00" in calls[0]["script"].replace("\u202f", " ").replace("\xa0", " ")
    out = relance("log-call", "PRO", "--outcome", "promise", "--amount", "1500",
                  "--promise-date", "2026-04-03", "--date", "2026-03-24").stdout
    assert "suspendues jusqu'au 03/04/2026" in out
    dry = run(relance, date(2026, 3, 30), "--dry-run")
    assert {s["reason_code"] for s in dry["skipped"]} == {"promise"}


def test_a_call_cannot_open_a_dispute_on_another_client_s_invoice(relance, one_client,
                                                                   tmp_path, engine):
    write(tmp_path / "c2.csv", "client_ref,name\nOTHER,Autre SARL\n")
    write(tmp_path / "i2.csv", "number,client_ref,issue_date,due_date,amount\n"
          f"G1,OTHER,2026-02-14,{DUE},100.00\n")
    relance("import", "clients", str(tmp_path / "c2.csv"))
    relance("import", "invoices", str(tmp_path / "i2.csv"))
    refused = relance("log-call", "PRO", "--outcome", "dispute", "--invoice", "G1",
                      "--date", "2026-03-10", ok=False)
    assert refused.exit_code == 2
    assert "G1 : pas une facture de Garage Martin SARL (PRO)" in refused.output
    with engine.connect() as conn:
        assert conn.execute(select(t.disputes.c.id)).first() is None
        assert conn.execute(select(t.events.c.id).where(t.events.c.kind == "call")).first() is None


def test_an_aggressive_client_is_not_called_again(relance, one_client, engine):
    relance("log-call", "PRO", "--outcome", "aggressive", "--date", "2026-03-10")
    for day in (DUE + timedelta(days=1), DUE + timedelta(days=8)):
        run(relance, day)
    with engine.connect() as conn:
        assert conn.execute(select(t.calls.c.id)).first() is None
        status = conn.execute(select(t.client_status)).one()
    assert status.no_calls and status.blocked
    shown = relance("clients", "show", "PRO", "--at", "2026-03-30").stdout
    assert "ne plus accepter de nouvelle affaire" in shown


def test_bad_faith_goes_straight_to_the_formal_notice(relance, one_client, engine):
    relance("status", "PRO", "--cause", "bad_faith", "--date", "2026-03-10")
    result = run(relance, DUE + timedelta(days=2))
    assert len(result["actions"]) == 1 and result["actions"][0]["needs_approval"]
    assert "registered_letter" in result["actions"][0]["channels"]


def test_a_missing_rate_holds_the_formal_notice_with_its_reason(relance, one_client):
    late = date(2026, 8, 3)   # the notice would claim penalties over 2026-H2
    dry = run(relance, late, "--dry-run")
    assert dry["actions"] == []
    assert {s["reason_code"] for s in dry["skipped"]} == {"penalties"}
    assert "2026-H2" in dry["skipped"][0]["reason"]
    assert dry["missing_rates"] == ["2026-H2"]


def test_scenarios_are_listed_shown_and_loaded_from_yaml(relance, creditor, tmp_path):
    listing = json.loads(relance("scenarios", "list", "--json").stdout)["scenarios"]
    assert {"standard", "particuliers"} <= {s["name"] for s in listing}
    text = relance("scenarios", "show", "standard").stdout
    custom = text.replace("name: standard", "name: vip")
    (tmp_path / "vip.yaml").write_text(custom, "utf-8")
    relance("scenarios", "load", str(tmp_path / "vip.yaml"))
    assert "vip" in relance("scenarios", "list").stdout
    (tmp_path / "bad.yaml").write_text(custom.replace("tone: courteous", "tone: rude", 1),
                                       "utf-8")
    bad = relance("scenarios", "load", str(tmp_path / "bad.yaml"), ok=False)
    assert bad.exit_code == 2 and "bad.yaml" in bad.output and "rude" in bad.output


def test_a_payment_plan_pauses_dunning_until_an_installment_is_missed(relance, one_client):
    relance("plans", "add", "PRO", "--installments", "2026-03-31:500,2026-04-30:1000",
            "--date", "2026-03-12")
    dry = run(relance, date(2026, 4, 2), "--dry-run")
    assert {s["reason_code"] for s in dry["skipped"]} == {"payment_plan"}
    relance("payments", "add", "--client", "PRO", "--amount", "500", "--date", "2026-03-31")
    assert run(relance, date(2026, 4, 7))["actions"] == []      # first installment paid
    resumed = run(relance, date(2026, 5, 6))                      # second one missed (+5 days)
    assert len(resumed["actions"]) == 1
    assert resumed["actions"][0]["amount"] == "1000.00"           # dunning on what is left
    history = json.loads(relance("history", "PRO", "--json").stdout)["events"]
    broken = next(e for e in history if e["kind"] == "payment_plan_broken")
    assert broken["date"] == "2026-05-06" and "500,00" in broken["summary"]


def test_the_courtesy_guard_and_call_hours_are_settings(relance, one_client):
    relance("settings", "set", "guard_min_gap_days", "10")
    relance("settings", "set", "call_hours", "09:00-12:00")
    run(relance, DUE - timedelta(days=5))
    dry = run(relance, DUE + timedelta(days=1), "--dry-run")   # 6 days after the first
    assert dry["actions"] == []
    assert {s["reason_code"] for s in dry["skipped"]} == {"guard_gap"}
    listing = relance("settings", "list").stdout
    assert "guard_min_gap_days = 10 (modifié)" in listing
    calls = json.loads(relance("calls", "--date", "2026-03-24", "--json").stdout)
    assert calls["hours"] == ["09:00-12:00"]
    bad = relance("settings", "set", "call_hours", "midi", ok=False)
    assert bad.exit_code == 2 and "HH:MM" in bad.output


def test_a_second_run_at_the_same_time_is_refused(relance, one_client, engine):
    from relance.services.run import run_lock

    with run_lock(engine):
        busy = run(relance, DUE + timedelta(days=1), ok=False)
    assert busy.exit_code == 2 and "en cours" in busy.output
    assert len(run(relance, DUE + timedelta(days=1))["actions"]) == 1   # free again


def test_replay_is_allowed_only_on_an_empty_history(relance, one_client):
    assert run(relance, DUE - timedelta(days=10))["actions"] == []     # nothing due yet
    back = run(relance, DUE - timedelta(days=12), ok=False)
    assert back.exit_code == 2
    assert run(relance, DUE - timedelta(days=12), "--replay")["actions"] == []
    assert run(relance, DUE - timedelta(days=5))["actions"]              # a first reminder
    refused = run(relance, DUE - timedelta(days=6), "--replay", ok=False)
    assert refused.exit_code == 2 and "historique vide" in refused.output


def test_the_notice_deadline_runs_from_the_recorded_delivery(relance, one_client):
    notice_day = DUE + timedelta(days=45)                       # 30 April
    assert run(relance, notice_day)["actions"][0]["needs_approval"]
    relance("notices", "record", "F1", "--sent", notice_day.isoformat(), "--lrar",
            "1A 234 567 8901 2", "--presented", "2026-05-11", "--received", "2026-05-12")
    dry = run(relance, date(2026, 5, 18), "--dry-run")
    f1 = next(s for s in dry["skipped"] if s["invoice"] == "F1")
    assert f1["reason_code"] == "notice_deadline" and f1["until"] == "2026-05-20"
    # F2's delivery was not recorded: its deadline ran from sending + 3 days (11 May).
    assert [a["invoices"] for a in dry["actions"]] == [["F2"]]
    relance("settings", "set", "notice_deadline_from", "first_presentation")
    dry = run(relance, date(2026, 5, 18), "--dry-run")
    f1 = next(s for s in dry["skipped"] if s["invoice"] == "F1")
    assert f1["until"] == "2026-05-19"
    history = json.loads(relance("history", "PRO", "--json").stdout)["events"]
    assert any("LRAR n° 1A 234 567 8901 2" in e["summary"] for e in history)


def test_a_users_call_script_template_replaces_the_built_in_one(relance, one_client, tmp_path,
                                                               monkeypatch):
    folder = tmp_path / "modeles" / "fr"
    folder.mkdir(parents=True)
    (folder / "appel_courtois.call.txt").write_text(
        "Bonjour {{ client.contact_name or client.name }}, ici {{ creditor.legal_name }}.\n"
        "Reste dû : {{ total_open | money }} ({{ invoices | length }} facture(s)).\n", "utf-8")
    monkeypatch.setenv("RELANCE_TEMPLATES_DIR", str(tmp_path / "modeles"))
    for day in (DUE - timedelta(days=5), DUE + timedelta(days=1), DUE + timedelta(days=8)):
        run(relance, day)
    calls = json.loads(relance("calls", "--date", (DUE + timedelta(days=8)).isoformat(),
                               "--json").stdout)["calls"]
    script = calls[0]["script"].replace("\u202f", " ").replace("\xa0", " ")
    assert script.startswith("Bonjour Garage Martin SARL, ici ACME Services SAS.")
    assert "Reste dû : 1 500,00 € (2 facture(s))." in script
    listing = relance("templates", "list").stdout
    assert "appel_courtois" in listing and "call.txt" in listing
