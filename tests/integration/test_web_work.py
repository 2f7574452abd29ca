"""The day's work in the web application: approvals with previews, calls, formal notices,
runs as background jobs with progress, imports all or nothing."""

from __future__ import annotations

import io
import time
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from relance.adapters import tables as t
from relance.services import jobs
from tests.conftest import WEB_DAY
from tests.integration.test_imports import write

SCENARIO = """\
name: valide
label: Relance validée par une personne
priority: 10
segment: {kinds: [b2b]}
steps:
  - {key: relance, offset: 1, channels: [email], template: relance_courtoise, tone: courteous,
     label: Relance validée, approval: true}
  - {key: appel, offset: 7, channels: [call], template: appel_courtois, tone: courteous,
     label: Appel courtois}
  - {key: mise_en_demeure, offset: 30, channels: [registered_letter, formal_notice],
     template: mise_en_demeure, tone: formal, label: Mise en demeure, required: true,
     deadline_days: 8}
"""


@pytest.fixture
def ledger(web, relance, tmp_path: Path) -> Any:
    """ACME: NEW is one day late (an email to approve), CALL a week late (a call), PRO months
    late (a formal notice to sign), all following a scenario whose first reminder needs
    approval; BETA has one client of its own."""
    write(tmp_path / "clients.csv",
          "client_ref,name,kind,email,phone,address,postal_code,city\n"
          "NEW,Nouvelle Vague SARL,b2b,compta@nv.fr,04 72 00 00 01,1 rue A,69001,Lyon\n"
          "CALL,Cabinet Appel SAS,b2b,compta@appel.fr,04 72 00 00 02,2 rue B,69002,Lyon\n"
          "PRO,Garage Martin SARL,b2b,compta@garage.fr,04 72 00 00 03,3 rue C,69003,Lyon\n")
    write(tmp_path / "invoices.csv", "number,client_ref,issue_date,due_date,amount\n"
          "F-NEW,NEW,2026-05-30,2026-06-29,480.00\n"
          "F-CALL,CALL,2026-05-24,2026-06-23,960.00\n"
          "F-PRO,PRO,2026-02-14,2026-03-16,1200.00\n")
    write(tmp_path / "valide.yaml", SCENARIO)
    relance("import", "clients", str(tmp_path / "clients.csv"), "--creditor", "ACME")
    relance("import", "invoices", str(tmp_path / "invoices.csv"), "--creditor", "ACME")
    relance("scenarios", "load", str(tmp_path / "valide.yaml"), "--creditor", "ACME")
    write(tmp_path / "beta.csv", "client_ref,name,kind,email\nB1,Bêta Client,b2b,b@b.fr\n")
    write(tmp_path / "beta-inv.csv", "number,client_ref,issue_date,due_date,amount\n"
          "B-1,B1,2026-05-30,2026-06-29,100.00\n")
    relance("import", "clients", str(tmp_path / "beta.csv"), "--creditor", "BETA")
    relance("import", "invoices", str(tmp_path / "beta-inv.csv"), "--creditor", "BETA")
    return web


@pytest.fixture
def worked(ledger, relance) -> Any:
    """The run of the web's working day done (from the CLI)."""
    relance("run", "--date", WEB_DAY, "--creditor", "ACME")
    return ledger


def outbox(engine, **where: Any) -> list[Any]:
    with engine.connect() as conn:
        query = select(t.outbox).order_by(t.outbox.c.id)
        for name, value in where.items():
            query = query.where(t.outbox.c[name] == value)
        return list(conn.execute(query))


def message(engine, channel: str) -> Any:
    (row,) = outbox(engine, channel=channel)
    return row


def count(engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def text(answer: Any) -> str:
    """A page's text as read (HTML entities decoded)."""
    return unescape(answer.text)


def wait_job(browser, url: str, timeout: float = 60.0) -> dict[str, Any]:
    """Poll a job's JSON (as relance.js does) until it ends."""
    end = time.monotonic() + timeout
    while True:
        answer = browser.get(url)
        assert answer.status_code == 200, text(answer)
        state: dict[str, Any] = answer.json()
        if state["status"] != "running":
            return state
        assert time.monotonic() < end, f"job still running: {state}"
        time.sleep(0.1)


# --- À faire aujourd'hui -----------------------------------------------------------------------


def test_the_todo_page_shows_reminders_to_approve_with_their_text_calls_and_notices(worked):
    email, notice = message(worked.engine, "email"), message(worked.engine, "registered_letter")
    assert (email.status, notice.status) == ("awaiting_approval", "awaiting_approval")
    for role in ("admin", "collector", "readonly"):
        page = worked.client(role).get("/c/ACME/a-faire")
        assert page.status_code == 200
        html = text(page)
        assert "À faire aujourd'hui" in html and "30 juin 2026" in html
        # The reminder with its rendered message, the notice in its own section.
        reminders, _, rest = html.partition("Liste d'appels")
        calls, _, notices = rest.partition("Mises en demeure à signer")
        assert "Nouvelle Vague SARL" in reminders and "F-NEW" in reminders
        assert "Aperçu" in reminders and "480,00" in reminders
        assert "Garage Martin SARL" in notices and "MISE EN DEMEURE" in notices.upper()
        assert "Garage Martin" not in reminders
        # The call list with its script, linking to the client page.
        with worked.engine.connect() as conn:
            call_id = conn.execute(select(t.clients.c.id).where(
                t.clients.c.ref == "CALL")).scalar_one()
        assert "Cabinet Appel SAS" in calls and "Script d'appel" in calls
        assert f'href="/c/ACME/clients/{call_id}"' in calls
        assert "F-CALL" in calls and "960,00" in calls
        buttons = 'action="/c/ACME/a-faire/' in html
        assert buttons == (role != "readonly")


def test_approving_a_reminder_puts_it_in_the_outbox_with_a_history_event(worked):
    email = message(worked.engine, "email")
    browser = worked.client("collector")
    token = worked.csrf(browser, "/c/ACME/a-faire")
    answer = browser.post(f"/c/ACME/a-faire/{email.id}/valider", data={"csrf_token": token})
    assert answer.status_code == 303 and answer.headers["location"] == "/c/ACME/a-faire"
    assert message(worked.engine, "email").status == "pending"
    assert message(worked.engine, "registered_letter").status == "awaiting_approval"
    with worked.engine.connect() as conn:
        kinds = conn.execute(select(t.events.c.kind).where(
            t.events.c.client_id == email.client_id)).scalars().all()
        audit = conn.execute(select(t.audit_log.c.action, t.audit_log.c.username)).all()
    assert "message_approved" in kinds
    assert ("outbox.approve", "collector") in audit
    # Approving it again is refused in French, nothing changes.
    again = browser.post(f"/c/ACME/a-faire/{email.id}/valider", data={"csrf_token": token})
    assert again.status_code == 400 and "n'attend pas de validation" in text(again)


def test_signing_a_formal_notice_sends_it_to_the_outbox(worked):
    notice = message(worked.engine, "registered_letter")
    browser = worked.client("admin")
    token = worked.csrf(browser, "/c/ACME/a-faire")
    browser.post(f"/c/ACME/a-faire/{notice.id}/valider", data={"csrf_token": token})
    assert message(worked.engine, "registered_letter").status == "pending"
    assert "Aucune mise en demeure" in text(browser.get("/c/ACME/a-faire"))


def test_editing_a_reminder_keeps_the_new_text_on_the_outbox_row_and_in_the_preview(worked):
    email = message(worked.engine, "email")
    browser = worked.client("collector")
    token = worked.csrf(browser, "/c/ACME/a-faire")
    answer = browser.post(f"/c/ACME/a-faire/{email.id}/modifier", data={
        "csrf_token": token, "subject": "Votre facture F-NEW",
        "body": "Bonjour,\n\nMerci de régler la facture F-NEW <b>cette semaine</b>."})
    assert answer.status_code == 303
    row = message(worked.engine, "email")
    assert row.status == "awaiting_approval"
    assert row.data["edited"]["subject"] == "Votre facture F-NEW"
    assert row.data["edited"]["body"].endswith("<b>cette semaine</b>.")
    assert row.data["edited"]["by"] == "collector" and row.data["invoices"] == ["F-NEW"]
    page = browser.get("/c/ACME/a-faire").text
    assert "Votre facture F-NEW" in page and "&lt;b&gt;cette semaine&lt;/b&gt;" in page
    assert "texte modifié par collector" in page
    with worked.engine.connect() as conn:
        assert conn.execute(select(t.events.c.id).where(
            t.events.c.kind == "message_edited")).first() is not None
    empty = browser.post(f"/c/ACME/a-faire/{email.id}/modifier",
                         data={"csrf_token": token, "subject": "x", "body": "  "})
    assert empty.status_code == 400 and "ne peut pas être vide" in text(empty)
    assert message(worked.engine, "email").data["edited"]["subject"] == "Votre facture F-NEW"


def test_skipping_a_reminder_cancels_it_with_its_reason_in_the_history(worked):
    email = message(worked.engine, "email")
    browser = worked.client("collector")
    token = worked.csrf(browser, "/c/ACME/a-faire")
    answer = browser.post(f"/c/ACME/a-faire/{email.id}/ignorer",
                          data={"csrf_token": token, "reason": "client au téléphone"})
    assert answer.status_code == 303
    assert message(worked.engine, "email").status == "skipped"
    with worked.engine.connect() as conn:
        summary = conn.execute(select(t.events.c.summary).where(
            t.events.c.kind == "message_skipped")).scalar_one()
    assert "client au téléphone" in summary
    assert "Nouvelle Vague" not in text(browser.get("/c/ACME/a-faire")).partition(
        "Liste d'appels")[0]


def test_readonly_gets_403_on_every_work_post_and_nothing_changes(worked, tmp_path):
    email = message(worked.engine, "email")
    browser = worked.client("readonly")
    token = worked.csrf(browser, "/c/ACME/a-faire")
    posts = [(f"/c/ACME/a-faire/{email.id}/valider", {}),
             (f"/c/ACME/a-faire/{email.id}/modifier", {"subject": "x", "body": "y"}),
             (f"/c/ACME/a-faire/{email.id}/ignorer", {}),
             ("/c/ACME/relances/simulation", {"date": WEB_DAY}),
             ("/c/ACME/relances/executer", {"date": WEB_DAY})]
    for path, data in posts:
        answer = browser.post(path, data={"csrf_token": token, **data})
        assert answer.status_code == 403, path
        assert "Accès refusé" in text(answer)
    upload = browser.post("/c/ACME/imports", data={"csrf_token": token, "kind": "clients"},
                          files={"fichier": ("c.csv", b"client_ref,name\nX,Y\n", "text/csv")})
    assert upload.status_code == 403
    assert message(worked.engine, "email").status == "awaiting_approval"
    assert message(worked.engine, "email").data.get("edited") is None
    assert count(worked.engine, t.jobs) == 0 and count(worked.engine, t.clients) == 4


def test_another_company_s_messages_and_jobs_are_not_found(worked):
    email = message(worked.engine, "email")
    beta = worked.client("beta")
    token = worked.csrf(beta, "/c/BETA/a-faire")
    for action in ("valider", "ignorer"):
        answer = beta.post(f"/c/BETA/a-faire/{email.id}/{action}", data={"csrf_token": token})
        assert answer.status_code == 404
    assert beta.post(f"/c/ACME/a-faire/{email.id}/valider",
                     data={"csrf_token": token}).status_code == 404
    assert message(worked.engine, "email").status == "awaiting_approval"
    # A job of ACME, asked for through BETA.
    with worked.engine.begin() as conn:
        acme = conn.execute(select(t.creditors.c.id).where(
            t.creditors.c.ref == "ACME")).scalar_one()
        job_id = jobs.create(conn, acme, None, "dry_run", "test")
    assert beta.get(f"/c/BETA/relances/job/{job_id}.json").status_code == 404
    assert beta.get(f"/c/BETA/relances/job/{job_id}").status_code == 404
    assert worked.client("readonly").get(
        f"/c/ACME/relances/job/{job_id}.json").json()["status"] == "running"


# --- Relances ----------------------------------------------------------------------------------


def test_the_runs_page_lists_the_last_runs_and_offers_the_next_one(worked):
    page = worked.client("collector").get("/c/ACME/relances")
    assert page.status_code == 200
    assert "Derniers runs" in text(page) and "30 juin 2026" in text(page)
    assert "Simuler" in text(page) and "Exécuter le run" in text(page)
    readonly = worked.client("readonly").get("/c/ACME/relances")
    assert readonly.status_code == 200 and "Exécuter le run" not in text(readonly)


def test_a_dry_run_job_groups_actions_and_skips_and_writes_nothing(ledger):
    browser = ledger.client("collector")
    token = ledger.csrf(browser, "/c/ACME/relances")
    answer = browser.post("/c/ACME/relances/simulation",
                          data={"csrf_token": token, "date": WEB_DAY})
    assert answer.status_code == 303
    page_url = answer.headers["location"]
    assert page_url.startswith("/c/ACME/relances/job/")
    state = wait_job(browser, page_url + ".json")
    assert state["status"] == "done" and state["next"] == page_url
    assert state["total"] == 3 and state["done"] == 3
    for table in (t.events, t.outbox, t.calls, t.runs, t.invoice_steps):
        assert count(ledger.engine, table) == 0, table.name
    page = browser.get(page_url)
    assert page.status_code == 200 and "Simulation de run" in text(page)
    assert "rien n'a été écrit" in text(page)
    assert "Relance validée" in text(page) and "Mise en demeure" in text(page)
    assert "Appel courtois" in text(page)
    with ledger.engine.connect() as conn:
        result = conn.execute(select(t.jobs.c.result)).scalar_one()
    labels = {g["label"]: g for g in result["actions"]}
    assert labels["Relance validée"]["approval"] == 1
    assert labels["Relance validée"]["examples"][0]["invoices"] == ["F-NEW"]
    assert result["actions_count"] == 3 and result["dry_run"] is True


def test_an_executed_run_job_reaches_done_with_its_progress_and_writes_the_history(ledger):
    browser = ledger.client("admin")
    token = ledger.csrf(browser, "/c/ACME/relances")
    answer = browser.post("/c/ACME/relances/executer", data={"csrf_token": token,
                                                              "date": "30/06/2026"})
    assert answer.status_code == 303
    state = wait_job(browser, answer.headers["location"] + ".json")
    assert state["status"] == "done", state
    assert state["done"] == state["total"] == 3
    assert "Run terminé" in state["message"]
    with ledger.engine.connect() as conn:
        kinds = conn.execute(select(t.events.c.kind)).scalars().all()
        run_dates = conn.execute(select(t.runs.c.run_date)).scalars().all()
        audit = conn.execute(select(t.audit_log.c.action)).scalars().all()
    assert kinds.count("reminder") == 3 and "escalation_proposed" not in kinds
    assert [d.isoformat() for d in run_dates] == [WEB_DAY]
    assert "run.execute" in audit
    assert {r.status for r in outbox(ledger.engine)} == {"awaiting_approval"}
    # BETA's ledger was not run.
    assert len(outbox(ledger.engine)) == 2
    page = browser.get(answer.headers["location"])
    assert "Run n°" in text(page) and "terminé" in text(page)
    # Running the same date again writes nothing new.
    again = browser.post("/c/ACME/relances/executer", data={"csrf_token": token,
                                                             "date": WEB_DAY})
    assert wait_job(browser, again.headers["location"] + ".json")["status"] == "done"
    assert len(outbox(ledger.engine)) == 2


def test_the_run_job_reports_progress_as_clients_are_processed(ledger, monkeypatch):
    seen: list[tuple[int, int, str]] = []
    real = jobs.progress

    def spy(engine, job_id, done, total, text):
        seen.append((done, total, text))
        real(engine, job_id, done, total, text)

    monkeypatch.setattr(jobs, "progress", spy)
    monkeypatch.setenv("RELANCE_RUN_BATCH", "1")
    with ledger.engine.begin() as conn:
        acme = conn.execute(select(t.creditors.c.id).where(
            t.creditors.c.ref == "ACME")).scalar_one()
        job_id = jobs.create(conn, acme, None, "run")
    from datetime import date

    jobs.execute_run(ledger.engine, job_id, "ACME", date.fromisoformat(WEB_DAY), False)
    assert [(d, n) for d, n, _ in seen] == [(0, 3), (0, 3), (1, 3), (2, 3)]
    assert "client(s) traité(s) sur 3" in seen[-1][2]
    with ledger.engine.connect() as conn:
        job = conn.execute(select(t.jobs)).one()
    assert (job.status, job.done, job.total) == ("done", 3, 3)
    assert job.finished_at is not None


def test_a_refused_run_ends_its_job_as_failed_in_french(worked):
    browser = worked.client("admin")
    token = worked.csrf(browser, "/c/ACME/relances")
    back = browser.post("/c/ACME/relances/executer", data={"csrf_token": token,
                                                            "date": "2026-06-01"})
    state = wait_job(browser, back.headers["location"] + ".json")
    assert state["status"] == "failed" and "ne revient pas en arrière" in state["message"]
    assert "ne revient pas en arrière" in text(browser.get(back.headers["location"]))


def test_a_run_in_the_future_or_on_a_bad_date_is_refused(ledger):
    browser = ledger.client("admin")
    token = ledger.csrf(browser, "/c/ACME/relances")
    future = browser.post("/c/ACME/relances/executer",
                          data={"csrf_token": token, "date": "2026-07-01"})
    assert future.status_code == 400 and "à l'avance" in text(future)
    bad = browser.post("/c/ACME/relances/simulation",
                       data={"csrf_token": token, "date": "31/02/2026"},
                       headers={"referer": "http://testserver/c/ACME/relances"})
    assert bad.status_code == 303 and bad.headers["location"].endswith("/c/ACME/relances")
    assert "invalide" in text(browser.get("/c/ACME/relances"))
    assert count(ledger.engine, t.jobs) == 0


def test_the_job_page_carries_the_polling_progress_bar_while_it_runs(worked):
    with worked.engine.begin() as conn:
        acme = conn.execute(select(t.creditors.c.id).where(
            t.creditors.c.ref == "ACME")).scalar_one()
        job_id = jobs.create(conn, acme, None, "run", "Run du 30/06/2026 en attente…")
    jobs.progress(worked.engine, job_id, 1, 3, "1 client(s) traité(s) sur 3…")
    browser = worked.client("readonly")
    page = text(browser.get(f"/c/ACME/relances/job/{job_id}"))
    assert f'data-job-url="/c/ACME/relances/job/{job_id}.json"' in page
    assert '<progress id="progression" max="3" value="1">' in page
    assert browser.get(f"/c/ACME/relances/job/{job_id}.json").json() == {
        "status": "running", "done": 1, "total": 3,
        "message": "1 client(s) traité(s) sur 3…", "next": None}


def test_a_job_whose_process_died_is_shown_as_interrupted_not_running_forever(worked):
    from datetime import timedelta

    from sqlalchemy import update

    with worked.engine.begin() as conn:
        acme = conn.execute(select(t.creditors.c.id).where(
            t.creditors.c.ref == "ACME")).scalar_one()
        job_id = jobs.create(conn, acme, None, "run", "Run du 30/06/2026…")
        conn.execute(update(t.jobs).where(t.jobs.c.id == job_id).values(
            updated_at=jobs.now() - jobs.STALE - timedelta(seconds=1)))
    answer = worked.client("readonly").get(f"/c/ACME/relances/job/{job_id}.json").json()
    assert answer["status"] == "failed" and "Tâche interrompue" in answer["message"]


# --- Imports -----------------------------------------------------------------------------------


def test_the_imports_page_explains_the_columns(ledger):
    for role in ("collector", "readonly"):
        page = ledger.client(role).get("/c/ACME/imports")
        assert page.status_code == 200 and "Colonnes reconnues" in text(page)
        assert "date d'échéance" in text(page)
        assert ('enctype="multipart/form-data"' in text(page)) == (role == "collector")


def test_an_import_with_a_bad_row_shows_where_and_imports_nothing(ledger):
    browser = ledger.client("collector")
    token = ledger.csrf(browser, "/c/ACME/imports")
    body = ("number,client_ref,issue_date,due_date,amount\n"
            "G-1,NEW,2026-06-01,2026-07-01,100.00\n"
            "G-2,NEW,2026-06-01,2026-07-01,douze\n")
    answer = browser.post("/c/ACME/imports", data={"csrf_token": token, "kind": "invoices"},
                          files={"fichier": ("factures juin.csv", body.encode(), "text/csv")})
    assert answer.status_code == 400
    html = text(answer)
    assert "Import refusé" in html and "rien n'a été enregistré" in html
    row = html.partition("<tbody>")[2].partition("</tr>")[0]
    assert "factures juin.csv" in row and ">3<" in row and "amount" in row and "douze" in row
    with ledger.engine.connect() as conn:
        numbers = conn.execute(select(t.invoices.c.number)).scalars().all()
    assert "G-1" not in numbers and len(numbers) == 4


def test_a_good_upload_imports_and_is_audited(ledger):
    browser = ledger.client("collector")
    token = ledger.csrf(browser, "/c/ACME/imports")
    body = "date,amount,client_ref,invoice_number\n2026-06-30,480.00,NEW,F-NEW\n"
    answer = browser.post("/c/ACME/imports", data={"csrf_token": token, "kind": "payments"},
                          files={"fichier": ("banque.csv", body.encode(), "text/csv")})
    assert answer.status_code == 200, text(answer)
    assert "1 ligne(s) de règlements importée(s)" in text(answer)
    with ledger.engine.connect() as conn:
        paid = conn.execute(select(t.payments.c.amount)).scalars().all()
        audit = conn.execute(select(t.audit_log.c.action, t.audit_log.c.target)).all()
    assert [str(p) for p in paid] == ["480.00"]
    assert ("import", "banque.csv") in audit


def test_an_xlsx_upload_with_a_column_mapping_imports(ledger):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Code", "Raison sociale", "Courriel"])
    sheet.append(["X1", "Xylophone SA", "x@x.fr"])
    data = io.BytesIO()
    book.save(data)
    browser = ledger.client("admin")
    token = ledger.csrf(browser, "/c/ACME/imports")
    answer = browser.post(
        "/c/ACME/imports",
        data={"csrf_token": token, "kind": "clients",
              "colonnes": "client_ref=Code, email=Courriel"},
        files={"fichier": ("clients.xlsx", data.getvalue(), "application/octet-stream")})
    assert answer.status_code == 200, text(answer)
    with ledger.engine.connect() as conn:
        found = conn.execute(select(t.clients.c.name, t.clients.c.email).where(
            t.clients.c.ref == "X1")).one()
    assert tuple(found) == ("Xylophone SA", "x@x.fr")


def test_a_file_that_is_not_a_spreadsheet_is_refused_in_french(ledger):
    browser = ledger.client("collector")
    token = ledger.csrf(browser, "/c/ACME/imports")
    answer = browser.post("/c/ACME/imports", data={"csrf_token": token, "kind": "clients"},
                          files={"fichier": ("photo.png", b"\x89PNG....", "image/png")})
    assert answer.status_code == 400 and "CSV ou XLSX" in text(answer)


def test_an_edited_reminder_is_sent_with_its_new_text_and_the_html_escaped(worked, tmp_path):
    from relance.services.compose import Composer

    email = message(worked.engine, "email")
    browser = worked.client("collector")
    token = worked.csrf(browser, "/c/ACME/a-faire")
    browser.post(f"/c/ACME/a-faire/{email.id}/modifier", data={
        "csrf_token": token, "subject": "Votre facture F-NEW",
        "body": "Bonjour,\n\nMerci de régler <b>cette semaine</b>."})
    with worked.engine.connect() as conn:
        row = conn.execute(select(t.outbox).where(t.outbox.c.id == email.id)).one()
        sent = Composer(worked.engine, output=tmp_path).compose(conn, row).email
    assert sent["Subject"] == "Votre facture F-NEW"
    plain = sent.get_body(("plain",)).get_content()
    rich = sent.get_body(("html",)).get_content()
    assert "Merci de régler <b>cette semaine</b>." in plain
    assert "<p>Merci de régler &lt;b&gt;cette semaine&lt;/b&gt;.</p>" in rich
    # The statement is still attached, as for any reminder.
    assert any(p.get_filename().startswith("releve-") for p in sent.iter_attachments())
