"""The aged balance and the simple DSO on the public IBM accounts-receivable sample (2,466
invoices of 100 customers, 2012-2013), imported through `relance import`, against a hand
computation over the parsed CSV.

The sample is read from RELANCE_AR_SAMPLE or /work/shared/data/ar_ibm/ (its licence is unclear:
it is never copied into this repository); the test is skipped when it is absent.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from relance.entrypoints.cli import cli
from relance.entrypoints.cli_reports import register

if "report" not in cli.commands:
    register(cli)

AR_SAMPLE = Path(os.environ.get("RELANCE_AR_SAMPLE",
                                "/work/shared/data/ar_ibm/WA_Fn-UseC_-Accounts-Receivable.csv"))
DATES = (date(2012, 12, 31), date(2013, 6, 30))


@dataclass(frozen=True)
class Row:
    number: str
    client: str
    issued: date
    due: date
    amount: Decimal
    settled: date


def us_date(text: str) -> date:
    return datetime.strptime(text.strip(), "%m/%d/%Y").date()


def read_sample() -> list[Row]:
    with AR_SAMPLE.open(newline="", encoding="utf-8-sig") as handle:
        return [Row(r["invoiceNumber"].strip(), r["customerID"].strip(),
                    us_date(r["InvoiceDate"]), us_date(r["DueDate"]),
                    Decimal(r["InvoiceAmount"].strip()), us_date(r["SettledDate"]))
                for r in csv.DictReader(handle)]


@pytest.fixture(scope="module")
def sample() -> list[Row]:
    if not AR_SAMPLE.is_file():
        pytest.skip(f"IBM accounts-receivable sample absent ({AR_SAMPLE}); set "
                    "RELANCE_AR_SAMPLE to its path")
    return read_sample()


@pytest.fixture
def imported(relance, creditor, sample, tmp_path: Path) -> list[Row]:
    """The sample as Relance's import files (ISO dates), imported through the CLI: one payment
    per invoice, on its settled date, for its full amount, naming the invoice."""
    def write(name: str, header: list[str], rows: list[list[object]]) -> Path:
        path = tmp_path / name
        with path.open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(header)
            out.writerows(rows)
        return path

    clients = sorted({r.client for r in sample})
    files = {
        "clients": write("clients.csv", ["client_ref", "name"], [[c, c] for c in clients]),
        "invoices": write("invoices.csv",
                          ["number", "client_ref", "issue_date", "due_date", "amount"],
                          [[r.number, r.client, r.issued.isoformat(), r.due.isoformat(),
                            r.amount] for r in sample]),
        "payments": write("payments.csv", ["date", "client_ref", "amount", "invoice_number"],
                          [[r.settled.isoformat(), r.client, r.amount, r.number]
                           for r in sample]),
    }
    for kind in ("clients", "invoices", "payments"):
        relance("import", kind, str(files[kind]))
    return sample


def hand_aging(rows: list[Row], at: date) -> tuple[dict[str, Decimal], int,
                                                   dict[str, Decimal]]:
    """Buckets, number of open invoices and open amount per client, row by row."""
    buckets = {"not_due": Decimal(0), "1-30": Decimal(0), "31-60": Decimal(0),
               "61-90": Decimal(0), "90+": Decimal(0)}
    per_client: dict[str, Decimal] = {}
    count = 0
    for r in rows:
        if not (r.issued <= at < r.settled):
            continue
        late = (at - r.due).days
        if late <= 0:
            key = "not_due"
        elif late <= 30:
            key = "1-30"
        elif late <= 60:
            key = "31-60"
        elif late <= 90:
            key = "61-90"
        else:
            key = "90+"
        buckets[key] += r.amount
        per_client[r.client] = per_client.get(r.client, Decimal(0)) + r.amount
        count += 1
    return buckets, count, per_client


def money(value: Decimal) -> str:
    return f"{value:.2f}"


@pytest.mark.parametrize("at", DATES, ids=[d.isoformat() for d in DATES])
def test_aged_balance_and_simple_dso_match_a_hand_computation(relance, imported, at):
    buckets, count, per_client = hand_aging(imported, at)
    total = sum(buckets.values(), Decimal(0))
    assert count > 50   # a real test: many invoices open at each date

    aging = json.loads(relance("report", "aging", "--at", at.isoformat(), "--json").stdout)
    assert aging["buckets"] == {k: money(v) for k, v in buckets.items()}
    assert (aging["total"], aging["open_invoices"]) == (money(total), count)
    assert {c["ref"]: c["total"] for c in aging["clients"]} == {
        k: money(v) for k, v in per_client.items()}
    assert all(c["unallocated_credit"] == "0.00" for c in aging["clients"])

    since = at - timedelta(days=89)
    sales = sum((r.amount for r in imported if since <= r.issued <= at), Decimal(0))
    expected = (total / sales * 90).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    dso = json.loads(relance("report", "dso", "--at", at.isoformat(), "--json").stdout)
    assert (dso["receivables"], dso["sales_90_days"]) == (money(total), money(sales))
    assert dso["dso_simple"] == str(expected)
    assert dso["dso_countback"] is not None and len(dso["trend"]) == 12
