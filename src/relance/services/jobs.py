"""Long operations started from the web application (runs, dry runs), with their progress.

A job is a row of the `jobs` table: any process can report on it. The work runs in a
background thread with its own connections (`spawn`); `execute_run` is what that thread does,
and tests may call it directly.

    job_id = create(conn, creditor_id, user_id, "run", "Run du 30/06/2026")
    conn.commit()
    spawn(execute_run, engine, job_id, "ACME", date(2026, 6, 30), False)
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from relance.adapters import tables as t
from relance.adapters.database import aware
from relance.domain.errors import NotFoundError, RelanceError
from relance.domain.money import amount_text

log = logging.getLogger("relance.jobs")

KIND_LABELS = {"run": "Run", "dry_run": "Simulation de run"}
STATUS_LABELS = {"running": "en cours", "done": "terminé", "failed": "échec"}
SAMPLES = 20  # example lines kept per group of a run's result
STALE = timedelta(minutes=15)  # a running job silent this long died with its process
INTERRUPTED = ("Tâche interrompue (le serveur s'est arrêté) : relancez-la ; le run reprend où il "
               "s'était arrêté, sans rien envoyer deux fois.")

# Why an invoice gets nothing today (codes of dunning.engine.Skip), as group titles.
REASON_LABELS = {
    "paid": "Factures soldées", "dispute": "Litige en cours", "promise": "Promesse de paiement",
    "payment_plan": "Échéancier en cours", "notice_deadline": "Délai de la mise en demeure",
    "finished": "Scénario terminé", "waiting": "Prochaine étape pas encore due",
    "conditions": "Étape non applicable (conditions)",
    "penalties": "Pénalités non calculables", "no_contact": "Aucun contact pour le canal",
    "guard_day": "Jour non ouvré", "guard_one_per_day": "Une seule relance par jour",
    "guard_gap": "Garde de courtoisie (écart minimum)",
    "guard_week": "Garde de courtoisie (maximum par semaine)",
    "legal_case": "Procédure judiciaire en cours", "do_not_contact": "Client à ne pas contacter",
    "hold": "Client en attente", "collective_proceedings": "Procédure collective",
    "over_indebtedness": "Surendettement",
}


def now() -> datetime:
    """The wall clock, timezone-aware."""
    return datetime.now(UTC)


def create(conn: Connection, creditor_id: int, user_id: int | None, kind: str,
           message: str = "") -> int:
    """A new running job (the caller commits before starting the work)."""
    key = conn.execute(insert(t.jobs).values(
        creditor_id=creditor_id, user_id=user_id, kind=kind, status="running", done=0, total=0,
        message=message, result={}, started_at=now(), updated_at=now())).inserted_primary_key
    assert key is not None
    return int(key[0])


def get(conn: Connection, creditor_id: int, job_id: int) -> Any:
    """A job of this creditor; another company's job is unknown here."""
    row = conn.execute(select(t.jobs).where(t.jobs.c.id == job_id,
                                            t.jobs.c.creditor_id == creditor_id)).first()
    if row is None:
        raise NotFoundError(f"Tâche n° {job_id} inconnue.")
    if row.status == "running" and aware(row.updated_at or row.started_at) < now() - STALE:
        # The process that ran it died (a run commits client by client and never sends twice:
        # running it again finishes the work).
        conn.execute(update(t.jobs).where(t.jobs.c.id == job_id,
                                          t.jobs.c.status == "running").values(
            status="failed", finished_at=now(), message=INTERRUPTED))
        conn.commit()
        row = conn.execute(select(t.jobs).where(t.jobs.c.id == job_id)).one()
    return row


def recent(conn: Connection, creditor_id: int, limit: int = 10) -> list[Any]:
    """The latest jobs of a creditor, newest first."""
    return list(conn.execute(select(t.jobs).where(t.jobs.c.creditor_id == creditor_id)
                             .order_by(t.jobs.c.id.desc()).limit(limit)))


def progress(engine: Engine, job_id: int, done: int, total: int, message: str) -> None:
    """Record how far a job has got (its own short transaction)."""
    with engine.begin() as conn:
        conn.execute(update(t.jobs).where(t.jobs.c.id == job_id).values(
            done=done, total=total, message=message[:500], updated_at=now()))


def finish(engine: Engine, job_id: int, result: dict[str, Any], message: str) -> None:
    """The job ended well: its result and a last message; the bar is full."""
    with engine.begin() as conn:
        total = conn.execute(select(t.jobs.c.total).where(t.jobs.c.id == job_id)).scalar_one()
        conn.execute(update(t.jobs).where(t.jobs.c.id == job_id).values(
            status="done", done=total, result=result, message=message[:500],
            finished_at=now()))


def fail(engine: Engine, job_id: int, message: str) -> None:
    """The job stopped: why, in French."""
    with engine.begin() as conn:
        conn.execute(update(t.jobs).where(t.jobs.c.id == job_id).values(
            status="failed", message=message[:500], finished_at=now()))


def as_json(row: Any, next_url: str | None = None) -> dict[str, Any]:
    """What the progress bar polls: {status, done, total, message, next}."""
    return {"status": row.status, "done": row.done, "total": row.total,
            "message": row.message, "next": next_url if row.status != "running" else None}


def spawn(target: Callable[..., None], *args: Any) -> threading.Thread:
    """Run `target(*args)` in a background thread (it opens its own connections)."""
    thread = threading.Thread(target=target, args=args, daemon=True,
                              name=f"relance-job-{args[1] if len(args) > 1 else ''}")
    thread.start()
    return thread


def execute_run(engine: Engine, job_id: int, creditor_ref: str, run_date: date,
                dry_run: bool) -> None:
    """The run (or dry run) of one creditor as a job: progress as clients are processed,
    then the grouped result; a refusal or a crash ends the job as failed, in French."""
    from relance.services.run import run

    def report_progress(done: int, total: int, message: str) -> None:
        progress(engine, job_id, done, total, message)

    try:
        report = run(engine, run_date, dry_run=dry_run, creditor_ref=creditor_ref,
                     progress=report_progress)
    except RelanceError as err:
        fail(engine, job_id, err.message)
        return
    except Exception:  # the thread has nobody above it: record the failure, log the detail
        log.exception("job %s failed", job_id)
        fail(engine, job_id, "Erreur interne : le run s'est arrêté. L'administrateur trouvera "
                             "le détail dans le journal.")
        return
    result = summarize(report)
    what = "Simulation terminée" if dry_run else "Run terminé"
    finish(engine, job_id, result, f"{what} : {report.clients} client(s) examiné(s), "
                                   f"{len(report.actions)} action(s).")


def summarize(report: Any) -> dict[str, Any]:
    """A run's report, grouped for reading: actions by step and channel, invoices without
    action by reason, each group with its count and a few examples."""
    actions: dict[tuple[str, str, str], dict[str, Any]] = {}
    for a in report.actions:
        key = (a["label"], a["channel"], a["currency"])
        group = actions.setdefault(key, {"label": a["label"], "channel": a["channel"],
                                         "currency": a["currency"], "count": 0,
                                         "amount": Decimal("0.00"), "approval": 0,
                                         "examples": []})
        group["count"] += 1
        group["amount"] += Decimal(a["amount"])
        group["approval"] += 1 if a["needs_approval"] else 0
        if len(group["examples"]) < SAMPLES:
            group["examples"].append({"client": a["client"], "client_name": a["client_name"],
                                      "invoices": a["invoices"], "amount": a["amount"]})
    counts: Counter[str] = Counter()
    examples: dict[str, list[dict[str, str]]] = defaultdict(list)
    for skip, number, client in report.skips:
        counts[skip.code] += 1
        if len(examples[skip.code]) < SAMPLES:
            examples[skip.code].append({"invoice": number, "client": client,
                                        "reason": skip.reason})
    return {
        "date": report.run_date.isoformat(), "dry_run": report.dry_run,
        "clients": report.clients, "already_done": report.already_done,
        "actions_count": len(report.actions),
        "actions": [{**g, "amount": amount_text(g['amount'])} for g in
                    sorted(actions.values(), key=lambda g: -g["count"])],
        "skips_count": sum(counts.values()),
        "skips": [{"code": code, "label": REASON_LABELS.get(code, code), "count": n,
                   "examples": examples[code]} for code, n in counts.most_common()],
        "missing_rates": sorted(report.missing_rates), "warnings": list(report.warnings),
    }
