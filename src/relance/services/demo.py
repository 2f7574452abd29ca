"""The demo: a fresh SQLite ledger filled with a realistic portfolio through the real imports."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Connection, Engine, insert, select

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

# The documented demo login (README and `relance demo` print it): an administrator of DEMO.
DEMO_USER = "demo"
DEMO_PASSWORD = "relance-demo-2026"

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
    runs: int = 0
    actions: int = 0
    sent: int = 0
    output: Path | None = None


def build_demo(path: Path, spec: PortfolioSpec | None = None, simulated_days: int = 0,
               output: Path | None = None) -> tuple[Engine, DemoSummary]:
    """Create `path` afresh and fill it with the demo creditor and its portfolio."""
    spec = spec or PortfolioSpec()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    with engine.begin() as conn:
        creditor_id = conn.execute(insert(t.creditors).values(**DEMO_CREDITOR)
                                   ).inserted_primary_key
        assert creditor_id is not None
        add_demo_user(conn, int(creditor_id[0]))
    portfolio = Portfolio(spec)
    summary = DemoSummary(path, spec, portfolio.behaviour_counts())
    with tempfile.TemporaryDirectory() as folder:
        files = portfolio.write_csv(Path(folder))
        import_file(engine, "clients", files["clients"])
        summary.invoices = import_file(engine, "invoices", files["invoices"]).created
        summary.payments = import_file(engine, "payments", files["payments"]).created
    simulate(engine, portfolio, summary, days=simulated_days)
    if simulated_days and output is not None:
        deliver(engine, summary, output, spec.end)
    _summarise(engine, summary, spec.end)
    return engine, summary


def add_demo_user(conn: Connection, creditor_id: int) -> int:
    """The documented demo login: `demo`, an administrator of the demo company."""
    from relance.services.users import add_user

    return add_user(conn, DEMO_USER, DEMO_PASSWORD, "admin", full_name="Utilisateur démo",
                    creditor_ids=[creditor_id])


def deliver(engine: Engine, summary: DemoSummary, output: Path, on: date) -> None:
    """Approve the demo's formal notices (a human does it in real life) and drain the outbox
    into `output`: .eml files, letter PDFs with the day's print batch, SMS texts."""
    import shutil
    from datetime import timedelta

    from relance.documents.email import FileTransport
    from relance.services.send import FileSms, approve, send

    shutil.rmtree(output, ignore_errors=True)
    with engine.begin() as conn:  # the last day's work stays in the outbox, to be seen
        waiting = list(conn.execute(select(t.outbox.c.id).where(
            t.outbox.c.status == "awaiting_approval", t.outbox.c.run_date < on)).scalars())
        if waiting:
            approve(conn, 1, waiting, on - timedelta(days=1))
        # Documents are produced for the last two weeks only (a minute of PDF work saved);
        # older messages of the simulation are marked "simulated", never shown as sent.
        conn.execute(t.outbox.update().where(
            t.outbox.c.status == "pending", t.outbox.c.run_date < on - timedelta(days=14))
            .values(status="simulated"))
    report = send(engine, transport=FileTransport(output / "emails"),
                  sms_transport=FileSms(output / "sms"), output=output,
                  on=on - timedelta(days=1))
    summary.sent = report.sent
    summary.output = output


def simulate(engine: Engine, portfolio: Portfolio, summary: DemoSummary, *, days: int) -> None:
    """Run the daily job over the last `days` days of the demo calendar, with the events a
    collector would record: disputes, a payment plan, insolvency, call outcomes."""
    from datetime import timedelta

    from relance.services.calls import record_call
    from relance.services.pauses import open_dispute, set_status
    from relance.services.proceedings import open_proceeding
    from relance.services.run import run

    if days <= 0:
        return
    end = portfolio.spec.end
    start = end - timedelta(days=days - 1)
    behaviour = {plan.ref: plan.behaviour for plan in portfolio._plans}
    with engine.begin() as conn:
        refs = dict(conn.execute(select(t.clients.c.ref, t.clients.c.id)).all())
        first_open = {r.client_ref: r for r in invoice_rows(conn, 1, at=start)}
        for ref, kind in behaviour.items():
            if ref not in refs:
                continue
            if kind == "insolvent":
                client = conn.execute(select(t.clients).where(t.clients.c.id == refs[ref])).one()
                consumer = client.kind == "b2c" and not client.siren
                open_proceeding(conn, 1, client,
                                kind="surendettement" if consumer else "redressement",
                                judgment_date=start,
                                published_on=None if consumer else start + timedelta(days=9),
                                court="Tribunal de commerce de Lyon",
                                administrator="Maître Claire Rousseau, mandataire judiciaire, "
                                              "12 quai Saint-Antoine, 69002 Lyon",
                                by="démo")
            elif kind == "difficulty":
                set_status(conn, 1, refs[ref], {"late_cause": "financial_difficulty"}, start,
                           "trésorerie tendue, signalée par le client")
            elif kind == "disputing" and ref in first_open:
                open_dispute(conn, 1, first_open[ref].number,
                             "prestation contestée : livrable incomplet", start)
    day = start
    while day <= end:
        report = run(engine, day, predict=day == end)  # one model fit, for the last day
        summary.runs += 1
        summary.actions += len(report.actions)
        if day == end:
            break  # the last day's calls stay open: `relance calls` shows them
        with engine.begin() as conn:
            for call in conn.execute(select(t.calls.c.client_id, t.clients.c.ref).join(
                    t.clients, t.clients.c.id == t.calls.c.client_id).where(
                    t.calls.c.run_date == day, t.calls.c.status == "open")).all():
                client = conn.execute(select(t.clients).where(
                    t.clients.c.id == call.client_id)).one()
                kind = behaviour.get(call.ref, "punctual")
                if kind in ("forgetful", "chronic_late"):
                    open_total = sum((r.open_amount for r in invoice_rows(
                        conn, 1, at=day, client_id=client.id, overdue=True)), ZERO)
                    record_call(conn, 1, client, "promise", day, amount=open_total,
                                promise_date=day + timedelta(days=7),
                                cause="forgetting" if kind == "forgetful" else
                                "internal_process", note="rappel courtois, date obtenue")
                elif kind == "difficulty":
                    record_call(conn, 1, client, "voicemail", day,
                                note="la comptable évoque des difficultés de trésorerie, "
                                     "on attend un virement de notre client")
                else:
                    record_call(conn, 1, client, "no-answer", day)
        day += timedelta(days=1)


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
