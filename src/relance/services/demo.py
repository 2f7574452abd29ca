"""The demo: a fresh SQLite ledger filled with a realistic portfolio through the real imports."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, insert

from relance.adapters import tables as t
from relance.adapters.database import make_engine, migrate
from relance.demo.portfolio import Portfolio, PortfolioSpec
from relance.domain.money import ZERO
from relance.services.importing import import_file
from relance.services.ledger import invoice_rows

DEMO_CREDITOR = {
    "ref": "DEMO",
    "legal_name": "Atelier Numérique du Rhône",
    "legal_form": "SAS",
    "share_capital": Decimal("20000.00"),
    "rcs_city": "Lyon",
    "siren": "732829320",
    "siret": "73282932000074",
    "vat_number": "FR44732829320",
    "address": "18 rue de la Charité",
    "postal_code": "69002",
    "city": "Lyon",
    "country": "FR",
    "iban": "FR7630006000011234567890189",
    "bic": "AGRIFRPP",
    "email": "recouvrement@atelier-numerique.example.fr",
    "phone": "04 72 00 00 00",
    "signatory_name": "Claire Fontaine",
    "signatory_title": "Présidente",
    "default_terms": "30 jours",
}

BUCKETS = (("non échu", None, 0), ("1 à 30 jours", 1, 30), ("31 à 60 jours", 31, 60),
           ("61 à 90 jours", 61, 90), ("plus de 90 jours", 91, None))


@dataclass
class DemoSummary:
    """What the demo built, as of its last calendar day."""

    path: Path
    spec: PortfolioSpec
    behaviours: dict[str, int]
    invoices: int = 0
    payments: int = 0
    open_amount: Decimal = ZERO
    overdue_amount: Decimal = ZERO
    buckets: dict[str, Decimal] = field(default_factory=dict)
    worst: list[tuple[str, str, Decimal, int]] = field(default_factory=list)


def build_demo(path: Path, spec: PortfolioSpec | None = None) -> tuple[Engine, DemoSummary]:
    """Create `path` afresh and fill it with the demo creditor and its portfolio."""
    spec = spec or PortfolioSpec()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(insert(t.creditors).values(**DEMO_CREDITOR))
    portfolio = Portfolio(spec)
    summary = DemoSummary(path, spec, portfolio.behaviour_counts())
    with tempfile.TemporaryDirectory() as folder:
        files = portfolio.write_csv(Path(folder))
        import_file(engine, "clients", files["clients"])
        summary.invoices = import_file(engine, "invoices", files["invoices"]).created
        summary.payments = import_file(engine, "payments", files["payments"]).created
    _summarise(engine, summary, spec.end)
    return engine, summary


def _summarise(engine: Engine, summary: DemoSummary, at: date) -> None:
    with engine.connect() as conn:
        rows = invoice_rows(conn, 1, at=at)
    summary.buckets = {label: ZERO for label, _, _ in BUCKETS}
    late: dict[str, list[Decimal | int | str]] = defaultdict(lambda: ["", ZERO, 0])
    for row in rows:
        days = (at - row.due_date).days
        summary.open_amount += row.open_amount
        for label, low, high in BUCKETS:
            if (low is None or days >= low) and (high is None or days <= high):
                summary.buckets[label] += row.open_amount
        if days > 0:
            summary.overdue_amount += row.open_amount
            entry = late[row.client_ref]
            entry[0] = row.client_name
            entry[1] = entry[1] + row.open_amount
            entry[2] = max(int(entry[2]), days)
    ranked = sorted(late.items(), key=lambda kv: kv[1][1], reverse=True)[:10]
    summary.worst = [(ref, str(v[0]), Decimal(v[1]), int(v[2])) for ref, v in ranked]
