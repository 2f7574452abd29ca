"""The dashboard, clients and invoices pages on a small ledger whose every figure is known
(the app works on 2026-06-30): French figures, each client action changing the ledger and the
history and written to the audit log, read-only users without forms and refused on every POST,
another company's client answered 404, the dashboard snapshot stored by a real run and reused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, select, update

from relance.adapters import tables as t
from relance.entrypoints.web import pages_clients, pages_dashboard
from relance.i18n import format_money
from tests.conftest import WEB_DAY, csrf_of
from tests.integration.test_imports import write

DAY = date.fromisoformat(WEB_DAY)


def money(value: str) -> str:
    return format_money(D(value))


@pytest.fixture
def ledger(web, relance, tmp_path: Path) -> dict[str, int]:
    """ACME: ALPHA owes A1 (1 000 €, 200 € paid, 91 days late: 90+) and A2 (500 €, 30 days
    late: 1-30); BOIS owes B1 (300 €, not due) and B2 (250 €, 60 days late: 31-60); GAMMA paid
    everything. BETA (the other company) has one client, OTHER. Returns client ids by ref."""
    write(tmp_path / "clients.csv",
          "client_ref,name,kind,siren,email,phone,contact_name,contact_role\n"
          "ALPHA,Alpha Bâtiment SARL,b2b,443061841,compta@alpha.fr,01 02 03 04 05,"
          "Claire Martin,Gérante\n"
          "BOIS,Bois & Fils SAS,b2b,552081317,,,,\n"
          "GAMMA,Gamma Conseil,b2b,,,,,\n")
    write(tmp_path / "invoices.csv", "number,client_ref,issue_date,due_date,amount\n"
          "A1,ALPHA,2026-03-01,2026-03-31,1000.00\n"
          "A2,ALPHA,2026-05-01,2026-05-31,500.00\n"
          "B1,BOIS,2026-06-01,2026-07-01,300.00\n"
          "B2,BOIS,2026-04-01,2026-05-01,250.00\n"
          "G1,GAMMA,2026-01-10,2026-02-09,400.00\n")
    write(tmp_path / "payments.csv", "date,client_ref,amount,invoice_number\n"
          "2026-04-15,ALPHA,200.00,A1\n2026-02-09,GAMMA,400.00,G1\n")
    for kind in ("clients", "invoices", "payments"):
        relance("import", kind, str(tmp_path / f"{kind}.csv"), "--creditor", "ACME")
    write(tmp_path / "beta.csv", "client_ref,name\nOTHER,Autre Client SA\n")
    write(tmp_path / "beta_inv.csv", "number,client_ref,issue_date,due_date,amount\n"
          "X1,OTHER,2026-03-01,2026-03-31,700.00\n")
    relance("import", "clients", str(tmp_path / "beta.csv"), "--creditor", "BETA")
    relance("import", "invoices", str(tmp_path / "beta_inv.csv"), "--creditor", "BETA")
    with web.engine.connect() as conn:
        return {r.ref: r.id for r in conn.execute(select(t.clients.c.ref, t.clients.c.id))}


def invoice_id(web, number: str) -> int:
    with web.engine.connect() as conn:
        return int(conn.execute(select(t.invoices.c.id).where(
            t.invoices.c.number == number)).scalar_one())


def audited(web, action: str) -> list[Any]:
    with web.engine.connect() as conn:
        return list(conn.execute(select(t.audit_log).where(t.audit_log.c.action == action)))


def kinds_of_events(web, client_id: int) -> list[str]:
    with web.engine.connect() as conn:
        return list(conn.execute(select(t.events.c.kind).where(
            t.events.c.client_id == client_id).order_by(t.events.c.id)).scalars())


# --- the dashboard --------------------------------------------------------------------------------


def test_the_dashboard_shows_the_known_figures_in_french(web, ledger):
    page = web.client("collector").get("/c/ACME/")
    assert page.status_code == 200
    html = page.text
    assert money("1850.00") in html          # total receivable
    assert money("1550.00") in html          # overdue
    for amount in ("300.00", "500.00", "250.00", "800.00"):   # the buckets of the chart
        assert money(amount) in html
    assert "<svg" in html and "Balance âgée" in html and "Tendance du DSO" in html
    # Top late clients, worst first, with their days late, linking to their page.
    alpha = html.index(f'/c/ACME/clients/{ledger["ALPHA"]}')
    assert alpha < html.index(f'/c/ACME/clients/{ledger["BOIS"]}')
    assert money("1300.00") in html and "91 j" in html and "60 j" in html
    assert "GAMMA" not in html.split("Clients les plus en retard")[1].split("</section>")[0]
    assert "calculés à l'instant" in html and "Recalculer" in html
    assert 'href="/c/ACME/a-faire"' in html


def test_recalculer_stores_the_snapshot_which_the_dashboard_then_reads(web, ledger):
    browser = web.client("collector")
    token = web.csrf(browser, "/c/ACME/")
    answer = browser.post("/c/ACME/tableau-de-bord/recalculer", data={"csrf_token": token})
    assert answer.status_code == 303
    assert [a.target for a in audited(web, "dashboard.refresh")] == [WEB_DAY]
    with web.engine.begin() as conn:
        stored = conn.execute(select(t.dashboard_snapshots)).one()
        assert stored.as_of == DAY and stored.data["total"] == "1850.00"
        # The page reads what is stored, not a new computation.
        conn.execute(update(t.dashboard_snapshots).values(data={**stored.data,
                                                                "total": "4242.00"}))
    html = browser.get("/c/ACME/").text
    assert money("4242.00") in html and "Chiffres calculés le" in html


def test_a_real_run_stores_the_snapshot_of_its_date_and_a_dry_run_does_not(web, ledger,
                                                                         relance):
    relance("run", "--date", WEB_DAY, "--dry-run")
    with web.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.dashboard_snapshots)
                            ).scalar_one() == 0
    relance("run", "--date", WEB_DAY)
    with web.engine.connect() as conn:
        rows = {r.creditor_id: r for r in conn.execute(select(t.dashboard_snapshots))}
        acme = conn.execute(select(t.creditors.c.id).where(t.creditors.c.ref == "ACME")
                            ).scalar_one()
    assert len(rows) == 2 and rows[acme].as_of == DAY
    data = rows[acme].data
    assert data["total"] == "1850.00" and data["overdue"] == "1550.00"
    assert sum(a["count"] for a in data["actions"]) > 0     # the run gave work to do
    html = web.client("readonly").get("/c/ACME/").text
    assert "Chiffres calculés le" in html and "Recalculer" not in html
    for action in data["actions"]:
        assert action["label"] in html
    # The client page reads the score the run stored that day.
    with web.engine.connect() as conn:
        stored = conn.execute(select(t.client_scores).where(
            t.client_scores.c.client_id == ledger["ALPHA"])).one()
    page = web.client("readonly").get(f"/c/ACME/clients/{ledger['ALPHA']}").text
    assert "Calculé par le run du 30/06/2026" in page
    assert f"Score {stored.score} / 100 — note {stored.grade}" in page


# --- the clients list -----------------------------------------------------------------------------


def test_the_clients_list_has_amounts_and_is_searchable_and_filterable(web, ledger):
    browser = web.client("readonly")
    html = browser.get("/c/ACME/clients").text
    assert "Alpha Bâtiment SARL" in html and "Bois &amp; Fils SAS" in html
    assert money("1300.00") in html and money("550.00") in html   # ALPHA open, BOIS open
    assert "Autre Client SA" not in html                           # BETA's client
    assert "Bois" not in browser.get("/c/ACME/clients?q=alpha").text.split("<tbody>")[1]
    assert "Alpha" in browser.get("/c/ACME/clients?q=443061").text.split("<tbody>")[1]
    overdue = browser.get("/c/ACME/clients?retard=1").text.split("<tbody>")[1]
    assert "Alpha" in overdue and "Bois" in overdue and "Gamma" not in overdue
    with web.engine.begin() as conn:
        conn.execute(t.client_scores.insert().values(
            client_id=ledger["BOIS"], computed_on=DAY, score=35, grade="D", factors=[],
            policy={}))
    graded = browser.get("/c/ACME/clients?note=D").text.split("<tbody>")[1]
    assert "Bois" in graded and "Alpha" not in graded and "grade-D" in graded


def test_the_clients_list_filters_on_status_and_pages_in_sql(web, ledger, relance):
    relance("status", "GAMMA", "--do-not-contact", "--creditor", "ACME")
    relance("disputes", "open", "B2", "--reason", "livraison incomplète", "--creditor", "ACME")
    browser = web.client("readonly")
    dnc = browser.get("/c/ACME/clients?statut=ne-pas-contacter").text.split("<tbody>")[1]
    assert "Gamma" in dnc and "Alpha" not in dnc and "ne pas contacter" in dnc
    disputed = browser.get("/c/ACME/clients?statut=litige").text.split("<tbody>")[1]
    assert "Bois" in disputed and "Gamma" not in disputed
    assert "Aucun client" in browser.get("/c/ACME/clients?statut=procedure").text


def test_clients_are_paginated(web, ledger, monkeypatch):
    from relance.services import dashboard

    monkeypatch.setattr(dashboard, "PAGE_SIZE", 2)
    browser = web.client("readonly")
    first = browser.get("/c/ACME/clients").text
    assert "Alpha" in first and "Bois" in first and "Gamma" not in first
    assert 'href="/c/ACME/clients?page=2"' in first
    second = browser.get("/c/ACME/clients?page=2").text
    assert "Gamma" in second and "Alpha" not in second.split("<tbody>")[1]


# --- the client page ------------------------------------------------------------------------------


def test_the_client_page_shows_contacts_penalties_score_and_timeline(web, ledger, relance):
    import json

    found = json.loads(relance("penalties", "A1", "--at", WEB_DAY, "--json",
                               "--creditor", "ACME").stdout)
    html = web.client("collector").get(f"/c/ACME/clients/{ledger['ALPHA']}").text
    assert "Claire Martin" in html and "Gérante" in html and "compta@alpha.fr" in html
    assert money("800.00") in html and money("500.00") in html      # open amounts
    assert money(found["interest"]) in html and money("40.00") in html
    from relance.services.risk import assess_one

    with web.engine.connect() as conn:
        acme = conn.execute(select(t.creditors).where(t.creditors.c.ref == "ACME")).one()
        live = assess_one(conn, acme.id, ledger["ALPHA"], DAY).score
    assert f"Score {live.score} / 100 — note {live.grade}" in html
    assert "Calculé à l&#39;instant" in html
    assert live.factors and all(f.text.replace("'", "&#39;") in html for f in live.factors)
    assert "Règlement de " + money("200.00") in html                 # the timeline
    assert 'action="/c/ACME/clients/' in html and "Enregistrer un appel" in html


def test_the_bad_payer_mark_shows_only_to_users_with_that_right(web, ledger):
    with web.engine.begin() as conn:
        acme = conn.execute(select(t.creditors.c.id).where(t.creditors.c.ref == "ACME")
                            ).scalar_one()
        conn.execute(t.bad_payer_marks.insert().values(
            creditor_id=acme, client_id=ledger["ALPHA"], marked_on=DAY, marked_by="Admin",
            reason="impayés répétés", proven_amount=D("800.00"), invoices=["A1"]))
        conn.execute(t.events.insert().values(
            creditor_id=acme, client_id=ledger["ALPHA"], kind="bad_payer_marked",
            occurred_on=DAY, summary="Inscrit au fichier interne", data={}))
    path = f"/c/ACME/clients/{ledger['ALPHA']}"
    seen = web.client("collector").get(path).text
    assert "Signalé mauvais payeur" in seen and "Inscrit au fichier interne" in seen
    hidden = web.client("readonly").get(path).text
    assert "Signalé mauvais payeur" not in hidden and "Inscrit au fichier" not in hidden


def post(web, browser, client_id: int, route: str, /, **data: Any) -> Any:
    token = web.csrf(browser, f"/c/ACME/clients/{client_id}")
    return browser.post(f"/c/ACME/clients/{client_id}/{route}",
                        data={"csrf_token": token, **data})


def test_logging_a_call_with_a_promise_reaches_timeline_promises_and_audit(web, ledger):
    browser = web.client("collector")
    alpha = ledger["ALPHA"]
    answer = post(web, browser, alpha, "appel", outcome="promise", note="paiera vendredi",
                  amount="800,00", promise_date="2026-07-03")
    assert answer.status_code == 303 and answer.headers["location"] == f"/c/ACME/clients/{alpha}"
    assert kinds_of_events(web, alpha)[-2:] == ["call", "promise_made"]
    with web.engine.connect() as conn:
        promise = conn.execute(select(t.promises)).one()
    assert (promise.amount, promise.pay_by) == (D("800.00"), date(2026, 7, 3))
    [entry] = audited(web, "call.log")
    assert entry.target == "ALPHA" and entry.detail["outcome"] == "promise"
    page = browser.get(f"/c/ACME/clients/{alpha}")
    assert "paiera vendredi" in page.text
    # The dashboard counts it in the money promised this week.
    assert money("800.00") in browser.get("/c/ACME/").text.split("promis cette semaine")[1]


def test_a_bad_call_form_is_refused_in_french_without_writing(web, ledger):
    browser = web.client("collector")
    answer = post(web, browser, ledger["ALPHA"], "appel", outcome="promise", amount="abc",
                  promise_date="2026-07-03")
    assert answer.status_code == 400 and "pas un montant" in answer.text
    page = f"http://testserver/c/ACME/clients/{ledger['ALPHA']}"
    token = web.csrf(browser, page)
    back = browser.post(f"{page}/appel", headers={"referer": page},
                        data={"csrf_token": token, "outcome": "promise", "amount": "10"})
    assert back.status_code == 303 and back.headers["location"] == page
    assert "Une promesse demande un montant et une date" in browser.get(page).text
    assert kinds_of_events(web, ledger["ALPHA"]) == []
    assert audited(web, "call.log") == []


ACTIONS = [
    ("promesse", {"amount": "300", "pay_by": "2026-07-10"}, "promise.add", "promise_made"),
    ("litige", {"invoice": "A2", "action": "open", "text": "prestation contestée"},
     "dispute.open", "dispute_opened"),
    ("echeancier", {"dates": ["2026-07-15", "2026-08-15"], "amounts": ["650", "650"]},
     "plan.add", "payment_plan_agreed"),
    ("suspension", {"until": "2026-07-20", "reason": "changement de comptable"},
     "status.hold", "status_changed"),
    ("ne-pas-contacter", {"value": "1", "reason": "demande écrite"},
     "status.do_not_contact", "status_changed"),
    ("escalade", {"action": "legal_case", "reason": "assignation"}, "status.escalate",
     "status_changed"),
    ("escalade", {"action": "formal_notice"}, "status.escalate", "status_changed"),
    ("charge", {"collector": "collector"}, "client.collector", "collector_assigned"),
    ("abandon", {"invoice": "A1", "reason": "geste commercial"}, "penalties.waive",
     "penalties_waived"),
]


@pytest.mark.parametrize(("path", "data", "action", "event"), ACTIONS,
                         ids=[f"{a[0]}-{a[2]}-{i}" for i, a in enumerate(ACTIONS)])
def test_each_client_action_changes_the_ledger_and_is_audited(web, ledger, path, data,
                                                               action, event):
    browser = web.client("collector")
    alpha = ledger["ALPHA"]
    answer = post(web, browser, alpha, path, **data)
    assert answer.status_code == 303, answer.text
    assert kinds_of_events(web, alpha)[-1 if event != "payment_plan_agreed" else 0] == event
    [entry] = audited(web, action)
    assert entry.target == "ALPHA" and entry.username == "collector"
    assert entry.detail["client_id"] == alpha
    with web.engine.connect() as conn:
        status = conn.execute(select(t.client_status).where(
            t.client_status.c.client_id == alpha)).first()
        client = conn.execute(select(t.clients).where(t.clients.c.id == alpha)).one()
        disputes = conn.execute(select(t.disputes)).all()
        plans = conn.execute(select(t.payment_plans)).all()
        waivers = conn.execute(select(t.waivers)).all()
    effects = {
        "dispute.open": lambda: [d.reason for d in disputes] == ["prestation contestée"],
        "plan.add": lambda: [p.total for p in plans] == [D("1300.00")],
        "status.hold": lambda: status.hold_until == date(2026, 7, 20),
        "status.do_not_contact": lambda: status.do_not_contact is True,
        "status.escalate": lambda: (status.legal_case is True
                                    if data["action"] == "legal_case"
                                    else status.late_cause == "bad_faith"),
        "client.collector": lambda: client.collector == "collector",
        "penalties.waive": lambda: len(waivers) == 1 and waivers[0].invoice_id is not None,
        "promise.add": lambda: True,
    }
    assert effects[action]()


def test_closing_a_dispute_from_the_client_page(web, ledger, relance):
    relance("disputes", "open", "A2", "--reason", "contestation", "--date", "2026-06-01",
            "--creditor", "ACME")
    browser = web.client("collector")
    page = browser.get(f"/c/ACME/clients/{ledger['ALPHA']}").text
    assert "Clore un litige" in page and "litige : contestation" in page
    answer = post(web, browser, ledger["ALPHA"], "litige", invoice="A2", action="close",
                  text="avoir accordé")
    assert answer.status_code == 303
    with web.engine.connect() as conn:
        assert conn.execute(select(t.disputes.c.resolved_on)).scalar_one() == DAY
    assert audited(web, "dispute.resolve")[0].detail["invoice"] == "A2"


def test_a_manual_payment_is_allocated_then_reallocated(web, ledger):
    browser = web.client("collector")
    alpha = ledger["ALPHA"]
    answer = post(web, browser, alpha, "reglement", amount="500,00", paid_on="2026-06-29",
                  method="virement", reference="VIR 42", invoices=["A2"])
    assert answer.status_code == 303
    with web.engine.connect() as conn:
        payment_id = conn.execute(select(t.payments.c.id).where(
            t.payments.c.reference == "VIR 42")).scalar_one()
        allocated = conn.execute(select(t.invoices.c.number, t.allocations.c.amount).join(
            t.invoices, t.invoices.c.id == t.allocations.c.invoice_id).where(
            t.allocations.c.payment_id == payment_id)).all()
    assert allocated == [("A2", D("500.00"))]
    assert audited(web, "payment.add")[0].detail["allocations"] == [["A2", "500.00"]]
    html = browser.get(f"/c/ACME/clients/{alpha}").text
    assert "Règlement de " + money("500.00") in html          # on the timeline
    answer = post(web, browser, alpha, "lettrage", payment_id=str(payment_id),
                  invoices=["A1"])
    assert answer.status_code == 303
    with web.engine.connect() as conn:
        moved = conn.execute(select(t.invoices.c.number, t.allocations.c.amount).join(
            t.invoices, t.invoices.c.id == t.allocations.c.invoice_id).where(
            t.allocations.c.payment_id == payment_id)).all()
    assert moved == [("A1", D("500.00"))]
    assert audited(web, "payment.allocate")[0].target == "ALPHA"


def test_a_call_cannot_open_a_dispute_on_another_client_s_invoice(web, ledger):
    browser = web.client("collector")
    answer = post(web, browser, ledger["ALPHA"], "appel", outcome="dispute", note="contesté",
                  invoices=["A2", "B2"])
    assert answer.status_code == 400 and "Facture « B2 » inconnue pour ce client" in answer.text
    with web.engine.connect() as conn:
        assert conn.execute(select(t.disputes.c.id)).first() is None
    assert kinds_of_events(web, ledger["ALPHA"]) == kinds_of_events(web, ledger["BOIS"]) == []
    ok = post(web, browser, ledger["ALPHA"], "appel", outcome="dispute", note="contesté",
              invoices=[" A2 "])
    assert ok.status_code == 303
    assert audited(web, "call.log")[0].detail["invoices"] == ["A2"]


@pytest.mark.parametrize("amount", ["1" * 40, "1e30", "1e20", "10 000 000 000 000,00"])
def test_an_absurd_amount_is_refused_in_french(web, ledger, amount):
    answer = post(web, web.client("collector"), ledger["ALPHA"], "reglement", amount=amount,
                  reference="ABSURDE")
    assert answer.status_code == 400 and "pas un montant" in answer.text
    with web.engine.connect() as conn:
        assert conn.execute(select(t.payments.c.id).where(
            t.payments.c.reference == "ABSURDE")).first() is None


@pytest.mark.parametrize("payment_id", ["²", "1²", "9" * 30, str(2**64), str(2**31), "-1",
                                        "0"])
def test_an_odd_payment_number_is_an_unknown_payment(web, ledger, payment_id):
    answer = post(web, web.client("collector"), ledger["ALPHA"], "lettrage",
                  payment_id=payment_id)
    assert answer.status_code == 400 and "Règlement inconnu pour ce client" in answer.text


def test_odd_numbers_in_urls_give_a_page_never_a_crash(web, ledger):
    browser = web.client("collector")
    for path in (f"/c/ACME/clients/{2**64}", f"/c/ACME/factures/{2**63}", "/c/ACME/clients/0",
                 f"/c/ACME/factures/{2**31}",
                 f"/c/ACME/relances/job/{2**64}", f"/c/ACME/relances/job/{2**64}.json"):
        answer = browser.get(path)
        assert answer.status_code in (404, 422), path
        assert "Traceback" not in answer.text
    assert browser.get(f"/c/ACME/clients/{2**31 - 1}").status_code == 404
    assert browser.get(f"/c/ACME/clients/{2**31}").status_code == 422
    token = web.csrf(browser, "/c/ACME/a-faire")
    refused = browser.post(f"/c/ACME/a-faire/{2**64}/valider", data={"csrf_token": token})
    assert refused.status_code == 422
    for number in ("²", "³", "9" * 5000, "-3"):
        for page in ("clients", "factures"):
            answer = browser.get(f"/c/ACME/{page}", params={"page": number})
            assert answer.status_code == 200, (page, number)


def test_a_collector_must_serve_the_company(web, ledger):
    answer = post(web, web.client("admin"), ledger["ALPHA"], "charge", collector="beta")
    assert answer.status_code == 400 and "ne travaille pas pour cette société" in answer.text
    with web.engine.connect() as conn:
        assert conn.execute(select(t.clients.c.collector).where(
            t.clients.c.id == ledger["ALPHA"])).scalar_one() == ""


# --- rights and companies apart ------------------------------------------------------------------


def post_routes() -> list[str]:
    return [route.path for module in (pages_clients, pages_dashboard)
            for route in module.router.routes
            if isinstance(route, APIRoute) and "POST" in route.methods]


def test_readonly_sees_no_form_and_every_post_is_refused(web, ledger):
    browser = web.client("readonly")
    page = browser.get(f"/c/ACME/clients/{ledger['ALPHA']}").text
    assert "Enregistrer un appel" not in page
    assert 'method="post" action="/c/ACME/clients' not in page
    assert "Recalculer" not in browser.get("/c/ACME/").text
    token = csrf_of(page)
    routes = post_routes()
    assert len(routes) == 12
    for path in routes:
        url = path.replace("{creditor_ref}", "ACME").replace("{client_id}",
                                                             str(ledger["ALPHA"]))
        answer = browser.post(url, data={"csrf_token": token, "outcome": "no-answer"})
        assert answer.status_code == 403, path
    assert kinds_of_events(web, ledger["ALPHA"]) == []
    with web.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.dashboard_snapshots)
                            ).scalar_one() == 0


def test_another_company_s_client_and_invoice_are_not_found(web, ledger):
    browser = web.client("collector")
    other = ledger["OTHER"]
    assert browser.get(f"/c/ACME/clients/{other}").status_code == 404
    assert browser.get(f"/c/ACME/factures/{invoice_id(web, 'X1')}").status_code == 404
    answer = post(web, browser, ledger["ALPHA"], "appel", outcome="no-answer")  # a token
    token = web.csrf(browser, "/c/ACME/clients")
    answer = browser.post(f"/c/ACME/clients/{other}/appel",
                          data={"csrf_token": token, "outcome": "no-answer"})
    assert answer.status_code == 404
    assert kinds_of_events(web, other) == []
    # BETA's collector sees their own client, not ACME's.
    beta = web.client("beta")
    assert beta.get(f"/c/BETA/clients/{other}").status_code == 200
    assert beta.get(f"/c/BETA/clients/{ledger['ALPHA']}").status_code == 404


# --- invoices ---------------------------------------------------------------------------------------


def test_the_invoices_list_filters_and_searches(web, ledger):
    browser = web.client("readonly")
    body = browser.get("/c/ACME/factures").text.split("<tbody>")[1]
    assert [n for n in ("A1", "A2", "B1", "B2", "G1", "X1") if f">{n}<" in body] == \
        ["A1", "A2", "B1", "B2"]
    overdue = browser.get("/c/ACME/factures?statut=overdue").text.split("<tbody>")[1]
    assert ">B1<" not in overdue and ">A1<" in overdue
    every = browser.get("/c/ACME/factures?statut=all").text.split("<tbody>")[1]
    assert ">G1<" in every and "soldée" in every
    by_client = browser.get("/c/ACME/factures?client=BOIS").text.split("<tbody>")[1]
    assert ">B1<" in by_client and ">A1<" not in by_client
    by_number = browser.get("/c/ACME/factures?q=a2").text.split("<tbody>")[1]
    assert ">A2<" in by_number and ">A1<" not in by_number


def test_the_invoice_page_shows_the_penalty_breakdown_and_the_waiver(web, ledger, relance):
    import json

    found = json.loads(relance("penalties", "A1", "--at", WEB_DAY, "--json",
                               "--creditor", "ACME").stdout)
    browser = web.client("readonly")
    path = f"/c/ACME/factures/{invoice_id(web, 'A1')}"
    html = browser.get(path).text
    assert "Pénalités de retard" in html and money("40.00") in html
    assert money(found["interest"]) in html and money(found["total"]) in html
    assert "01/04/2026" in html            # the first period starts the day after due
    assert "Règlement" in html and money("200.00") in html
    post(web, web.client("collector"), ledger["ALPHA"], "abandon", invoice="A1",
         reason="geste commercial")
    waived = browser.get(path).text
    assert "Pénalités abandonnées" in waived and "Abandon de pénalités" in waived


# --- imports ----------------------------------------------------------------------------------


def test_a_saved_column_mapping_is_listed_and_used_for_its_own_company_only(web, ledger):
    from relance.services.mappings import save_mapping

    with web.engine.connect() as conn:
        acme = conn.execute(select(t.creditors.c.id).where(t.creditors.c.ref == "ACME")
                            ).scalar_one()
    save_mapping(web.engine, acme, "export-acme", "clients", {"client_ref": "Code"})
    assert "export-acme" in web.client("collector").get("/c/ACME/imports").text
    beta = web.client("beta")
    assert "export-acme" not in beta.get("/c/BETA/imports").text
    token = web.csrf(beta, "/c/BETA/imports")
    answer = beta.post("/c/BETA/imports",
                       data={"csrf_token": token, "kind": "clients",
                             "correspondance": "export-acme"},
                       files={"fichier": ("c.csv", b"Code,name\nZ1,Zeta SA\n", "text/csv")})
    assert answer.status_code == 400
    assert "Correspondance de colonnes « export-acme » inconnue." in answer.text
    with web.engine.connect() as conn:
        assert conn.execute(select(t.clients.c.id).where(t.clients.c.ref == "Z1")).first() is None
