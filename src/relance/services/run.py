"""The daily run: stream open invoices by client, plan each client, write in batches.

Each batch of clients is one transaction holding everything those clients get (history
events, outbox messages, calls, invoice steps) and a marker per client for the run date, so a
crash leaves every client either fully processed or untouched, and running the same date
again writes nothing new. Outbox and call rows carry a unique key as a second guard.
"""

from __future__ import annotations

import fcntl
import os
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ARRAY,
    Connection,
    Engine,
    Integer,
    any_,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
)

from relance.adapters import tables as t
from relance.adapters.calendar_fr import french_holidays
from relance.adapters.crash import CrashHook
from relance.adapters.repository import (
    invoices_with_open_amount,
    open_amount_column,
    settled_subquery,
)
from relance.domain.errors import RelanceError
from relance.domain.money import ZERO
from relance.dunning.engine import Action, ClientState, Guard, InvoiceState, Skip, plan
from relance.dunning.scenario import UNRATED, Scenario, choose_scenario
from relance.i18n import format_money
from relance.law.halfyear import HalfYear
from relance.law.rates import RateTable

BATCH_CLIENTS = 2000  # clients per transaction; RELANCE_RUN_BATCH overrides it (tests)
PROMISE_GRACE_DAYS = 3
PLAN_GRACE_DAYS = 5
_ADVISORY_KEY = 4_242_001


class RunRefused(RelanceError):
    """The run cannot go ahead (date in the past, another run in progress)."""


@dataclass
class RunReport:
    """What a run did (or, dry, would do)."""

    run_date: date
    dry_run: bool
    actions: list[dict[str, Any]] = field(default_factory=list)
    skips: list[tuple[Skip, str, str]] = field(default_factory=list)  # skip, invoice, client
    clients: int = 0
    already_done: int = 0
    missing_rates: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    tick: Callable[[int], None] | None = field(default=None, repr=False, compare=False)

    @property
    def skipped(self) -> list[dict[str, Any]]:
        """Every open invoice without an action today, and why (built when asked)."""
        return [{"invoice": number, "client": client, "reason_code": skip.code,
                 "reason": skip.reason, "until": skip.until.isoformat() if skip.until else None}
                for skip, number, client in self.skips]

    def as_json(self) -> dict[str, Any]:
        """The contract of `relance run --json`."""
        return {"date": self.run_date.isoformat(), "dry_run": self.dry_run,
                "actions": self.actions, "skipped": self.skipped,
                "clients": self.clients, "already_done": self.already_done,
                "missing_rates": sorted(self.missing_rates), "warnings": self.warnings}


# --- locking and dates -----------------------------------------------------------------------


@contextmanager
def run_lock(engine: Engine) -> Iterator[None]:
    """One run at a time: a PostgreSQL advisory lock, or a file lock beside the SQLite file.

    Both are released by the system when the process dies, so a killed run never blocks the
    next one.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                               {"k": _ADVISORY_KEY}).scalar()
            if not got:
                raise RunRefused("Un autre « relance run » est en cours sur cette base : "
                                 "attendez qu'il se termine.")
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _ADVISORY_KEY})
                conn.commit()
        return
    database = engine.url.database
    path = Path(f"{database}.run-lock") if database and database != ":memory:" else None
    if path is None:
        yield
        return
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunRefused("Un autre « relance run » est en cours sur cette base : "
                             "attendez qu'il se termine.") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def check_date(conn: Connection, run_date: date, replay: bool) -> None:
    """Run dates only move forward (the same date again is a no-op or finishes a crash)."""
    last = conn.execute(select(func.max(t.runs.c.run_date))).scalar()
    if last is None or run_date >= last:
        return
    if replay:
        has_history = conn.execute(select(t.events.c.id).where(
            t.events.c.kind.in_(("reminder", "escalation_proposed", "payment_plan_offer")))
            .limit(1)).first()
        if has_history is None:
            return
        raise RunRefused("--replay n'est possible que sur un historique vide.")
    raise RunRefused(f"Le dernier run date du {last:%d/%m/%Y} : un run ne revient pas en "
                     f"arrière (date demandée : {run_date:%d/%m/%Y}).")


# --- crash points for tests --------------------------------------------------------------------


# --- the run -----------------------------------------------------------------------------------


def run(engine: Engine, run_date: date, *, dry_run: bool = False, replay: bool = False,
        creditor_ref: str | None = None, predict: bool = True,
        progress: Callable[[int, int, str], None] | None = None) -> RunReport:
    """The daily run for `run_date` over every creditor (or one); `predict` refreshes the
    predicted lateness of open invoices at the end (a real run only)."""
    report = RunReport(run_date, dry_run)
    crash = CrashHook("RELANCE_TEST_CRASH_AT", 86)
    with run_lock(engine):
        with engine.begin() as conn:
            check_date(conn, run_date, replay)
            if not dry_run:
                if conn.execute(select(t.runs.c.run_date).where(
                        t.runs.c.run_date == run_date)).first() is None:
                    conn.execute(insert(t.runs).values(run_date=run_date))
                # Markers of earlier dates are no longer needed.
                conn.execute(delete(t.run_clients).where(t.run_clients.c.run_date < run_date))
        with engine.connect() as conn:
            query = select(t.creditors)
            if creditor_ref:
                query = query.where(t.creditors.c.ref == creditor_ref)
            creditors = list(conn.execute(query))
            if progress is not None:
                report.tick = _ticker(conn, creditors, progress)
        for creditor in creditors:
            _run_creditor(engine, creditor, run_date, dry_run, report, crash)
            if predict and not dry_run:
                _refresh_predictions(engine, creditor, run_date, report)
            if not dry_run:  # the dashboard's figures as of the run date, for fast pages
                from relance.services.dashboard import refresh_snapshot

                with engine.begin() as conn:
                    refresh_snapshot(conn, creditor.id, run_date)
        if not dry_run:
            with engine.begin() as conn:
                conn.execute(t.runs.update().where(t.runs.c.run_date == run_date)
                             .values(finished_at=func.now()))
    return report


def _refresh_predictions(engine: Engine, creditor: Any, run_date: date,
                         report: RunReport) -> None:
    """Predicted lateness of every open invoice, for the call list and the forecast. It is
    advice: if it cannot be computed the run still stands, and says why."""
    from relance.services.prediction import predict_open, store_predictions

    try:
        with engine.begin() as conn:
            found = predict_open(conn, creditor.id, run_date)
            store_predictions(conn, found, run_date, found.model_name)
    except (ValueError, ArithmeticError, MemoryError) as exc:
        report.warnings.append(f"Prévision des retards non calculée pour {creditor.ref} : "
                               f"{exc}")


@dataclass(frozen=True)
class _Context:
    scenarios: tuple[Scenario, ...]
    guard: Guard
    rates: RateTable
    creditor: Any
    memo: dict[tuple[date, date], str] = field(default_factory=dict)
    notice_from_delivery: bool = True
    grades: dict[int, str] = field(default_factory=dict)  # reliability grade per client
    carried: dict[tuple[str, int, str], int] = field(default_factory=dict)

    def carry(self, old_name: str, old_index: int, new: Scenario) -> int:
        """Where an invoice stands in `new` after step `old_index` of scenario `old_name`:
        the same step key if `new` has it, else the last step of `new` due strictly before
        the old step; never past a required step (the formal notice) not yet done."""
        key = (old_name, old_index, new.name)
        found = self.carried.get(key)
        if found is not None:
            return found
        old = next((s for s in self.scenarios if s.name == old_name), None)
        index = -1
        if old is not None and 0 <= old_index < len(old.steps):
            step = old.steps[old_index]
            keys = [s.key for s in new.steps]
            if step.key in keys:
                index = keys.index(step.key)
            else:
                index = max((i for i, s in enumerate(new.steps) if s.offset < step.offset),
                            default=-1)
            notice_done = any(s.required for s in old.steps[:old_index + 1])
            required = next((i for i, s in enumerate(new.steps) if s.required), None)
            if required is not None and not notice_done and index >= required:
                index = required - 1
        self.carried[key] = index
        return index


def _context(conn: Connection, creditor: Any, run_date: date) -> _Context:
    from relance.services.penalties import rate_table
    from relance.services.scenarios import available

    scenarios = tuple(s for s, _ in available(conn, creditor.id))
    from relance.services.penalties import run_settings

    settings = run_settings(conn, creditor.id)
    guard = Guard(max_per_week=int(settings["guard_max_per_week"]),
                  min_gap_days=int(settings["guard_min_gap_days"]),
                  holidays=french_holidays(range(run_date.year - 1, run_date.year + 2)))
    from_delivery = settings.get("notice_deadline_from") != "first_presentation"
    return _Context(scenarios, guard, rate_table(conn), creditor,
                    notice_from_delivery=from_delivery)


def open_invoices_query(creditor_id: int, run_date: date) -> Any:
    """The columns the run needs of every invoice open on `run_date`, by client (the bare
    scan of the benchmark runs exactly this)."""
    inv, steps = t.invoices, t.invoice_steps
    settled = settled_subquery(run_date)
    open_amount = open_amount_column(settled)
    return (select(inv.c.id, inv.c.client_id, inv.c.number, inv.c.currency, inv.c.due_date,
                   open_amount, steps.c.scenario.label("step_scenario"), steps.c.step_index,
                   steps.c.done_on)
            .select_from(inv.outerjoin(settled, settled.c.invoice_id == inv.c.id)
                         .outerjoin(steps, steps.c.invoice_id == inv.c.id))
            .where(inv.c.creditor_id == creditor_id, inv.c.doc_type == "invoice",
                   inv.c.issue_date <= run_date, open_amount > 0)
            .order_by(inv.c.client_id, inv.c.due_date, inv.c.id))


def _run_creditor(engine: Engine, creditor: Any, run_date: date, dry_run: bool,
                  report: RunReport, crash: CrashHook) -> None:
    from relance.services.risk import (
        lift_paid_marks,
        refresh_scores,
        scores_refreshed_on,
        stored_grades,
    )

    # Scores first (their own transaction, once per date): the grade chooses the scenario.
    # A crash later leaves them stored with the date; a rerun of that date reuses them. A dry
    # run computes what the real run would store, without writing.
    grades: dict[int, str]
    with engine.connect() as conn:
        fresh = scores_refreshed_on(conn, creditor.id) == run_date
        if fresh:
            grades = stored_grades(conn, creditor_id=creditor.id)
        elif dry_run:
            grades = {cid: a.score.grade for cid, a in
                      refresh_scores(conn, creditor.id, run_date, store=False).items()}
    if not fresh and not dry_run:
        with engine.begin() as conn:
            grades = {cid: a.score.grade for cid, a in
                      refresh_scores(conn, creditor.id, run_date).items()}
            lift_paid_marks(conn, creditor.id, run_date)
    with engine.connect() as conn:
        ctx = _context(conn, creditor, run_date)
        ctx.grades.update(grades)
        done = set(conn.execute(select(t.run_clients.c.client_id).where(
            t.run_clients.c.run_date == run_date)).scalars())
        query = open_invoices_query(creditor.id, run_date)
        rows = conn.execution_options(stream_results=True, yield_per=5000).execute(query)
        chunk: dict[int, list[Any]] = {}
        raw_batch = os.environ.get("RELANCE_RUN_BATCH", "")
        batch_size = int(raw_batch) if raw_batch.isdigit() else BATCH_CLIENTS
        seen: set[int] = set()
        current: int | None = None
        bucket: list[Any] = []
        for row in rows:
            client_id = row[1]
            if client_id != current:
                if len(chunk) >= batch_size:
                    _process(engine, ctx, chunk, done, run_date, dry_run, report, crash)
                    chunk = {}
                current, bucket = client_id, []
                chunk[client_id] = bucket
                seen.add(client_id)
            bucket.append(row)
        if chunk:
            _process(engine, ctx, chunk, done, run_date, dry_run, report, crash)
        # Clients with nothing open still have their promises and plans settled.
        pending = sorted(_with_commitments(conn, creditor.id, run_date) - seen)
        for start in range(0, len(pending), batch_size):
            _process(engine, ctx, {cid: [] for cid in pending[start:start + batch_size]},
                     done, run_date, dry_run, report, crash)


def _with_commitments(conn: Connection, creditor_id: int, run_date: date) -> set[int]:
    """Clients with an open promise or an active payment plan."""
    c = t.clients
    found = set(conn.execute(select(t.promises.c.client_id).join(
        c, c.c.id == t.promises.c.client_id).where(
        c.c.creditor_id == creditor_id, t.promises.c.status == "open",
        t.promises.c.made_on <= run_date)).scalars())
    found |= set(conn.execute(select(t.payment_plans.c.client_id).join(
        c, c.c.id == t.payment_plans.c.client_id).where(
        c.c.creditor_id == creditor_id, t.payment_plans.c.status == "active",
        t.payment_plans.c.agreed_on <= run_date)).scalars())
    return found


def _process(engine: Engine, ctx: _Context, chunk: dict[int, list[Any]], done: set[int],
             run_date: date, dry_run: bool, report: RunReport, crash: CrashHook) -> None:
    """One batch of clients: one transaction (nothing written on a dry run)."""
    if report.tick is not None:
        report.tick(len(chunk))
    todo = {cid: rows for cid, rows in chunk.items() if cid not in done}
    report.already_done += len(chunk) - len(todo)
    if not todo:
        return
    with engine.connect() as conn:
        aux = _Aux.load(conn, list(todo), run_date, ctx.notice_from_delivery)
        writes = _Writes()
        for client_id, rows in todo.items():
            _settle_commitments(aux, client_id, run_date, writes, ctx)
            grade = ctx.grades.get(client_id, UNRATED)
            scenario = choose_scenario(ctx.scenarios, aux.kind[client_id], grade,
                                       aux.status.get(client_id, {}).get("scenario"))
            by_id = {r.id: r for r in rows}
            client_ref = aux.ref[client_id]
            stopped: list[Skip] = []
            if client_id in aux.proceedings:
                rows, stopped = _proceedings_stop(aux, client_id, rows)
            state = _client_state(aux, client_id, rows, scenario, run_date, ctx, report)
            result = plan(state, scenario, run_date, ctx.guard)
            report.clients += 1 if rows or stopped else 0
            report.skips.extend((skip, by_id[skip.invoice_id].number, client_ref)
                                for skip in [*stopped, *result.skips])
            for action in result.actions:
                report.actions.append(_action_json(action, by_id, aux, client_id))
                if not dry_run:
                    writes.action(ctx, aux, action, by_id, run_date, scenario)
            writes.markers.append({"run_date": run_date, "client_id": client_id})
        if dry_run:
            conn.rollback()
            return
        writes.flush(conn, ctx, run_date)
        crash.point()  # before commit: the batch must vanish
        conn.commit()
    crash.point()  # after commit: the batch must stay, and not be written again


def _proceedings_stop(aux: _Aux, client_id: int, rows: list[Any]
                      ) -> tuple[list[Any], list[Skip]]:
    """Invoices a collective proceeding (or an admissible over-indebtedness file) forbids to
    chase, each with its reason; the others (supplies after the judgment) go on."""
    from relance.law.proceedings import dunning_allowed

    kept, stopped = [], []
    for row in rows:
        issued = aux.issue_dates[row.id]
        for kind, judgment in aux.proceedings[client_id]:
            allowed, reason = dunning_allowed(kind, issued, judgment)
            if not allowed:
                code = "over_indebtedness" if kind == "surendettement" else \
                    "collective_proceedings"
                stopped.append(Skip(row.id, code, reason))
                break
        else:
            kept.append(row)
    return kept, stopped


@dataclass
class _Aux:
    """Everything about a batch of clients besides their invoices, loaded set-wise."""

    kind: dict[int, str]
    ref: dict[int, str]
    name: dict[int, str]
    collector: dict[int, str]
    reachable: dict[int, set[str]]
    status: dict[int, dict[str, Any]]
    disputed: set[int]
    promises: dict[int, list[Any]]
    plans: dict[int, list[Any]]
    paid_since: dict[int, list[tuple[date, Decimal]]]
    recent: dict[int, list[date]]
    notice_start: dict[int, date] = field(default_factory=dict)
    proceedings: dict[int, list[tuple[str, date]]] = field(default_factory=dict)
    issue_dates: dict[int, date] = field(default_factory=dict)

    @classmethod
    def load(cls, conn: Connection, ids: list[int], run_date: date,
             from_delivery: bool = True) -> _Aux:
        c = t.clients
        kind: dict[int, str] = {}
        ref: dict[int, str] = {}
        name: dict[int, str] = {}
        collector: dict[int, str] = {}
        reach: dict[int, set[str]] = defaultdict(set)
        for r in conn.execute(select(c.c.id, c.c.kind, c.c.ref, c.c.name, c.c.collector,
                                     c.c.email, c.c.phone, c.c.address, c.c.postal_code)
                              .where(_in(conn, c.c.id, ids))):
            kind[r.id], ref[r.id], name[r.id], collector[r.id] = r.kind, r.ref, r.name, r.collector
            _reach(reach[r.id], r.email, r.phone, r.address, r.postal_code)
        k = t.contacts
        for cr in conn.execute(select(k.c.client_id, k.c.email, k.c.phone, k.c.address,
                                      k.c.postal_code).where(_in(conn, k.c.client_id, ids))):
            _reach(reach[cr.client_id], cr.email, cr.phone, cr.address, cr.postal_code)
        status = {r.client_id: dict(r._mapping) for r in conn.execute(
            select(t.client_status).where(_in(conn, t.client_status.c.client_id, ids)))}
        inv = t.invoices
        disputed = set(conn.execute(
            select(t.disputes.c.invoice_id).join(inv, inv.c.id == t.disputes.c.invoice_id)
            .where(_in(conn, inv.c.client_id, ids), t.disputes.c.resolved_on.is_(None),
                   t.disputes.c.opened_on <= run_date)).scalars())
        promises: dict[int, list[Any]] = defaultdict(list)
        for r in conn.execute(select(t.promises).where(
                _in(conn, t.promises.c.client_id, ids), t.promises.c.status == "open",
                t.promises.c.made_on <= run_date)):
            promises[r.client_id].append(r)
        plans: dict[int, list[Any]] = defaultdict(list)
        for r in conn.execute(select(t.payment_plans).where(
                _in(conn, t.payment_plans.c.client_id, ids), t.payment_plans.c.status == "active",
                t.payment_plans.c.agreed_on <= run_date)):
            plans[r.client_id].append(r)
        paid: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
        if promises or plans:
            wanted = list(set(promises) | set(plans))
            for pr in conn.execute(select(t.payments.c.client_id, t.payments.c.date,
                                          t.payments.c.amount).where(
                    _in(conn, t.payments.c.client_id, wanted), t.payments.c.date <= run_date)):
                paid[pr.client_id].append((pr.date, pr.amount))
        recent: dict[int, list[date]] = defaultdict(list)
        for er in conn.execute(select(t.events.c.client_id, t.events.c.occurred_on).where(
                _in(conn, t.events.c.client_id, ids), t.events.c.kind == "reminder",
                t.events.c.occurred_on >= run_date - timedelta(days=7),
                t.events.c.occurred_on < run_date)):
            recent[er.client_id].append(er.occurred_on)
        notice_start: dict[int, date] = {}
        for nr in conn.execute(select(t.events.c.invoice_id, t.events.c.data).where(
                _in(conn, t.events.c.client_id, ids), t.events.c.kind == "formal_notice",
                t.events.c.occurred_on <= run_date).order_by(t.events.c.occurred_on)):
            data = nr.data or {}
            picked = (data.get("received") or data.get("first_presented")) if from_delivery \
                else (data.get("first_presented") or data.get("received"))
            if picked and nr.invoice_id is not None:
                notice_start[nr.invoice_id] = date.fromisoformat(picked)
        proceedings: dict[int, list[tuple[str, date]]] = defaultdict(list)
        procs = t.proceedings
        for pc in conn.execute(select(procs.c.client_id, procs.c.kind, procs.c.judgment_date).where(
                _in(conn, procs.c.client_id, ids), procs.c.judgment_date <= run_date,
                or_(procs.c.closed_on.is_(None), procs.c.closed_on > run_date))):
            proceedings[pc.client_id].append((pc.kind, pc.judgment_date))
        issue_dates: dict[int, date] = {}
        if proceedings:
            issue_dates = dict(conn.execute(select(inv.c.id, inv.c.issue_date).where(
                _in(conn, inv.c.client_id, list(proceedings)))).all())
        return cls(kind, ref, name, collector, reach, status, disputed, promises, plans, paid,
                   recent, notice_start, dict(proceedings), issue_dates)


def _in(conn: Connection, column: Any, ids: Sequence[int]) -> Any:
    """`column IN ids`: one array parameter on PostgreSQL (thousands of bound parameters cost
    more to render and parse than the query takes to run), a plain IN list on SQLite."""
    if conn.dialect.name == "postgresql":
        return column == any_(literal(list(ids), ARRAY(Integer)))
    return column.in_(ids)


def _reach(found: set[str], email: str, phone: str, address: str, postal_code: str) -> None:
    if email:
        found.add("email")
    if phone:
        found.add("phone")
        if phone.replace(" ", "").replace("+33", "0")[:2] in ("06", "07"):
            found.add("mobile")
    if address and postal_code:
        found.add("address")


def _missing_rate(rates: RateTable, due: date, today: date,
                  memo: dict[tuple[date, date], str]) -> str:
    """The first half-year between the due date and today without a rate, as a reason."""
    key = (due, today)
    found = memo.get(key)
    if found is not None:
        return found
    reason = ""
    if today > due:
        half, last = HalfYear.of(due + timedelta(days=1)), HalfYear.of(today)
        while half <= last:
            if half not in rates:
                reason = f"taux du semestre {half} manquant"
                break
            half = half.next()
    memo[key] = reason
    return reason


def _client_state(aux: _Aux, client_id: int, rows: list[Any], scenario: Scenario,
                  run_date: date, ctx: _Context, report: RunReport) -> ClientState:
    status = aux.status.get(client_id, {})
    promise_until = None
    open_promises = aux.promises.get(client_id, [])
    if open_promises:
        promise_until = max(p.pay_by for p in open_promises) + timedelta(days=PROMISE_GRACE_DAYS)
    plan_active = bool(aux.plans.get(client_id))
    invoices = []
    name, rates, memo, disputed = scenario.name, ctx.rates, ctx.memo, aux.disputed
    starts = aux.notice_start
    new = InvoiceState
    for id_, _cid, number, currency, due, open_amount, step_scenario, step_index, done_on \
            in rows:
        if step_scenario != name:
            # The client changed scenario (its grade moved): carry the invoice's progress.
            step_index = -1 if step_scenario is None else ctx.carry(step_scenario, step_index,
                                                                    scenario)
            done_on = done_on if step_index >= 0 else None
        missing = _missing_rate(rates, due, run_date, memo)
        if missing:
            report.missing_rates.add(missing.split()[-2])
        invoices.append(new(
            id_, number, currency, due, open_amount, step_index, done_on, id_ in disputed,
            promise_until, plan_active, missing, starts.get(id_)))
    return ClientState(
        id=client_id, ref=aux.ref[client_id], kind=aux.kind[client_id],
        invoices=tuple(invoices), reachable=frozenset(aux.reachable.get(client_id, set())),
        late_cause=status.get("late_cause"), hold_until=status.get("hold_until"),
        hold_reason=status.get("hold_reason") or "",
        do_not_contact=bool(status.get("do_not_contact")),
        legal_case=bool(status.get("legal_case")), no_calls=bool(status.get("no_calls")),
        recent_contacts=tuple(sorted(set(aux.recent.get(client_id, [])))))


def _settle_commitments(aux: _Aux, client_id: int, run_date: date, writes: _Writes,
                        ctx: _Context) -> None:
    """Close promises whose date (plus grace) has passed, and watch payment plans."""
    paid = aux.paid_since.get(client_id, [])
    still_open = []
    for p in aux.promises.get(client_id, []):
        ends = p.pay_by + timedelta(days=PROMISE_GRACE_DAYS)
        if run_date <= ends:
            still_open.append(p)
            continue
        got = sum((a for d, a in paid if p.made_on <= d <= ends), ZERO)
        status = "kept" if got >= p.amount else "broken"
        writes.promise_updates.append((p.id, status, run_date))
        writes.event(ctx, client_id, None, f"promise_{status}", run_date,
                     (f"Promesse du {p.made_on:%d/%m/%Y} tenue" if status == "kept" else
                      f"Promesse du {p.made_on:%d/%m/%Y} non tenue (payé {format_money(got)} "
                      f"sur {format_money(p.amount)} au {p.pay_by:%d/%m/%Y}) : reprise des "
                      "relances"),
                     {"promise_id": p.id, "amount": str(p.amount), "paid": str(got)})
    aux.promises[client_id] = still_open
    active = []
    for plan_row in aux.plans.get(client_id, []):
        schedule = [(date.fromisoformat(i["date"]), Decimal(i["amount"]))
                    for i in plan_row.installments]
        got = sum((a for d, a in paid if d >= plan_row.agreed_on), ZERO)
        owed = sum((a for d, a in schedule
                    if d + timedelta(days=PLAN_GRACE_DAYS) < run_date), ZERO)
        if got >= sum((a for _, a in schedule), ZERO):
            writes.plan_updates.append((plan_row.id, "completed", run_date))
            writes.event(ctx, client_id, None, "payment_plan_completed", run_date,
                         "Échéancier entièrement réglé", {"plan_id": plan_row.id})
        elif got < owed:
            writes.plan_updates.append((plan_row.id, "broken", run_date))
            writes.event(ctx, client_id, None, "payment_plan_broken", run_date,
                         f"Échéance d'échéancier manquée (réglé {format_money(got)} sur "
                         f"{format_money(owed)} dus) : reprise des relances sur le reste",
                         {"plan_id": plan_row.id, "paid": str(got), "owed": str(owed)})
        else:
            active.append(plan_row)
    aux.plans[client_id] = active


class _Writes:
    """Rows for one batch, written with a few set-wise statements."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.outbox: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []
        self.steps: dict[int, dict[str, Any]] = {}
        self.markers: list[dict[str, Any]] = []
        self.promise_updates: list[tuple[int, str, date]] = []
        self.plan_updates: list[tuple[int, str, date]] = []
        self.penalty_rows: list[tuple[int, Any]] = []

    def event(self, ctx: _Context, client_id: int, invoice_id: int | None, kind: str,
              on: date, summary: str, data: dict[str, Any]) -> None:
        self.events.append({"creditor_id": ctx.creditor.id, "client_id": client_id,
                            "invoice_id": invoice_id, "kind": kind, "occurred_on": on,
                            "summary": summary, "data": data})

    def action(self, ctx: _Context, aux: _Aux, action: Action, by_id: dict[int, Any],
               run_date: date, scenario: Scenario) -> None:
        cid = action.client_id
        numbers = [by_id[i].number for i in action.invoice_ids]
        data = {"step": action.step_key, "step_index": action.step_index,
                "label": action.label, "channels": list(action.channels),
                "tone": action.tone, "template": action.template,
                "currency": action.currency, "invoices": numbers,
                "amount": f"{action.amount:.2f}",
                "recap": [by_id[i].number for i in action.recap_ids],
                "needs_approval": action.needs_approval, "scenario": scenario.name,
                "deadline_days": action.deadline_days,
                "claims_penalties": action.claims_penalties}
        if action.substitute_for:
            data["substitute_for"] = action.substitute_for
        if "escalation" in action.channels:
            from relance.dunning.escalation import recommend_escalation

            cause = aux.status.get(cid, {}).get("late_cause")
            data["options"] = [
                {"code": o.code, "label": o.label, "why": o.why, "source": o.source}
                for o in recommend_escalation(action.amount, aux.kind[cid], late_cause=cause)]
        kind = ("payment_plan_offer" if action.substitute_for else
                "reminder" if action.is_contact else "escalation_proposed")
        self.event(ctx, cid, None, kind, run_date,
                   f"{action.label} ({', '.join(action.channels)}) : {', '.join(numbers)}",
                   data)
        if action.claims_penalties:
            self.penalty_rows.extend((len(self.events) - 1, by_id[i]) for i in action.invoice_ids)
        base_key = f"{run_date.isoformat()}:{cid}:{action.step_key}:{action.currency}"
        for channel in action.channels:
            if channel == "call":
                days = max((run_date - by_id[i].due_date).days for i in action.invoice_ids)
                self.calls.append({
                    "creditor_id": ctx.creditor.id, "client_id": cid,
                    "key": f"{base_key}:call", "run_date": run_date,
                    "step_key": action.step_key, "tone": action.tone,
                    "collector": aux.collector.get(cid, ""),
                    "priority": (action.amount * max(days, 1)).quantize(Decimal("0.01")),
                    "status": "open", "data": data})
                continue
            if channel == "formal_notice" and "registered_letter" in action.channels:
                continue  # one registered letter carries the formal notice
            self.outbox.append({
                "creditor_id": ctx.creditor.id, "client_id": cid,
                "key": f"{base_key}:{channel}", "run_date": run_date, "channel": channel,
                "step_key": action.step_key, "tone": action.tone,
                "template": action.template,
                "status": "awaiting_approval" if action.needs_approval else "pending",
                "data": data})
        for invoice_id in action.invoice_ids:
            self.steps[invoice_id] = {"invoice_id": invoice_id, "scenario": scenario.name,
                                      "step_index": action.step_index,
                                      "step_key": action.step_key, "done_on": run_date}

    def flush(self, conn: Connection, ctx: _Context, run_date: date) -> None:
        if self.penalty_rows:
            self._claimed_penalties(conn, ctx, run_date)
        for promise_id, status, on in self.promise_updates:
            conn.execute(t.promises.update().where(t.promises.c.id == promise_id)
                         .values(status=status, closed_on=on))
        for plan_id, status, on in self.plan_updates:
            conn.execute(t.payment_plans.update().where(t.payment_plans.c.id == plan_id)
                         .values(status=status, closed_on=on))
        if self.events:
            conn.execute(insert(t.events), self.events)
        if self.outbox:
            conn.execute(insert(t.outbox), self.outbox)
        if self.calls:
            conn.execute(insert(t.calls), self.calls)
        if self.steps:
            ids = list(self.steps)
            conn.execute(delete(t.invoice_steps).where(
                _in(conn, t.invoice_steps.c.invoice_id, ids)))
            conn.execute(insert(t.invoice_steps), list(self.steps.values()))
        conn.execute(insert(t.run_clients), self.markers)

    def _claimed_penalties(self, conn: Connection, ctx: _Context, run_date: date) -> None:
        """Record in each claiming event what it claimed (penalties and the 40 €)."""
        from relance.law import PenaltyTotals
        from relance.services.penalties import penalties_for_rows

        ids = sorted({row.id for _, row in self.penalty_rows})
        full = list(conn.execute(invoices_with_open_amount(ctx.creditor.id, run_date).where(
            _in(conn, t.invoices.c.id, ids))))
        found = penalties_for_rows(conn, ctx.creditor, full, run_date)
        for event_index, row in self.penalty_rows:
            result = found.get(row.id)
            claimed = self.events[event_index]["data"].setdefault("penalties", {})
            if isinstance(result, PenaltyTotals):
                claimed[row.number] = {"interest": f"{result.interest:.2f}",
                                       "indemnity": f"{result.indemnity:.2f}",
                                       "total": f"{result.total:.2f}"}


def _action_json(action: Action, by_id: dict[int, Any], aux: _Aux,
                 client_id: int) -> dict[str, Any]:
    return {"client": aux.ref[client_id], "client_name": aux.name[client_id],
            "invoices": [by_id[i].number for i in action.invoice_ids],
            "step": action.step_key, "label": action.label,
            "channel": ",".join(action.channels), "channels": list(action.channels),
            "tone": action.tone, "template": action.template, "currency": action.currency,
            "amount": f"{action.amount:.2f}", "needs_approval": action.needs_approval,
            "recap": [by_id[i].number for i in action.recap_ids if i in by_id]}


def last_run_date(conn: Connection) -> date | None:
    """The latest run date recorded."""
    return conn.execute(select(func.max(t.runs.c.run_date))).scalar()


def outbox_rows(conn: Connection, creditor_id: int, statuses: Sequence[str] = (
        "pending", "awaiting_approval")) -> list[Any]:
    """Messages that wait, oldest first."""
    return list(conn.execute(
        select(t.outbox, t.clients.c.ref.label("client_ref"),
               t.clients.c.name.label("client_name"))
        .join(t.clients, t.clients.c.id == t.outbox.c.client_id)
        .where(t.outbox.c.creditor_id == creditor_id, t.outbox.c.status.in_(statuses))
        .order_by(t.outbox.c.id)))


def _ticker(conn: Connection, creditors: Sequence[Any],
            progress: Callable[[int, int, str], None]) -> Callable[[int], None]:
    """`progress(done, total, message)` as each batch of clients starts, out of the clients
    of the creditors run."""
    total = conn.execute(select(func.count()).select_from(t.clients).where(
        t.clients.c.creditor_id.in_([c.id for c in creditors]))).scalar_one()
    seen = [0]

    def tick(batch: int) -> None:
        done = min(seen[0], total)
        progress(done, total, f"{done} client(s) traité(s) sur {total}…")
        seen[0] += batch

    progress(0, total, "Démarrage du run…")
    return tick
