"""Client reliability: behaviour read set-wise from the ledger, warning signs detected and
recorded, scores stored for the daily run, credit limits, bad-payer marks (CNIL rules).

Everything here reads this creditor's own data only: nothing is ever shared with another
creditor of the same database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import groupby
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import Connection, Date, and_, func, or_, select, text, type_coerce

from relance.adapters import tables as t
from relance.adapters.repository import (
    invoices_with_open_amount,
    open_amount_column,
    settled_subquery,
)
from relance.domain.errors import ValidationError
from relance.domain.money import ZERO
from relance.i18n import format_money
from relance.risk.behaviour import Behaviour, Commitments, InvoiceFact, behaviour
from relance.risk.score import Limits, ObservedSign, Score, score
from relance.risk.signs import (
    POSTPONING_MIN,
    SIGN_KINDS,
    PromiseFact,
    billed_elsewhere,
    financial_keywords,
    postponements,
)
from relance.services.pauses import _event

# --- reading behaviour set-wise ----------------------------------------------------------------

def _facts_query(creditor_id: int, at: date, client_ids: Sequence[int] | None) -> Any:
    """Every client of the creditor, by id, with each invoice issued by `at` (none: one row of
    nulls): amount, what was open at `at`, and the date of its last settlement by then."""
    c, inv = t.clients, t.invoices
    settled = settled_subquery(at, dated=True, of_invoices=None if client_ids is None else (
        select(inv.c.id).where(inv.c.client_id.in_(list(client_ids)))))
    query = (select(c.c.id, inv.c.issue_date, inv.c.due_date, inv.c.amount,
                    open_amount_column(settled), settled.c.last_on)
             .select_from(c.outerjoin(inv, and_(inv.c.client_id == c.c.id,
                                                inv.c.doc_type == "invoice",
                                                inv.c.issue_date <= at))
                          .outerjoin(settled, settled.c.invoice_id == inv.c.id))
             .where(c.c.creditor_id == creditor_id)
             .order_by(c.c.id))
    if client_ids is not None:
        query = query.where(c.c.id.in_(list(client_ids)))
    return query


def _commitments(conn: Connection, creditor_id: int, at: date,
                 client_ids: Sequence[int] | None) -> tuple[dict[int, Commitments],
                                                            dict[int, list[PromiseFact]]]:
    c = t.clients
    scope = [c.c.creditor_id == creditor_id]
    if client_ids is not None:
        scope.append(c.c.id.in_(list(client_ids)))
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    year_ago = at - timedelta(days=365)
    d, inv = t.disputes, t.invoices
    for r in conn.execute(select(inv.c.client_id, d.c.opened_on, d.c.resolved_on)
                          .join(inv, inv.c.id == d.c.invoice_id).join(c, c.c.id == inv.c.client_id)
                          .where(*scope, d.c.opened_on <= at)):
        if r.opened_on > year_ago:
            counts[r.client_id]["disputes_12m"] += 1
        if r.resolved_on is None or r.resolved_on > at:
            counts[r.client_id]["disputes_open"] += 1
    promises: dict[int, list[PromiseFact]] = defaultdict(list)
    p = t.promises
    for pr in conn.execute(select(p.c.client_id, p.c.made_on, p.c.pay_by, p.c.status,
                                  p.c.closed_on).join(c, c.c.id == p.c.client_id)
                           .where(*scope, p.c.made_on <= at)):
        closed = pr.closed_on is not None and pr.closed_on <= at
        status = pr.status if closed else "open"
        promises[pr.client_id].append(PromiseFact(pr.made_on, pr.pay_by, status,
                                                  pr.closed_on if closed else None))
        if status in ("kept", "broken"):
            counts[pr.client_id][f"promises_{status}"] += 1
    for cid, facts in promises.items():
        moved = sum(1 for _, text in postponements(facts, at) if "repoussée" in text)
        counts[cid]["promises_moved"] = moved
    pl = t.payment_plans
    for r in conn.execute(select(pl.c.client_id, pl.c.status, pl.c.closed_on)
                          .join(c, c.c.id == pl.c.client_id)
                          .where(*scope, pl.c.agreed_on <= at)):
        closed = r.closed_on is not None and r.closed_on <= at
        key = {"completed": "plans_completed", "broken": "plans_broken"}.get(
            r.status, "plans_active") if closed else "plans_active"
        counts[r.client_id][key] += 1
    return {cid: Commitments(**vals) for cid, vals in counts.items()}, promises


def signs_in_force(conn: Connection, creditor_id: int, at: date,
                   client_ids: Sequence[int] | None = None) -> dict[int, list[Any]]:
    """Warning-sign rows observed by `at` and not withdrawn by then, per client."""
    w = t.warning_signs
    query = select(w).where(w.c.creditor_id == creditor_id, w.c.observed_on <= at,
                            or_(w.c.withdrawn_on.is_(None), w.c.withdrawn_on > at)
                            ).order_by(w.c.observed_on, w.c.id)
    if client_ids is not None:
        query = query.where(w.c.client_id.in_(list(client_ids)))
    out: dict[int, list[Any]] = defaultdict(list)
    for r in conn.execute(query):
        out[r.client_id].append(r)
    return out


def limits_of(conn: Connection, creditor_id: int,
              client_ids: Sequence[int] | None = None) -> dict[int, Limits]:
    r_, c = t.client_risk, t.clients
    query = select(r_).join(c, c.c.id == r_.c.client_id).where(c.c.creditor_id == creditor_id)
    if client_ids is not None:
        query = query.where(r_.c.client_id.in_(list(client_ids)))
    return {r.client_id: Limits(r.credit_limit, r.insured_limit, r.insurer,
                                r.declare_within_days) for r in conn.execute(query)}


class _PendingSign(NamedTuple):
    id: int
    kind: str
    observed_on: date
    source: str
    detail: str


@dataclass(frozen=True)
class Assessment:
    """A client's behaviour and score at a date."""

    client_id: int
    behaviour: Behaviour
    score: Score
    signs: tuple[Any, ...]


def assess(conn: Connection, creditor_id: int, at: date,
           client_ids: Sequence[int] | None = None,
           pending_signs: Sequence[dict[str, Any]] = (),
           commitments: dict[int, Commitments] | None = None) -> Iterator[Assessment]:
    """Behaviour and score of every client of the creditor (or of some), streamed;
    `pending_signs` are detected signs not written yet (a dry run); `commitments` may be
    given when the caller has already read them."""
    if commitments is None:
        commitments, _ = _commitments(conn, creditor_id, at, client_ids)
    signs = signs_in_force(conn, creditor_id, at, client_ids)
    for row in pending_signs:
        signs.setdefault(row["client_id"], []).append(_PendingSign(
            0, row["kind"], row["observed_on"], row["source"], row["detail"]))
    limits = limits_of(conn, creditor_id, client_ids)
    if conn.dialect.name == "postgresql" and client_ids is None:
        # Every invoice is read: hash joins are always right here, and a nested loop (which
        # stale statistics can make the planner choose) would run for minutes.
        conn.execute(text("SET LOCAL enable_nestloop = off"))
    rows = conn.execute(_facts_query(creditor_id, at, client_ids).execution_options(
        stream_results=True, yield_per=5000))  # on the statement: the connection writes next
    for cid, group in groupby(rows, key=itemgetter(0)):
        facts = [InvoiceFact(issued, due, amount, open_amount,
                             last_on if open_amount <= ZERO else None)
                 for _, issued, due, amount, open_amount, last_on in group
                 if issued is not None]
        seen = signs.get(cid, [])
        observed = [ObservedSign(s.kind, s.observed_on, s.source, s.detail) for s in seen]
        b = behaviour(facts, at, commitments.get(cid))
        yield Assessment(cid, b, score(b, observed, limits.get(cid)), tuple(seen))


def assess_one(conn: Connection, creditor_id: int, client_id: int, at: date) -> Assessment:
    return next(assess(conn, creditor_id, at, [client_id]))


# --- stored scores ------------------------------------------------------------------------------

def stored_grades(conn: Connection, client_ids: Sequence[int] | None = None,
                  creditor_id: int | None = None) -> dict[int, str]:
    s = t.client_scores
    query = select(s.c.client_id, s.c.grade)
    if client_ids is not None:
        query = query.where(s.c.client_id.in_(list(client_ids)))
    if creditor_id is not None:
        query = query.join(t.clients, t.clients.c.id == s.c.client_id).where(
            t.clients.c.creditor_id == creditor_id)
    return dict(conn.execute(query).all())


def scores_refreshed_on(conn: Connection, creditor_id: int) -> date | None:
    """The date all stored scores of the creditor were computed for (the oldest one)."""
    s = t.client_scores
    value: date | None = conn.execute(select(type_coerce(func.min(s.c.computed_on), Date())).join(
        t.clients, t.clients.c.id == s.c.client_id).where(
        t.clients.c.creditor_id == creditor_id)).scalar()
    return value


def score_json(s: Score) -> dict[str, Any]:
    return {"score": s.score, "grade": s.grade,
            "factors": [{"key": f.key, "points": f.points, "text": f.text} for f in s.factors],
            "policy": {"deposit_percent": s.policy.deposit_percent,
                       "max_term_days": s.policy.max_term_days,
                       "credit_limit": f"{s.policy.credit_limit:.2f}",
                       "scenario_tone": s.policy.scenario_tone, "text": s.policy.text},
            "alerts": list(s.alerts)}


def behaviour_json(b: Any) -> dict[str, Any]:
    c = b.commitments
    return {"at": b.at, "invoices": b.invoices, "paid": b.paid, "paid_late": b.paid_late,
            "late_share": f"{b.late_share}", "avg_days_late": f"{b.avg_days_late}",
            "weighted_days_late": f"{b.weighted_days_late}", "longest_delay": b.longest_delay,
            "open_amount": b.open_amount, "overdue_amount": b.overdue_amount,
            "oldest_overdue_days": b.oldest_overdue_days,
            "dso": None if b.dso is None else f"{b.dso}", "sales_12m": b.sales_12m,
            "trend": b.trend,
            "windows": [{"months": w.months, "paid": w.paid, "late_share": f"{w.late_share}",
                         "avg_days_late": f"{w.avg_days_late}"} for w in b.windows],
            "disputes_12m": c.disputes_12m, "disputes_open": c.disputes_open,
            "promises_kept": c.promises_kept, "promises_broken": c.promises_broken,
            "promises_moved": c.promises_moved, "plans_completed": c.plans_completed,
            "plans_broken": c.plans_broken, "plans_active": c.plans_active}


def assessment_json(a: Any) -> dict[str, Any]:
    data = score_json(a.score)
    data["behaviour"] = behaviour_json(a.behaviour)
    data["signs"] = [{"id": s.id, "kind": s.kind, "label": SIGN_KINDS[s.kind].label,
                      "observed_on": s.observed_on, "source": s.source, "detail": s.detail}
                     for s in a.signs]
    return data


def refresh_scores(conn: Connection, creditor_id: int, at: date, *,
                   store: bool = True) -> dict[int, Assessment]:
    """Detect automatic signs, then score every client at `at`; stored scores (and a history
    event when a grade changes) unless `store` is false, in which case nothing is written but
    the result is the same. Returns the assessments."""
    commitments, promises = _commitments(conn, creditor_id, at, None)
    pending = detect_signs(conn, creditor_id, at, write=store, promises=promises)
    previous = stored_grades(conn, creditor_id=creditor_id)
    found = {a.client_id: a for a in assess(conn, creditor_id, at,
                                            pending_signs=() if store else pending,
                                            commitments=commitments)}
    if not store:
        return found
    s = t.client_scores
    rows = []
    for cid, a in found.items():
        data = score_json(a.score)
        rows.append({"client_id": cid, "computed_on": at, "score": a.score.score,
                     "grade": a.score.grade, "factors": data["factors"],
                     "policy": data["policy"]})
    conn.execute(s.delete().where(s.c.client_id.in_(
        select(t.clients.c.id).where(t.clients.c.creditor_id == creditor_id))))
    for start in range(0, len(rows), 5000):
        conn.execute(s.insert(), rows[start:start + 5000])
    events = []
    for cid, a in found.items():
        before = previous.get(cid)
        if before is not None and before != a.score.grade:
            worst = [f.text for f in sorted(a.score.factors, key=lambda f: f.points)[:3]
                     if f.points < 0]
            events.append({"creditor_id": creditor_id, "client_id": cid, "invoice_id": None,
                           "kind": "grade_changed", "occurred_on": at,
                           "summary": f"Note de fiabilité {before} → {a.score.grade} (score "
                                      f"{a.score.score})" + (" : " + " ; ".join(worst)
                                                              if worst else ""),
                           "data": {"before": before, "after": a.score.grade,
                                    "score": a.score.score}})
    if events:
        conn.execute(t.events.insert(), events)
    return found


# --- warning signs --------------------------------------------------------------------------

def _existing_refs(conn: Connection, creditor_id: int, kinds: Iterable[str]) -> set[tuple[int, str,
                                                                                         str]]:
    w = t.warning_signs
    return set(conn.execute(select(w.c.client_id, w.c.kind, w.c.source_ref).where(
        w.c.creditor_id == creditor_id, w.c.kind.in_(list(kinds)))).all())


def detect_signs(conn: Connection, creditor_id: int, at: date, *, write: bool = True,
                 promises: dict[int, list[PromiseFact]] | None = None) -> list[dict[str, Any]]:
    """Record the signs Relance sees by itself (idempotent: each observation once); with
    `write` false, only return the rows that would be recorded (for a dry run)."""
    known = _existing_refs(conn, creditor_id, ("other_company", "financial_difficulties",
                                                "postponing"))
    new: list[dict[str, Any]] = []

    def add(cid: int, kind: str, on: date, source: str, ref: str, detail: str) -> None:
        if (cid, kind, ref) not in known:
            known.add((cid, kind, ref))
            new.append({"creditor_id": creditor_id, "client_id": cid, "kind": kind,
                        "observed_on": on, "source": source, "source_ref": ref,
                        "detail": detail, "recorded_by": "Relance (détection automatique)"})

    inv, c = t.invoices, t.clients
    for r in conn.execute(select(inv.c.client_id, inv.c.number, inv.c.issue_date,
                                 inv.c.billed_siren, c.c.siren)
                          .join(c, c.c.id == inv.c.client_id)
                          .where(inv.c.creditor_id == creditor_id, inv.c.billed_siren != "",
                                 inv.c.issue_date <= at)):
        if billed_elsewhere(r.siren, r.billed_siren):
            add(r.client_id, "other_company", r.issue_date, "invoice", f"invoice:{r.number}",
                f"Facture {r.number} adressée au SIREN {r.billed_siren} au lieu de "
                f"{r.siren}")
    e = t.events
    for ev in conn.execute(select(e.c.id, e.c.client_id, e.c.kind, e.c.occurred_on,
                                  e.c.summary, e.c.data)
                           .where(e.c.creditor_id == creditor_id,
                                  e.c.kind.in_(("call", "email_logged")),
                                  e.c.occurred_on <= at, e.c.client_id.is_not(None))):
        text = " ".join(filter(None, [ev.summary, (ev.data or {}).get("note", ""),
                                      (ev.data or {}).get("text", "")]))
        words = financial_keywords(text)
        if words:
            source = "call" if ev.kind == "call" else "email"
            where = "note d'appel" if source == "call" else "courriel consigné"
            add(ev.client_id, "financial_difficulties", ev.occurred_on, source,
                f"event:{ev.id}", f"{where.capitalize()} du {ev.occurred_on:%d/%m/%Y} : "
                + ", ".join(f"« {w} »" for w in words))
    if promises is None:
        _, promises = _commitments(conn, creditor_id, at, None)
    for cid, facts in promises.items():
        found = postponements(facts, at)
        if len(found) >= POSTPONING_MIN:
            for on, text in found:
                add(cid, "postponing", on, "promise", f"promise:{on.isoformat()}:{text[:60]}",
                    text)
    if new and write:
        conn.execute(t.warning_signs.insert(), new)
        for row in new:
            _event(conn, creditor_id, row["client_id"], None, "warning_sign", row["observed_on"],
                   f"Signal d'alerte : {SIGN_KINDS[row['kind']].label} — {row['detail']}",
                   {"kind": row["kind"], "source": row["source"]})
    return new


def record_sign(conn: Connection, creditor_id: int, client: Any, kind: str, on: date,
                detail: str, by: str, *, source: str = "manual", ref: str = "") -> int:
    """Record a sign by hand (or from a registry); returns its id."""
    if kind not in SIGN_KINDS:
        raise ValidationError(f"Signal « {kind} » inconnu ; attendu : "
                              + ", ".join(SIGN_KINDS) + ".")
    ref = ref or f"{source}:{on.isoformat()}:{detail[:80]}"
    w = t.warning_signs
    found = conn.execute(select(w.c.id).where(w.c.client_id == client.id, w.c.kind == kind,
                                              w.c.source_ref == ref)).first()
    if found is not None:
        return int(found.id)
    key = conn.execute(w.insert().values(
        creditor_id=creditor_id, client_id=client.id, kind=kind, observed_on=on, source=source,
        source_ref=ref, detail=detail, recorded_by=by)).inserted_primary_key
    assert key is not None
    new_id = key[0]
    _event(conn, creditor_id, client.id, None, "warning_sign", on,
           f"Signal d'alerte : {SIGN_KINDS[kind].label}" + (f" — {detail}" if detail else ""),
           {"kind": kind, "source": source, "by": by})
    return int(new_id)


def withdraw_sign(conn: Connection, creditor_id: int, sign_id: int, on: date,
                  reason: str) -> Any:
    w = t.warning_signs
    row = conn.execute(select(w).where(w.c.id == sign_id, w.c.creditor_id == creditor_id)).first()
    if row is None:
        raise ValidationError(f"Signal n° {sign_id} inconnu pour cette société.")
    if row.withdrawn_on is not None:
        raise ValidationError(f"Le signal n° {sign_id} est déjà retiré.")
    conn.execute(w.update().where(w.c.id == sign_id).values(withdrawn_on=on,
                                                            withdrawn_reason=reason))
    _event(conn, creditor_id, row.client_id, None, "warning_sign_withdrawn", on,
           f"Signal retiré : {SIGN_KINDS[row.kind].label}" + (f" — {reason}" if reason else ""),
           {"sign_id": sign_id})
    return row


def sign_rows(conn: Connection, creditor_id: int, client_id: int) -> list[Any]:
    w = t.warning_signs
    return list(conn.execute(select(w).where(w.c.creditor_id == creditor_id,
                                             w.c.client_id == client_id)
                             .order_by(w.c.observed_on, w.c.id)))


# --- limits -----------------------------------------------------------------------------------

def set_limits(conn: Connection, creditor_id: int, client: Any, on: date,
               changes: dict[str, Any]) -> Limits:
    """Set the credit limit and the credit-insurance terms of a client."""
    r_ = t.client_risk
    row = conn.execute(select(r_).where(r_.c.client_id == client.id)).first()
    values = dict(row._mapping) if row else {"client_id": client.id, "credit_limit": None,
                                             "insured_limit": None, "insurer": "",
                                             "declare_within_days": None}
    values.update(changes)
    if row:
        conn.execute(r_.update().where(r_.c.client_id == client.id).values(**values))
    else:
        conn.execute(r_.insert().values(**values))
    parts = []
    if values["credit_limit"] is not None:
        parts.append(f"limite de crédit {format_money(values['credit_limit'])}")
    if values["insured_limit"] is not None:
        parts.append(f"montant assuré {format_money(values['insured_limit'])}"
                     + (f" ({values['insurer']})" if values["insurer"] else ""))
    if values["declare_within_days"] is not None:
        parts.append(f"menace de sinistre à déclarer sous {values['declare_within_days']} jours")
    _event(conn, creditor_id, client.id, None, "limits_set", on,
           "Limites de crédit : " + (", ".join(parts) or "aucune"), {})
    return Limits(values["credit_limit"], values["insured_limit"], values["insurer"],
                  values["declare_within_days"])


# --- bad-payer marks (CNIL) ------------------------------------------------------------------

def proven_unpaid(conn: Connection, creditor_id: int, client_id: int,
                  at: date) -> list[tuple[str, Decimal]]:
    """Invoices overdue at `at`, not disputed, already reminded at least once: the only sums
    a bad-payer mark may rest on (a certain sum of a set amount, checked by a person)."""
    inv = t.invoices
    rows = conn.execute(invoices_with_open_amount(creditor_id, at).where(
        inv.c.client_id == client_id, inv.c.due_date < at)).all()
    disputed = set(conn.execute(select(t.disputes.c.invoice_id).where(
        t.disputes.c.invoice_id.in_([r.id for r in rows]),
        t.disputes.c.opened_on <= at,
        or_(t.disputes.c.resolved_on.is_(None), t.disputes.c.resolved_on > at))).scalars())
    reminded: set[str] = set()
    for data in conn.execute(select(t.events.c.data).where(
            t.events.c.client_id == client_id, t.events.c.kind.in_(("reminder", "formal_notice")),
            t.events.c.occurred_on <= at)).scalars():
        reminded.update((data or {}).get("invoices", []))
    reminded.update(conn.execute(select(t.invoices.c.number).join(
        t.events, t.events.c.invoice_id == t.invoices.c.id).where(
        t.events.c.client_id == client_id, t.events.c.kind == "formal_notice",
        t.events.c.occurred_on <= at)).scalars())
    return [(r.number, r.open_amount) for r in rows
            if r.open_amount > ZERO and r.id not in disputed and r.number in reminded]


def mark_bad_payer(conn: Connection, creditor_id: int, client: Any, on: date, by: str,
                   reason: str) -> Decimal:
    """Mark a client as a bad payer after a human check; returns the proven unpaid total."""
    if not by.strip():
        raise ValidationError("Indiquez qui a vérifié le dossier (--by) : l'inscription "
                              "demande un contrôle humain (CNIL).")
    if not reason.strip():
        raise ValidationError("Le motif de l'inscription est obligatoire.")
    proven = proven_unpaid(conn, creditor_id, client.id, on)
    if not proven:
        raise ValidationError(
            f"Impossible de signaler « {client.ref} » comme mauvais payeur : aucune somme "
            "impayée avérée (facture échue, relancée au moins une fois et non contestée). "
            "La CNIL n'admet que des impayés certains et vérifiés.")
    m = t.bad_payer_marks
    if conn.execute(select(m.c.id).where(m.c.client_id == client.id,
                                         m.c.removed_on.is_(None))).first():
        raise ValidationError(f"« {client.ref} » est déjà signalé comme mauvais payeur.")
    total = sum((a for _, a in proven), ZERO)
    conn.execute(m.insert().values(creditor_id=creditor_id, client_id=client.id, marked_on=on,
                                   marked_by=by, reason=reason, proven_amount=total,
                                   invoices=[n for n, _ in proven]))
    _event(conn, creditor_id, client.id, None, "bad_payer_marked", on,
           f"Signalé mauvais payeur par {by} : {reason} ({format_money(total)} impayés "
           "avérés ; usage interne uniquement, jamais partagé)",
           {"by": by, "amount": f"{total:.2f}"})
    return total


def unmark_bad_payer(conn: Connection, creditor_id: int, client: Any, on: date,
                     reason: str) -> bool:
    m = t.bad_payer_marks
    row = conn.execute(select(m).where(m.c.client_id == client.id,
                                       m.c.removed_on.is_(None))).first()
    if row is None:
        return False
    conn.execute(m.update().where(m.c.id == row.id).values(removed_on=on,
                                                           removed_reason=reason))
    _event(conn, creditor_id, client.id, None, "bad_payer_unmarked", on,
           f"Signalement mauvais payeur retiré : {reason}", {})
    return True


def lift_paid_marks(conn: Connection, creditor_id: int, on: date) -> list[str]:
    """Remove the marks of clients whose marked invoices are paid (the CNIL asks within
    48 hours: the daily run and every payment import call this). Returns the client refs."""
    m, c, inv = t.bad_payer_marks, t.clients, t.invoices
    marks = conn.execute(select(m.c.id, m.c.client_id, m.c.invoices, c.c.ref)
                         .join(c, c.c.id == m.c.client_id)
                         .where(m.c.creditor_id == creditor_id, m.c.removed_on.is_(None))).all()
    if not marks:
        return []
    still_owed = {(r.client_id, r.number) for r in conn.execute(
        invoices_with_open_amount(creditor_id).where(
            inv.c.client_id.in_({mark.client_id for mark in marks}))) if r.open_amount > ZERO}
    lifted = []
    for mark in marks:
        if not any((mark.client_id, number) in still_owed for number in mark.invoices):
            conn.execute(m.update().where(m.c.id == mark.id).values(
                removed_on=on, removed_reason="impayés réglés"))
            _event(conn, creditor_id, mark.client_id, None, "bad_payer_unmarked", on,
                   "Signalement mauvais payeur retiré automatiquement : impayés réglés", {})
            lifted.append(mark.ref)
    return lifted


def active_mark(conn: Connection, client_id: int) -> Any:
    m = t.bad_payer_marks
    return conn.execute(select(m).where(m.c.client_id == client_id,
                                        m.c.removed_on.is_(None))).first()


def bad_payers(conn: Connection, creditor_id: int) -> list[Any]:
    m, c = t.bad_payer_marks, t.clients
    return list(conn.execute(select(m, c.c.ref, c.c.name).join(c, c.c.id == m.c.client_id)
                             .where(m.c.creditor_id == creditor_id, m.c.removed_on.is_(None))
                             .order_by(m.c.proven_amount.desc())))

