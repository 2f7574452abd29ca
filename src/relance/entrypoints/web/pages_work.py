"""The day's work: À faire aujourd'hui (approvals, calls, formal notices), Relances (dry run
and execution as a background job with progress) and Imports."""

from __future__ import annotations

import math
import re
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import JSONResponse, Response
from sqlalchemy import func, select

from relance.adapters import tables as t
from relance.domain.errors import NotFoundError, ValidationError
from relance.entrypoints.web.deps import Ctx, page
from relance.entrypoints.web.pages_clients import RowId
from relance.services import jobs

router = APIRouter(prefix="/c/{creditor_ref}")

PER_PAGE = 20
NOTICE_CHANNELS = ("registered_letter", "formal_notice")
BODY_KIND = {"email": "email.txt", "sms": "sms.txt", "letter": "letter.txt",
             "registered_letter": "letter.txt", "formal_notice": "letter.txt"}
CHANNEL_LABELS = {"email": "E-mail", "letter": "Courrier", "registered_letter":
                  "Lettre recommandée", "formal_notice": "Mise en demeure", "sms": "SMS",
                  "call": "Appel", "escalation": "Escalade (recouvrement)"}
TONE_LABELS = {"courteous": "courtois", "firm": "ferme", "formal": "formel"}


# --- À faire aujourd'hui ---------------------------------------------------------------------


def _is_notice(channel: Any, template: Any) -> Any:
    """SQL condition: a formal notice (mise en demeure), as opposed to other approvals."""
    return channel.in_(NOTICE_CHANNELS) | template.like("mise_en_demeure%")


def _waiting(ctx: Ctx, notices: bool, page_no: int) -> tuple[list[Any], int, int]:
    """One page of the messages awaiting approval (formal notices or the others), the
    number of pages and of messages."""
    o = t.outbox
    kind = _is_notice(o.c.channel, o.c.template)
    where = [o.c.creditor_id == ctx.creditor.id, o.c.status == "awaiting_approval",
             kind if notices else ~kind]
    count = ctx.conn.execute(select(func.count()).select_from(o).where(*where)).scalar_one()
    pages = max(1, math.ceil(count / PER_PAGE))
    page_no = min(max(page_no, 1), pages)
    rows = list(ctx.conn.execute(
        select(o, t.clients.c.ref.label("client_ref"), t.clients.c.name.label("client_name"))
        .join(t.clients, t.clients.c.id == o.c.client_id).where(*where)
        .order_by(o.c.id).limit(PER_PAGE).offset((page_no - 1) * PER_PAGE)))
    return rows, pages, count


def preview(conn: Any, env: Any, row: Any) -> dict[str, Any]:
    """What the message will say: the edited text if someone changed it, else the subject
    and body rendered from its template with the ledger as of its run date."""
    from relance.documents.render import TemplateProblem, render
    from relance.services.compose import message_context

    edited = (row.data or {}).get("edited")
    if edited:
        return {"subject": edited.get("subject", ""), "body": edited.get("body", ""),
                "edited": edited, "error": ""}
    kind = BODY_KIND.get(row.channel)
    if kind is None:
        return {"subject": "", "body": "", "edited": None, "error": ""}
    context = message_context(conn, row)
    lang = context["client"]["language"]
    try:
        subject = render(env, row.template, "subject", context, lang).strip()
        body = render(env, row.template, kind, context, lang)
    except TemplateProblem as problem:
        return {"subject": "", "body": "", "edited": None, "error": problem.message}
    return {"subject": subject, "body": body, "edited": None, "error": ""}


def template_env() -> Any:
    """The document templates (the user's folder first, as `relance send` uses them)."""
    from relance import config
    from relance.documents.render import environment

    folder = config.get("templates_dir")
    return environment(Path(folder) if folder else None)


def _items(ctx: Ctx, rows: list[Any], env: Any) -> list[dict[str, Any]]:
    return [{"row": r, "preview": preview(ctx.conn, env, r),
             "channel": CHANNEL_LABELS.get(r.channel, r.channel),
             "tone": TONE_LABELS.get(r.tone, r.tone)} for r in rows]


@router.get("/a-faire")
def todo(number: int = Query(1, alias="page"), number_mdd: int = Query(1, alias="page_mdd"),
         charge: str = "", ctx: Ctx = Depends(page("read"))) -> Response:
    """À faire aujourd'hui: approvals with a preview, the call list, formal notices."""
    from relance.services.calls import call_list

    env = template_env()
    reminders, pages, count = _waiting(ctx, False, number)
    notices, pages_mdd, count_mdd = _waiting(ctx, True, number_mdd)
    o = t.outbox
    pending = ctx.conn.execute(select(func.count()).select_from(o).where(
        o.c.creditor_id == ctx.creditor.id, o.c.status == "pending")).scalar_one()
    calls = call_list(ctx.conn, ctx.creditor, ctx.today, charge.strip() or None)
    refs = sorted({c["client"] for c in calls})
    call_ids = dict(ctx.conn.execute(select(t.clients.c.ref, t.clients.c.id).where(
        t.clients.c.creditor_id == ctx.creditor.id, t.clients.c.ref.in_(refs))).all()
                    ) if refs else {}
    return ctx.render("todo.html", title="À faire aujourd'hui",
                      reminders=_items(ctx, reminders, env), count=count,
                      page=min(max(number, 1), pages), pages=pages,
                      notices=_items(ctx, notices, env), count_mdd=count_mdd,
                      page_mdd=min(max(number_mdd, 1), pages_mdd), pages_mdd=pages_mdd,
                      pending=pending, calls=calls, call_ids=call_ids, charge=charge,
                      can_work=ctx.user.can("work"))


@router.post("/a-faire/{outbox_id}/valider")
def approve_one(outbox_id: RowId, ctx: Ctx = Depends(page("work"))) -> Response:
    """Approve one waiting message: it leaves with the next sending."""
    from relance.services.send import approve, waiting_message

    row = waiting_message(ctx.conn, ctx.creditor.id, outbox_id)
    if approve(ctx.conn, ctx.creditor.id, [outbox_id], ctx.today) != 1:
        raise ValidationError(f"Le message n° {outbox_id} n'attend pas de validation.")
    ctx.audit("outbox.approve", f"outbox:{outbox_id}", channel=row.channel, step=row.step_key)
    ctx.commit()
    return ctx.redirect("/a-faire", f"Message n° {outbox_id} validé.")


@router.post("/a-faire/{outbox_id}/modifier")
def edit_one(outbox_id: RowId, subject: str = Form(""), body: str = Form(""),
             ctx: Ctx = Depends(page("work"))) -> Response:
    """Change the text of a waiting message before it is sent."""
    from relance.services.send import edit_message

    edit_message(ctx.conn, ctx.creditor.id, outbox_id, subject, body, ctx.today,
                 ctx.user.username)
    ctx.audit("outbox.edit", f"outbox:{outbox_id}", subject=subject.strip()[:200])
    ctx.commit()
    return ctx.redirect("/a-faire", f"Texte du message n° {outbox_id} modifié.")


@router.post("/a-faire/{outbox_id}/ignorer")
def skip_one(outbox_id: RowId, reason: str = Form(""),
             ctx: Ctx = Depends(page("work"))) -> Response:
    """Cancel a waiting message (never sent; the history says so)."""
    from relance.services.send import skip_message

    skip_message(ctx.conn, ctx.creditor.id, outbox_id, ctx.today, reason.strip(),
                 ctx.user.username)
    ctx.audit("outbox.skip", f"outbox:{outbox_id}", reason=reason.strip()[:200])
    ctx.commit()
    return ctx.redirect("/a-faire", f"Message n° {outbox_id} annulé : il ne partira pas.")


# --- Relances: runs, dry run, jobs -----------------------------------------------------------


def _last_runs(ctx: Ctx, limit: int = 10) -> list[dict[str, Any]]:
    """The latest run dates, with what each prepared for this company."""
    runs = list(ctx.conn.execute(select(t.runs).order_by(t.runs.c.run_date.desc())
                                 .limit(limit)))
    dates = [r.run_date for r in runs]
    counts: dict[tuple[str, date], int] = {}
    for table, name in ((t.outbox, "messages"), (t.calls, "calls")):
        for day, n in ctx.conn.execute(
                select(table.c.run_date, func.count()).where(
                    table.c.creditor_id == ctx.creditor.id, table.c.run_date.in_(dates))
                .group_by(table.c.run_date)):
            counts[(name, day)] = n
    return [{"date": r.run_date, "started_at": r.started_at, "finished_at": r.finished_at,
             "messages": counts.get(("messages", r.run_date), 0),
             "calls": counts.get(("calls", r.run_date), 0)} for r in runs]


@router.get("/relances")
def runs_page(ctx: Ctx = Depends(page("read"))) -> Response:
    """The latest runs and jobs; the forms to preview or execute the next run."""
    from relance.services.run import last_run_date

    return ctx.render("runs.html", title="Relances", runs=_last_runs(ctx),
                      last=last_run_date(ctx.conn), jobs=jobs.recent(ctx.conn, ctx.creditor.id),
                      kinds=jobs.KIND_LABELS, statuses=jobs.STATUS_LABELS,
                      can_work=ctx.user.can("work"))


def _run_date(text: str, ctx: Ctx) -> date:
    """The date typed in the form (ISO from the date field, or dd/mm/yyyy), today if empty."""
    text = text.strip()
    if not text:
        return ctx.today
    match = re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", text)
    try:
        if match:
            return date(int(match[3]), int(match[2]), int(match[1]))
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"Date « {text} » invalide : attendu JJ/MM/AAAA.") from None


def _start(ctx: Ctx, run_date: date, dry_run: bool) -> Response:
    """Record the job, then hand the run to a background thread (a run already going on
    is refused by the run's own lock, and the job then says so)."""
    kind = "dry_run" if dry_run else "run"
    job_id = jobs.create(ctx.conn, ctx.creditor.id, ctx.user.id, kind,
                         f"{jobs.KIND_LABELS[kind]} du {run_date:%d/%m/%Y} en attente…")
    ctx.audit("run.preview" if dry_run else "run.execute", f"job:{job_id}",
              date=run_date.isoformat())
    ctx.commit()
    jobs.spawn(jobs.execute_run, ctx.request.app.state.engine, job_id, ctx.creditor.ref,
               run_date, dry_run)
    return ctx.redirect(f"/relances/job/{job_id}")


@router.post("/relances/simulation")
def preview_run(run_date: str = Form("", alias="date"),
                ctx: Ctx = Depends(page("work"))) -> Response:
    """Dry run for a date: what the run would do, and why the rest waits; nothing written."""
    return _start(ctx, _run_date(run_date, ctx), True)


@router.post("/relances/executer")
def execute_run(run_date: str = Form("", alias="date"),
                ctx: Ctx = Depends(page("work"))) -> Response:
    """The run for a date (today at the latest), as a background job."""
    day = _run_date(run_date, ctx)
    if day > ctx.today:
        raise ValidationError(f"Un run ne s'exécute pas à l'avance : le {day:%d/%m/%Y} est "
                              f"après aujourd'hui ({ctx.today:%d/%m/%Y}). Simulez-le plutôt.")
    return _start(ctx, day, False)


@router.get("/relances/job/{job_id}.json")
def job_json(job_id: RowId, ctx: Ctx = Depends(page("read"))) -> Response:
    """The progress of a job, polled by the page."""
    row = jobs.get(ctx.conn, ctx.creditor.id, job_id)
    return JSONResponse(jobs.as_json(row, f"{ctx.base}/relances/job/{job_id}"))


@router.get("/relances/job/{job_id}")
def job_page(job_id: RowId, ctx: Ctx = Depends(page("read"))) -> Response:
    """A job: its progress while it runs, then its result (grouped) or why it failed."""
    row = jobs.get(ctx.conn, ctx.creditor.id, job_id)
    return ctx.render("job.html", title=f"{jobs.KIND_LABELS.get(row.kind, row.kind)} "
                                        f"n° {row.id}",
                      job=row, kinds=jobs.KIND_LABELS, statuses=jobs.STATUS_LABELS,
                      result=row.result or {}, channels=CHANNEL_LABELS)


# --- Imports ----------------------------------------------------------------------------------

KIND_CHOICES = (("invoices", "Factures et avoirs"), ("clients", "Clients"),
                ("payments", "Règlements"))
SUFFIXES = (".csv", ".txt", ".xlsx")
MAX_PROBLEMS_SHOWN = 500


def _mappings(ctx: Ctx) -> list[Any]:
    """The company's saved column mappings."""
    m = t.import_mappings
    return list(ctx.conn.execute(select(m.c.name, m.c.kind)
                                 .where(m.c.creditor_id == ctx.creditor.id).order_by(m.c.name)))


def _imports_page(ctx: Ctx, status_code: int = 200, **data: Any) -> Response:
    from relance.imports.formats import FORMATS

    return ctx.render("imports.html", status_code=status_code, title="Imports",
                      kinds=KIND_CHOICES, formats=FORMATS, mappings=_mappings(ctx),
                      can_work=ctx.user.can("work"), **data)


@router.get("/imports")
def imports_page(ctx: Ctx = Depends(page("read"))) -> Response:
    """The upload form and the columns each kind of file may have."""
    return _imports_page(ctx)


def _safe_name(name: str) -> str:
    """The uploaded file's own name, without any directory, for the error report."""
    base = Path(name.replace("\\", "/")).name.strip() or "fichier"
    return re.sub(r"[^\w.\- ]", "_", base)[:120]


def _mapping(ctx: Ctx, kind: str, saved: str, text: str) -> dict[str, str]:
    """The column mapping: a saved one, then the one typed (champ=Colonne, …)."""
    from relance.imports.formats import parse_mapping
    from relance.services.mappings import load_mapping

    mapping: dict[str, str] = {}
    if saved:
        try:
            mapping.update(load_mapping(ctx.request.app.state.engine, ctx.creditor.id, saved,
                                        kind))
        except NotFoundError as err:
            raise ValidationError(err.message) from None
    if text.strip():
        try:
            mapping.update(parse_mapping(text))
        except ValueError as exc:
            raise ValidationError(f"Correspondance : « {exc} » n'est pas de la forme "
                                  "champ=Nom de colonne.") from None
    return mapping


@router.post("/imports")
def upload(kind: str = Form(...), fichier: UploadFile = File(...),
           correspondance: str = Form(""), colonnes: str = Form(""), encodage: str = Form(""),
           ctx: Ctx = Depends(page("work"))) -> Response:
    """Import an uploaded file, all or nothing; a refusal lists every problem by row."""
    from relance.imports.errors import ImportFailed
    from relance.services.importing import import_file

    if kind not in dict(KIND_CHOICES):
        raise ValidationError(f"Type d'import inconnu : « {kind} ».")
    name = _safe_name(fichier.filename or "")
    if not name.lower().endswith(SUFFIXES):
        raise ValidationError(f"{name} : attendu un fichier CSV ou XLSX (.csv, .txt, .xlsx).")
    mapping = _mapping(ctx, kind, correspondance.strip(), colonnes)
    with tempfile.TemporaryDirectory(prefix="relance-import-") as folder:
        path = Path(folder) / name
        with path.open("wb") as out:
            shutil.copyfileobj(fichier.file, out)
        try:
            report = import_file(ctx.request.app.state.engine, kind, path,
                                 creditor_ref=ctx.creditor.ref, mapping=mapping,
                                 encoding=encodage.strip() or None)
        except ImportFailed as refused:
            ctx.audit("import.refused", name, kind=kind, problems=len(refused.problems))
            ctx.commit()
            return _imports_page(ctx, 400, refused=refused.problems[:MAX_PROBLEMS_SHOWN],
                                 refused_count=len(refused.problems), file=name, kind=kind)
    ctx.audit("import", name, kind=kind, rows=report.rows, created=report.created,
              updated=report.updated)
    ctx.commit()
    return _imports_page(ctx, report=report, file=name, kind=kind)
