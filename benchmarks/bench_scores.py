"""Reliability-score benchmark: 100,000 clients, 1,000,000 invoices and their payments.

    python benchmarks/bench_scores.py [--clients 100000] [--invoices 1000000] [--db both]

Times, on SQLite and PostgreSQL: scoring every client at a date without storing (what a
report or a preview does), and the refresh the daily run does (automatic warning signs, the
scores stored, grade changes written to the history). The figures it prints go in the notes.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_import import fresh_engine, on_each_database, portfolio_parser

from relance.services.importing import import_file
from relance.services.risk import assess, refresh_scores

AT = date(2026, 6, 30)


def bench(url: str, files: dict[str, Path]) -> None:
    engine = fresh_engine(url)
    print(f"--- {engine.dialect.name}")
    started = time.perf_counter()
    for kind in ("clients", "invoices", "payments"):
        import_file(engine, kind, files[kind])
    print(f"  loaded in {time.perf_counter() - started:.1f} s")
    with engine.connect() as conn:
        started = time.perf_counter()
        grades = Counter(a.score.grade for a in assess(conn, 1, AT))
        elapsed = time.perf_counter() - started
    total = sum(grades.values())
    print(f"  score every client: {total:,} clients in {elapsed:.2f} s "
          f"({total / elapsed:,.0f} clients/s) — grades {dict(sorted(grades.items()))}")
    for label in ("refresh (first)", "refresh (again)"):
        with engine.begin() as conn:
            started = time.perf_counter()
            found = refresh_scores(conn, 1, AT)
            elapsed = time.perf_counter() - started
        print(f"  {label}: {len(found):,} scores stored in {elapsed:.2f} s")
    engine.dispose()


def main() -> None:
    """Generate once, then benchmark each database."""
    on_each_database(portfolio_parser(__doc__).parse_args(), bench)


if __name__ == "__main__":
    main()
