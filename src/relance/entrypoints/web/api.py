"""The REST API under /api/v1: clients, invoices, payments, history, promises, disputes, runs
and reports of one creditor company, through the same services as the CLI.

Every call is authenticated by an API token (`Authorization: Bearer rl_…`, see `relance tokens
create`) or by the browser session (then a write carries the `X-CSRF-Token` header). Company
calls live under `/api/v1/creditors/{creditor_ref}/…` and go through `deps.api(right)`: a
company not granted to the user is answered 404, a right the role lacks 403.

JSON conventions: amounts are strings with two decimals ("1234.56"), dates are ISO
("2026-06-30"), lists are pages `{"items": […], "page", "per_page", "total"}`; every write is
recorded in the audit log before it is committed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError
from sqlalchemy import Connection, and_, case, exists, func, or_, select, type_coerce

from relance.adapters import tables as t
from relance.adapters.repository import invoices_with_open_amount
from relance.domain.errors import ValidationError
from relance.domain.money import ZERO, amount_text
from relance.entrypoints.web.deps import (
    UNSAFE,
    CsrfFailed,
    Ctx,
    LoginRequired,
    NotFound,
    api,
    connection,
    creditors_of,
    sent_csrf,
    signed_in,
)
from relance.entrypoints.web.deps import own_client as _client
from relance.entrypoints.web.pages_clients import collectors
from relance.imports.values import BadValue, parse_amount, parse_date
from relance.risk.score import GRADES
from relance.services.users import User, token_user

# --- JSON and input conventions ------------------------------------------------------------


def plain(value: Any) -> Any:
    """JSON-ready data: amounts as strings with two decimals, dates in ISO, no Decimal left."""
    if isinstance(value, Decimal):
        return f"{value:.2f}" if value.as_tuple().exponent == -2 else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return value


def plain_dict(data: Any) -> dict[str, Any]:
    """`plain` of a mapping, typed as one."""
    result: dict[str, Any] = plain(data)
    return result


def money(value: Decimal | None) -> str | None:
    """An amount as the API writes it: "1234.56"."""
    return None if value is None else amount_text(value)


def _amount(value: Any) -> Decimal:
    try:
        return parse_amount(value)
    except (BadValue, TypeError):
        raise PydanticCustomError("montant", "« {value} » : attendu {expected}",
                                  {"value": value, "expected": "un montant comme 1234.56"}
                                  ) from None


FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)  # a stored 9999-12-31 breaks runs


def _day(value: Any) -> date:
    try:
        day = parse_date(value)
    except (BadValue, TypeError, ArithmeticError):
        day = None
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        raise PydanticCustomError("date", "« {value} » : attendu {expected}",
                                  {"value": value, "expected": "une date AAAA-MM-JJ entre "
                                   f"{FIRST_DAY.year} et {LAST_DAY.year}"}) from None
    return day


Amount = Annotated[Decimal, PlainValidator(_amount),
                   WithJsonSchema({"type": "string", "pattern": r"^\d+(\.\d{1,2})?$",
                                   "examples": ["1234.56"]})]
Day = Annotated[date, PlainValidator(_day),
                WithJsonSchema({"type": "string", "format": "date", "examples": ["2026-06-30"]})]

# The largest id the tables hold: ids are INTEGER columns, 32 bits on PostgreSQL, where a
# larger value compared with one is an "integer out of range" error (a 500): 422 instead.
MAX_ID = 2**31 - 1
ClientId = Annotated[int, Path(ge=1, le=MAX_ID, description="Identifiant du client.")]
InvoiceId = Annotated[int, Path(ge=1, le=MAX_ID, description="Identifiant de la facture.")]
DisputeId = Annotated[int, Path(ge=1, le=MAX_ID, description="Identifiant du litige.")]


def client_filter(description: str) -> Any:
    """The optional `client_id` query parameter of a list."""
    return Query(None, ge=1, le=MAX_ID, description=description)


class Problem(BaseModel):
    """An error: the French message to show."""

    detail: str = Field(description="Message d'erreur, en français.")


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Authentification requise (jeton ou session)."},
    403: {"model": Problem, "description": "Rôle insuffisant, ou jeton CSRF absent."},
    404: {"model": Problem, "description": "Introuvable, ou société non accordée."},
}

router = APIRouter(prefix="/api/v1", responses=ERRORS)
COMPANY = "/creditors/{creditor_ref}"


# --- paging ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paging:
    """Which page of a list is asked for."""

    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def wrap(self, items: list[Any], total: int) -> dict[str, Any]:
        return {"items": items, "page": self.page, "per_page": self.per_page, "total": total}


def paging(page: int = Query(1, ge=1, le=1_000_000,
                             description="Numéro de page, à partir de 1 (un million au plus)."),
           per_page: int = Query(50, ge=1, le=500,
                                 description="Éléments par page (500 au plus).")) -> Paging:
    return Paging(page, per_page)


def _page_of_query(conn: Connection, query: Any, pages: Paging, item: Any) -> dict[str, Any]:
    """One page of a SELECT, with the total count of its rows."""
    total = conn.execute(select(func.count()).select_from(
        query.order_by(None).subquery())).scalar_one()
    rows = conn.execute(query.limit(pages.per_page).offset(pages.offset)).all()
    return pages.wrap([item(r) for r in rows], int(total))


def _page_of_list(items: list[Any], pages: Paging) -> dict[str, Any]:
    return pages.wrap(items[pages.offset:pages.offset + pages.per_page], len(items))


# --- who is asking, outside any company ------------------------------------------------------


@dataclass(frozen=True)
class Account:
    """An API caller who passed the guard, outside any company."""

    user: User
    conn: Connection


def api_account(request: Request, conn: Connection = Depends(connection),
                csrf: str = Depends(sent_csrf)) -> Account:
    """The guard of API calls outside any company: a Bearer token, or the session (with its
    CSRF header for writes)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = token_user(conn, header[7:].strip())
        conn.commit()
        if user is None:
            raise LoginRequired()
        return Account(user, conn)
    user, expected = signed_in(request, conn)
    if request.method in UNSAFE and not (csrf and secrets.compare_digest(csrf, expected)):
        raise CsrfFailed()
    return Account(user, conn)


api_account.relance_right = "read"  # type: ignore[attr-defined]


@router.get("/me", tags=["Compte"], summary="Qui suis-je, et quelles sociétés")
def me(account: Account = Depends(api_account)) -> dict[str, Any]:
    """The caller, their role and rights, and the companies granted to them."""
    user = account.user
    return {"username": user.username, "full_name": user.full_name, "role": user.role.name,
            "role_label": user.role.label, "rights": sorted(user.role.rights),
            "companies": [{"ref": c.ref, "name": c.legal_name}
                          for c in creditors_of(account.conn, user)]}


@router.get(COMPANY, tags=["Compte"], summary="La société créancière")
def company(ctx: Ctx = Depends(api("read"))) -> dict[str, Any]:
    """The creditor company's identity and terms."""
    from relance.services.ledger import creditor_dict

    return plain_dict({"id": ctx.creditor.id, **creditor_dict(ctx.creditor)})


# --- clients ---------------------------------------------------------------------------------

STATUSES = {
    "hold": "suspendu",
    "do_not_contact": "ne pas contacter",
    "legal_case": "procédure judiciaire",
    "no_calls": "plus d'appels",
    "blocked": "plus de nouvelles affaires",
    "dispute": "litige ouvert",
    "promise": "promesse en cours",
    "plan": "échéancier en cours",
}


BAD_PAYER = "bad_payer"  # events of this kind prefix need the bad-payer right (CNIL)


def _known_client(ctx: Ctx, client_id: int | None) -> None:
    """A client filter must name a client of this company (404 otherwise)."""
    if client_id is not None:
        _client(ctx, client_id)


def _status_condition(status: str, today: date) -> Any:
    """The SQL condition of a collection status on a client row."""
    c, st, inv = t.clients, t.client_status, t.invoices
    if status == "hold":
        return st.c.hold_until >= today
    if status in ("do_not_contact", "legal_case", "no_calls", "blocked"):
        return st.c[status].is_(True)
    if status == "dispute":
        return exists(select(t.disputes.c.id).join(inv, inv.c.id == t.disputes.c.invoice_id)
                      .where(inv.c.client_id == c.c.id, t.disputes.c.resolved_on.is_(None)))
    if status == "promise":
        return exists(select(t.promises.c.id).where(t.promises.c.client_id == c.c.id,
                                                    t.promises.c.status == "open"))
    if status == "plan":
        return exists(select(t.payment_plans.c.id).where(
            t.payment_plans.c.client_id == c.c.id, t.payment_plans.c.status == "active"))
    raise ValidationError(f"Statut « {status} » inconnu ; attendu : "
                          + ", ".join(STATUSES) + ".")


def _client_query(ctx: Ctx, q: str, grade: str | None, overdue: bool, status: str | None,
                  collector: str | None) -> Any:
    c, s, st = t.clients, t.client_scores, t.client_status
    query = (select(c.c.id, c.c.ref, c.c.name, c.c.kind, c.c.email, c.c.phone, c.c.collector,
                    s.c.grade, s.c.score, st.c.hold_until, st.c.do_not_contact,
                    st.c.legal_case, st.c.no_calls, st.c.blocked)
             .select_from(c.outerjoin(s, s.c.client_id == c.c.id)
                          .outerjoin(st, st.c.client_id == c.c.id))
             .where(c.c.creditor_id == ctx.creditor.id).order_by(c.c.ref))
    if q.strip():
        needle = q.strip().lower()
        query = query.where(or_(func.lower(c.c.ref).contains(needle, autoescape=True),
                                func.lower(c.c.name).contains(needle, autoescape=True)))
    if grade:
        if grade.upper() not in GRADES:
            raise ValidationError(f"Note « {grade} » inconnue ; attendu : "
                                  + ", ".join(GRADES) + ".")
        query = query.where(s.c.grade == grade.upper())
    if overdue:
        late = invoices_with_open_amount(ctx.creditor.id, ctx.today).subquery()
        query = query.where(c.c.id.in_(select(late.c.client_id).where(
            late.c.due_date < ctx.today, late.c.open_amount > 0)))
    if status:
        query = query.where(_status_condition(status, ctx.today))
    if collector is not None:
        query = query.where(c.c.collector == collector)
    return query


def _balances(conn: Connection, creditor_id: int, at: date,
              client_ids: list[int]) -> dict[int, Any]:
    """Open and overdue totals of some clients only (a page of the list)."""
    if not client_ids:
        return {}
    q = invoices_with_open_amount(creditor_id, at).where(
        t.invoices.c.client_id.in_(client_ids)).subquery()
    late = q.c.due_date < at
    rows = conn.execute(
        select(q.c.client_id,
               type_coerce(func.sum(q.c.open_amount), t.Money()).label("open_amount"),
               type_coerce(func.sum(case((late, q.c.open_amount), else_=0)),
                           t.Money()).label("overdue_amount"),
               func.count().label("open_invoices"),
               func.sum(case((late, 1), else_=0)).label("overdue_invoices"))
        .where(q.c.open_amount > 0).group_by(q.c.client_id))
    return {r.client_id: r for r in rows}


def _status_json(row: Any, today: date) -> dict[str, Any]:
    hold = getattr(row, "hold_until", None)
    return {"on_hold": hold is not None and hold >= today, "hold_until": plain(hold),
            "hold_reason": getattr(row, "hold_reason", "") or "",
            "do_not_contact": bool(getattr(row, "do_not_contact", False)),
            "legal_case": bool(getattr(row, "legal_case", False)),
            "no_calls": bool(getattr(row, "no_calls", False)),
            "blocked": bool(getattr(row, "blocked", False)),
            "late_cause": getattr(row, "late_cause", None),
            "scenario": getattr(row, "scenario", None)}


def _client_item(row: Any, balance: Any, today: date) -> dict[str, Any]:
    return {"id": row.id, "ref": row.ref, "name": row.name, "kind": row.kind,
            "email": row.email, "phone": row.phone, "collector": row.collector,
            "grade": row.grade, "score": row.score,
            "open_amount": money(balance.open_amount if balance else ZERO),
            "overdue_amount": money(balance.overdue_amount if balance else ZERO),
            "open_invoices": balance.open_invoices if balance else 0,
            "overdue_invoices": int(balance.overdue_invoices or 0) if balance else 0,
            "status": _status_json(row, today)}


@router.get(COMPANY + "/clients", tags=["Clients"], summary="Liste des clients")
def list_clients(
    ctx: Ctx = Depends(api("read")), pages: Paging = Depends(paging),
    q: str = Query("", description="Recherche dans la référence et le nom du client."),
    grade: str | None = Query(None, description="Note de fiabilité enregistrée (A à E)."),
    overdue: bool = Query(False, description="Seulement les clients ayant une facture échue."),
    status: str | None = Query(None, description="Statut : " + ", ".join(
        f"{k} ({v})" for k, v in STATUSES.items()) + "."),
    collector: str | None = Query(None, description="Seulement les clients de ce chargé."),
) -> dict[str, Any]:
    """Clients by reference, with their open and overdue amounts as of the working date."""
    query = _client_query(ctx, q, grade, overdue, status, collector)
    total = ctx.conn.execute(select(func.count()).select_from(
        query.order_by(None).subquery())).scalar_one()
    rows = ctx.conn.execute(query.limit(pages.per_page).offset(pages.offset)).all()
    balances = _balances(ctx.conn, ctx.creditor.id, ctx.today, [r.id for r in rows])
    return pages.wrap([_client_item(r, balances.get(r.id), ctx.today) for r in rows],
                      int(total))


def _invoice_item(row: Any, at: date, penalty: Any = None) -> dict[str, Any]:
    return {"id": row.id, "number": row.number, "client_id": row.client_id,
            "client_ref": row.client_ref, "client_name": row.client_name,
            "issue_date": plain(row.issue_date), "due_date": plain(row.due_date),
            "amount": money(row.amount), "open_amount": money(row.open_amount),
            "currency": row.currency,
            "days_overdue": max(0, (at - row.due_date).days) if row.open_amount > ZERO else 0,
            "penalties": _penalty_totals(penalty)}


def _penalty_totals(result: Any) -> dict[str, Any] | None:
    from relance.law import NotComputable

    if result is None:
        return None
    if isinstance(result, NotComputable):
        return {"computable": False, "reason": result.reason,
                "missing_half": str(result.missing_half) if result.missing_half else None}
    return {"computable": True, "interest": money(result.interest),
            "indemnity": money(result.indemnity), "total": money(result.total)}


@router.get(COMPANY + "/clients/{client_id}", tags=["Clients"], summary="Fiche d'un client")
def get_client(client_id: ClientId,
               ctx: Ctx = Depends(api("read"))) -> dict[str, Any]:
    """One client: balance, open invoices with penalties, score and its explanation, status,
    contacts (computed for this client only)."""
    from relance.services.ledger import invoice_rows, payment_rows
    from relance.services.penalties import penalties_for_rows
    from relance.services.risk import active_mark, assess_one, assessment_json

    client = _client(ctx, client_id)
    conn, today = ctx.conn, ctx.today
    rows = invoice_rows(conn, ctx.creditor.id, at=today, client_id=client.id)
    penalties = penalties_for_rows(conn, ctx.creditor, rows, today)
    late = [r for r in rows if r.due_date < today]
    credit = sum((p["unallocated"] for p in payment_rows(conn, ctx.creditor.id, client.id)
                  if p["date"] <= today), ZERO)
    status = conn.execute(select(t.client_status).where(
        t.client_status.c.client_id == client.id)).one_or_none()
    contacts = conn.execute(select(t.contacts).where(t.contacts.c.client_id == client.id)
                            .order_by(t.contacts.c.is_primary.desc(), t.contacts.c.id))
    data = {k: v for k, v in client._mapping.items() if k not in ("creditor_id", "created_at")}
    data.update(
        at=today,
        balance={"open_amount": money(sum((r.open_amount for r in rows), ZERO)),
                 "overdue_amount": money(sum((r.open_amount for r in late), ZERO)),
                 "open_invoices": len(rows), "overdue_invoices": len(late),
                 "unallocated_credit": money(credit)},
        open_invoices=[_invoice_item(r, today, penalties.get(r.id)) for r in rows],
        score=assessment_json(assess_one(conn, ctx.creditor.id, client.id, today)),
        status=_status_json(status, today),
        contacts=[{k: v for k, v in c._mapping.items() if k != "client_id"} for c in contacts])
    if ctx.user.can("bad_payers"):
        mark = active_mark(conn, client.id)
        data["bad_payer"] = ({"marked_on": mark.marked_on, "marked_by": mark.marked_by,
                              "reason": mark.reason, "proven_amount": mark.proven_amount}
                             if mark else None)
    return plain_dict(data)


class ClientChange(BaseModel):
    """What to change on a client: its collector and/or its collection status."""

    model_config = ConfigDict(extra="forbid")

    collector: str | None = Field(None, max_length=120, description=(
        "Identifiant d'un chargé de recouvrement ou administrateur actif de la société, "
        "attribué au client (chaîne vide : plus personne)."))
    hold_until: Day | None = Field(None, description=(
        "Suspendre les relances jusqu'à cette date incluse."))
    do_not_contact: bool | None = Field(None, description="Ne plus contacter ce client.")
    legal_case: bool | None = Field(None, description="Procédure judiciaire en cours.")
    reason: str = Field("", max_length=500, description=(
        "Motif du changement de statut (conservé dans l'historique)."))


def _collector(ctx: Ctx, name: str) -> str:
    """The username to assign: an active admin or collector serving this company, or ""."""
    name = name.strip()
    if name and name not in {r.username for r in collectors(ctx.conn, ctx.creditor.id)}:
        raise ValidationError(f"« {name} » ne travaille pas pour cette société : attendu "
                              "l'identifiant d'un chargé de recouvrement ou d'un "
                              "administrateur actif de la société (chaîne vide : personne).")
    return name


@router.patch(COMPANY + "/clients/{client_id}", tags=["Clients"],
              summary="Attribuer un chargé de recouvrement, changer le statut")
def change_client(body: ClientChange, client_id: ClientId,
                  ctx: Ctx = Depends(api("work"))) -> dict[str, Any]:
    """Assign the collector; hold, do-not-contact and legal case go to the history."""
    from relance.services.pauses import assign_collector, set_status

    client = _client(ctx, client_id)
    collector = None if body.collector is None else _collector(ctx, body.collector)
    changes: dict[str, Any] = {}
    if body.hold_until is not None:
        changes.update(hold_until=body.hold_until, hold_reason=body.reason)
    for name in ("do_not_contact", "legal_case"):
        if getattr(body, name) is not None:
            changes[name] = getattr(body, name)
    if collector is None and not changes:
        raise ValidationError("Rien à changer : indiquez collector, hold_until, do_not_contact "
                              "ou legal_case.")
    detail: dict[str, Any] = {k: plain(v) for k, v in changes.items()}
    if collector is not None:
        assign_collector(ctx.conn, ctx.creditor.id, client, collector, "", ctx.today)
        detail["collector"] = collector
    if changes:
        set_status(ctx.conn, ctx.creditor.id, client.id, changes, ctx.today, body.reason)
    ctx.audit("client.update", client.ref, **detail)
    ctx.commit()
    return {"id": client.id, "ref": client.ref, "changed": detail}


@router.get(COMPANY + "/clients/{client_id}/timeline", tags=["Historique"],
            summary="Historique complet d'un client")
def client_timeline(client_id: ClientId,
                    ctx: Ctx = Depends(api("read"))) -> dict[str, Any]:
    """The client's whole history, payments included, in date order."""
    from relance.services.calls import timeline

    client = _client(ctx, client_id)
    events = [e for e in timeline(ctx.conn, client.id)
              if ctx.user.can("bad_payers") or not e["kind"].startswith(BAD_PAYER)]
    return {"client_id": client.id, "ref": client.ref, "events": plain(events)}


# --- invoices --------------------------------------------------------------------------------


@router.get(COMPANY + "/invoices", tags=["Factures"], summary="Liste des factures")
def list_invoices(
    ctx: Ctx = Depends(api("read")), pages: Paging = Depends(paging),
    client_id: int | None = client_filter("Seulement les factures de ce client."),
    status: str = Query("open", pattern="^(open|overdue|all)$", description=(
        "open : non soldées ; overdue : échues et non soldées ; all : toutes.")),
    at: Day | None = Query(None, description=(
        "Situation à cette date : seuls comptent les règlements datés de ce jour ou avant "
        "(défaut : la date de travail).")),
) -> dict[str, Any]:
    """Invoices by due date with their open amount and penalties at the date."""
    from relance.services.penalties import penalties_for_rows

    day = at or ctx.today
    _known_client(ctx, client_id)
    query = invoices_with_open_amount(ctx.creditor.id, day)
    open_amount = query.selected_columns.open_amount
    if status == "overdue":
        query = query.where(t.invoices.c.due_date < day, open_amount > 0)
    elif status == "open":
        query = query.where(open_amount > 0)
    if client_id is not None:
        query = query.where(t.invoices.c.client_id == client_id)
    query = query.order_by(t.invoices.c.due_date, t.invoices.c.number)
    total = ctx.conn.execute(select(func.count()).select_from(
        query.order_by(None).subquery())).scalar_one()
    rows = ctx.conn.execute(query.limit(pages.per_page).offset(pages.offset)).all()
    penalties = penalties_for_rows(ctx.conn, ctx.creditor, rows, day)
    return pages.wrap([_invoice_item(r, day, penalties.get(r.id)) for r in rows], int(total))


def _breakdown(result: Any, waived: bool) -> dict[str, Any]:
    from relance.law import NotComputable

    if isinstance(result, NotComputable):
        return {"computable": False, "reason": result.reason, "waived": waived,
                "missing_half": str(result.missing_half) if result.missing_half else None}
    return {"computable": True, "waived_by_creditor": waived, **result.to_json()}


def _allocations(conn: Connection, invoice_id: int) -> list[dict[str, Any]]:
    a, p = t.allocations, t.payments
    notes = t.invoices.alias("notes")
    rows = conn.execute(
        select(a.c.amount, a.c.payment_id, p.c.date, p.c.reference,
               notes.c.number.label("credit_note"), notes.c.issue_date)
        .select_from(a.outerjoin(p, p.c.id == a.c.payment_id)
                     .outerjoin(notes, notes.c.id == a.c.credit_note_id))
        .where(a.c.invoice_id == invoice_id).order_by(a.c.id))
    return [{"amount": money(r.amount), "payment_id": r.payment_id,
             "credit_note": r.credit_note, "date": plain(r.date or r.issue_date),
             "reference": r.reference or ""} for r in rows]


@router.get(COMPANY + "/invoices/{invoice_id}", tags=["Factures"],
            summary="Détail d'une facture et de ses pénalités")
def get_invoice(invoice_id: InvoiceId,
                at: Day | None = Query(None, description="Calcul à cette date (défaut : la "
                                                         "date de travail)."),
                ctx: Ctx = Depends(api("read"))) -> dict[str, Any]:
    """One invoice: open amount, settlements, disputes and the penalty breakdown."""
    from relance.services.penalties import penalties_of_invoice

    invoice = ctx.conn.execute(select(t.invoices).where(
        t.invoices.c.id == invoice_id, t.invoices.c.creditor_id == ctx.creditor.id,
        t.invoices.c.doc_type == "invoice")).one_or_none()
    if invoice is None:
        raise NotFound("Facture introuvable.")
    day = at or ctx.today
    row, result, waived = penalties_of_invoice(ctx.conn, ctx.creditor, invoice.number, day)
    disputes = ctx.conn.execute(select(t.disputes).where(
        t.disputes.c.invoice_id == invoice.id).order_by(t.disputes.c.id))
    return {**_invoice_item(row, day), "at": day.isoformat(), "terms": invoice.terms,
            "po_ref": invoice.po_ref, "amount_excl_tax": money(invoice.amount_excl_tax),
            "penalties": _breakdown(result, waived),
            "allocations": _allocations(ctx.conn, invoice.id),
            "disputes": [_dispute_item(d, invoice.number, row.client_id, row.client_ref)
                         for d in disputes]}


# --- payments --------------------------------------------------------------------------------


@router.get(COMPANY + "/payments", tags=["Règlements"], summary="Liste des règlements")
def list_payments(
    ctx: Ctx = Depends(api("read")), pages: Paging = Depends(paging),
    client_id: int | None = client_filter("Seulement les règlements de ce client."),
    unallocated: bool = Query(False, description="Seulement ceux qui ne sont pas tout lettrés."),
) -> dict[str, Any]:
    """Payments by date with what is left to allocate."""
    from relance.services.ledger import payment_rows

    _known_client(ctx, client_id)
    rows = payment_rows(ctx.conn, ctx.creditor.id, client_id, unallocated)
    return _page_of_list([{**plain(p), "amount": money(p["amount"]),
                           "unallocated": money(p["unallocated"])} for p in rows], pages)


class PaymentIn(BaseModel):
    """A payment received, entered by hand."""

    model_config = ConfigDict(extra="forbid")

    client_id: int = Field(ge=1, le=MAX_ID, description="Identifiant du client qui a payé.")
    amount: Amount = Field(description="Montant reçu, en euros (ex. \"1234.56\").")
    date: Day | None = Field(None, description="Date du règlement (défaut : la date de "
                                               "travail).")
    invoices: list[str] = Field(default_factory=list, description=(
        "Numéros des factures réglées, dans l'ordre ; sinon, les plus anciennes d'abord."))
    method: str = Field("", max_length=40, description="Mode : virement, chèque, CB…")
    reference: str = Field("", max_length=140, description="Référence du règlement.")


@router.post(COMPANY + "/payments", tags=["Règlements"], status_code=201,
             summary="Saisir un règlement et le lettrer")
def create_payment(body: PaymentIn, ctx: Ctx = Depends(api("work"))) -> dict[str, Any]:
    """Record a payment and allocate it to the invoices named, or oldest first."""
    from relance.services.ledger import record_payment

    client = _client(ctx, body.client_id)
    result = record_payment(ctx.conn, ctx.creditor.id, client_ref=client.ref,
                            paid_on=body.date or ctx.today, amount=body.amount,
                            invoice_numbers=body.invoices, method=body.method,
                            reference=body.reference)
    ctx.audit("payment.add", client.ref, payment_id=result.payment_id,
              amount=money(body.amount), invoices=list(body.invoices))
    ctx.commit()
    return {"payment_id": result.payment_id, "client_id": client.id,
            "allocations": [{"invoice": n, "amount": money(a)} for n, a in result.allocations],
            "unallocated": money(result.unallocated)}


# --- events: the history ---------------------------------------------------------------------


@router.get(COMPANY + "/events", tags=["Historique"], summary="Historique des événements")
def list_events(
    ctx: Ctx = Depends(api("read")), pages: Paging = Depends(paging),
    client_id: int | None = client_filter("Seulement ce client."),
    kind: str | None = Query(None, description="Type d'événement (reminder, call, "
                                                "promise_made, dispute_opened…)."),
    since: Day | None = Query(None, description="Depuis cette date incluse."),
) -> dict[str, Any]:
    """Everything that happened, oldest first: reminders, calls, promises, disputes…"""
    _known_client(ctx, client_id)
    e, inv, c = t.events, t.invoices, t.clients
    query = (select(e.c.id, e.c.occurred_on, e.c.kind, e.c.client_id, c.c.ref.label("client_ref"),
                    e.c.invoice_id, inv.c.number, e.c.summary, e.c.data)
             .select_from(e.outerjoin(inv, inv.c.id == e.c.invoice_id)
                          .outerjoin(c, c.c.id == e.c.client_id))
             .where(e.c.creditor_id == ctx.creditor.id).order_by(e.c.occurred_on, e.c.id))
    if client_id is not None:
        query = query.where(e.c.client_id == client_id)
    if kind:
        query = query.where(e.c.kind == kind)
    if not ctx.user.can("bad_payers"):
        query = query.where(~e.c.kind.startswith(BAD_PAYER, autoescape=True))
    if since is not None:
        query = query.where(e.c.occurred_on >= since)
    return _page_of_query(ctx.conn, query, pages, lambda r: {
        "id": r.id, "date": plain(r.occurred_on), "kind": r.kind, "client_id": r.client_id,
        "client_ref": r.client_ref, "invoice_id": r.invoice_id, "invoice": r.number,
        "summary": r.summary, "data": plain(r.data or {})})


# --- promises --------------------------------------------------------------------------------


def _promise_item(r: Any) -> dict[str, Any]:
    return {"id": r.id, "client_id": r.client_id, "client_ref": r.client_ref,
            "made_on": plain(r.made_on), "pay_by": plain(r.pay_by), "amount": money(r.amount),
            "status": r.status, "closed_on": plain(r.closed_on)}


def _promises_query(creditor_id: int) -> Any:
    p, c = t.promises, t.clients
    return (select(p, c.c.ref.label("client_ref")).join(c, c.c.id == p.c.client_id)
            .where(c.c.creditor_id == creditor_id).order_by(p.c.made_on, p.c.id))


@router.get(COMPANY + "/promises", tags=["Promesses"], summary="Promesses de paiement")
def list_promises(
    ctx: Ctx = Depends(api("read")), pages: Paging = Depends(paging),
    client_id: int | None = client_filter("Seulement ce client."),
    status: str | None = Query(None, pattern="^(open|kept|broken)$",
                               description="open (en cours), kept (tenue), broken (rompue)."),
) -> dict[str, Any]:
    """Promises to pay, oldest first."""
    _known_client(ctx, client_id)
    query = _promises_query(ctx.creditor.id)
    if client_id is not None:
        query = query.where(t.promises.c.client_id == client_id)
    if status:
        query = query.where(t.promises.c.status == status)
    return _page_of_query(ctx.conn, query, pages, _promise_item)


class PromiseIn(BaseModel):
    """A promise to pay made by a client."""

    model_config = ConfigDict(extra="forbid")

    client_id: int = Field(ge=1, le=MAX_ID, description="Identifiant du client qui promet.")
    amount: Amount = Field(description="Montant promis (ex. \"500.00\").")
    pay_by: Day = Field(description="Date de paiement promise.")


@router.post(COMPANY + "/promises", tags=["Promesses"], status_code=201,
             summary="Enregistrer une promesse de paiement")
def create_promise(body: PromiseIn, ctx: Ctx = Depends(api("work"))) -> dict[str, Any]:
    """Dunning pauses until the promised date (plus a grace); a confirmation is queued."""
    from relance.services.pauses import add_promise

    client = _client(ctx, body.client_id)
    promise_id = add_promise(ctx.conn, ctx.creditor.id, client.id, body.amount, body.pay_by,
                             ctx.today)
    ctx.audit("promise.add", client.ref, promise_id=promise_id, amount=money(body.amount),
              pay_by=body.pay_by.isoformat())
    ctx.commit()
    row = ctx.conn.execute(_promises_query(ctx.creditor.id).where(
        t.promises.c.id == promise_id)).one()
    return _promise_item(row)


# --- disputes --------------------------------------------------------------------------------


def _dispute_item(r: Any, number: str, client_id: int, client_ref: str) -> dict[str, Any]:
    return {"id": r.id, "invoice_id": r.invoice_id, "invoice": number, "client_id": client_id,
            "client_ref": client_ref, "opened_on": plain(r.opened_on), "reason": r.reason,
            "resolved_on": plain(r.resolved_on), "resolution": r.resolution,
            "open": r.resolved_on is None}


def _disputes_query(creditor_id: int) -> Any:
    d, inv, c = t.disputes, t.invoices, t.clients
    return (select(d, inv.c.number, inv.c.client_id, c.c.ref.label("client_ref"))
            .join(inv, inv.c.id == d.c.invoice_id).join(c, c.c.id == inv.c.client_id)
            .where(inv.c.creditor_id == creditor_id).order_by(d.c.opened_on, d.c.id))


def _dispute_row(r: Any) -> dict[str, Any]:
    return _dispute_item(r, r.number, r.client_id, r.client_ref)


@router.get(COMPANY + "/disputes", tags=["Litiges"], summary="Litiges")
def list_disputes(
    ctx: Ctx = Depends(api("read")), pages: Paging = Depends(paging),
    client_id: int | None = client_filter("Seulement ce client."),
    status: str = Query("all", pattern="^(open|resolved|all)$",
                        description="open (en cours), resolved (résolus) ou all."),
) -> dict[str, Any]:
    """Disputes on invoices, oldest first."""
    _known_client(ctx, client_id)
    query = _disputes_query(ctx.creditor.id)
    if client_id is not None:
        query = query.where(t.invoices.c.client_id == client_id)
    if status == "open":
        query = query.where(t.disputes.c.resolved_on.is_(None))
    elif status == "resolved":
        query = query.where(t.disputes.c.resolved_on.is_not(None))
    return _page_of_query(ctx.conn, query, pages, _dispute_row)


class DisputeIn(BaseModel):
    """A dispute opened on an invoice: it is not reminded until resolved."""

    model_config = ConfigDict(extra="forbid")

    invoice: str = Field(min_length=1, description="Numéro de la facture contestée.")
    reason: str = Field(min_length=1, max_length=2000, description="Motif du litige.")


class ResolutionIn(BaseModel):
    """How a dispute was settled."""

    model_config = ConfigDict(extra="forbid")

    resolution: str = Field("", max_length=2000, description="Comment le litige a été réglé.")


@router.post(COMPANY + "/disputes", tags=["Litiges"], status_code=201,
             summary="Ouvrir un litige sur une facture")
def open_dispute(body: DisputeIn, ctx: Ctx = Depends(api("work"))) -> dict[str, Any]:
    """The invoice pauses until the dispute is resolved."""
    from relance.services.pauses import open_dispute as open_one

    open_one(ctx.conn, ctx.creditor.id, body.invoice, body.reason, ctx.today)
    ctx.audit("dispute.open", body.invoice, reason=body.reason)
    ctx.commit()
    row = ctx.conn.execute(_disputes_query(ctx.creditor.id).where(
        t.invoices.c.number == body.invoice, t.disputes.c.resolved_on.is_(None))).one()
    return _dispute_row(row)


@router.post(COMPANY + "/disputes/{dispute_id}/resolve", tags=["Litiges"],
             summary="Résoudre un litige")
def resolve_dispute(body: ResolutionIn,
                    dispute_id: DisputeId,
                    ctx: Ctx = Depends(api("work"))) -> dict[str, Any]:
    """Close the dispute: dunning resumes on what is left."""
    from relance.services.pauses import resolve_dispute as resolve_one

    query = _disputes_query(ctx.creditor.id).where(t.disputes.c.id == dispute_id)
    row = ctx.conn.execute(query).one_or_none()
    if row is None:
        raise NotFound("Litige introuvable.")
    if row.resolved_on is not None:
        raise ValidationError(f"Ce litige est déjà résolu (le {row.resolved_on:%d/%m/%Y}).")
    resolve_one(ctx.conn, ctx.creditor.id, row.number, body.resolution, ctx.today)
    ctx.audit("dispute.resolve", row.number, dispute_id=dispute_id,
              resolution=body.resolution)
    ctx.commit()
    return _dispute_row(ctx.conn.execute(query).one())


# --- runs ------------------------------------------------------------------------------------


@router.get(COMPANY + "/runs", tags=["Runs"], summary="Runs quotidiens effectués")
def list_runs(ctx: Ctx = Depends(api("read")), pages: Paging = Depends(paging)
              ) -> dict[str, Any]:
    """Run dates, newest first, with what each prepared for this company."""
    r = t.runs
    query = select(r).order_by(r.c.run_date.desc())
    page = _page_of_query(ctx.conn, query, pages, lambda row: {
        "date": plain(row.run_date), "started_at": plain(row.started_at),
        "finished_at": plain(row.finished_at)})
    days = [date.fromisoformat(i["date"]) for i in page["items"]]
    counts = {name: _per_run(ctx.conn, table, ctx.creditor.id, days)
              for name, table in (("messages", t.outbox), ("calls", t.calls))}
    for item, day in zip(page["items"], days, strict=True):
        item.update({name: found.get(day, 0) for name, found in counts.items()})
    return page


def _per_run(conn: Connection, table: Any, creditor_id: int, days: list[date]
             ) -> dict[date, int]:
    if not days:
        return {}
    return {d: int(n) for d, n in conn.execute(
        select(table.c.run_date, func.count()).where(
            and_(table.c.creditor_id == creditor_id, table.c.run_date.in_(days)))
        .group_by(table.c.run_date))}


class RunIn(BaseModel):
    """Which date to run."""

    model_config = ConfigDict(extra="forbid")

    date: Day | None = Field(None, description="Date du run (défaut : la date de travail).")


@router.post(COMPANY + "/runs/preview", tags=["Runs"],
             summary="Simuler le run d'une date (n'écrit rien)")
def preview_run(body: RunIn | None = None, ctx: Ctx = Depends(api("work"))) -> dict[str, Any]:
    """What the run of that date would do for this company, and why other invoices wait."""
    from relance.services.run import run

    day = (body.date if body else None) or ctx.today
    report = run(ctx.request.app.state.engine, day, dry_run=True, creditor_ref=ctx.creditor.ref)
    return plain_dict(report.as_json())


@router.post(COMPANY + "/runs", tags=["Runs"], status_code=201,
             summary="Exécuter le run d'une date pour cette société")
def execute_run(body: RunIn | None = None, ctx: Ctx = Depends(api("work"))) -> dict[str, Any]:
    """Reminders, calls and formal notices of the date; refused before the last run date and
    after the working date (simulate a later date instead)."""
    from relance.services.run import run

    day = (body.date if body else None) or ctx.today
    if day > ctx.today:  # the runs table is shared: a future date would block every company
        raise ValidationError(f"Un run ne s'exécute pas à l'avance : le {day:%d/%m/%Y} est "
                              f"après aujourd'hui ({ctx.today:%d/%m/%Y}). Simulez-le plutôt.")
    report = run(ctx.request.app.state.engine, day, creditor_ref=ctx.creditor.ref)
    ctx.audit("run.execute", day.isoformat(), actions=len(report.actions),
              clients=report.clients)
    ctx.commit()
    return plain_dict(report.as_json())


# --- reports ---------------------------------------------------------------------------------

AT = Query(None, description="Date du rapport, en fin de journée (défaut : la date de "
                             "travail).")


@router.get(COMPANY + "/reports/aging", tags=["Rapports"], summary="Balance âgée")
def report_aging(at: Day | None = AT, ctx: Ctx = Depends(api("read"))) -> dict[str, Any]:
    """Open amounts by client and by lateness bucket."""
    from relance.services.reports import aging

    return plain_dict(aging(ctx.conn, ctx.creditor.id, at or ctx.today).as_json())


@router.get(COMPANY + "/reports/dso", tags=["Rapports"], summary="DSO et sa tendance")
def report_dso(at: Day | None = AT,
               months: int = Query(12, ge=0, le=120, description="Fins de mois de la "
                                                                "tendance."),
               ctx: Ctx = Depends(api("read"))) -> dict[str, Any]:
    """Days sales outstanding (simple and countback) and its month-end trend."""
    from relance.services.reports import dso

    return plain_dict(dso(ctx.conn, ctx.creditor.id, at or ctx.today, months).as_json())


@router.get(COMPANY + "/reports/cei", tags=["Rapports"],
            summary="Indice d'efficacité du recouvrement (CEI)")
def report_cei(at: Day | None = AT,
               months: int = Query(12, ge=1, le=120, description="Nombre de mois."),
               ctx: Ctx = Depends(api("read"))) -> dict[str, Any]:
    """Collection effectiveness index, month by month."""
    from relance.services.forecast import cei_by_month

    day = at or ctx.today
    rows = cei_by_month(ctx.conn, ctx.creditor.id, day, months)
    return {"at": day.isoformat(), "months": plain([r.as_json() for r in rows])}


@router.get(COMPANY + "/reports/forecast", tags=["Rapports"],
            summary="Prévision d'encaissements")
def report_forecast(at: Day | None = AT,
                    weeks: int = Query(13, ge=1, le=104, description="Nombre de semaines."),
                    ctx: Ctx = Depends(api("read"))) -> dict[str, Any]:
    """Expected cash-in week by week: plans, promises, predicted dates, due dates."""
    from relance.services.forecast import forecast

    return plain_dict(forecast(ctx.conn, ctx.creditor.id, at or ctx.today, weeks).as_json())


@router.get(COMPANY + "/reports/lateness", tags=["Rapports"],
            summary="Retard moyen des factures soldées")
def report_lateness(
    start: Day | None = Query(None, alias="from", description=(
        "Début de la période (défaut : 12 mois calendaires jusqu'à « to »).")),
    end: Day | None = Query(None, alias="to", description="Fin (défaut : la date de travail)."),
    ctx: Ctx = Depends(api("read")),
) -> dict[str, Any]:
    """Average days late of the invoices settled in the period (simple and weighted)."""
    from relance.services.forecast import days_late_paid, month_starts

    end = end or ctx.today
    start = start or month_starts(end, 12)[0]
    if start > end:
        raise ValidationError("« from » doit précéder « to ».")
    return plain_dict(days_late_paid(ctx.conn, ctx.creditor.id, start, end).as_json())


@router.get(COMPANY + "/reports/bad-payers", tags=["Rapports"],
            summary="Mauvais payeurs signalés (usage interne)")
def report_bad_payers(at: Day | None = AT,
                      ctx: Ctx = Depends(api("bad_payers"))) -> dict[str, Any]:
    """Clients marked as bad payers, with their reasons; needs the bad-payer right."""
    from relance.services.risk import assess, bad_payers

    day = at or ctx.today
    rows = bad_payers(ctx.conn, ctx.creditor.id)
    scores = ({a.client_id: a for a in assess(ctx.conn, ctx.creditor.id, day,
                                              [r.client_id for r in rows])} if rows else {})
    data = []
    for r in rows:
        a = scores.get(r.client_id)
        data.append({"client_id": r.client_id, "client": r.ref, "name": r.name,
                     "marked_on": r.marked_on, "marked_by": r.marked_by, "reason": r.reason,
                     "proven_amount": r.proven_amount, "invoices": r.invoices,
                     "overdue_amount": a.behaviour.overdue_amount if a else None,
                     "grade": a.score.grade if a else None,
                     "factors": [f.text for f in a.score.factors if f.points < 0] if a else []})
    data.sort(key=lambda d: d["overdue_amount"] or d["proven_amount"], reverse=True)
    return {"at": day.isoformat(), "clients": plain(data)}
