"""The installed `relance` command, run as a user runs it: a real process, real files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

RELANCE = shutil.which("relance", path=str(Path(sys.executable).parent)) or "relance"


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("RELANCE_")}
    environ.update(env or {})
    return subprocess.run([RELANCE, *args], cwd=cwd, env=environ, capture_output=True,
                          text=True, timeout=300)


def test_the_demo_builds_a_realistic_portfolio_and_says_its_calendar(tmp_path):
    result = run("demo", "--no-serve", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "du 1er janvier 2025 au 30 juin 2026" in out
    assert "200 clients" in out and "3000 factures" in out
    for behaviour in ("ponctuel", "distrait", "retardataire chronique", "conteste ses factures",
                      "en difficulté financière", "insolvable"):
        assert behaviour in out
    assert "Balance âgée" in out and "plus de 90 jours" in out
    assert (tmp_path / "relance-demo.db").exists()
    listing = run("--db", "sqlite:///relance-demo.db", "invoices", "list", "--overdue", "--at",
                  "2026-06-30", "--json", cwd=tmp_path)
    data = json.loads(listing.stdout)
    assert data["count"] > 100
    assert all(i["days_overdue"] > 0 for i in data["invoices"])
    # The demo ran three months of daily runs: a living history, an outbox, a call list.
    assert "90 runs quotidiens simulés jusqu'au 30 juin 2026" in out
    outbox = json.loads(run("--db", "sqlite:///relance-demo.db", "outbox", "--json",
                            cwd=tmp_path).stdout)["messages"]
    assert outbox and {m["status"] for m in outbox} <= {"pending", "awaiting_approval"}
    assert all(m["run_date"] == "2026-06-30" for m in outbox)   # earlier days were sent
    calls = json.loads(run("--db", "sqlite:///relance-demo.db", "calls", "--date", "2026-06-30",
                           "--json", cwd=tmp_path).stdout)["calls"]
    assert calls and all(c["script"] for c in calls)
    # …and left real emails and letters to open.
    out_dir = tmp_path / "relance-demo-sortie"
    assert len(list((out_dir / "emails").glob("*.eml"))) > 20
    assert list((out_dir / "courriers").glob("*/lot-*.pdf"))
    again = run("--db", "sqlite:///relance-demo.db", "run", "--date", "2026-06-30", "--json",
                cwd=tmp_path)
    assert json.loads(again.stdout)["actions"] == []


def test_the_demo_is_deterministic(tmp_path):
    first = run("demo", "--no-serve", "--json", "--path", "a.db", cwd=tmp_path)
    second = run("demo", "--no-serve", "--json", "--path", "b.db", cwd=tmp_path)
    a, b = json.loads(first.stdout), json.loads(second.stdout)
    for data in (a, b):
        data.pop("path"), data.pop("output")
    assert a == b


def test_the_default_database_is_a_sqlite_file_in_the_current_folder(tmp_path):
    assert run("init", cwd=tmp_path).returncode == 0
    assert (tmp_path / "relance.db").exists()
    result = run("creditors", "add", "ACME", "--name", "ACME", cwd=tmp_path)
    assert result.returncode == 0
    assert "ACME" in run("creditors", "list", cwd=tmp_path).stdout


@pytest.mark.parametrize(("args", "message"), [
    (("invoices", "list"), "lancez « relance init »"),
    (("--db", "nonsense://", "invoices", "list"), "Erreur"),
    (("--db", "postgresql+psycopg://nobody@127.0.0.1:1/none", "init"), "Impossible d'ouvrir"),
])
def test_users_get_a_french_message_and_exit_code_2_never_a_traceback(tmp_path, args, message):
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_several_creditors_require_naming_one(tmp_path):
    run("init", cwd=tmp_path)
    run("creditors", "add", "A", "--name", "Société A", cwd=tmp_path)
    run("creditors", "add", "B", "--name", "Société B", cwd=tmp_path)
    result = run("invoices", "list", cwd=tmp_path)
    assert result.returncode == 2
    assert "--creditor" in result.stderr and "A, B" in result.stderr
    assert run("invoices", "list", "--creditor", "B", cwd=tmp_path).returncode == 0
