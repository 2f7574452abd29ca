"""Dashboard figures on a small ledger written straight into the tables: totals, aged buckets,
top late clients, the day's actions, money promised this week, and the stored snapshot."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import insert, select

from relance.adapters import tables as t
from relance.services.dashboard import (
    ClientFilters,
    client_invoice_rows,
    client_page,
    dashboard_figures,
    refresh_snapshot,
)

AT = date(2026, 6, 30)


@pytest.fixture
def conn(engine):
    with engine.begin() as connection:
        yield connection


@pytest.fixture
def ledger(conn) -> dict[str, int]:
    """LATE owes L1 (1 000 €, 400 € paid on 01/06, due 31/01: 150 days late) and L2 (200 €,
    due 20/06: 10 days late); SOON owes S1 (600 €, due 15/07: not due) and S2 (300 €, 45 days
    late), of which 100 € paid after AT (still open at AT)."""
    creditor = conn.execute(insert(t.creditors).values(ref="ACME", legal_name="ACME SAS")
                            .returning(t.creditors.c.id)).scalar_one()
    ids = {"creditor": creditor}
    for ref, name in (("LATE", "Lent SARL"), ("SOON", "Bientôt SAS")):
        ids[ref] = conn.execute(insert(t.clients).values(
            creditor_id=creditor, ref=ref, name=name, flags=[]).returning(t.clients.c.id)
        ).scalar_one()
    invoices = {}
    for number, client, issued, due, amount in (
            ("L1", "LATE", date(2026, 1, 1), date(2026, 1, 31), "1000.00"),
            ("L2", "LATE", date(2026, 5, 21), date(2026, 6, 20), "200.00"),
            ("S1", "SOON", date(2026, 6, 15), date(2026, 7, 15), "600.00"),
            ("S2", "SOON", date(2026, 4, 16), date(2026, 5, 16), "300.00")):
        invoices[number] = conn.execute(insert(t.invoices).values(
            creditor_id=creditor, client_id=ids[client], number=number, issue_date=issued,
            due_date=due, amount=D(amount)).returning(t.invoices.c.id)).scalar_one()
    for client, on, amount, number in (("LATE", date(2026, 6, 1), "400.00", "L1"),
                                       ("SOON", date(2026, 7, 2), "100.00", "S2")):
        payment = conn.execute(insert(t.payments).values(
            creditor_id=creditor, client_id=ids[client], date=on, amount=D(amount))
            .returning(t.payments.c.id)).scalar_one()
        conn.execute(insert(t.allocations).values(invoice_id=invoices[number],
                                                  payment_id=payment, amount=D(amount)))
    return ids


def test_figures_on_a_small_ledger(conn, ledger):
    f = dashboard_figures(conn, ledger["creditor"], AT)
    assert f["stored"] is False and f["computed_at"] is None
    assert (f["total"], f["overdue"], f["not_due"]) == ("1700.00", "1100.00", "600.00")
    assert {b["key"]: b["amount"] for b in f["buckets"]} == {
        "not_due": "600.00", "1-30": "200.00", "31-60": "300.00", "61-90": "0.00",
        "90+": "600.00"}
    assert f["buckets"][0]["label"] == "Non échu"
    assert [(c["ref"], c["overdue"], c["days_late"]) for c in f["top_late"]] == [
        ("LATE", "800.00", 150), ("SOON", "300.00", 45)]
    assert f["open_invoices"] == 4 and f["clients_overdue"] == 2
    assert f["dso"]["receivables"] == "1700.00" and f["dso"]["simple"] is not None
    assert len(f["dso_trend"]) == 12 and f["dso_trend"][-1]["month_end"] == "2026-06-30"
    assert f["actions"] == [] and f["promised"]["total"] == "0.00"


def test_actions_of_the_day_and_money_promised_this_week(conn, ledger):
    creditor, late, soon = ledger["creditor"], ledger["LATE"], ledger["SOON"]
    outbox = {"creditor_id": creditor, "client_id": late, "step_key": "s", "tone": "firm",
              "template": "x", "data": {}}
    conn.execute(insert(t.outbox), [
        {**outbox, "key": "1", "run_date": AT, "channel": "email", "status": "pending"},
        {**outbox, "key": "2", "run_date": AT, "channel": "registered_letter",
         "status": "awaiting_approval"},
        {**outbox, "key": "3", "run_date": date(2026, 6, 29), "channel": "email",
         "status": "sent"}])
    conn.execute(insert(t.calls).values(creditor_id=creditor, client_id=soon, key="c",
                                        run_date=AT, step_key="s", tone="firm",
                                        priority=D("1.00"), data={}))
    conn.execute(insert(t.events).values(creditor_id=creditor, client_id=late,
                                         kind="escalation_proposed", occurred_on=AT, data={}))
    conn.execute(insert(t.promises), [
        {"client_id": late, "made_on": AT, "pay_by": date(2026, 7, 6), "amount": D("250.00"),
         "status": "open"},
        {"client_id": late, "made_on": AT, "pay_by": date(2026, 7, 7), "amount": D("99.00"),
         "status": "open"},
        {"client_id": soon, "made_on": AT, "pay_by": AT, "amount": D("50.00"),
         "status": "kept"}])
    conn.execute(insert(t.payment_plans).values(
        client_id=soon, agreed_on=AT, total=D("300.00"), installments=[
            {"date": "2026-07-01", "amount": "150.00"}, {"date": "2026-08-01",
                                                         "amount": "150.00"}]))
    f = dashboard_figures(conn, creditor, AT)
    assert {a["kind"]: a["count"] for a in f["actions"]} == {
        "to_approve": 1, "email": 1, "registered_letter": 1, "call": 1, "escalation": 1}
    assert f["actions"][0]["label"] == "Messages à valider"
    promised = f["promised"]
    assert (promised["from"], promised["to"], promised["total"]) == (
        "2026-06-30", "2026-07-06", "400.00")
    assert [(i["kind"], i["date"], i["ref"], i["amount"]) for i in promised["items"]] == [
        ("installment", "2026-07-01", "SOON", "150.00"),
        ("promise", "2026-07-06", "LATE", "250.00")]


def test_the_snapshot_is_stored_and_read_back_until_recomputed(conn, ledger):
    creditor = ledger["creditor"]
    stored = refresh_snapshot(conn, creditor, AT)
    row = conn.execute(select(t.dashboard_snapshots)).one()
    assert row.as_of == AT and row.data["total"] == "1700.00"
    assert isinstance(row.data["top_late"][0]["overdue"], str)       # JSON: amounts as text
    again = dashboard_figures(conn, creditor, AT)
    assert again["stored"] is True and again["computed_at"] is not None
    assert {k: v for k, v in again.items() if k not in ("computed_at",)} == \
        {k: v for k, v in stored.items() if k not in ("computed_at",)}
    # A payment after the snapshot: the stored figures stay until recomputed.
    payment = conn.execute(insert(t.payments).values(
        creditor_id=creditor, client_id=ledger["SOON"], date=AT, amount=D("600.00"))
        .returning(t.payments.c.id)).scalar_one()
    s1 = conn.execute(select(t.invoices.c.id).where(t.invoices.c.number == "S1")).scalar_one()
    conn.execute(insert(t.allocations).values(invoice_id=s1, payment_id=payment,
                                              amount=D("600.00")))
    assert dashboard_figures(conn, creditor, AT)["total"] == "1700.00"
    assert refresh_snapshot(conn, creditor, AT)["total"] == "1100.00"
    assert len(conn.execute(select(t.dashboard_snapshots)).all()) == 1
    # Another date has no snapshot: computed live.
    assert dashboard_figures(conn, creditor, date(2026, 7, 1))["stored"] is False


def test_one_client_s_rows_and_a_page_of_balances(conn, ledger):
    rows = client_invoice_rows(conn, ledger["creditor"], ledger["SOON"], AT)
    assert [(r.number, r.open_amount) for r in rows] == [("S2", D("300.00")),
                                                         ("S1", D("600.00"))]
    later = client_invoice_rows(conn, ledger["creditor"], ledger["SOON"], date(2026, 7, 2))
    assert [(r.number, r.open_amount) for r in later] == [("S2", D("200.00")),
                                                          ("S1", D("600.00"))]
    found = client_page(conn, ledger["creditor"], AT, ClientFilters(overdue=True))
    assert [(r["ref"], r["open"], r["overdue"]) for r in found.rows] == [
        ("SOON", D("900.00"), D("300.00")), ("LATE", D("800.00"), D("800.00"))]
    assert found.has_next is False
    first = client_page(conn, ledger["creditor"], AT, ClientFilters(), size=1)
    assert [r["ref"] for r in first.rows] == ["SOON"] and first.has_next
