"""Sending through real channels: the .eml file transport, a real SMTP server on loopback
(aiosmtpd), PDF letters checked by their text, retries, failures, and a send killed mid-way."""

from __future__ import annotations

import email
import json
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from pypdf import PdfReader
from sqlalchemy import select

from relance.adapters import tables as t
from tests.integration.test_email_transport import free_port
from tests.integration.test_imports import write

RELANCE = shutil.which("relance", path=str(Path(sys.executable).parent)) or "relance"
DUE = date(2026, 3, 16)


def text_of(pdf: Path) -> str:
    raw = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    return " ".join(raw.replace("\u202f", " ").replace("\xa0", " ").split())


class Inbox:
    """An SMTP handler that keeps what it receives, or answers with a chosen error."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.answer = "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if not self.answer.startswith("250"):
            return self.answer
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("RELANCE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("RELANCE_SMTP_PORT", str(port))
    monkeypatch.setenv("RELANCE_SMTP_SECURITY", "none")
    yield inbox
    controller.stop()


@pytest.fixture
def ledger(relance, tmp_path: Path, monkeypatch) -> Path:
    out = tmp_path / "sortie"
    monkeypatch.setenv("RELANCE_OUTPUT_DIR", str(out))
    relance("creditors", "add", "ACME", "--name", "ACME Services", "--legal-form", "SAS",
            "--share-capital", "10000", "--rcs-city", "Lyon", "--siren", "732829320",
            "--address", "1 place Bellecour", "--postal-code", "69002", "--city", "Lyon",
            "--iban", "FR7630006000011234567890189", "--bic", "AGRIFRPP",
            "--email", "compta@acme.fr", "--signatory", "Claire Martin")
    write(tmp_path / "clients.csv",
          "client_ref,name,kind,email,phone,address,postal_code,city\n"
          "PRO,Garage Martin SARL,b2b,compta@garage-martin.fr,04 72 00 00 00,"
          "3 rue de la Gare,69001,Lyon\n"
          "PART,Julie Petit,b2c,julie@example.org,06 12 34 56 78,8 rue Neuve,69003,Lyon\n")
    write(tmp_path / "invoices.csv", "number,client_ref,issue_date,due_date,amount\n"
          f"F1,PRO,2026-02-14,{DUE},1234.56\nF2,PRO,2026-02-14,{DUE},300.00\n"
          f"F3,PART,2026-02-14,{DUE},450.00\n")
    relance("import", "clients", str(tmp_path / "clients.csv"))
    relance("import", "invoices", str(tmp_path / "invoices.csv"))
    return out


def test_the_file_transport_writes_real_emails_with_the_statement(relance, ledger):
    relance("run", "--date", (DUE - timedelta(days=3)).isoformat())
    result = json.loads(relance("send", "--json").stdout)
    assert result["sent"] == 2
    files = sorted((ledger / "emails").glob("*.eml"))
    assert len(files) == 2
    by_to = {}
    for path in files:
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        by_to[msg["To"]] = msg
        assert msg["Reply-To"] == "compta@acme.fr" and msg["Message-ID"]
        assert any(part.get_filename() and part.get_filename().endswith(".pdf")
                   for part in msg.iter_attachments())
    pro = by_to["compta@garage-martin.fr"].get_body(("plain",)).get_content()
    part = by_to["julie@example.org"].get_body(("plain",)).get_content()
    assert "F1" in pro and "F2" in pro and "F3" not in pro
    assert "F3" in part and "F1" not in part
    again = json.loads(relance("send", "--json").stdout)
    assert again["sent"] == 0 and len(list((ledger / "emails").glob("*.eml"))) == 2


def test_a_real_smtp_server_receives_multipart_emails_in_french(relance, ledger, smtp):
    relance("run", "--date", (DUE - timedelta(days=3)).isoformat())
    relance("send")
    assert len(smtp.messages) == 2
    pro = next(m for m in smtp.messages if m["To"] == "compta@garage-martin.fr")
    assert pro["From"].addresses[0].addr_spec == "compta@acme.fr"
    text = pro.get_body(("plain",)).get_content().replace("\u202f", " ").replace("\xa0", " ")
    html = pro.get_body(("html",)).get_content()
    assert "1 534,56 €" in text                          # 1 234,56 + 300,00
    assert "F1" in html and "F2" in html
    attachment = next(pro.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content()[:4] == b"%PDF"


def test_temporary_and_permanent_smtp_failures(relance, ledger, smtp, engine):
    relance("run", "--date", (DUE - timedelta(days=3)).isoformat())
    smtp.answer = "451 4.3.0 Try again later"
    first = json.loads(relance("send", "--json").stdout)
    assert first["retried"] == 2 and first["sent"] == 0
    with engine.connect() as conn:
        rows = conn.execute(select(t.outbox.c.status, t.outbox.c.attempts,
                                   t.outbox.c.next_attempt_at)).all()
    assert {(r.status, r.attempts) for r in rows} == {("pending", 1)}
    assert all(r.next_attempt_at is not None for r in rows)
    with engine.begin() as conn:
        conn.execute(t.outbox.update().values(next_attempt_at=None))
    smtp.answer = "550 5.1.1 No such user"
    second = json.loads(relance("send", "--json").stdout)
    assert second["failed"] == 2
    history = json.loads(relance("history", "PRO", "--json").stdout)["events"]
    assert any(e["kind"] == "message_failed" and "550" in e["summary"] for e in history)


def test_the_formal_notice_waits_for_approval_then_prints_as_a_registered_letter(relance,
                                                                                 ledger):
    relance("run", "--date", (DUE + timedelta(days=45)).isoformat())
    outbox = json.loads(relance("outbox", "--json").stdout)["messages"]
    notices = [m for m in outbox if m["channel"] == "registered_letter"]
    assert notices and all(m["status"] == "awaiting_approval" for m in notices)
    assert json.loads(relance("send", "--json").stdout)["letters"] == []
    relance("approve", *[str(m["id"]) for m in notices])
    result = json.loads(relance("send", "--json").stdout)
    pro = next(Path(p) for p in result["letters"] if "-PRO-" in p)
    text = text_of(pro)
    assert "MISE EN DEMEURE" in text.upper()
    assert "sous 8 jours à compter de la réception de la présente" in text
    assert "1 234,56 €" in text and "40,00 €" in text
    assert "Lettre recommandée" in text
    part = next(Path(p) for p in result["letters"] if "-PART-" in p)
    part_text = text_of(part)
    assert "intérêt" in part_text.lower() and "40,00 €" not in part_text
    assert result["batches"] and len(PdfReader(result["batches"][0]).pages) >= 2


@pytest.mark.parametrize("crash_at", [8, 9])
def test_a_send_killed_mid_batch_then_rerun_sends_each_message_exactly_once(
        relance, ledger, smtp, db_url, tmp_path, crash_at):
    """Odd crash points fall before a message goes out, even ones after it went out but
    before it was recorded: the rerun never sends it again and sets it aside to check."""
    write(tmp_path / "more.csv", "client_ref,name,kind,email\n" + "".join(
        f"C{i},Client {i},b2b,c{i}@example.org\n" for i in range(12)))
    write(tmp_path / "more-inv.csv", "number,client_ref,issue_date,due_date,amount\n" + "".join(
        f"M{i},C{i},2026-02-14,{DUE},{100 + i}.00\n" for i in range(12)))
    relance("import", "clients", str(tmp_path / "more.csv"))
    relance("import", "invoices", str(tmp_path / "more-inv.csv"))
    relance("run", "--date", (DUE - timedelta(days=3)).isoformat())
    env = {**os.environ, "RELANCE_TEST_SEND_CRASH_AT": str(crash_at)}
    killed = subprocess.run([RELANCE, "--db", db_url, "send"], env=env, capture_output=True,
                            text=True, timeout=120)
    assert killed.returncode == 87, killed.stderr
    received = len(smtp.messages)
    assert 0 < received < 14
    rerun = subprocess.run([RELANCE, "--db", db_url, "send", "--json"], env=dict(os.environ),
                           capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    ids = [m["Message-ID"] for m in smtp.messages]
    assert len(ids) == len(set(ids)) == 14                # each message exactly once
    report = json.loads(rerun.stdout)
    assert report["to_check"] == (1 if crash_at % 2 == 0 else 0)
    assert report["sent"] == 14 - received


def test_a_firm_collecting_for_the_creditor_prints_the_r124_4_mentions(relance, ledger):
    relance("settings", "set", "collector_legal_name", "Cabinet Durand Recouvrement")
    relance("settings", "set", "collector_address", "10 quai Perrache|69002 Lyon")
    relance("settings", "set", "collector_mandate", "mandat du 2 janvier 2026")
    relance("run", "--date", (DUE + timedelta(days=45)).isoformat())
    outbox = json.loads(relance("outbox", "--json").stdout)["messages"]
    relance("approve", *[str(m["id"]) for m in outbox if m["status"] == "awaiting_approval"])
    result = json.loads(relance("send", "--json").stdout)
    text = text_of(next(Path(p) for p in result["letters"] if "-PRO-" in p))
    assert "Cabinet Durand Recouvrement" in text and "ACME Services" in text
    assert "R124-4" in text or "L111-8" in text


def test_a_promise_and_a_payment_plan_are_confirmed_to_the_client(relance, ledger):
    relance("promises", "add", "PRO", "--amount", "1534.56", "--by", "2026-03-31",
            "--date", "2026-03-20")
    relance("plans", "add", "PART", "--installments", "2026-04-15:200,2026-05-15:250",
            "--date", "2026-03-20")
    result = json.loads(relance("send", "--json").stdout)
    assert result["sent"] == 2
    email_file = next((ledger / "emails").glob("*.eml"))
    msg = email.message_from_bytes(email_file.read_bytes(), policy=policy.default)
    body = " ".join(msg.get_body(("plain",)).get_content().replace("\u202f", " ")
                    .replace("\xa0", " ").split())
    assert "1 534,56 €" in body and "31 mars 2026" in body
    plan = text_of(Path(result["letters"][0]))
    assert "15 avril 2026" in plan or "15/04/2026" in plan
    assert "200,00 €" in plan and "250,00 €" in plan
    prescription = json.loads(relance("prescription", "list", "--at", "2026-03-21", "--json",
                                      "--client", "PART").stdout)["invoices"]
    assert prescription[0]["interrupted_by"] == {"date": "2026-03-20", "kind": "payment_plan"}


def test_two_senders_at_once_share_the_outbox_and_send_each_message_once(
        relance, ledger, smtp, db_url, tmp_path):
    write(tmp_path / "many.csv", "client_ref,name,kind,email\n" + "".join(
        f"K{i},Client {i},b2b,k{i}@example.org\n" for i in range(30)))
    write(tmp_path / "many-inv.csv", "number,client_ref,issue_date,due_date,amount\n" + "".join(
        f"N{i},K{i},2026-02-14,{DUE},{100 + i}.00\n" for i in range(30)))
    relance("import", "clients", str(tmp_path / "many.csv"))
    relance("import", "invoices", str(tmp_path / "many-inv.csv"))
    relance("run", "--date", (DUE - timedelta(days=3)).isoformat())
    env = {k: v for k, v in os.environ.items()}
    senders = [subprocess.Popen([RELANCE, "--db", db_url, "send", "--json"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    reports = []
    for proc in senders:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        reports.append(json.loads(out))
    ids = [m["Message-ID"] for m in smtp.messages]
    assert len(ids) == len(set(ids)) == 32
    assert sum(r["sent"] for r in reports) == 32
