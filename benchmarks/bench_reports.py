"""Reports benchmark: the aged balance and the DSO on 100,000 clients and 1,000,000 invoices.

    python benchmarks/bench_reports.py [--clients 100000] [--invoices 1000000] [--db both]
                                       [--postgres-url URL] [--at D …] [--repeat 3]

Imports the generated portfolio (clients, invoices, payments), then times `aging` and `dso`
(with its 12 month-ends), best of `--repeat`, on SQLite and PostgreSQL, at the end of the
portfolio's calendar (every payment dated on or before) and in its middle (the payments dated
later must be taken back). The PostgreSQL database is emptied first: it defaults to `bench`
(create it with `psql -U postgres -h 127.0.0.1 -c 'create database bench'`), never the `test`
database. Targets (issue 7): under 2 s each on PostgreSQL, under 4 s on SQLite. The load
average printed with each figure tells whether other work shared the machine.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bench_import import fresh_engine, on_each_database, portfolio_parser

from relance.services.importing import import_file
from relance.services.reports import aging, dso

TARGETS = {"sqlite": 4.0, "postgresql": 2.0}


def best_of(engine: Any, repeat: int, work: Callable[[Any], Any]) -> tuple[float, Any]:
    """The shortest of `repeat` runs, each on a fresh connection, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        with engine.connect() as conn:
            started = time.perf_counter()
            result = work(conn)
            best = min(best, time.perf_counter() - started)
    return best, result


def bench(url: str, files: dict[str, Path], dates: list[date], repeat: int) -> None:
    """Load the portfolio into `url`, then time both reports at each date."""
    engine = fresh_engine(url)
    name = engine.dialect.name
    print(f"--- {name}")
    started = time.perf_counter()
    for kind in ("clients", "invoices", "payments"):
        import_file(engine, kind, files[kind])
    print(f"  loaded in {time.perf_counter() - started:.1f} s")
    for at in dates:
        report(engine, TARGETS.get(name, 4.0), at, repeat)
    engine.dispose()


def report(engine: Any, target: float, at: date, repeat: int) -> None:
    """Time `aging` and `dso` at `at` and print them with what they found."""
    elapsed, a = best_of(engine, repeat, lambda conn: aging(conn, 1, at))
    print(f"  aging at {at}: {elapsed:.2f} s (target < {target:.0f} s"
          f"{'' if elapsed < target else ', MISSED'}; load {_load()}) — "
          f"{a.open_invoices:,} open invoices, "
          f"{len(a.clients):,} clients, total {a.total:,.2f}, unallocated credit "
          f"{a.unallocated_credit:,.2f}")
    print("    buckets: " + ", ".join(f"{k} {v:,.2f}" for k, v in a.buckets.items()))
    elapsed, d = best_of(engine, repeat, lambda conn: dso(conn, 1, at))
    print(f"  dso at {at} (+ 12 month-ends): {elapsed:.2f} s (target < {target:.0f} s"
          f"{'' if elapsed < target else ', MISSED'}; load {_load()}) — simple "
          f"{d.dso_simple} d, countback {d.dso_countback} d, receivables {d.receivables:,.2f}")
    if d.receivables != a.total:
        print(f"  MISMATCH: dso receivables {d.receivables} != aging total {a.total}")


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def main() -> None:
    """Generate the portfolio once, then benchmark each database."""
    parser = portfolio_parser(__doc__)
    parser.add_argument("--at", type=date.fromisoformat, action="append",
                        help="report date (repeatable; default 2026-06-30 and 2025-09-30)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    dates = args.at or [date(2026, 6, 30), date(2025, 9, 30)]
    on_each_database(args, lambda url, files: bench(url, files, dates, args.repeat))


if __name__ == "__main__":
    main()
