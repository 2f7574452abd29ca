"""The REST API under /api/v1: every endpoint, its filters and pages, and who may call it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from relance.adapters import tables as t
from relance.services.users import now, revoke_token, user_by_name
from tests.conftest import WEB_DAY, app_routes, csrf_of
from tests.integration.test_imports import write

API = "/api/v1/creditors/ACME"


@dataclass
class Ledger:
    """The ids of what the fixture imported, and one API client per user."""

    web: Any
    clients: dict[str, int]
    invoices: dict[str, int]
    callers: dict[str, Any] = field(default_factory=dict)

    def as_user(self, name: str) -> Any:
        """A TestClient sending a fresh API token of `name`."""
        if name not in self.callers:
            browser = self.web.client()
            browser.headers["Authorization"] = f"Bearer {self.web.token(name)}"
            self.callers[name] = browser
        return self.callers[name]


def _import(relance: Any, tmp_path: Path, creditor: str, kind: str, text: str) -> None:
    path = write(tmp_path / f"{creditor}-{kind}.csv", text)
    relance("import", kind, str(path), "--creditor", creditor)


@pytest.fixture
def ledger(web: Any, relance: Any, tmp_path: Path) -> Ledger:
    """ACME: five clients, five invoices (F4 paid, F2 not yet due), one payment; BETA: one
    client with one overdue invoice."""
    _import(relance, tmp_path, "ACME", "clients",
            "client_ref,name,kind,email,phone,contact_name,contact_role,collector\n"
            "C001,Boulangerie Martin SARL,b2b,compta@martin.fr,01 23 45 67 89,Claire Martin,"
            "Gérante,Alice\n"
            "C002,Transports Lefèvre SAS,b2b,factures@lefevre.fr,04 78 12 34 56,,,\n"
            "C003,Mairie de Saint-Julien,public,,05 56 00 00 00,,,\n"
            "C004,Sophie Bernard,b2c,sophie@example.org,06 12 34 56 78,,,\n"
            "C005,Atelier Dupont,b2b,contact@dupont.fr,,,,\n")
    _import(relance, tmp_path, "ACME", "invoices",
            "number,client_ref,issue_date,due_date,amount\n"
            "F1,C001,2026-04-01,2026-05-01,1200.00\n"
            "F2,C001,2026-06-15,2026-07-15,600.00\n"
            "F3,C002,2026-03-01,2026-03-31,3600.00\n"
            "F4,C003,2026-01-10,2026-02-09,500.00\n"
            "F5,C004,2026-05-01,2026-05-31,480.00\n")
    _import(relance, tmp_path, "ACME", "payments",
            "date,amount,client_ref,invoice_number,reference,method\n"
            "2026-02-20,500.00,C003,F4,VIR MAIRIE,virement\n")
    _import(relance, tmp_path, "BETA", "clients", "client_ref,name,kind\nB001,Client Beta SAS,b2b\n")
    _import(relance, tmp_path, "BETA", "invoices",
            "number,client_ref,issue_date,due_date,amount\nB-F1,B001,2026-05-01,2026-05-31,900.00\n")
    with web.engine.connect() as conn:
        clients = dict(conn.execute(select(t.clients.c.ref, t.clients.c.id)).all())
        invoices = dict(conn.execute(select(t.invoices.c.number, t.invoices.c.id)).all())
    return Ledger(web, clients, invoices)


def _count(web: Any, table: Any, *where: Any) -> int:
    with web.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where))
                   .scalar_one())


def _audited(web: Any, action: str) -> list[Any]:
    with web.engine.connect() as conn:
        return list(conn.execute(select(t.audit_log).where(t.audit_log.c.action == action)))


def _refs(answer: Any, key: str = "ref") -> list[str]:
    assert answer.status_code == 200, answer.text
    return [item[key] for item in answer.json()["items"]]


# --- who is asking ---------------------------------------------------------------------------


def test_me_names_the_user_their_rights_and_only_their_companies(web, ledger):
    admin = ledger.as_user("admin").get("/api/v1/me").json()
    assert admin["username"] == "admin" and admin["role"] == "admin"
    assert admin["rights"] == ["admin", "bad_payers", "read", "work"]
    assert admin["companies"] == [{"ref": "ACME", "name": "ACME Services SAS"}]
    beta = ledger.as_user("beta").get("/api/v1/me").json()
    assert beta["companies"] == [{"ref": "BETA", "name": "Beta Conseil SARL"}]
    session = web.client("readonly").get("/api/v1/me")   # the browser session works too
    assert session.status_code == 200 and session.json()["rights"] == ["read"]
    company = ledger.as_user("readonly").get(API).json()
    assert company["ref"] == "ACME" and company["siren"] == "732829320"


def test_no_token_a_wrong_token_or_a_revoked_token_is_401(web, ledger):
    anonymous = web.client()
    for path in ("/api/v1/me", API + "/clients", API + "/reports/aging"):
        answer = anonymous.get(path)
        assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"
        assert "Authentification requise" in answer.json()["detail"]
    assert anonymous.post(API + "/payments", json={}).status_code == 401
    wrong = anonymous.get(API + "/clients", headers={"Authorization": "Bearer rl_faux"})
    assert wrong.status_code == 401
    token = web.token("collector")
    assert anonymous.get(API + "/clients",
                         headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with web.engine.begin() as conn:
        user = user_by_name(conn, "collector")
        token_id = conn.execute(select(t.api_tokens.c.id).where(
            t.api_tokens.c.user_id == user.id)).scalar_one()
        revoke_token(conn, user.id, token_id)
    for path in ("/api/v1/me", API + "/clients"):
        assert anonymous.get(path, headers={"Authorization": f"Bearer {token}"}
                             ).status_code == 401


def test_an_expired_session_is_401_for_the_api_not_a_redirect(web, ledger):
    browser = web.client("admin")
    assert browser.get(API + "/clients").status_code == 200
    with web.engine.begin() as conn:
        conn.execute(update(t.web_sessions).values(expires_at=now() - timedelta(minutes=1)))
    for path in (API + "/clients", "/api/v1/me"):
        answer = browser.get(path)
        assert answer.status_code == 401 and "location" not in answer.headers


def test_a_company_not_granted_is_404_on_every_kind_of_route(web, ledger):
    beta = ledger.as_user("beta")
    for path in ("/clients", f"/clients/{ledger.clients['C001']}", "/invoices",
                 f"/invoices/{ledger.invoices['F1']}", "/payments", "/events", "/runs",
                 "/reports/aging", "/reports/bad-payers"):
        answer = beta.get(API + path)
        assert answer.status_code == 404 and answer.json()["detail"] == "Société inconnue.", path
    assert beta.post(API + "/promises", json={"client_id": ledger.clients["C001"],
                                              "amount": "10.00", "pay_by": WEB_DAY}
                     ).status_code == 404
    assert beta.post(API + "/runs", json={}).status_code == 404
    assert beta.get("/api/v1/creditors/NOPE/clients").status_code == 404
    assert beta.get("/api/v1/creditors/BETA/clients").status_code == 200


def test_another_companys_records_asked_by_id_are_404(web, relance, ledger):
    relance("disputes", "open", "B-F1", "--reason", "Prix contesté", "--creditor", "BETA",
            "--date", WEB_DAY)
    with web.engine.connect() as conn:
        beta_dispute = conn.execute(select(t.disputes.c.id)).scalar_one()
    admin = ledger.as_user("admin")
    beta_client, beta_invoice = ledger.clients["B001"], ledger.invoices["B-F1"]
    for path in (f"/clients/{beta_client}", f"/clients/{beta_client}/timeline",
                 f"/invoices/{beta_invoice}", f"/invoices?client_id={beta_client}",
                 f"/payments?client_id={beta_client}", f"/events?client_id={beta_client}",
                 f"/promises?client_id={beta_client}", f"/disputes?client_id={beta_client}",
                 "/clients/999999", "/invoices/999999"):
        answer = admin.get(API + path)
        assert answer.status_code == 404, path
        assert "introuvable" in answer.json()["detail"]
    writes = [
        ("patch", f"/clients/{beta_client}", {"collector": "Bob"}),
        ("post", "/payments", {"client_id": beta_client, "amount": "10.00"}),
        ("post", "/promises", {"client_id": beta_client, "amount": "10.00",
                               "pay_by": "2026-07-10"}),
        ("post", "/disputes", {"invoice": "B-F1", "reason": "Contesté"}),
        ("post", f"/disputes/{beta_dispute}/resolve", {"resolution": "Avoir"}),
    ]
    for method, path, body in writes:
        assert getattr(admin, method)(API + path, json=body).status_code == 404, path
    with web.engine.connect() as conn:   # nothing was written to BETA's records
        assert conn.execute(select(t.clients.c.collector).where(
            t.clients.c.id == beta_client)).scalar_one() == ""
        assert conn.execute(select(t.disputes.c.resolved_on)).scalar_one() is None
    assert _count(web, t.payments, t.payments.c.client_id == beta_client) == 0
    assert _count(web, t.promises) == 0 and _audited(web, "dispute.resolve") == []


# --- roles and CSRF --------------------------------------------------------------------------


def test_readonly_reads_but_cannot_write_nor_see_the_bad_payer_file(web, ledger):
    readonly = ledger.as_user("readonly")
    c001 = ledger.clients["C001"]
    assert readonly.get(API + "/clients").status_code == 200
    assert "bad_payer" not in readonly.get(API + f"/clients/{c001}").json()
    assert "bad_payer" in ledger.as_user("collector").get(API + f"/clients/{c001}").json()
    writes = [
        ("patch", f"/clients/{c001}", {"collector": "Bob"}),
        ("post", "/payments", {"client_id": c001, "amount": "10.00"}),
        ("post", "/promises", {"client_id": c001, "amount": "10.00", "pay_by": "2026-07-10"}),
        ("post", "/disputes", {"invoice": "F1", "reason": "Contesté"}),
        ("post", "/disputes/1/resolve", {}),
        ("post", "/runs", {}),
        ("post", "/runs/preview", {}),   # a simulation takes the global run lock
    ]
    for method, path, body in writes:
        answer = getattr(readonly, method)(API + path, json=body)
        assert answer.status_code == 403, path
        assert "votre rôle ne permet pas" in answer.json()["detail"]
    bad = readonly.get(API + "/reports/bad-payers")
    assert bad.status_code == 403
    assert ledger.as_user("collector").get(API + "/reports/bad-payers").status_code == 200
    assert _count(web, t.payments) == 1 and _count(web, t.audit_log) == 0


def test_a_session_write_needs_the_csrf_header(web, ledger):
    browser = web.client("collector")
    path = API + f"/clients/{ledger.clients['C002']}"
    missing = browser.patch(path, json={"collector": "admin"})
    assert missing.status_code == 403 and "CSRF" in missing.json()["detail"]
    wrong = browser.patch(path, json={"collector": "admin"}, headers={"X-CSRF-Token": "faux"})
    assert wrong.status_code == 403
    assert browser.get(path).json()["collector"] == ""   # reads need no header
    token = csrf_of(browser.get("/c/ACME/", follow_redirects=True).text)
    done = browser.patch(path, json={"collector": "admin"}, headers={"X-CSRF-Token": token})
    assert done.status_code == 200 and browser.get(path).json()["collector"] == "admin"
    assert [a.username for a in _audited(web, "client.update")] == ["collector"]


# --- clients ---------------------------------------------------------------------------------


def test_the_client_list_pages_and_filters(web, relance, ledger):
    api = ledger.as_user("readonly")
    first = api.get(API + "/clients", params={"per_page": 2}).json()
    assert (first["page"], first["per_page"], first["total"]) == (1, 2, 5)
    assert [c["ref"] for c in first["items"]] == ["C001", "C002"]
    assert _refs(api.get(API + "/clients", params={"per_page": 2, "page": 3})) == ["C005"]
    c001 = first["items"][0]
    assert (c001["open_amount"], c001["overdue_amount"]) == ("1800.00", "1200.00")
    assert (c001["open_invoices"], c001["overdue_invoices"], c001["collector"]) == (2, 1, "Alice")
    assert _refs(api.get(API + "/clients", params={"q": "MARTIN"})) == ["C001"]
    assert _refs(api.get(API + "/clients", params={"q": "c00"})) == [
        "C001", "C002", "C003", "C004", "C005"]
    assert _refs(api.get(API + "/clients", params={"q": "100%"})) == []
    assert _refs(api.get(API + "/clients", params={"overdue": "true"})) == ["C001", "C002", "C004"]
    assert _refs(api.get(API + "/clients", params={"collector": "Alice"})) == ["C001"]
    relance("status", "C002", "--hold-until", "2026-07-31", "--reason", "Accord oral",
            "--creditor", "ACME", "--date", WEB_DAY)
    relance("status", "C004", "--do-not-contact", "--creditor", "ACME", "--date", WEB_DAY)
    assert _refs(api.get(API + "/clients", params={"status": "hold"})) == ["C002"]
    assert _refs(api.get(API + "/clients", params={"status": "do_not_contact"})) == ["C004"]
    assert _refs(api.get(API + "/clients", params={"status": "legal_case"})) == []
    bad = api.get(API + "/clients", params={"status": "vip"})
    assert bad.status_code == 400 and "Statut « vip » inconnu" in bad.json()["detail"]
    too_many = api.get(API + "/clients", params={"per_page": 501})
    assert too_many.status_code == 422 and "per_page" in too_many.json()["detail"]
    assert api.get(API + "/clients", params={"page": 0}).status_code == 422


def test_the_client_list_filters_on_the_stored_grade(web, relance, ledger):
    api = ledger.as_user("readonly")
    assert _refs(api.get(API + "/clients", params={"grade": "A"})) == []   # never scored
    relance("score", "--all", "--creditor", "ACME", "--at", WEB_DAY)
    items = api.get(API + "/clients").json()["items"]
    grades = {c["ref"]: c["grade"] for c in items}
    assert set(grades.values()) <= set("ABCDE") and None not in grades.values()
    grade = grades["C002"]
    expected = sorted(ref for ref, g in grades.items() if g == grade)
    assert _refs(api.get(API + "/clients", params={"grade": grade.lower()})) == expected
    bad = api.get(API + "/clients", params={"grade": "Z"})
    assert bad.status_code == 400 and "Note « Z » inconnue" in bad.json()["detail"]


def test_the_client_page_has_balance_invoices_score_status_and_contacts(web, relance, ledger):
    relance("status", "C001", "--legal-case", "--creditor", "ACME", "--date", WEB_DAY)
    client = ledger.as_user("readonly").get(API + f"/clients/{ledger.clients['C001']}").json()
    assert (client["ref"], client["name"], client["collector"]) == (
        "C001", "Boulangerie Martin SARL", "Alice")
    assert client["balance"] == {"open_amount": "1800.00", "overdue_amount": "1200.00",
                                 "open_invoices": 2, "overdue_invoices": 1,
                                 "unallocated_credit": "0.00"}
    invoices = {i["number"]: i for i in client["open_invoices"]}
    assert invoices["F1"]["days_overdue"] == 60 and invoices["F1"]["penalties"] is not None
    assert invoices["F2"]["days_overdue"] == 0 and invoices["F2"]["penalties"] is None
    score = client["score"]
    assert score["grade"] in "ABCDE" and 0 <= score["score"] <= 100
    assert all(f["text"] for f in score["factors"]) and score["policy"]["text"]
    assert score["behaviour"]["overdue_amount"] == "1200.00"
    assert client["status"]["legal_case"] is True and client["status"]["on_hold"] is False
    assert [(c["name"], c["role"]) for c in client["contacts"]] == [("Claire Martin", "Gérante")]
    timeline = ledger.as_user("readonly").get(
        API + f"/clients/{ledger.clients['C003']}/timeline").json()
    assert [(e["kind"], e["date"]) for e in timeline["events"]] == [("payment", "2026-02-20")]


def test_assigning_a_collector_and_changing_the_status_is_written_and_audited(web, ledger):
    api = ledger.as_user("collector")
    c002 = ledger.clients["C002"]
    done = api.patch(API + f"/clients/{c002}", json={"collector": " collector "})
    assert done.status_code == 200 and done.json()["changed"] == {"collector": "collector"}
    assert _refs(api.get(API + "/clients", params={"collector": "collector"})) == ["C002"]
    held = api.patch(API + f"/clients/{c002}", json={"hold_until": "31/07/2026",
                                                     "reason": "Accord du directeur"})
    assert held.status_code == 200
    status = api.get(API + f"/clients/{c002}").json()["status"]
    assert status["on_hold"] and status["hold_until"] == "2026-07-31"
    assert status["hold_reason"] == "Accord du directeur"
    events = api.get(API + "/events", params={"kind": "status_changed"}).json()["items"]
    assert [e["client_ref"] for e in events] == ["C002"]
    assert "Accord du directeur" in events[0]["summary"]
    audits = _audited(web, "client.update")
    assert [(a.username, a.target) for a in audits] == [("collector", "C002")] * 2
    assert audits[1].detail == {"hold_until": "2026-07-31", "hold_reason": "Accord du directeur"}
    nothing = api.patch(API + f"/clients/{c002}", json={})
    assert nothing.status_code == 400 and "Rien à changer" in nothing.json()["detail"]
    unknown = api.patch(API + f"/clients/{c002}", json={"name": "Autre"})
    assert unknown.status_code == 422
    bad_date = api.patch(API + f"/clients/{c002}", json={"hold_until": "demain"})
    assert bad_date.status_code == 422 and "attendu une date" in bad_date.json()["detail"]
    assert len(_audited(web, "client.update")) == 2


def test_only_an_active_collector_or_admin_of_the_company_can_be_assigned(web, ledger):
    api = ledger.as_user("collector")
    c002 = ledger.clients["C002"]
    with web.engine.begin() as conn:   # a former collector of ACME, no longer active
        conn.execute(update(t.users).where(t.users.c.username == "beta").values(active=False))
        from relance.services.users import add_user

        acme = conn.execute(select(t.creditors.c.id).where(t.creditors.c.ref == "ACME")
                            ).scalar_one()
        add_user(conn, "parti", "Mot-de-passe-long-1", "collector", full_name="Parti",
                 creditor_ids=[acme])
        conn.execute(update(t.users).where(t.users.c.username == "parti").values(active=False))
    for name in ("Bob", "readonly", "beta", "parti", "<script>", "x" * 120):
        refused = api.patch(API + f"/clients/{c002}", json={"collector": name})
        assert refused.status_code == 400, name
        assert "ne travaille pas pour cette société" in refused.json()["detail"], name
    assert api.get(API + f"/clients/{c002}").json()["collector"] == ""
    assert _audited(web, "client.update") == []
    for name, stored in (("admin", "admin"), (" collector ", "collector"), ("", "")):
        done = api.patch(API + f"/clients/{c002}", json={"collector": name})
        assert done.status_code == 200 and done.json()["changed"] == {"collector": stored}
        assert api.get(API + f"/clients/{c002}").json()["collector"] == stored
    assert len(_audited(web, "client.update")) == 3
    # The history says who took the client over, and who had it before.
    with web.engine.connect() as conn:
        events = conn.execute(select(t.events.c.summary, t.events.c.data).where(
            t.events.c.kind == "collector_assigned").order_by(t.events.c.id)).all()
    assert [e.summary for e in events] == ["Chargé de recouvrement : admin",
                                           "Chargé de recouvrement : collector",
                                           "Plus de chargé de recouvrement attitré"]
    assert [e.data["before"] for e in events] == ["", "admin", "collector"]


# --- invoices --------------------------------------------------------------------------------


def test_the_invoice_list_filters_by_status_client_and_date_and_pages(web, ledger):
    api = ledger.as_user("readonly")
    numbers = lambda **params: _refs(api.get(API + "/invoices", params=params), "number")  # noqa: E731
    assert numbers() == ["F3", "F1", "F5", "F2"]                     # open, by due date
    assert numbers(status="overdue") == ["F3", "F1", "F5"]
    assert numbers(status="all") == ["F4", "F3", "F1", "F5", "F2"]
    assert numbers(client_id=ledger.clients["C001"]) == ["F1", "F2"]
    past = api.get(API + "/invoices", params={"status": "all", "at": "2026-02-15"}).json()
    assert [(i["number"], i["open_amount"], i["days_overdue"]) for i in past["items"]] == [
        ("F4", "500.00", 6)]                         # paid on 20/02, so still open on 15/02
    page = api.get(API + "/invoices", params={"per_page": 2, "page": 2}).json()
    assert page["total"] == 4 and [i["number"] for i in page["items"]] == ["F5", "F2"]
    first = api.get(API + "/invoices", params={"per_page": 1}).json()["items"][0]
    assert first["client_ref"] == "C002" and first["amount"] == "3600.00"
    assert first["penalties"] == {"computable": True, "interest": "109.05",
                                  "indemnity": "40.00", "total": "149.05"}
    assert api.get(API + "/invoices", params={"status": "late"}).status_code == 422
    bad = api.get(API + "/invoices", params={"at": "hier"})
    assert bad.status_code == 422 and "attendu une date" in bad.json()["detail"]


def test_an_invoice_shows_its_penalty_breakdown_settlements_and_disputes(web, ledger):
    api = ledger.as_user("readonly")
    f1 = api.get(API + f"/invoices/{ledger.invoices['F1']}").json()
    assert (f1["number"], f1["client_ref"], f1["open_amount"], f1["at"]) == (
        "F1", "C001", "1200.00", WEB_DAY)
    penalties = f1["penalties"]
    assert penalties["computable"] is True, penalties
    assert penalties["indemnity"] == "40.00" and penalties["periods"]
    assert penalties["periods"][0]["from"] == "2026-05-02" and penalties["sources"]
    assert f1["allocations"] == [] and f1["disputes"] == []
    f4 = api.get(API + f"/invoices/{ledger.invoices['F4']}").json()
    assert f4["open_amount"] == "0.00"
    assert [(a["amount"], a["date"], a["reference"]) for a in f4["allocations"]] == [
        ("500.00", "2026-02-20", "VIR MAIRIE")]
    earlier = api.get(API + f"/invoices/{ledger.invoices['F1']}", params={"at": "2026-05-15"})
    assert earlier.json()["penalties"]["until"] == "2026-05-15"
    before = api.get(API + f"/invoices/{ledger.invoices['F2']}", params={"at": "2026-06-01"})
    assert before.status_code == 400 and "précède l'émission" in before.json()["detail"]


# --- payments --------------------------------------------------------------------------------


def test_a_payment_is_recorded_allocated_listed_and_audited(web, ledger):
    api = ledger.as_user("collector")
    c001 = ledger.clients["C001"]
    made = api.post(API + "/payments", json={"client_id": c001, "amount": "1 000,00",
                                             "invoices": ["F2"], "method": "virement",
                                             "reference": "VIR MARTIN"})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["allocations"] == [{"invoice": "F2", "amount": "600.00"}]
    assert body["unallocated"] == "400.00"
    oldest = api.post(API + "/payments", json={"client_id": c001, "amount": 200,
                                               "date": "2026-06-29"})
    assert oldest.json()["allocations"] == [{"invoice": "F1", "amount": "200.00"}]
    left = api.get(API + "/payments", params={"unallocated": "true"}).json()
    assert [(p["id"], p["amount"], p["unallocated"], p["client_ref"]) for p in left["items"]] == [
        (body["payment_id"], "1000.00", "400.00", "C001")]
    mine = api.get(API + "/payments", params={"client_id": c001, "per_page": 1}).json()
    assert mine["total"] == 2 and mine["items"][0]["date"] == "2026-06-29"
    assert _refs(api.get(API + "/payments", params={"client_id": ledger.clients["C003"]}),
                 "reference") == ["VIR MAIRIE"]
    invoices = api.get(API + "/invoices", params={"client_id": c001}).json()["items"]
    assert [(i["number"], i["open_amount"]) for i in invoices] == [("F1", "1000.00")]
    audits = _audited(web, "payment.add")
    assert [(a.username, a.target, a.detail["amount"]) for a in audits] == [
        ("collector", "C001", "1000.00"), ("collector", "C001", "200.00")]


def test_a_bad_payment_is_refused_in_french_and_writes_nothing(web, ledger):
    api = ledger.as_user("collector")
    c001 = ledger.clients["C001"]
    not_amount = api.post(API + "/payments", json={"client_id": c001, "amount": "beaucoup"})
    assert not_amount.status_code == 422
    assert "« beaucoup » : attendu un montant" in not_amount.json()["detail"]
    negative = api.post(API + "/payments", json={"client_id": c001, "amount": "-5"})
    assert negative.status_code == 400 and "Montant invalide" in negative.json()["detail"]
    unknown = api.post(API + "/payments", json={"client_id": c001, "amount": "5",
                                                "invoices": ["F9"]})
    assert unknown.status_code == 404 and "F9" in unknown.json()["detail"]
    settled = api.post(API + "/payments", json={"client_id": ledger.clients["C003"],
                                                "amount": "5", "invoices": ["F4"]})
    assert settled.status_code == 400 and "déjà soldée" in settled.json()["detail"]
    assert api.post(API + "/payments", json={"amount": "5"}).status_code == 422
    assert _count(web, t.payments) == 1 and _audited(web, "payment.add") == []


# --- history, promises, disputes -------------------------------------------------------------


def test_promises_are_recorded_listed_and_put_in_the_history(web, ledger):
    api = ledger.as_user("collector")
    c002 = ledger.clients["C002"]
    made = api.post(API + "/promises", json={"client_id": c002, "amount": "1000",
                                             "pay_by": "2026-07-15"})
    assert made.status_code == 201, made.text
    assert {k: made.json()[k] for k in ("client_ref", "amount", "pay_by", "made_on", "status")} \
        == {"client_ref": "C002", "amount": "1000.00", "pay_by": "2026-07-15",
            "made_on": WEB_DAY, "status": "open"}
    late = api.post(API + "/promises", json={"client_id": c002, "amount": "10",
                                             "pay_by": "2026-06-01"})
    assert late.status_code == 400 and "ne peut pas précéder" in late.json()["detail"]
    listed = api.get(API + "/promises", params={"status": "open"}).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == made.json()["id"]
    assert api.get(API + "/promises", params={"status": "broken"}).json()["total"] == 0
    assert api.get(API + "/promises", params={"client_id": ledger.clients["C001"]}
                   ).json()["items"] == []
    events = api.get(API + "/events", params={"client_id": c002}).json()["items"]
    assert [(e["kind"], e["date"]) for e in events] == [("promise_made", WEB_DAY)]
    assert events[0]["data"]["amount"] == "1000.00"
    assert [a.target for a in _audited(web, "promise.add")] == ["C002"]


def test_a_dispute_is_opened_listed_and_resolved_once(web, ledger):
    api = ledger.as_user("collector")
    opened = api.post(API + "/disputes", json={"invoice": "F3", "reason": "Livraison partielle"})
    assert opened.status_code == 201, opened.text
    dispute = opened.json()
    assert (dispute["invoice"], dispute["client_ref"], dispute["open"]) == ("F3", "C002", True)
    again = api.post(API + "/disputes", json={"invoice": "F3", "reason": "Encore"})
    assert again.status_code == 400 and "déjà ouvert" in again.json()["detail"]
    unknown = api.post(API + "/disputes", json={"invoice": "F99", "reason": "?"})
    assert unknown.status_code == 404
    assert api.post(API + "/disputes", json={"invoice": "F3", "reason": ""}).status_code == 422
    assert _refs(api.get(API + "/clients", params={"status": "dispute"})) == ["C002"]
    assert api.get(API + "/disputes", params={"status": "open"}).json()["total"] == 1
    detail = api.get(API + f"/invoices/{ledger.invoices['F3']}").json()
    assert [d["reason"] for d in detail["disputes"]] == ["Livraison partielle"]
    resolved = api.post(API + f"/disputes/{dispute['id']}/resolve",
                        json={"resolution": "Avoir de 200 €"})
    assert resolved.status_code == 200 and resolved.json()["open"] is False
    assert resolved.json()["resolved_on"] == WEB_DAY
    twice = api.post(API + f"/disputes/{dispute['id']}/resolve", json={})
    assert twice.status_code == 400 and "déjà résolu" in twice.json()["detail"]
    assert _refs(api.get(API + "/disputes", params={"status": "resolved"}), "invoice") == ["F3"]
    assert api.get(API + "/disputes", params={"status": "open"}).json()["total"] == 0
    kinds = _refs(api.get(API + "/events", params={"client_id": ledger.clients["C002"]}), "kind")
    assert kinds == ["dispute_opened", "dispute_resolved"]
    assert [a.action for a in _audited(web, "dispute.open") + _audited(web, "dispute.resolve")] \
        == ["dispute.open", "dispute.resolve"]


def test_the_history_filters_by_client_kind_and_date_and_pages(web, relance, ledger):
    for day, client in (("2026-06-10", "C001"), ("2026-06-20", "C002"), ("2026-06-25", "C001")):
        relance("promises", "add", client, "--amount", "100", "--by", "2026-07-31",
                "--date", day, "--creditor", "ACME")
    relance("log-call", "C004", "--outcome", "no-answer", "--date", "2026-06-26",
            "--creditor", "ACME")
    api = ledger.as_user("readonly")
    everything = api.get(API + "/events").json()
    assert [e["date"] for e in everything["items"]] == sorted(
        e["date"] for e in everything["items"])
    assert everything["total"] == 4
    assert [e["client_ref"] for e in api.get(
        API + "/events", params={"kind": "promise_made"}).json()["items"]] == [
        "C001", "C002", "C001"]
    since = api.get(API + "/events", params={"since": "2026-06-20"}).json()["items"]
    assert [e["date"] for e in since] == ["2026-06-20", "2026-06-25", "2026-06-26"]
    assert api.get(API + "/events", params={"client_id": ledger.clients["C001"]}
                   ).json()["total"] == 2
    second = api.get(API + "/events", params={"per_page": 3, "page": 2}).json()
    assert second["total"] == 4 and [e["client_ref"] for e in second["items"]] == ["C004"]
    assert api.get(API + "/events", params={"kind": "reminder"}).json()["total"] == 0


# --- runs ------------------------------------------------------------------------------------


def test_a_dry_run_writes_nothing_then_the_run_writes_its_events(web, ledger):
    api = ledger.as_user("collector")
    tables = (t.events, t.outbox, t.calls, t.runs, t.invoice_steps, t.client_scores)
    before = [_count(web, table) for table in tables]
    preview = api.post(API + "/runs/preview", json={})
    assert preview.status_code == 200, preview.text
    dry = preview.json()
    assert dry["dry_run"] is True and dry["date"] == WEB_DAY and dry["actions"]
    assert {a["client"] for a in dry["actions"]} <= {"C001", "C002", "C004"}
    assert all("." in a["amount"] for a in dry["actions"])
    assert [_count(web, table) for table in tables] == before
    assert api.get(API + "/runs").json()["total"] == 0
    done = api.post(API + "/runs", json={"date": WEB_DAY})
    assert done.status_code == 201, done.text
    report = done.json()
    assert report["dry_run"] is False
    assert [a["client"] for a in report["actions"]] == [a["client"] for a in dry["actions"]]
    assert _count(web, t.events, t.events.c.kind.in_(("reminder", "escalation_proposed"))) > 0
    assert _count(web, t.events, t.events.c.client_id == ledger.clients["B001"]) == 0
    history = api.get(API + "/events", params={"since": WEB_DAY}).json()["items"]
    assert {e["kind"] for e in history} & {"reminder", "escalation_proposed"}
    runs = api.get(API + "/runs").json()
    assert runs["total"] == 1 and runs["items"][0]["date"] == WEB_DAY
    assert runs["items"][0]["messages"] + runs["items"][0]["calls"] > 0
    assert runs["items"][0]["finished_at"] is not None
    assert [(a.username, a.target) for a in _audited(web, "run.execute")] == [
        ("collector", WEB_DAY)]
    for path in ("/runs/preview", "/runs"):
        back = api.post(API + path, json={"date": "2026-06-29"})
        assert back.status_code == 400 and "ne revient pas en arrière" in back.json()["detail"]
    assert len(_audited(web, "run.execute")) == 1
    assert ledger.as_user("readonly").post(API + "/runs/preview", json={}).status_code == 403


def test_a_run_after_the_working_date_is_refused_but_can_be_simulated(web, ledger):
    api = ledger.as_user("collector")
    for day in ("2199-12-31", "2026-07-01"):
        ahead = api.post(API + "/runs", json={"date": day})
        assert ahead.status_code == 400, ahead.text
        assert ahead.json()["detail"] == (
            f"Un run ne s'exécute pas à l'avance : le {day[8:]}/{day[5:7]}/{day[:4]} est "
            "après aujourd'hui (30/06/2026). Simulez-le plutôt.")
    assert _count(web, t.runs) == 0 and _count(web, t.outbox) == 0
    assert _audited(web, "run.execute") == []
    simulated = api.post(API + "/runs/preview", json={"date": "2026-07-01"})
    assert simulated.status_code == 200 and simulated.json()["date"] == "2026-07-01"
    assert _count(web, t.runs) == 0
    assert api.post(API + "/runs", json={}).status_code == 201   # today still runs
    assert api.get(API + "/runs").json()["items"][0]["date"] == WEB_DAY


def test_the_bad_payer_history_is_shown_only_with_the_bad_payers_right(web, relance, ledger):
    collector = ledger.as_user("collector")
    assert collector.post(API + "/runs", json={}).status_code == 201   # F5 gets reminded
    relance("bad-payers", "mark", "C004", "--by", "Julie", "--reason", "3 relances sans réponse",
            "--date", WEB_DAY, "--creditor", "ACME")
    c004 = ledger.clients["C004"]
    kinds = "bad_payer_marked"
    for name, sees in (("collector", True), ("admin", True), ("readonly", False)):
        api = ledger.as_user(name)
        timeline = api.get(API + f"/clients/{c004}/timeline").json()["events"]
        assert any(e["kind"] == kinds for e in timeline) is sees, name
        assert all("mauvais payeur" not in e["summary"] for e in timeline) is not sees, name
        events = api.get(API + "/events", params={"client_id": c004, "per_page": 500}).json()
        assert any(e["kind"] == kinds for e in events["items"]) is sees, name
        assert events["total"] == len(events["items"]) and events["total"] > 0, name
        marked = api.get(API + "/events", params={"kind": kinds}).json()
        assert marked["total"] == (1 if sees else 0), name
        for like in ("bad_payer%", "bad%", "%"):   # a LIKE pattern matches nothing
            assert api.get(API + "/events", params={"kind": like}).json()["total"] == 0
    everything = _count(web, t.events, t.events.c.creditor_id != None)   # noqa: E711
    hidden = ledger.as_user("readonly").get(API + "/events").json()["total"]
    assert hidden == everything - 1 - _count(web, t.events, t.events.c.client_id ==
                                             ledger.clients["B001"])


# --- bounds: a nonsense number is a French 422, never a 500 -----------------------------------

BIG = 2 ** 31   # ids are INTEGER columns: 32 bits on PostgreSQL


def test_out_of_range_ids_and_pages_are_422_not_500(web, ledger):
    api = ledger.as_user("collector")
    for path in ("/clients/{}", "/clients/{}/timeline", "/invoices/{}"):
        for bad in (0, -1, BIG, 2 ** 63, 10 ** 30):
            answer = api.get(API + path.format(bad))
            assert answer.status_code == 422, (path, bad, answer.text)
            assert answer.json()["detail"].startswith("Requête invalide"), (path, bad)
        assert api.get(API + path.format(BIG - 1)).status_code == 404, path
    assert api.patch(API + f"/clients/{BIG}", json={"collector": ""}).status_code == 422
    assert api.post(API + f"/disputes/{BIG}/resolve", json={}).status_code == 422
    assert api.post(API + f"/disputes/{BIG - 1}/resolve", json={}).status_code == 404
    for path in ("/invoices", "/payments", "/events", "/promises", "/disputes"):
        assert api.get(API + path, params={"client_id": BIG}).status_code == 422, path
        assert api.get(API + path, params={"client_id": BIG - 1}).status_code == 404, path
        assert api.get(API + path, params={"client_id": 0}).status_code == 422, path
        assert api.get(API + path, params={"page": 1_000_001}).status_code == 422, path
        last = api.get(API + path, params={"page": 1_000_000})
        assert last.status_code == 200 and last.json()["items"] == [], path
    for path in ("/clients", "/runs"):
        assert api.get(API + path, params={"page": 10 ** 12}).status_code == 422, path
    for path, body in (("/payments", {"amount": "10.00"}),
                       ("/promises", {"amount": "10.00", "pay_by": "2026-07-10"})):
        assert api.post(API + path, json={**body, "client_id": BIG}).status_code == 422, path
        assert api.post(API + path, json={**body, "client_id": BIG - 1}).status_code == 404
    assert _count(web, t.payments) == 1 and _count(web, t.promises) == 0


@pytest.mark.parametrize("amount", ["1" * 40, "1e30", "1e20", "99999999999999.99",
                                    "-1" + "0" * 30, 10 ** 40, 1e300, "NaN", "Infinity"])
def test_a_huge_or_odd_amount_is_a_french_422(web, ledger, amount):
    api = ledger.as_user("collector")
    c001 = ledger.clients["C001"]
    for path, body in (("/payments", {"client_id": c001, "amount": amount}),
                       ("/promises", {"client_id": c001, "amount": amount,
                                      "pay_by": "2026-07-10"})):
        answer = api.post(API + path, json=body)
        assert answer.status_code == 422, (path, answer.text)
        assert "attendu un montant" in answer.json()["detail"], path
    assert _count(web, t.payments) == 1 and _count(web, t.promises) == 0


def test_a_far_date_is_a_french_422_and_cannot_break_the_next_runs(web, ledger):
    api = ledger.as_user("collector")
    c002 = ledger.clients["C002"]
    far = ("9999-12-31", "2200-01-01", "1899-12-31")
    for day in far:
        calls = [api.post(API + "/promises", json={"client_id": c002, "amount": "10",
                                                   "pay_by": day}),
                 api.patch(API + f"/clients/{c002}", json={"hold_until": day, "reason": "x"}),
                 api.post(API + "/payments", json={"client_id": c002, "amount": "1",
                                                   "date": day}),
                 api.post(API + "/runs/preview", json={"date": day}),
                 api.post(API + "/runs", json={"date": day}),
                 api.get(API + "/reports/dso", params={"at": day}),
                 api.get(API + "/events", params={"since": day})]
        for answer in calls:
            assert answer.status_code == 422, (day, answer.request.url, answer.text)
            assert "attendu une date AAAA-MM-JJ entre 1900 et 2199" in answer.json()["detail"]
    assert _count(web, t.promises) == 0 and _count(web, t.payments) == 1
    typo = api.post(API + "/promises", json={"client_id": c002, "amount": "10",
                                             "pay_by": "2199-12-31"})
    assert typo.status_code == 400 and "à plus de 10 ans" in typo.json()["detail"]
    assert api.post(API + "/promises", json={"client_id": c002, "amount": "10",
                                             "pay_by": "2035-12-31"}).status_code == 201
    assert api.post(API + "/runs/preview", json={}).status_code == 200
    assert api.get(API + "/reports/dso", params={"at": "2199-12-31"}).status_code == 200


def test_the_largest_amount_accepted_is_stored_exactly(web, ledger):
    api = ledger.as_user("collector")
    done = api.post(API + "/promises", json={"client_id": ledger.clients["C001"],
                                             "amount": "999999999999.99", "pay_by": "2026-07-10"})
    assert done.status_code == 201, done.text
    assert done.json()["amount"] == "999999999999.99"


# --- reports ---------------------------------------------------------------------------------


def test_the_reports_answer_with_the_services_figures(web, ledger):
    api = ledger.as_user("readonly")
    aging = api.get(API + "/reports/aging").json()
    assert (aging["at"], aging["total"], aging["open_invoices"]) == (WEB_DAY, "5880.00", 4)
    assert {c["ref"] for c in aging["clients"]} == {"C001", "C002", "C004"}
    assert api.get(API + "/reports/aging", params={"at": "2026-02-15"}).json()["total"] == "500.00"
    dso = api.get(API + "/reports/dso", params={"months": 3}).json()
    assert dso["receivables"] == "5880.00" and len(dso["trend"]) == 3
    cei = api.get(API + "/reports/cei", params={"months": 6}).json()
    assert cei["at"] == WEB_DAY and len(cei["months"]) == 6
    forecast = api.get(API + "/reports/forecast", params={"weeks": 4}).json()
    assert len(forecast["weeks"]) == 4 and forecast["total_open"] == "5880.00"
    lateness = api.get(API + "/reports/lateness").json()
    assert (lateness["invoices"], lateness["late"], lateness["max_days"]) == (1, 1, 11)
    assert lateness["amount"] == "500.00"
    none = api.get(API + "/reports/lateness", params={"from": "2026-03-01", "to": "2026-06-30"})
    assert none.json()["invoices"] == 0
    wrong = api.get(API + "/reports/lateness", params={"from": "2026-06-30", "to": "2026-01-01"})
    assert wrong.status_code == 400 and "doit précéder" in wrong.json()["detail"]
    assert api.get(API + "/reports/dso", params={"months": 500}).status_code == 422
    bad = ledger.as_user("collector").get(API + "/reports/bad-payers").json()
    assert bad == {"at": WEB_DAY, "clients": []}


# --- the schema and the guards ---------------------------------------------------------------

ENDPOINTS = {
    ("get", "/api/v1/me"), ("get", "/api/v1/creditors/{creditor_ref}"),
    ("get", "/api/v1/creditors/{creditor_ref}/clients"),
    ("get", "/api/v1/creditors/{creditor_ref}/clients/{client_id}"),
    ("patch", "/api/v1/creditors/{creditor_ref}/clients/{client_id}"),
    ("get", "/api/v1/creditors/{creditor_ref}/clients/{client_id}/timeline"),
    ("get", "/api/v1/creditors/{creditor_ref}/invoices"),
    ("get", "/api/v1/creditors/{creditor_ref}/invoices/{invoice_id}"),
    ("get", "/api/v1/creditors/{creditor_ref}/payments"),
    ("post", "/api/v1/creditors/{creditor_ref}/payments"),
    ("get", "/api/v1/creditors/{creditor_ref}/events"),
    ("get", "/api/v1/creditors/{creditor_ref}/promises"),
    ("post", "/api/v1/creditors/{creditor_ref}/promises"),
    ("get", "/api/v1/creditors/{creditor_ref}/disputes"),
    ("post", "/api/v1/creditors/{creditor_ref}/disputes"),
    ("post", "/api/v1/creditors/{creditor_ref}/disputes/{dispute_id}/resolve"),
    ("get", "/api/v1/creditors/{creditor_ref}/runs"),
    ("post", "/api/v1/creditors/{creditor_ref}/runs"),
    ("post", "/api/v1/creditors/{creditor_ref}/runs/preview"),
    ("get", "/api/v1/creditors/{creditor_ref}/reports/aging"),
    ("get", "/api/v1/creditors/{creditor_ref}/reports/dso"),
    ("get", "/api/v1/creditors/{creditor_ref}/reports/cei"),
    ("get", "/api/v1/creditors/{creditor_ref}/reports/forecast"),
    ("get", "/api/v1/creditors/{creditor_ref}/reports/lateness"),
    ("get", "/api/v1/creditors/{creditor_ref}/reports/bad-payers"),
}


def test_the_openapi_schema_documents_every_endpoint_and_body_in_french(web):
    schema = web.client().get("/api/v1/openapi.json").json()
    found = {(method, path) for path, ops in schema["paths"].items() if path.startswith("/api/")
             for method in ops}
    assert found == ENDPOINTS
    for method, path in ENDPOINTS:
        operation = schema["paths"][path][method]
        assert operation["summary"] and operation["tags"], (method, path)
        assert {"401", "403", "404"} <= set(operation["responses"]), (method, path)
    bodies = schema["components"]["schemas"]
    for name in ("PaymentIn", "PromiseIn", "DisputeIn", "ResolutionIn", "ClientChange",
                 "RunIn"):
        for prop in bodies[name]["properties"].values():
            assert prop.get("description"), (name, prop)
    assert bodies["PaymentIn"]["properties"]["amount"]["type"] == "string"
    assert "Montant reçu" in bodies["PaymentIn"]["properties"]["amount"]["description"]
    assert set(bodies["PaymentIn"]["required"]) == {"client_id", "amount"}
    listing = schema["paths"]["/api/v1/creditors/{creditor_ref}/clients"]["get"]
    assert {"page", "per_page", "q", "grade", "overdue", "status"} <= {
        p["name"] for p in listing["parameters"]}


def test_every_api_route_has_a_guard_and_every_write_needs_the_work_right(web):
    rights = {}
    for path, route in app_routes(web.app.routes):
        if path.startswith("/api/v1/"):
            found = [getattr(d.call, "relance_right", None) for d in route.dependant.dependencies]
            found = [r for r in found if r]
            assert len(found) == 1, path
            for method in route.methods:
                rights[(method.lower(), path)] = found[0]
    assert set(rights) == ENDPOINTS
    writes = {k: v for k, v in rights.items() if k[0] in ("post", "patch")}
    assert set(writes.values()) == {"work"}
    assert rights[("get", "/api/v1/creditors/{creditor_ref}/reports/bad-payers")] == "bad_payers"
