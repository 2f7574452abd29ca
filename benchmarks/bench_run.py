"""Daily-run benchmark: 100,000 clients with 1,000,000 open invoices.

    python benchmarks/bench_run.py [--clients 100000] [--invoices 1000000] [--db both]

Times, on SQLite and PostgreSQL: the bare scan (the same columns of the same open invoices
fetched into Python with one query), a dry run and a real run of the same date.
Targets (issue 4): a dry run in at most 20 s, and at most 5 times the bare scan.
"""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).parent))

from bench_import import fresh_engine, on_each_database, portfolio_parser

from relance.adapters import tables as t
from relance.services.importing import import_file
from relance.services.run import open_invoices_query, run

RUN_DATE = date(2026, 6, 30)  # the last day the shipped rate table covers


def bare_scan(engine) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    """Fetch the run's columns of every open invoice with one query."""
    with engine.connect() as conn:
        creditor = conn.execute(select(t.creditors.c.id)).scalar_one()
        query = open_invoices_query(creditor, RUN_DATE)
        started = time.perf_counter()
        rows = conn.execute(query).all()
        return len(rows), time.perf_counter() - started


def bench(url: str, files: dict[str, Path]) -> None:
    """Load the portfolio's invoices (all open) and time scan, dry run and run."""
    engine = fresh_engine(url)
    print(f"--- {engine.dialect.name}")
    started = time.perf_counter()
    import_file(engine, "clients", files["clients"])
    import_file(engine, "invoices", files["invoices"])
    print(f"  loaded in {time.perf_counter() - started:.1f} s")
    count, scan = bare_scan(engine)
    print(f"  bare scan: {count:,} open invoices in {scan:.2f} s")
    started = time.perf_counter()
    dry = run(engine, RUN_DATE, dry_run=True)
    dry_s = time.perf_counter() - started
    print(f"  dry run:   {dry_s:.2f} s = {dry_s / scan:.1f} x the scan "
          f"({len(dry.actions):,} actions, {len(dry.skipped):,} skipped, {dry.clients:,} "
          "clients)")
    started = time.perf_counter()
    real = run(engine, RUN_DATE)
    real_s = time.perf_counter() - started
    print(f"  real run:  {real_s:.2f} s ({len(real.actions):,} actions written)")
    started = time.perf_counter()
    again = run(engine, RUN_DATE)
    print(f"  same date again: {time.perf_counter() - started:.2f} s "
          f"({len(again.actions)} actions)")
    engine.dispose()


def main() -> None:
    """Generate once, then benchmark each database."""
    on_each_database(portfolio_parser(__doc__).parse_args(), bench)


if __name__ == "__main__":
    main()
