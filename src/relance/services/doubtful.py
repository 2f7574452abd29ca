"""Doubtful receivables (créances douteuses) at a closing date, with the amount excl. tax a
user may write down.

A receivable becomes doubtful when a risk of non-recovery is likely (Plan comptable général,
account 416 "Clients douteux ou litigieux"; write-downs to account 491). Relance lists every
invoice with an open amount at the date that shows one of these facts:

- ``dispute``: a dispute open at the date (opened on or before it, not resolved by then);
- ``formal_notice``: a formal notice (mise en demeure) sent on or before the date, recorded for
  the invoice or listing it (events of kind ``formal_notice``);
- ``legal_case``: the client's file is in legal proceedings (``client_status.legal_case``;
  the flag carries no date, so it is today's state even for a past closing);
- ``collective_proceedings``: the client is in collective proceedings (sauvegarde, redressement,
  liquidation) or over-indebtedness, judgment on or before the date and not closed by then.

The write-down is computed on the amount excluding VAT: the VAT of an unpaid invoice is not a
loss, the seller recovers it when the debt proves irrecoverable (CGI art. 272, 1). So the
amount a user may provision is open × amount excl. tax / amount incl. tax when the invoice
gives its amount excl. tax, otherwise open / 1.20 (standard rate presumed, CGI art. 278), each
rounded to the cent. How much of it to provision (the probable loss) is the user's judgement;
for tax purposes the write-down must be individualised and the loss probable (CGI art. 39, 1,
5°).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection, exists, or_, select

from relance.adapters import tables as t
from relance.adapters.repository import invoices_with_open_amount
from relance.domain.errors import NotFoundError
from relance.domain.money import CENT, ZERO, amount_text
from relance.i18n import format_date
from relance.law.proceedings import LABELS as PROCEEDING_LABELS

REASONS = ("dispute", "formal_notice", "legal_case", "collective_proceedings")
REASON_LABELS = {
    "dispute": "litige",
    "formal_notice": "mise en demeure",
    "legal_case": "procédure judiciaire",
    "collective_proceedings": "procédure collective",
}
PRESUMED_RATE = Decimal("1.20")
PRESUMED_NOTE = "TVA à 20 % présumée"
CURRENCY = "EUR"


@dataclass(frozen=True)
class Reason:
    kind: str           # one of REASONS
    since: date | None  # when it started (None: the legal-case flag has no date)
    label: str          # French, for the reader

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "since": None if self.since is None else self.since.isoformat(),
                "label": self.label}


@dataclass(frozen=True)
class DoubtfulInvoice:
    number: str
    client_ref: str
    client_name: str
    issue_date: date
    due_date: date
    currency: str
    amount: Decimal                  # incl. tax
    amount_excl_tax: Decimal | None  # as invoiced, when known
    open_amount: Decimal             # incl. tax, at the date
    open_excl_tax: Decimal           # what may be provisioned
    reasons: tuple[Reason, ...]

    @property
    def vat_presumed(self) -> bool:
        return self.amount_excl_tax is None

    @property
    def note(self) -> str:
        return PRESUMED_NOTE if self.vat_presumed else ""

    def as_json(self, at: date) -> dict[str, Any]:
        return {
            "number": self.number, "client_ref": self.client_ref,
            "client_name": self.client_name, "issue_date": self.issue_date.isoformat(),
            "due_date": self.due_date.isoformat(), "days_overdue": (at - self.due_date).days,
            "currency": self.currency, "amount": amount_text(self.amount),
            "amount_excl_tax": None if self.amount_excl_tax is None
            else amount_text(self.amount_excl_tax),
            "open_amount": amount_text(self.open_amount),
            "open_amount_excl_tax": amount_text(self.open_excl_tax),
            "vat_presumed": self.vat_presumed, "note": self.note,
            "reasons": [r.as_json() for r in self.reasons],
        }


@dataclass(frozen=True)
class Total:
    count: int = 0
    open_amount: Decimal = ZERO
    open_excl_tax: Decimal = ZERO

    def add(self, item: DoubtfulInvoice) -> Total:
        return Total(self.count + 1, self.open_amount + item.open_amount,
                     self.open_excl_tax + item.open_excl_tax)

    def as_json(self) -> dict[str, Any]:
        return {"count": self.count, "open_amount": amount_text(self.open_amount),
                "open_amount_excl_tax": amount_text(self.open_excl_tax)}


@dataclass(frozen=True)
class Doubtful:
    creditor_ref: str
    creditor_name: str
    at: date
    invoices: list[DoubtfulInvoice]
    warnings: list[str] = field(default_factory=list)

    @property
    def total(self) -> Total:
        """Totals of the invoices in euros (the others are listed, not added)."""
        total = Total()
        for item in self.invoices:
            if item.currency == CURRENCY:
                total = total.add(item)
        return total

    def by_reason(self) -> dict[str, Total]:
        """Totals per reason (an invoice with several reasons counts under each)."""
        found = {kind: Total() for kind in REASONS}
        for item in self.invoices:
            if item.currency != CURRENCY:
                continue
            for kind in {r.kind for r in item.reasons}:
                found[kind] = found[kind].add(item)
        return found

    def as_json(self) -> dict[str, Any]:
        return {
            "creditor": {"ref": self.creditor_ref, "name": self.creditor_name},
            "at": self.at.isoformat(), "currency": CURRENCY,
            "invoices": [item.as_json(self.at) for item in self.invoices],
            "totals": self.total.as_json(),
            "by_reason": {k: v.as_json() for k, v in self.by_reason().items()},
            "presumed_vat_rate": "20.00",
            "warnings": list(self.warnings),
        }


def provisionable(open_amount: Decimal, amount: Decimal,
                  amount_excl_tax: Decimal | None) -> Decimal:
    """The open amount excl. tax, to the cent (half-up).

    >>> provisionable(Decimal("600.00"), Decimal("1200.00"), Decimal("1000.00"))
    Decimal('500.00')
    >>> provisionable(Decimal("100.00"), Decimal("100.00"), None)
    Decimal('83.33')
    >>> provisionable(Decimal("0.01"), Decimal("1.10"), Decimal("1.00"))
    Decimal('0.01')
    """
    if amount_excl_tax is None:
        value = open_amount / PRESUMED_RATE
    else:
        value = open_amount * amount_excl_tax / amount
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def doubtful(conn: Connection, creditor_id: int, at: date) -> Doubtful:
    """The doubtful receivables of a creditor at the end of the day `at`."""
    creditor = conn.execute(select(t.creditors).where(t.creditors.c.id == creditor_id)).first()
    if creditor is None:
        raise NotFoundError(f"Société créancière n° {creditor_id} inconnue.")
    inv, d, e, cs, pr = t.invoices, t.disputes, t.events, t.client_status, t.proceedings

    # Candidates in one query: open invoices with a dispute at the date, or whose client has a
    # legal case, an ongoing proceeding, or a formal notice (read precisely below).
    disputed = exists().where(d.c.invoice_id == inv.c.id, d.c.opened_on <= at,
                              or_(d.c.resolved_on.is_(None), d.c.resolved_on > at))
    legal = select(cs.c.client_id).where(cs.c.legal_case.is_(True))
    ongoing = select(pr.c.client_id).where(
        pr.c.creditor_id == creditor_id, pr.c.judgment_date <= at,
        or_(pr.c.closed_on.is_(None), pr.c.closed_on > at))
    noticed = select(e.c.client_id).where(
        e.c.creditor_id == creditor_id, e.c.kind == "formal_notice", e.c.occurred_on <= at)
    base = (invoices_with_open_amount(creditor_id, at)
            .add_columns(inv.c.amount_excl_tax)
            .where(or_(disputed, inv.c.client_id.in_(legal), inv.c.client_id.in_(ongoing),
                       inv.c.client_id.in_(noticed)))
            .subquery())
    rows = conn.execute(select(base).where(base.c.open_amount > 0)
                        .order_by(base.c.client_ref, base.c.due_date, base.c.number)).all()
    ids = [r.id for r in rows]
    clients = sorted({r.client_id for r in rows})

    reasons: dict[int, list[Reason]] = defaultdict(list)
    for chunk in _chunks(ids):
        for dr in conn.execute(select(d.c.invoice_id, d.c.opened_on, d.c.reason).where(
                d.c.invoice_id.in_(chunk), d.c.opened_on <= at,
                or_(d.c.resolved_on.is_(None), d.c.resolved_on > at))
                .order_by(d.c.opened_on, d.c.id)):
            reasons[dr.invoice_id].append(Reason(
                "dispute", dr.opened_on,
                f"litige ouvert le {format_date(dr.opened_on)}"
                + (f" ({dr.reason})" if dr.reason else "")))

    notices: dict[int, date] = {}
    by_number = {(r.client_id, r.number): r.id for r in rows}
    for chunk in _chunks(clients):
        for nr in conn.execute(select(e.c.client_id, e.c.invoice_id, e.c.occurred_on, e.c.data)
                               .where(e.c.creditor_id == creditor_id,
                                      e.c.kind == "formal_notice", e.c.occurred_on <= at,
                                      e.c.client_id.in_(chunk))
                               .order_by(e.c.occurred_on, e.c.id)):
            targets = set() if nr.invoice_id is None else {nr.invoice_id}
            listed = (nr.data or {}).get("invoices") or []
            targets.update(by_number[(nr.client_id, n)] for n in listed
                           if isinstance(n, str) and (nr.client_id, n) in by_number)
            for invoice_id in targets:
                notices.setdefault(invoice_id, nr.occurred_on)

    legal_clients: set[int] = set()
    ongoing_by_client: dict[int, list[tuple[str, date]]] = defaultdict(list)
    for chunk in _chunks(clients):
        legal_clients.update(conn.execute(select(cs.c.client_id).where(
            cs.c.client_id.in_(chunk), cs.c.legal_case.is_(True))).scalars())
        for pc in conn.execute(select(pr.c.client_id, pr.c.kind, pr.c.judgment_date).where(
                pr.c.client_id.in_(chunk), pr.c.creditor_id == creditor_id,
                pr.c.judgment_date <= at, or_(pr.c.closed_on.is_(None), pr.c.closed_on > at))
                .order_by(pr.c.judgment_date, pr.c.id)):
            ongoing_by_client[pc.client_id].append((pc.kind, pc.judgment_date))

    items: list[DoubtfulInvoice] = []
    for r in rows:
        found = list(reasons.get(r.id, []))
        if r.id in notices:
            found.append(Reason("formal_notice", notices[r.id],
                                f"mise en demeure du {format_date(notices[r.id])}"))
        if r.client_id in legal_clients:
            found.append(Reason("legal_case", None, "dossier en procédure judiciaire"))
        for kind, judged in ongoing_by_client.get(r.client_id, []):
            label = PROCEEDING_LABELS.get(kind, kind)
            found.append(Reason("collective_proceedings", judged,
                                f"{label} (jugement du {format_date(judged)})"))
        if not found:
            continue   # a client with a formal notice about other invoices only
        items.append(DoubtfulInvoice(
            number=r.number, client_ref=r.client_ref, client_name=r.client_name,
            issue_date=r.issue_date, due_date=r.due_date, currency=r.currency, amount=r.amount,
            amount_excl_tax=r.amount_excl_tax, open_amount=r.open_amount,
            open_excl_tax=provisionable(r.open_amount, r.amount, r.amount_excl_tax),
            reasons=tuple(found)))

    warnings: list[str] = []
    others = sorted({i.currency for i in items if i.currency != CURRENCY})
    if others:
        warnings.append("Factures en devise listées mais non totalisées : " + ", ".join(others)
                        + ".")
    if legal_clients:
        warnings.append("« Procédure judiciaire » : statut actuel du client (non daté), "
                        "même pour une date passée.")
    return Doubtful(creditor.ref, creditor.legal_name, at, items, warnings)


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]
