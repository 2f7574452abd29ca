"""Penalties of invoices in the database: the law core fed with the ledger, settings and rates.

Everything the pure core needs is read here: the shipped rate table overridden by the rates
the user added, the creditor's conventions, each invoice's settlements up to a date, its
formal notice, its contractual rate (invoice, else client, else the creditor's own terms) and
the waivers in force. A missing rate never raises: it becomes a "not computable" reason.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, select

from relance.adapters import tables as t
from relance.adapters.repository import credit_notes
from relance.domain.errors import NotFoundError, ValidationError
from relance.law import (
    SETTINGS,
    Conventions,
    InvoiceInput,
    NotComputable,
    NoticeDates,
    PenaltyResult,
    PenaltyTotals,
    RateEntry,
    RateTable,
    Settlement,
    compute_many,
    load_shipped_rates,
    penalty_or_reason,
)
from relance.law.errors import LawError
from relance.law.halfyear import HalfYear

NOTICE_EVENT = "formal_notice"


# --- rates ---------------------------------------------------------------------------------


def user_rates(conn: Connection) -> list[RateEntry]:
    """The rates the user added (`relance rates add`), which win over the shipped table."""
    return [
        RateEntry.of(HalfYear.parse(r.half), ecb=r.ecb, legal_private=r.legal_private,
                     legal_other=r.legal_other, source=r.source, origin="user")
        for r in conn.execute(select(t.rate_overrides).order_by(t.rate_overrides.c.half))
    ]


def rate_table(conn: Connection | None) -> RateTable:
    """Shipped rates, overridden by the database's when a connection is given."""
    shipped = load_shipped_rates()
    return shipped if conn is None else shipped.with_overrides(user_rates(conn))


def save_rate(conn: Connection, entry: RateEntry, *, replace: bool) -> bool:
    """Store a user rate; True when it replaced one already in the database."""
    existing = conn.execute(select(t.rate_overrides.c.id).where(
        t.rate_overrides.c.half == str(entry.half))).scalar_one_or_none()
    if existing is not None and not replace:
        raise ValidationError(
            f"Le semestre {entry.half} a déjà des taux saisis : utilisez « relance rates add "
            f"{entry.half} … --replace » pour les remplacer.")
    if existing is not None:
        conn.execute(delete(t.rate_overrides).where(t.rate_overrides.c.id == existing))
    conn.execute(t.rate_overrides.insert().values(
        half=str(entry.half), ecb=entry.ecb, legal_private=entry.legal_private,
        legal_other=entry.legal_other, source=entry.ecb_source))
    return existing is not None


# --- conventions -----------------------------------------------------------------------------


def conventions_for(conn: Connection, creditor_id: int) -> Conventions:
    """The creditor's conventions: settings stored for it, else the defaults."""
    known = {s.name for s in SETTINGS}
    values = {r.name: r.value for r in conn.execute(
        select(t.creditor_settings.c.name, t.creditor_settings.c.value).where(
            t.creditor_settings.c.creditor_id == creditor_id)) if r.name in known}
    return Conventions.from_settings(values)


# Settings of the daily run, stored beside the conventions: (name, default, French help).
RUN_SETTINGS: tuple[tuple[str, str, str], ...] = (
    ("guard_max_per_week", "2", "Garde de courtoisie : nombre maximal de relances par client sur "
     "7 jours."),
    ("guard_min_gap_days", "3", "Garde de courtoisie : jours minimum entre deux relances."),
    ("call_hours", "10:00-13:00,14:00-19:00", "Créneaux d'appel, du lundi au vendredi."),
    ("collector_legal_name", "", "Recouvrement pour le compte d'autrui (cabinet, agence) : "
     "raison sociale de celui qui écrit ; vide si la société créancière écrit elle-même. "
     "Active les mentions de l'article R124-4 du CPCE."),
    ("collector_address", "", "Adresse de celui qui recouvre (lignes séparées par |)."),
    ("collector_siren", "", "SIREN de celui qui recouvre."),
    ("collector_email", "", "E-mail de celui qui recouvre."),
    ("collector_phone", "", "Téléphone de celui qui recouvre."),
    ("collector_mandate", "", "Référence et date du mandat de recouvrement."),
    ("collector_iban", "", "IBAN où le débiteur paie, si ce n'est pas celui du créancier."),
    ("collector_bic", "", "BIC correspondant."),
    ("notice_deadline_from", "delivery", "Point de départ du délai de la mise en demeure : "
     "delivery (remise) ou first_presentation (première présentation, lettre non réclamée)."),
)


def run_settings(conn: Connection, creditor_id: int) -> dict[str, str]:
    """The daily-run settings of a creditor, defaults filled in."""
    stored = dict(conn.execute(select(t.creditor_settings.c.name, t.creditor_settings.c.value)
                               .where(t.creditor_settings.c.creditor_id == creditor_id)).all())
    return {name: stored.get(name, default) for name, default, _ in RUN_SETTINGS}


def _check_run_setting(name: str, value: str) -> str:
    import re

    text = value.strip()
    if name.startswith("collector_"):
        if len(text) > 200:
            raise ValidationError(f"Réglage {name} : 200 caractères au plus.")
        return text
    if name == "notice_deadline_from":
        if text not in ("delivery", "first_presentation"):
            raise ValidationError(f"Réglage {name} : « {value} » ; attendu delivery ou "
                                  "first_presentation.")
        return text
    if name == "call_hours":
        slot = r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d"
        if not re.fullmatch(rf"{slot}(,{slot})*", text.replace(" ", "")):
            raise ValidationError(f"Réglage call_hours : « {value} » ; attendu des créneaux "
                                  "HH:MM-HH:MM séparés par des virgules.")
        return text.replace(" ", "")
    number = int(text) if text.isdecimal() and len(text) <= 3 else -1
    if not 0 <= number <= 30:
        raise ValidationError(f"Réglage {name} : « {value} » ; attendu un nombre entier de 0 "
                              "à 30.")
    return str(number)


def set_convention(conn: Connection, creditor_id: int, name: str, value: str) -> Conventions:
    """Validate and store one setting for a creditor; returns the resulting conventions."""
    current = conventions_for(conn, creditor_id).as_dict()
    if name in {n for n, _, _ in RUN_SETTINGS}:
        _store(conn, creditor_id, name, _check_run_setting(name, value))
        return conventions_for(conn, creditor_id)
    if name not in {s.name for s in SETTINGS}:
        raise ValidationError(f"Réglage inconnu : « {name} ». Réglages possibles : "
                              + ", ".join([s.name for s in SETTINGS]
                                          + [n for n, _, _ in RUN_SETTINGS]) + ".")
    try:
        result = Conventions.from_settings(
            {k: v for k, v in current.items() if k in {s.name for s in SETTINGS}} | {name: value})
    except LawError as err:
        raise ValidationError(err.message) from None
    _store(conn, creditor_id, name, str(result.as_dict()[name]).lower())
    return result


def _store(conn: Connection, creditor_id: int, name: str, value: str) -> None:
    conn.execute(delete(t.creditor_settings).where(
        t.creditor_settings.c.creditor_id == creditor_id, t.creditor_settings.c.name == name))
    conn.execute(t.creditor_settings.insert().values(
        creditor_id=creditor_id, name=name, value=value))


# --- per-invoice inputs ----------------------------------------------------------------------


def settlements_of(conn: Connection, invoice_ids: Iterable[int],
                   at: date) -> dict[int, list[Settlement]]:
    """Payments and credit notes allocated to each invoice, dated on or before `at`."""
    ids = list(invoice_ids)
    found: dict[int, list[Settlement]] = defaultdict(list)
    if not ids:
        return found
    a, p = t.allocations, t.payments
    effective = a.c.effective_on
    query = (
        select(a.c.invoice_id, a.c.amount, effective.label("on"),
               p.c.reference, credit_notes.c.number.label("credit_note"))
        .select_from(a.outerjoin(p, a.c.payment_id == p.c.id)
                     .outerjoin(credit_notes, a.c.credit_note_id == credit_notes.c.id))
        .where(effective <= at)
        .order_by(effective, a.c.id)
    )
    for chunk in _chunks(ids):
        for r in conn.execute(query.where(a.c.invoice_id.in_(chunk))):
            label = f"avoir {r.credit_note}" if r.credit_note else (r.reference or "règlement")
            found[r.invoice_id].append(Settlement(r.on, r.amount, label))
    return found


def notices_of(conn: Connection, invoice_ids: Iterable[int],
               at: date) -> dict[int, NoticeDates]:
    """The first formal notice of each invoice sent on or before `at` (events of the history)."""
    ids = list(invoice_ids)
    found: dict[int, NoticeDates] = {}
    e = t.events
    query = (select(e.c.invoice_id, e.c.data).where(e.c.kind == NOTICE_EVENT,
                                                    e.c.occurred_on <= at)
             .order_by(e.c.occurred_on, e.c.id))
    for chunk in _chunks(ids):
        for r in conn.execute(query.where(e.c.invoice_id.in_(chunk))):
            if r.invoice_id in found:
                continue
            data = r.data or {}
            found[r.invoice_id] = NoticeDates(
                sent=date.fromisoformat(data["sent"]),
                first_presented=_opt_date(data.get("first_presented")),
                received=_opt_date(data.get("received")))
    return found


def record_notice(conn: Connection, creditor_id: int, invoice_number: str, *, sent: date,
                  first_presented: date | None = None, received: date | None = None,
                  summary: str = "", lrar: str = "") -> int:
    """Record a formal notice sent outside Relance (its dates drive B2C legal interest)."""
    invoice = invoice_by_number(conn, creditor_id, invoice_number)
    try:
        NoticeDates(sent=sent, first_presented=first_presented, received=received)
    except LawError as err:
        raise ValidationError(err.message) from None
    data = {"sent": sent.isoformat(),
            "first_presented": first_presented.isoformat() if first_presented else None,
            "received": received.isoformat() if received else None, "lrar": lrar}
    return int(conn.execute(t.events.insert().values(
        creditor_id=creditor_id, client_id=invoice.client_id, invoice_id=invoice.id,
        kind=NOTICE_EVENT, occurred_on=sent, data=data,
        summary=summary or (f"Mise en demeure envoyée le {sent:%d/%m/%Y}"
                            + (f" (LRAR n° {lrar})" if lrar else "")
                            + (f", remise le {received:%d/%m/%Y}" if received else "")),
    )).inserted_primary_key[0])  # type: ignore[index]


def _opt_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Waived:
    """Waivers in force at a date."""

    clients: frozenset[int]
    invoices: frozenset[int]

    def covers(self, client_id: int, invoice_id: int) -> bool:
        """Whether the penalties of this invoice are waived."""
        return client_id in self.clients or invoice_id in self.invoices


def waivers_in_force(conn: Connection, creditor_id: int, at: date) -> Waived:
    """Waivers granted on or before `at` and not revoked by then."""
    w = t.waivers
    rows = conn.execute(select(w.c.client_id, w.c.invoice_id).where(
        w.c.creditor_id == creditor_id, w.c.waived_on <= at,
        (w.c.revoked_on.is_(None)) | (w.c.revoked_on > at)))
    clients: set[int] = set()
    invoices: set[int] = set()
    for r in rows:
        if r.client_id is not None:
            clients.add(r.client_id)
        else:
            invoices.add(r.invoice_id)
    return Waived(frozenset(clients), frozenset(invoices))


def waive(conn: Connection, creditor_id: int, *, on: date, reason: str,
          client_id: int | None = None, invoice_id: int | None = None) -> int:
    """Waive penalties and indemnity for a client or an invoice; kept in the history."""
    target = "client" if client_id is not None else "invoice"
    waiver_id = int(conn.execute(t.waivers.insert().values(
        creditor_id=creditor_id, client_id=client_id, invoice_id=invoice_id, waived_on=on,
        reason=reason)).inserted_primary_key[0])  # type: ignore[index]
    if client_id is None:
        client_id = conn.execute(select(t.invoices.c.client_id).where(
            t.invoices.c.id == invoice_id)).scalar_one()
    conn.execute(t.events.insert().values(
        creditor_id=creditor_id, client_id=client_id, invoice_id=invoice_id,
        kind="penalties_waived", occurred_on=on,
        summary=("Pénalités et indemnité abandonnées pour "
                 + ("toutes les factures du client" if target == "client" else "la facture")
                 + (f" : {reason}" if reason else "")),
        data={"waiver_id": waiver_id, "reason": reason}))
    return waiver_id


def revoke_waiver(conn: Connection, creditor_id: int, waiver_id: int, on: date) -> None:
    """End a waiver from `on`; the history keeps both."""
    w = t.waivers
    row = conn.execute(select(w).where(w.c.id == waiver_id, w.c.creditor_id == creditor_id)
                       ).one_or_none()
    if row is None:
        raise NotFoundError(f"Abandon de pénalités n° {waiver_id} introuvable.")
    if row.revoked_on is not None:
        raise ValidationError(f"L'abandon n° {waiver_id} est déjà révoqué depuis le "
                              f"{row.revoked_on:%d/%m/%Y}.")
    if on < row.waived_on:
        raise ValidationError("La révocation ne peut pas précéder l'abandon "
                              f"({row.waived_on:%d/%m/%Y}).")
    conn.execute(w.update().where(w.c.id == waiver_id).values(revoked_on=on))
    client_id = row.client_id if row.client_id is not None else conn.execute(
        select(t.invoices.c.client_id).where(t.invoices.c.id == row.invoice_id)).scalar_one()
    conn.execute(t.events.insert().values(
        creditor_id=creditor_id, client_id=client_id, invoice_id=row.invoice_id,
        kind="waiver_revoked", occurred_on=on,
        summary=f"Abandon de pénalités n° {waiver_id} révoqué", data={"waiver_id": waiver_id}))


def waiver_rows(conn: Connection, creditor_id: int) -> list[Any]:
    """Every waiver with its target, newest first."""
    w = t.waivers
    return list(conn.execute(
        select(w.c.id, w.c.waived_on, w.c.revoked_on, w.c.reason,
               t.clients.c.ref.label("client_ref"), t.invoices.c.number.label("invoice_number"))
        .select_from(w.outerjoin(t.clients, w.c.client_id == t.clients.c.id)
                     .outerjoin(t.invoices, w.c.invoice_id == t.invoices.c.id))
        .where(w.c.creditor_id == creditor_id).order_by(w.c.waived_on.desc(), w.c.id.desc())))


# --- computing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What every invoice of one creditor shares: rates, conventions, creditor terms."""

    rates: RateTable
    conventions: Conventions
    creditor_private: bool
    creditor_rate: Decimal | None

    @classmethod
    def load(cls, conn: Connection, creditor: Any) -> Context:
        """Read them once per command or run."""
        return cls(rate_table(conn), conventions_for(conn, creditor.id),
                   bool(creditor.is_private_person), creditor.penalty_rate)


def contractual_rate(row: Any, ctx: Context) -> Decimal | None:
    """The invoice's own rate, else the client's, else the creditor's terms (B2B only)."""
    for rate in (row.penalty_rate, getattr(row, "client_penalty_rate", None), ctx.creditor_rate):
        if rate is not None:
            return Decimal(rate)
    return None


def penalty_stops(conn: Connection, client_ids: Iterable[int], at: date,
                  conventions: Conventions | None = None) -> dict[int, tuple[date, date]]:
    """The opening judgment of a collective proceeding stops the penalties of the claims
    arisen before it (C. com. L622-28, L631-14, L641-3): {client id: (judgment date, last
    date penalties run to)}."""
    from relance.law.proceedings import accrual_until

    ids = sorted(set(client_ids))
    if not ids:
        return {}
    p = t.proceedings
    counts_end = conventions.count_payment_day if conventions is not None else True
    found: dict[int, tuple[date, date]] = {}
    for chunk in _chunks(ids):
        for r in conn.execute(select(p.c.client_id, p.c.kind, p.c.judgment_date).where(
                p.c.client_id.in_(chunk), p.c.judgment_date <= at)):
            until = accrual_until(r.kind, r.judgment_date, end_day_counts=counts_end)
            if until is not None and (r.client_id not in found
                                      or r.judgment_date < found[r.client_id][0]):
                found[r.client_id] = (r.judgment_date, until)
    return found


def _input(row: Any, at: date, ctx: Context, settled: Sequence[Settlement],
           notice: NoticeDates | None, stop: tuple[date, date] | None = None) -> InvoiceInput:
    kind = row.client_kind
    issued = getattr(row, "issue_date", None)
    if stop is not None and stop[1] < at and (issued is None or issued < stop[0]):
        at = max(stop[1], row.due_date)  # a prior claim: penalties stop at the judgment
    return InvoiceInput(
        amount=row.amount, due=row.due_date, until=at, kind=kind, settlements=tuple(settled),
        contractual_rate=contractual_rate(row, ctx) if kind == "b2b" else None,
        notice_date=notice, creditor_private=ctx.creditor_private)


def penalties_for_rows(conn: Connection, creditor: Any, rows: Sequence[Any], at: date,
                       ctx: Context | None = None) -> dict[int, PenaltyTotals | NotComputable]:
    """Totals for many invoice rows (from invoice_rows), waivers applied; for lists."""
    ctx = ctx or Context.load(conn, creditor)
    late = [r for r in rows if r.due_date < at]
    ids = [r.id for r in late]
    settled = settlements_of(conn, ids, at)
    notices = notices_of(conn, ids, at)
    waived = waivers_in_force(conn, creditor.id, at)
    stops = penalty_stops(conn, (r.client_id for r in late), at, ctx.conventions)
    results = compute_many(
        [_input(r, at, ctx, settled.get(r.id, ()), notices.get(r.id), stops.get(r.client_id))
         for r in late],
        ctx.rates, ctx.conventions)
    out: dict[int, PenaltyTotals | NotComputable] = {}
    for row, result in zip(late, results, strict=True):
        if isinstance(result, PenaltyTotals) and waived.covers(row.client_id, row.id):
            result = result._replace(interest=Decimal("0.00"), indemnity=Decimal("0.00"))
        out[row.id] = result
    return out


def breakdowns(conn: Connection, creditor: Any, rows: Sequence[Any], at: date,
               ctx: Context | None = None
               ) -> dict[int, tuple[PenaltyResult | NotComputable, bool]]:
    """Full breakdowns (periods, notes, sources) for invoice rows at a date, loaded set-wise
    like penalties_for_rows: {invoice id: (result, waived)}."""
    ctx = ctx or Context.load(conn, creditor)
    ids = [r.id for r in rows]
    settled = settlements_of(conn, ids, at)
    notices = notices_of(conn, ids, at)
    waivers = waivers_in_force(conn, creditor.id, at)
    stops = penalty_stops(conn, (r.client_id for r in rows), at, ctx.conventions)
    out: dict[int, tuple[PenaltyResult | NotComputable, bool]] = {}
    for row in rows:
        inp = _input(row, at, ctx, settled.get(row.id, ()), notices.get(row.id),
                     stops.get(row.client_id))
        result = penalty_or_reason(
            amount=inp.amount, due=inp.due, until=inp.until, kind=inp.kind, rates=ctx.rates,
            settlements=inp.settlements, contractual_rate=inp.contractual_rate,
            notice_date=inp.notice_date,  # type: ignore[arg-type]
            creditor_private=inp.creditor_private, conventions=ctx.conventions)
        waived = waivers.covers(row.client_id, row.id)
        if waived and isinstance(result, PenaltyResult):
            result = result.waive()
        out[row.id] = (result, waived)
    return out


def penalties_of_invoice(conn: Connection, creditor: Any, number: str,
                         at: date) -> tuple[Any, PenaltyResult | NotComputable, bool]:
    """Full breakdown for one invoice at a date: (row, result, waived)."""
    from relance.adapters.repository import invoices_with_open_amount

    invoice = invoice_by_number(conn, creditor.id, number)
    if at < invoice.issue_date:
        raise ValidationError(
            f"Date incohérente : le {at:%d/%m/%Y} précède l'émission de la facture {number} "
            f"({invoice.issue_date:%d/%m/%Y}).")
    row = conn.execute(invoices_with_open_amount(creditor.id, at)
                       .where(t.invoices.c.id == invoice.id)).one()
    result, waived = breakdowns(conn, creditor, [row], at)[row.id]
    return row, result, waived


def missing_halves(results: Iterable[PenaltyTotals | NotComputable]) -> list[HalfYear]:
    """The half-years whose rates are missing, for the run's and the dashboard's message."""
    return sorted({r.missing_half for r in results
                   if isinstance(r, NotComputable) and r.missing_half is not None})


def invoice_by_number(conn: Connection, creditor_id: int, number: str) -> Any:
    """An invoice (not a credit note) of a creditor by its number, or NotFoundError."""
    row = conn.execute(select(t.invoices).where(
        t.invoices.c.creditor_id == creditor_id, t.invoices.c.number == number,
        t.invoices.c.doc_type == "invoice")).one_or_none()
    if row is None:
        raise NotFoundError(f"Facture « {number} » introuvable.")
    return row


def _chunks(ids: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]
