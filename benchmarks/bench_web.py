"""Web pages benchmark: the dashboard and client pages over a 1,000,000-invoice portfolio.

    python benchmarks/bench_web.py [--clients 100000] [--invoices 1000000] [--repeat 50]
                                   [--sample 25] [--reuse] [--run] [--postgres-url URL]

Loads the generated portfolio (clients, invoices, payments) into PostgreSQL database `bench`
(emptied first; never the `test` database; `--reuse` keeps what an earlier invocation loaded),
stores what the daily run stores for the pages as of the portfolio's last day (the dashboard
snapshot and the client scores; `--run` runs the daily run of that day instead), creates the
user `bench`, then serves the application with `relance serve` in its own process, signs in
over HTTP and times, client side, `--repeat` loads of the dashboard and `--repeat` loads of
client pages spread over `--sample` clients drawn at random (plus the client with the most
invoices), and the clients and invoices lists.
Prints p50/p95/max per page. Target (issue 8): p95 < 300 ms per page on this machine.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).parent))

from bench_import import fresh_engine, on_each_database, portfolio_parser

from relance.adapters import tables as t
from relance.adapters.database import make_engine
from relance.demo.portfolio import PortfolioSpec
from relance.services.importing import import_file

TARGET_MS = 300.0
USER, PASSWORD = "bench", "banc-d-essai-2026"
AT = PortfolioSpec().end   # the portfolio's last day: the working date of the served app


def load(url: str, files: dict[str, Path]) -> Any:
    """A fresh database at `url` holding the portfolio."""
    engine = fresh_engine(url)
    started = time.perf_counter()
    for kind in ("clients", "invoices", "payments"):
        import_file(engine, kind, files[kind])
    print(f"  loaded in {time.perf_counter() - started:.1f} s")
    return engine


def prepare(engine: Any, daily_run: bool) -> int:
    """Store what the daily run stores for the pages (the day's dashboard, the client
    scores), or run the day; create the user; the creditor's id."""
    from relance.services import dashboard, risk
    from relance.services.users import add_user, set_password, set_role

    with engine.begin() as conn:
        creditor_id = conn.execute(select(t.creditors.c.id).order_by(t.creditors.c.id)
                                   ).scalar_one()
        invoices = conn.execute(select(func.count()).select_from(t.invoices)).scalar_one()
        print(f"  {invoices:,} invoices in the database")
    started = time.perf_counter()
    if daily_run:
        from relance.services.run import last_run_date, run

        with engine.connect() as conn:
            done = last_run_date(conn)
        if done is None or done < AT:
            run(engine, AT)
        print(f"  daily run of {AT}: {time.perf_counter() - started:.1f} s")
    with engine.begin() as conn:  # what the daily run stores for the pages, if not done
        if risk.scores_refreshed_on(conn, creditor_id) != AT:
            started = time.perf_counter()
            risk.refresh_scores(conn, creditor_id, AT)
            print(f"  client scores of {AT}: {time.perf_counter() - started:.1f} s")
        stored = conn.execute(select(t.dashboard_snapshots.c.as_of).where(
            t.dashboard_snapshots.c.creditor_id == creditor_id,
            t.dashboard_snapshots.c.as_of == AT)).first()
        if stored is None:
            started = time.perf_counter()
            dashboard.refresh_snapshot(conn, creditor_id, AT)
            print(f"  dashboard snapshot of {AT}: {time.perf_counter() - started:.1f} s")
        user = conn.execute(select(t.users.c.id).where(t.users.c.username == USER)).first()
        if user is None:
            add_user(conn, USER, PASSWORD, "admin", full_name="Banc d'essai",
                     creditor_ids=[creditor_id])
        else:
            set_password(conn, user.id, PASSWORD)
            set_role(conn, user.id, "admin")
    return int(creditor_id)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(url: str) -> Iterator[str]:
    """`relance serve` on the database, in its own process, pinned to the portfolio's last
    day; yields its base URL."""
    relance = shutil.which("relance", path=str(Path(sys.executable).parent)) or "relance"
    port = free_port()
    process = subprocess.Popen([relance, "--db", url, "serve", "--port", str(port),
                                "--date", AT.isoformat()],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/connexion", timeout=2)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"relance serve did not start: "
                                     f"{process.stderr.read() if process.stderr else ''}") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(10)


def sign_in(base: str) -> httpx.Client:
    """A client holding a session of the benchmark user."""
    client = httpx.Client(base_url=base, timeout=60)
    form = client.get("/connexion").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token, "no CSRF token on the sign-in page"
    answer = client.post("/connexion", data={"identifiant": USER, "mot_de_passe": PASSWORD,
                                             "csrf_token": token[1], "suite": "/"})
    if answer.status_code != 303:
        raise SystemExit(f"sign-in failed: {answer.status_code}")
    return client


def timed(client: httpx.Client, path: str) -> float:
    """One load of a page, in milliseconds (it must answer 200)."""
    started = time.perf_counter()
    answer = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status_code != 200:
        raise SystemExit(f"GET {path} -> {answer.status_code}: {answer.text[:300]}")
    return elapsed


def sample_clients(engine: Any, creditor_id: int, size: int) -> list[int]:
    """`size` clients drawn at random (fixed seed), then the one with the most invoices."""
    with engine.connect() as conn:
        ids = list(conn.execute(select(t.clients.c.id).where(
            t.clients.c.creditor_id == creditor_id).order_by(t.clients.c.id)).scalars())
        biggest = conn.execute(select(t.invoices.c.client_id).where(
            t.invoices.c.creditor_id == creditor_id).group_by(t.invoices.c.client_id)
            .order_by(func.count().desc()).limit(1)).scalar_one()
    chosen = random.Random(8).sample(ids, min(size, len(ids)))
    return [*chosen, int(biggest)]


def report(name: str, times: list[float], first: float) -> bool:
    """Print p50/p95/max of a page; whether it meets the target."""
    ordered = sorted(times)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    ok = p95 < TARGET_MS
    print(f"  {name:<28} n={len(times):>3}  p50 {statistics.median(ordered):7.1f} ms  "
          f"p95 {p95:7.1f} ms  max {ordered[-1]:7.1f} ms  (first {first:7.1f} ms; target p95 < "
          f"{TARGET_MS:.0f} ms{'' if ok else ', MISSED'}; load {os.getloadavg()[0]:.1f})")
    return ok


def measure(url: str, engine: Any, creditor_id: int, repeat: int, sample: int) -> None:
    """Serve the database and time each page."""
    clients = sample_clients(engine, creditor_id, sample)
    with engine.connect() as conn:
        ref = conn.execute(select(t.creditors.c.ref).where(
            t.creditors.c.id == creditor_id)).scalar_one()
    base_path = f"/c/{ref}"
    with served(url) as base:
        client = sign_in(base)
        pages = {"dashboard": [f"{base_path}/"] * repeat,
                 "client page": [f"{base_path}/clients/{clients[i % len(clients)]}"
                                 for i in range(repeat)],
                 "client page (biggest)": [f"{base_path}/clients/{clients[-1]}"] * 5,
                 "clients list": [f"{base_path}/clients"] * 10,
                 "clients list, overdue": [f"{base_path}/clients?retard=1"] * 10,
                 "invoices list": [f"{base_path}/factures"] * 10}
        print(f"--- pages at {AT} ({len(clients) - 1} sampled clients + the biggest)")
        for name, paths in pages.items():
            first = timed(client, paths[0])
            report(name, [timed(client, path) for path in paths], first)
        client.close()


def bench(url: str, files: dict[str, Path] | None, repeat: int, sample: int,
          daily_run: bool) -> None:
    """Load (unless reusing) and prepare the database, then time the pages."""
    if files is None and make_url(url).database == "test":
        raise SystemExit("Refusing to benchmark on the `test` database.")
    print(f"--- {make_url(url).get_backend_name()}")
    engine = load(url, files) if files is not None else make_engine(url)
    creditor_id = prepare(engine, daily_run)
    measure(url, engine, creditor_id, repeat, sample)
    engine.dispose()


def main() -> None:
    """Parse arguments, load the portfolio unless --reuse, then benchmark the pages."""
    parser = portfolio_parser(__doc__)
    parser.set_defaults(db="postgres")
    parser.add_argument("--repeat", type=int, default=50, help="loads of each main page")
    parser.add_argument("--sample", type=int, default=25, help="distinct client pages")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse the portfolio already loaded in the database")
    parser.add_argument("--run", action="store_true",
                        help="run the daily run of the last day (else: store the dashboard)")
    args = parser.parse_args()
    if args.reuse:
        if args.db != "postgres":
            raise SystemExit("--reuse needs the PostgreSQL database (--db postgres).")
        bench(args.postgres_url, None, args.repeat, args.sample, args.run)
        return
    on_each_database(args, lambda url, files: bench(url, files, args.repeat, args.sample,
                                                    args.run))


if __name__ == "__main__":
    main()
