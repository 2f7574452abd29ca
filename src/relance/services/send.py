"""Draining the outbox: compose each message from the ledger, send it once, record it.

A row goes pending -> sending (claimed by this process) -> sent | failed, or back to pending
with a later attempt time after a temporary failure. A process killed while it held rows
leaves them "sending": the next `relance send` asks the transport whether the message went
out (the file transport can tell); when it cannot (SMTP), the row is set aside as
"to_check" for a human, never sent a second time.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from relance.adapters import tables as t
from relance.adapters.crash import CrashHook

RETRY_DELAYS = (timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
                timedelta(hours=12))
SENDABLE = ("email", "letter", "registered_letter", "sms")


@dataclass
class SendReport:
    """What one `relance send` did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    to_check: int = 0
    recovered: int = 0
    letters: list[Path] = field(default_factory=list)
    batches: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def holder() -> str:
    """Who claims rows: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(claimed_by: str | None) -> bool:
    """Whether the process that claimed a row still runs (same host only)."""
    if not claimed_by or ":" not in claimed_by:
        return False
    host, _, pid = claimed_by.rpartition(":")
    if host != socket.gethostname():
        return True  # another machine: trust its lease
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError):
        return False
    return True


def now() -> datetime:
    """The wall clock for sending bookkeeping (timestamps, retry times)."""
    return datetime.now(UTC)


def recover(engine: Engine, transport: Any, report: SendReport,
            lease: timedelta = timedelta(minutes=15)) -> None:
    """Rows left "sending" by a dead process: sent, back to pending, or to check."""
    with engine.begin() as conn:
        stale = conn.execute(select(t.outbox.c.id, t.outbox.c.claimed_by, t.outbox.c.claimed_at,
                                    t.outbox.c.message_id, t.outbox.c.channel,
                                    t.outbox.c.document)
                             .where(t.outbox.c.status == "sending")).all()
        for row in stale:
            claimed_at = row.claimed_at
            if claimed_at is not None and claimed_at.tzinfo is None:
                claimed_at = claimed_at.replace(tzinfo=UTC)
            if _alive(row.claimed_by) and claimed_at and now() - claimed_at < lease:
                continue
            if row.channel == "email":
                went = transport.already_sent(row.message_id) if row.message_id else False
            else:  # letters and SMS are files: written or not
                went = bool(row.document) and Path(row.document).exists()
            if went:
                status, report.recovered = "sent", report.recovered + 1
            elif went is None:
                status, report.to_check = "to_check", report.to_check + 1
            else:
                status = "pending"
            conn.execute(update(t.outbox).where(t.outbox.c.id == row.id).values(
                status=status, claimed_by=None,
                error="" if status != "to_check" else
                "Envoi interrompu : vérifiez dans la boîte d'envoi si le message est parti."))


def claim(conn: Connection, limit: int, run_date: date | None = None) -> list[int]:
    """Take up to `limit` pending rows for this process (SKIP LOCKED on PostgreSQL)."""
    o = t.outbox
    query = (select(o.c.id).where(o.c.status == "pending", o.c.channel.in_(SENDABLE),
                                  (o.c.next_attempt_at.is_(None)) | (o.c.next_attempt_at <= now()))
             .order_by(o.c.id).limit(limit))
    if run_date is not None:
        query = query.where(o.c.run_date <= run_date)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(conn.execute(query).scalars())
    if not ids:
        return ids
    me, at = holder(), now()
    conn.execute(update(o).where(o.c.id.in_(ids), o.c.status == "pending").values(
        status="sending", claimed_by=me, claimed_at=at))
    # Only what this process really took: on SQLite another sender may have claimed some of
    # the rows between the read and the write (the UPDATE then leaves them alone).
    return list(conn.execute(select(o.c.id).where(
        o.c.id.in_(ids), o.c.status == "sending", o.c.claimed_by == me,
        o.c.claimed_at == at).order_by(o.c.id)).scalars())


def send(engine: Engine, *, transport: Any, sms_transport: Any, output: Path,
         limit: int | None = None, rate_per_minute: int = 0, batch: int = 20,
         on: date | None = None, templates_dir: Path | None = None) -> SendReport:
    """Drain the outbox once: every pending message due, at most `limit`."""
    from relance.services.compose import Composer

    report = SendReport()
    crash = CrashHook("RELANCE_TEST_SEND_CRASH_AT", 87)
    recover(engine, transport, report)
    composer = Composer(engine, output=output, templates_dir=templates_dir)
    problems = composer.check()
    if problems:
        report.problems = problems
        return report
    done = 0
    gap = 60.0 / rate_per_minute if rate_per_minute else 0.0
    letters_by_day: dict[date, list[Path]] = {}
    while limit is None or done < limit:
        with engine.begin() as conn:
            ids = claim(conn, min(batch, (limit - done) if limit else batch), on)
        if not ids:
            break
        for outbox_id in ids:
            crash.point()  # before sending: the row is claimed, nothing went out
            _send_one(engine, composer, outbox_id, transport, sms_transport, report,
                      letters_by_day, crash)
            done += 1
            if gap:
                time.sleep(gap)
    for day, paths in sorted(letters_by_day.items()):
        report.batches.append(composer.print_batch(day, paths))
    return report


def _send_one(engine: Engine, composer: Any, outbox_id: int, transport: Any,
              sms_transport: Any, report: SendReport, letters_by_day: dict[date, list[Path]],
              crash: CrashHook) -> None:
    from relance.documents.email import PermanentFailure, TemporaryFailure
    from relance.documents.render import TemplateProblem

    with engine.connect() as conn:
        row = conn.execute(select(t.outbox).where(t.outbox.c.id == outbox_id)).one()
        try:
            message = composer.compose(conn, row)
        except TemplateProblem as problem:  # nothing half-rendered goes out: the row waits
            with engine.begin() as writer:
                writer.execute(update(t.outbox).where(t.outbox.c.id == outbox_id).values(
                    status="pending", claimed_by=None, error=problem.message))
            report.problems.append(f"message n° {outbox_id} : {problem.message}")
            return
    with engine.begin() as conn:  # the document's name is known before anything goes out
        conn.execute(update(t.outbox).where(t.outbox.c.id == outbox_id).values(
            message_id=message.message_id, document=str(message.path) if message.path else None))
    try:
        if row.channel == "email":
            transport.send(message.email)
        elif row.channel == "sms":
            sms_transport.send(message.sms_to, message.sms_text, message.message_id)
        else:
            message.write_letter()
            letters_by_day.setdefault(row.run_date, []).append(message.path)
            report.letters.append(message.path)
    except TemporaryFailure as err:
        _retry(engine, row, err.message, report)
        return
    except PermanentFailure as err:
        _fail(engine, row, err.message, report)
        return
    crash.point()  # sent, not yet recorded: the next run must not send it again
    with engine.begin() as conn:
        conn.execute(update(t.outbox).where(t.outbox.c.id == outbox_id).values(
            status="sent", sent_at=now(), claimed_by=None, attempts=row.attempts + 1,
            error=""))
        conn.execute(t.events.insert().values(
            creditor_id=row.creditor_id, client_id=row.client_id, kind="message_sent",
            occurred_on=row.run_date, summary=_sent_summary(row, message),
            data={"outbox_id": row.id, "channel": row.channel, "message_id":
                  message.message_id, "document": str(message.path) if message.path else None}))
    report.sent += 1


def _sent_summary(row: Any, message: Any) -> str:
    what = {"email": "E-mail envoyé", "letter": "Courrier imprimé",
            "registered_letter": "Lettre recommandée imprimée", "sms": "SMS envoyé"}
    return f"{what.get(row.channel, row.channel)} : {message.subject}"


def _retry(engine: Engine, row: Any, error: str, report: SendReport) -> None:
    attempts = row.attempts + 1
    if attempts > len(RETRY_DELAYS):
        _fail(engine, row, f"{error} (abandon après {attempts} tentatives)", report)
        return
    with engine.begin() as conn:
        conn.execute(update(t.outbox).where(t.outbox.c.id == row.id).values(
            status="pending", attempts=attempts, claimed_by=None, error=error,
            next_attempt_at=now() + RETRY_DELAYS[attempts - 1]))
    report.retried += 1


def _fail(engine: Engine, row: Any, error: str, report: SendReport) -> None:
    with engine.begin() as conn:
        conn.execute(update(t.outbox).where(t.outbox.c.id == row.id).values(
            status="failed", attempts=row.attempts + 1, claimed_by=None, error=error))
        conn.execute(t.events.insert().values(
            creditor_id=row.creditor_id, client_id=row.client_id, kind="message_failed",
            occurred_on=row.run_date, summary=f"Échec d'envoi ({row.channel}) : {error}",
            data={"outbox_id": row.id, "channel": row.channel, "error": error}))
        if row.channel == "email":  # the client is flagged: its address needs checking
            flags = conn.execute(select(t.clients.c.flags).where(
                t.clients.c.id == row.client_id)).scalar_one() or []
            if "email_refused" not in flags:
                conn.execute(update(t.clients).where(t.clients.c.id == row.client_id)
                             .values(flags=[*flags, "email_refused"]))
    report.failed += 1


def approve(conn: Connection, creditor_id: int, ids: list[int] | None, on: date) -> int:
    """Approve messages waiting for a human: formal notices go to the outbox, escalations
    are marked approved (the file for the next step is prepared with `relance files`)."""
    o = t.outbox
    query = select(o.c.id, o.c.client_id, o.c.channel, o.c.step_key).where(
        o.c.creditor_id == creditor_id, o.c.status == "awaiting_approval")
    if ids:
        query = query.where(o.c.id.in_(ids))
    rows = conn.execute(query).all()
    for r in rows:
        conn.execute(update(o).where(o.c.id == r.id).values(
            status="approved" if r.channel == "escalation" else "pending"))
        conn.execute(t.events.insert().values(
            creditor_id=creditor_id, client_id=r.client_id, kind="message_approved",
            occurred_on=on, summary=f"Envoi validé : {r.step_key} ({r.channel})",
            data={"outbox_id": r.id}))
    return len(rows)


class FileSms:
    """SMS "transport" writing one text file per message (the default: no provider needed)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, to: str, text: str, message_id: str) -> None:
        """Write the SMS atomically, named after its message id."""
        self.folder.mkdir(parents=True, exist_ok=True)
        safe = "".join(c if c.isalnum() else "_" for c in message_id)
        target = self.folder / f"{safe}.txt"
        tmp = target.with_suffix(".tmp")
        tmp.write_text(f"À : {to}\n\n{text}\n", "utf-8")
        os.replace(tmp, target)


def transports(output: Path) -> tuple[Any, Any]:
    """Email and SMS transports from the settings: SMTP when configured, else files."""
    from relance import config
    from relance.documents.email import FileTransport, SmtpTransport

    host = config.get("smtp_host")
    if host:
        email: Any = SmtpTransport(
            host, int(config.get("smtp_port") or 587),
            security=config.get("smtp_security") or "starttls",
            username=config.get("smtp_user") or None,
            password=config.get("smtp_password") or None)
    else:
        email = FileTransport(output / "emails")
    return email, FileSms(output / "sms")


EDITABLE = ("awaiting_approval", "pending")


def waiting_message(conn: Connection, creditor_id: int, outbox_id: int) -> Any:
    """An outbox row of this creditor still waiting (to be approved or sent), or an error."""
    from relance.domain.errors import NotFoundError, ValidationError

    row = conn.execute(select(t.outbox).where(t.outbox.c.id == outbox_id,
                                              t.outbox.c.creditor_id == creditor_id)).first()
    if row is None:
        raise NotFoundError(f"Message n° {outbox_id} inconnu.")
    if row.status not in EDITABLE:
        raise ValidationError(f"Le message n° {outbox_id} n'attend plus (statut : "
                              f"{row.status}) : il ne peut plus être modifié.")
    return row


def edit_message(conn: Connection, creditor_id: int, outbox_id: int, subject: str, body: str,
                 on: date, by: str = "") -> None:
    """Replace the text of a waiting message (kept in its data as "edited", with who and
    when); the history records the change."""
    from relance.domain.errors import ValidationError

    row = waiting_message(conn, creditor_id, outbox_id)
    subject, body = subject.strip(), body.strip()
    if not body:
        raise ValidationError("Le texte du message ne peut pas être vide.")
    data = {**row.data, "edited": {"subject": subject, "body": body, "by": by,
                                   "on": on.isoformat()}}
    conn.execute(update(t.outbox).where(t.outbox.c.id == row.id).values(data=data))
    conn.execute(t.events.insert().values(
        creditor_id=creditor_id, client_id=row.client_id, kind="message_edited",
        occurred_on=on, summary=f"Texte modifié avant envoi : {row.step_key} ({row.channel})",
        data={"outbox_id": row.id, "by": by}))


def skip_message(conn: Connection, creditor_id: int, outbox_id: int, on: date,
                 reason: str = "", by: str = "") -> None:
    """Cancel a waiting message: it is never sent; the history says so and why."""
    row = waiting_message(conn, creditor_id, outbox_id)
    conn.execute(update(t.outbox).where(t.outbox.c.id == row.id).values(
        status="skipped", claimed_by=None))
    conn.execute(t.events.insert().values(
        creditor_id=creditor_id, client_id=row.client_id, kind="message_skipped",
        occurred_on=on, summary=f"Envoi annulé : {row.step_key} ({row.channel})"
        + (f" — {reason}" if reason else ""),
        data={"outbox_id": row.id, "reason": reason, "by": by}))
