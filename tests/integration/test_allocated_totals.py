"""The allocated totals kept on invoices, credit notes and payments (migration 0007), and the
date each allocation takes effect (migration 0008), follow every way allocations are written:
the importer, a payment entered by hand, a re-allocation, a credit note, deletions that
cascade, direct updates, and a payment or credit note whose date is corrected; the reports
read them."""

from __future__ import annotations

import json
import threading
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, insert, select, update

from relance.adapters import tables as t
from relance.services import reports
from tests.integration.test_imports import write
from tests.integration.test_reports import ledger  # noqa: F401 (the known ledger fixture)


def totals(engine: Engine) -> tuple[dict[str, D], dict[int, D]]:
    """(allocated per invoice or credit note number, allocated per payment id), as stored,
    after checking that each equals the sum of its allocations."""
    a = t.allocations
    with engine.connect() as conn:
        by_invoice = dict(conn.execute(select(a.c.invoice_id, func.sum(a.c.amount))
                                       .group_by(a.c.invoice_id)).all())
        by_note = dict(conn.execute(select(a.c.credit_note_id, func.sum(a.c.amount))
                                    .where(a.c.credit_note_id.is_not(None))
                                    .group_by(a.c.credit_note_id)).all())
        by_payment = dict(conn.execute(select(a.c.payment_id, func.sum(a.c.amount))
                                       .where(a.c.payment_id.is_not(None))
                                       .group_by(a.c.payment_id)).all())
        invoices = conn.execute(select(t.invoices.c.id, t.invoices.c.number,
                                       t.invoices.c.allocated)).all()
        payments = conn.execute(select(t.payments.c.id, t.payments.c.allocated)).all()
    for row in invoices:
        expected = by_invoice.get(row.id, 0) + by_note.get(row.id, 0)
        assert row.allocated == expected, row
    for row in payments:
        expected = by_payment.get(row.id, 0)
        assert row.allocated == expected, row
    assert wrongly_dated(engine) == []
    return ({row.number: row.allocated for row in invoices},
            {row.id: row.allocated for row in payments})


def wrongly_dated(engine: Engine) -> list[tuple[int, date | None, date]]:
    """(allocation id, effective_on, its source's date) of every allocation whose effective
    date is not its payment's date or its credit note's issue date."""
    a, p, notes = t.allocations, t.payments, t.invoices
    source = func.coalesce(p.c.date, notes.c.issue_date)
    with engine.connect() as conn:
        rows = conn.execute(
            select(a.c.id, a.c.effective_on, source)
            .select_from(a.outerjoin(p, p.c.id == a.c.payment_id)
                         .outerjoin(notes, notes.c.id == a.c.credit_note_id))
            .where(a.c.effective_on.is_(None) | (a.c.effective_on != source))).all()
    return [tuple(row) for row in rows]


def test_every_writer_keeps_the_totals(relance, creditor, engine, tmp_path: Path):
    write(tmp_path / "clients.csv", "client_ref,name\nB,Beta SAS\nC,Gamma SA\n")
    write(tmp_path / "invoices.csv",
          "number,client_ref,issue_date,due_date,amount,type,applies_to\n"
          "F1,B,2026-01-10,2026-02-09,1200.00,invoice,\n"
          "F2,B,2026-02-01,2026-03-03,600.00,invoice,\n"
          "F3,B,2026-02-15,2026-04-16,900.00,invoice,\n"
          "AV1,B,2026-03-10,,100.00,avoir,F2\n"
          "G1,C,2026-01-05,2026-02-04,300.00,invoice,\n")
    write(tmp_path / "payments.csv",
          "date,client_ref,amount,invoice_number\n"
          "2026-02-20,B,500.00,F1\n"
          "2026-03-20,C,350.00,G1\n")
    for kind in ("clients", "invoices", "payments"):
        relance("import", kind, str(tmp_path / f"{kind}.csv"))
    invoices, payments = totals(engine)
    assert invoices == {"F1": D("500.00"), "F2": D("100.00"), "F3": D("0.00"),
                        "AV1": D("100.00"), "G1": D("300.00")}
    assert sorted(payments.values()) == [D("300.00"), D("500.00")]    # 50.00 of C's is credit

    # By hand, oldest first: 700 of F1 then 300 of F2.
    relance("payments", "add", "--client", "B", "--amount", "1000.00", "--date", "2026-04-01")
    invoices, payments = totals(engine)
    assert (invoices["F1"], invoices["F2"], invoices["F3"]) == (D("1200.00"), D("400.00"),
                                                                D("0.00"))
    manual = max(payments)
    assert payments[manual] == D("1000.00")

    # Re-allocated to F3 alone: F1 and F2 give back what they had of it.
    relance("allocate", str(manual), "--invoice", "F3")
    invoices, payments = totals(engine)
    assert (invoices["F1"], invoices["F2"], invoices["F3"]) == (D("500.00"), D("100.00"),
                                                                D("900.00"))
    assert payments[manual] == D("900.00")

    with engine.begin() as conn:
        # A changed allocation moves its amount from one invoice (and payment) to another.
        first = conn.execute(select(func.min(t.payments.c.id))).scalar_one()    # 500 on F1
        conn.execute(update(t.allocations).where(t.allocations.c.payment_id == first)
                     .values(amount=D("450.00")))
        # Deleting the credit note cascades to its allocation; deleting a payment to its own.
        conn.execute(delete(t.invoices).where(t.invoices.c.number == "AV1"))
        conn.execute(delete(t.payments).where(t.payments.c.id == manual))
    invoices, payments = totals(engine)
    assert (invoices["F1"], invoices["F2"], invoices["F3"]) == (D("450.00"), D("0.00"),
                                                                D("0.00"))
    assert payments[first] == D("450.00")
    assert manual not in payments and "AV1" not in invoices

    # Deleting a client cascades through its invoices, payments and allocations.
    with engine.begin() as conn:
        conn.execute(delete(t.clients).where(t.clients.c.ref == "C"))
    invoices, _ = totals(engine)
    assert "G1" not in invoices and invoices["F1"] == D("450.00")


def test_allocations_follow_their_source_date(relance, creditor, engine, tmp_path: Path):
    """An allocation takes effect on its payment's date or its credit note's issue date,
    whoever writes it, and follows a corrected date or a change of source; its date cannot be
    set apart from its source's."""
    write(tmp_path / "clients.csv", "client_ref,name\nB,Beta SAS\n")
    write(tmp_path / "invoices.csv",
          "number,client_ref,issue_date,due_date,amount,type,applies_to\n"
          "F1,B,2026-01-10,2026-02-09,1200.00,invoice,\n"
          "AV1,B,2026-03-10,,100.00,avoir,F1\n")
    write(tmp_path / "payments.csv",
          "date,client_ref,amount,invoice_number\n2026-02-20,B,500.00,F1\n")
    for kind in ("clients", "invoices", "payments"):
        relance("import", kind, str(tmp_path / f"{kind}.csv"))
    relance("payments", "add", "--client", "B", "--amount", "200.00", "--date", "2026-04-01")
    a, p = t.allocations, t.payments

    def dates() -> list[tuple[D, date]]:
        with engine.connect() as conn:
            return sorted(conn.execute(select(a.c.amount, a.c.effective_on)).all())

    assert dates() == [(D("100.00"), date(2026, 3, 10)), (D("200.00"), date(2026, 4, 1)),
                       (D("500.00"), date(2026, 2, 20))]
    with engine.begin() as conn:
        imported, manual = conn.execute(select(p.c.id).order_by(p.c.id)).scalars().all()
        f1 = conn.execute(select(t.invoices.c.id).where(t.invoices.c.number == "F1")).scalar_one()
        conn.execute(update(p).where(p.c.id == imported).values(date=date(2026, 2, 21)))
        conn.execute(update(t.invoices).where(t.invoices.c.number == "AV1")
                     .values(issue_date=date(2026, 3, 11), due_date=date(2026, 3, 11)))
    assert dates() == [(D("100.00"), date(2026, 3, 11)), (D("200.00"), date(2026, 4, 1)),
                       (D("500.00"), date(2026, 2, 21))]
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":    # the triggers end even when they may recurse
            conn.exec_driver_sql("PRAGMA recursive_triggers = ON")
        # The 200.00 moves to the imported payment; a date written by hand is not kept.
        conn.execute(update(a).where(a.c.payment_id == manual).values(payment_id=imported))
        conn.execute(update(a).where(a.c.credit_note_id.is_not(None))
                     .values(effective_on=date(2020, 1, 1)))
        conn.execute(insert(a).values(invoice_id=f1, payment_id=manual, amount=D("1.00")))
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA recursive_triggers = OFF")
    assert dates() == [(D("1.00"), date(2026, 4, 1)), (D("100.00"), date(2026, 3, 11)),
                       (D("200.00"), date(2026, 2, 21)), (D("500.00"), date(2026, 2, 21))]
    totals(engine)


def test_an_allocation_written_while_its_payment_is_redated_takes_the_new_date(
        relance, creditor, engine, tmp_path: Path):
    """A payment's date corrected in one transaction while another allocates that payment:
    the allocation, written before the correction is committed, still ends with the new date
    (the correction's own trigger cannot see it)."""
    write(tmp_path / "clients.csv", "client_ref,name\nB,Beta SAS\n")
    write(tmp_path / "invoices.csv", "number,client_ref,issue_date,due_date,amount\n"
          "F1,B,2026-01-10,2026-02-09,1200.00\n")
    write(tmp_path / "payments.csv", "date,client_ref,amount\n2026-02-20,B,500.00\n")
    for kind in ("clients", "invoices", "payments"):
        relance("import", kind, str(tmp_path / f"{kind}.csv"))
    a, p = t.allocations, t.payments
    with engine.connect() as conn:
        payment_id = conn.execute(select(p.c.id)).scalar_one()
        invoice_id = conn.execute(select(t.invoices.c.id)).scalar_one()
    failures: list[BaseException] = []

    def allocate() -> None:
        try:
            with engine.begin() as conn:
                conn.execute(insert(a).values(invoice_id=invoice_id, payment_id=payment_id,
                                              amount=D("100.00")))
        except BaseException as exc:    # reported by the test's thread below
            failures.append(exc)

    with engine.connect() as correction:
        correction.execute(update(p).where(p.c.id == payment_id).values(date=date(2026, 2, 27)))
        writer = threading.Thread(target=allocate)
        writer.start()
        writer.join(1.0)
        assert writer.is_alive()    # waiting for the correction
        correction.commit()
    writer.join(30)
    assert not writer.is_alive() and failures == []
    with engine.connect() as conn:
        assert conn.execute(select(a.c.effective_on)).scalars().all() == [date(2026, 2, 27)] * 2
    totals(engine)


@pytest.mark.parametrize("at", ["2026-02-28", "2026-03-20", "2026-03-31", "2026-04-04"])
def test_both_ways_of_reading_the_aged_balance_agree(relance, ledger, engine, monkeypatch,  # noqa: F811
                                                     at):
    """Near today the aged balance starts from the kept totals and takes back the later
    allocations; further back it sums the allocations effective by then. Forced each way on
    the known ledger (partial payments, credit notes, payments after the date, invoices issued
    after it, unallocated credit) at dates with payments after them, both give the same
    report. Another company holding the same ledger in the same database changes neither way's
    report, and gets the same figures."""
    ways = (("1", True), ("0", False))

    def aging(creditor: str) -> dict:
        return json.loads(relance("report", "aging", "--at", at, "--json", "--creditor",
                                  creditor).stdout)

    results = []
    for share, recent in ways:
        monkeypatch.setattr(reports, "RECENT_SHARE", D(share))
        with engine.connect() as conn:
            assert reports._is_recent(conn, 1, date.fromisoformat(at)) is recent
        results.append(aging("ACME"))
    assert results[0] == results[1]
    assert results[0]["at"] == at

    relance("creditors", "add", "BETA", "--name", "Beta SARL")
    for kind in ("clients", "invoices", "payments"):
        relance("import", kind, str(ledger / f"{kind}.csv"), "--creditor", "BETA")
    figures = ("total", "open_invoices", "buckets")
    for share, _ in ways:
        monkeypatch.setattr(reports, "RECENT_SHARE", D(share))
        assert aging("ACME") == results[0]
        beta = aging("BETA")
        assert [beta[k] for k in figures] == [results[0][k] for k in figures]
