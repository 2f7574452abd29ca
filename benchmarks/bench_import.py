"""Import benchmark: generate a large portfolio as CSV, import it, print rows per second.

    python benchmarks/bench_import.py --invoices 1000000 --clients 100000 --db both

Target (issue 2): at least 50,000 invoice rows/s on SQLite on a 2-core machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import MetaData, insert, text
from sqlalchemy.engine import make_url

from relance.adapters import tables as t
from relance.adapters.database import make_engine, migrate
from relance.demo.portfolio import Portfolio, PortfolioSpec
from relance.services.demo import DEMO_CREDITOR
from relance.services.importing import import_file

# Never the `test` database: every benchmark empties the database it is given.
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"


def fresh_engine(url: str):  # type: ignore[no-untyped-def]
    """A migrated, empty database at `url` (create `bench` with
    `psql -U postgres -h 127.0.0.1 -c 'create database bench'`)."""
    if url.startswith("postgresql") and make_url(url).database == "test":
        raise SystemExit("Refusing to benchmark on the `test` database (it would be emptied).")
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            reflected = MetaData()
            reflected.reflect(conn)
            for table in reversed(reflected.sorted_tables):
                conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}" CASCADE'))
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(insert(t.creditors).values(**DEMO_CREDITOR))
    return engine


def run(url: str, files: dict[str, Path]) -> None:
    """Import the three files into `url` and print the figures."""
    engine = fresh_engine(url)
    print(f"--- {engine.dialect.name}")
    for kind in ("clients", "invoices", "payments"):
        started = time.perf_counter()
        report = import_file(engine, kind, files[kind])
        elapsed = time.perf_counter() - started
        print(f"{kind:>9}: {report.rows:>9,} rows in {elapsed:7.1f} s = "
              f"{report.rows / elapsed:>9,.0f} rows/s")
    engine.dispose()


def portfolio_parser(description: str | None) -> argparse.ArgumentParser:
    """The options every portfolio benchmark takes: its size and the databases."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--postgres-url", default=POSTGRES)
    return parser


def on_each_database(args: argparse.Namespace,
                     bench: Callable[[str, dict[str, Path]], None]) -> None:
    """Generate the portfolio once as CSV, then run `bench(url, files)` on each database."""
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        files = Portfolio(PortfolioSpec(clients=args.clients, invoices=args.invoices)).write_csv(
            Path(folder))
        print(f"generated {args.invoices:,} invoices for {args.clients:,} clients in "
              f"{time.perf_counter() - started:.1f} s")
        if args.db in ("sqlite", "both"):
            bench(f"sqlite:///{Path(folder) / 'bench.db'}", files)
        if args.db in ("postgres", "both"):
            bench(args.postgres_url, files)


def main() -> None:
    """Parse arguments, generate the portfolio once, import it into each database."""
    on_each_database(portfolio_parser(__doc__).parse_args(), run)


if __name__ == "__main__":
    main()
