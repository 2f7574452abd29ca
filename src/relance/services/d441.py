"""Payment terms in the annual management report (rapport de gestion): the table of article
D441-6 of the Code de commerce for invoices issued (clients side), laid out as the model of the
arrêté of 20 March 2017.

Article L441-14 (formerly L441-6-1) requires companies whose annual accounts are certified by a
statutory auditor to publish their payment terms in the management report; article D441-6
(formerly D441-4, renumbered by décret n° 2021-211 of 24 February 2021) says what:

- I 2°: the number and total amount of the invoices issued, unpaid at the closing date of the
  fiscal year and past their due date, split by lateness buckets (1 to 30 days, 31 to 60,
  61 to 90, 91 and more) and given as a percentage of the year's revenue;
- or instead (the option of the same article): the number and cumulated amount of the invoices
  issued that were paid late during the year, split by the same buckets, as a percentage of the
  number and amount of the invoices issued in the year.

The model table adds an indicative "0 jour" column (invoices not overdue at the closing), a
section (B) for the invoices left out because disputed or not recorded, and a section (C) for
the reference payment terms (contractual, or the legal terms of L441-10 / L441-11).

Conventions of this module (each one written in the JSON under "conventions"):

- amounts incl. tax (TTC) everywhere, the percentage base too: the year's revenue incl. tax is
  the invoices issued in the fiscal year minus the credit notes issued in it;
- (A) counts each invoice issued on or before the closing date with an open amount at that date
  (payments and credit notes dated on or before the closing), for its open amount; its lateness
  is the number of days from its due date to the closing date (0 or less: the "0 jour" column);
- (B) holds the open invoices with a dispute open at the closing date (opened on or before it,
  not resolved by then); invoices "not recorded" cannot exist in the ledger;
- the alternative table counts the invoices fully settled during the fiscal year with at least
  one payment (an invoice only cancelled by credit notes was not "paid"), for their full amount
  incl. tax; the lateness is from the due date to the day the last settlement was dated; an
  invoice disputed before it was settled goes to its (B);
- amounts in euros only: invoices in another currency are left out with a warning (convert
  them at the closing rate outside Relance).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection, and_, exists, func, or_, select, type_coerce

from relance.adapters import tables as t
from relance.adapters.repository import invoices_with_open_amount, settled_subquery
from relance.adapters.tables import Money
from relance.domain.errors import NotFoundError, ValidationError
from relance.domain.lateness import band
from relance.domain.money import ZERO, amount_text

CURRENCY = "EUR"
BUCKETS = ("0", "1-30", "31-60", "61-90", "91+")
LATE_BUCKETS = BUCKETS[1:]
COLUMNS = (*BUCKETS, "total")
COLUMN_LABELS = {
    "0": "0 jour (indicatif)",
    "1-30": "1 à 30 jours",
    "31-60": "31 à 60 jours",
    "61-90": "61 à 90 jours",
    "91+": "91 jours et plus",
    "total": "Total (1 jour et plus)",
}
TITLE_UNPAID = ("Article D. 441-6 I 2° du code de commerce : factures émises non réglées à la "
                "date de clôture de l'exercice dont le terme est échu")
TITLE_LATE = ("Article D. 441-6 du code de commerce (présentation au choix de la société) : "
              "factures émises ayant connu un retard de paiement au cours de l'exercice")
SECTION_A = "(A) Tranches de retard de paiement"
SECTION_B = ("(B) Factures exclues du (A) relatives à des dettes et créances litigieuses ou non "
             "comptabilisées")
SECTION_C = ("(C) Délais de paiement de référence utilisés (contractuel ou délai légal – "
             "article L. 441-10 ou article L. 441-11 du code de commerce)")
TERMS_ROW = "Délais de paiement utilisés pour le calcul des retards de paiement"
CONVENTIONS = (
    "Montants TTC ; pourcentages arrondis au centième.",
    "Chiffre d'affaires TTC de l'exercice : factures émises pendant l'exercice moins les avoirs "
    "émis pendant l'exercice.",
    "Tableau (A) : factures émises au plus tard à la clôture et non soldées à cette date "
    "(règlements et avoirs datés au plus tard de la clôture), pour leur reste dû ; retard "
    "compté de l'échéance à la date de clôture ; la colonne « 0 jour » compte les factures non "
    "échues ou échues le jour de la clôture.",
    "Tableau (B) : factures en litige non résolu à la date de clôture, pour leur reste dû.",
    "Présentation au choix : factures soldées pendant l'exercice par au moins un règlement, "
    "pour leur montant TTC ; retard compté de l'échéance à la date du dernier règlement ou "
    "avoir ; une facture contestée avant d'être soldée va en (B).",
    "Retards calculés à partir de l'échéance portée sur chaque facture (délais contractuels "
    "ou légaux indiqués en (C)).",
)
_PERCENT = Decimal("0.01")


def bucket_of(days_late: int) -> str:
    """The model's column for a lateness in days (0 or less: the indicative 0-day column).

    >>> [bucket_of(d) for d in (-5, 0, 1, 30, 31, 60, 61, 90, 91, 400)]
    ['0', '0', '1-30', '1-30', '31-60', '31-60', '61-90', '61-90', '91+', '91+']
    """
    return BUCKETS[band(days_late)]


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """`part` as a percentage of `whole`, two decimals half-up (None when `whole` is not > 0).

    >>> percent(Decimal("1"), Decimal("3")), percent(2, 3), percent(Decimal("5"), ZERO)
    (Decimal('33.33'), Decimal('66.67'), None)
    """
    if whole <= 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(_PERCENT, rounding=ROUND_HALF_UP)


def default_year_start(closing: date) -> date:
    """The first day of the twelve months ending at `closing`.

    >>> default_year_start(date(2025, 12, 31)), default_year_start(date(2026, 6, 30))
    (datetime.date(2025, 1, 1), datetime.date(2025, 7, 1))
    >>> default_year_start(date(2024, 2, 29))
    datetime.date(2023, 3, 1)
    """
    day = min(closing.day, 28) if closing.month == 2 else closing.day
    return date(closing.year - 1, closing.month, day) + timedelta(days=1)


@dataclass(frozen=True)
class Cell:
    """One column of a table: number of invoices, amount incl. tax, percentages."""

    count: int = 0
    amount: Decimal = ZERO
    percent_amount: Decimal | None = None
    percent_count: Decimal | None = None

    def as_json(self) -> dict[str, Any]:
        return {"count": self.count, "amount": amount_text(self.amount),
                "percent_amount": _pct(self.percent_amount),
                "percent_count": _pct(self.percent_count)}


@dataclass(frozen=True)
class Line:
    """One invoice counted in a table (the detail an auditor asks for)."""

    number: str
    client_ref: str
    client_name: str
    issue_date: date
    due_date: date
    amount: Decimal          # the invoice, incl. tax
    counted: Decimal         # what the table counts: open amount (A, B) or amount (option)
    days_late: int
    column: str              # a key of COLUMN_LABELS, or "excluded"
    settled_on: date | None = None

    def as_json(self) -> dict[str, Any]:
        return {"number": self.number, "client_ref": self.client_ref,
                "client_name": self.client_name, "issue_date": self.issue_date.isoformat(),
                "due_date": self.due_date.isoformat(), "amount": amount_text(self.amount),
                "counted_amount": amount_text(self.counted), "days_late": self.days_late,
                "column": self.column,
                "settled_on": None if self.settled_on is None else self.settled_on.isoformat()}


@dataclass(frozen=True)
class D441Table:
    """The D441-6 payment-terms tables of one creditor for one fiscal year."""

    creditor_ref: str
    creditor_name: str
    closing: date
    year_start: date
    reference_terms: str
    invoiced: Decimal            # invoices issued in the fiscal year, incl. tax
    credited: Decimal            # credit notes issued in the fiscal year, incl. tax
    issued_count: int            # number of invoices issued in the fiscal year
    unpaid: dict[str, Cell]      # (A), by column (COLUMNS)
    excluded: Cell               # (B)
    late: dict[str, Cell]        # the alternative table, by column
    late_excluded: Cell          # its (B)
    unpaid_lines: list[Line] = field(default_factory=list)
    excluded_lines: list[Line] = field(default_factory=list)
    late_lines: list[Line] = field(default_factory=list)
    late_excluded_lines: list[Line] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def revenue(self) -> Decimal:
        """Chiffre d'affaires TTC de l'exercice: invoices minus credit notes of the year."""
        return self.invoiced - self.credited

    def as_json(self) -> dict[str, Any]:
        return {
            "article": "D441-6",
            "scope": "factures émises (clients)",
            "creditor": {"ref": self.creditor_ref, "name": self.creditor_name},
            "closing": self.closing.isoformat(),
            "year_start": self.year_start.isoformat(),
            "currency": CURRENCY,
            "amounts": "TTC",
            "revenue": {"invoices": amount_text(self.invoiced),
                        "credit_notes": amount_text(self.credited),
                        "total": amount_text(self.revenue)},
            "issued": {"count": self.issued_count, "amount": amount_text(self.invoiced)},
            "columns": [{"key": k, "label": COLUMN_LABELS[k]} for k in COLUMNS],
            "unpaid": {
                "title": TITLE_UNPAID,
                "buckets": {k: self.unpaid[k].as_json() for k in COLUMNS},
                "excluded": self.excluded.as_json(),
                "invoices": [line.as_json() for line in self.unpaid_lines],
                "excluded_invoices": [line.as_json() for line in self.excluded_lines],
            },
            "reference_terms": self.reference_terms,
            "late_paid": {
                "title": TITLE_LATE,
                "buckets": {k: self.late[k].as_json() for k in COLUMNS},
                "excluded": self.late_excluded.as_json(),
                "invoices": [line.as_json() for line in self.late_lines],
                "excluded_invoices": [line.as_json() for line in self.late_excluded_lines],
            },
            "conventions": list(CONVENTIONS),
            "warnings": list(self.warnings),
        }

    def unpaid_rows(self) -> list[list[Any]]:
        """Table (A)-(B)-(C) as the model lays it out: label then the six columns (raw values:
        int, Decimal amount, Decimal percentage or None, str)."""
        return [
            [SECTION_A],
            ["Nombre de factures concernées", *(self.unpaid[k].count for k in COLUMNS)],
            ["Montant total des factures concernées (TTC)",
             *(self.unpaid[k].amount for k in COLUMNS)],
            ["Pourcentage du chiffre d'affaires de l'exercice (TTC)",
             *(Percent(self.unpaid[k].percent_amount) for k in COLUMNS)],
            [SECTION_B],
            ["Nombre des factures exclues", self.excluded.count],
            ["Montant total des factures exclues (TTC)", self.excluded.amount],
            [SECTION_C],
            [TERMS_ROW, self.reference_terms],
        ]

    def late_rows(self) -> list[list[Any]]:
        """The alternative table as the model lays it out."""
        return [
            [SECTION_A],
            ["Nombre cumulé de factures concernées", *(self.late[k].count for k in COLUMNS)],
            ["Montant cumulé des factures concernées (TTC)",
             *(self.late[k].amount for k in COLUMNS)],
            ["Pourcentage du nombre total des factures émises dans l'année",
             *(Percent(self.late[k].percent_count) for k in COLUMNS)],
            ["Pourcentage du montant total des factures émises dans l'année (TTC)",
             *(Percent(self.late[k].percent_amount) for k in COLUMNS)],
            [SECTION_B],
            ["Nombre des factures exclues", self.late_excluded.count],
            ["Montant total des factures exclues (TTC)", self.late_excluded.amount],
            [SECTION_C],
            [TERMS_ROW, self.reference_terms],
        ]


@dataclass(frozen=True)
class Percent:
    """A percentage cell of a rendered table (so renderers tell it from an amount)."""

    value: Decimal | None


def d441_table(conn: Connection, creditor_id: int, closing: date, *,
               year_start: date | None = None, reference_terms: str | None = None) -> D441Table:
    """The D441-6 tables for invoices issued, at the closing date of the fiscal year that
    started on `year_start` (default: the twelve months ending at `closing`)."""
    creditor = conn.execute(select(t.creditors).where(t.creditors.c.id == creditor_id)).first()
    if creditor is None:
        raise NotFoundError(f"Société créancière n° {creditor_id} inconnue.")
    start = year_start or default_year_start(closing)
    if start > closing:
        raise ValidationError(
            f"Le début de l'exercice ({start.isoformat()}) est postérieur à la clôture "
            f"({closing.isoformat()}).")
    if reference_terms is None or not reference_terms.strip():
        terms = f"Délais contractuels : {creditor.default_terms}" if creditor.default_terms \
            else "Délais légaux : article L. 441-10 du code de commerce"
    else:
        terms = reference_terms.strip()
    warnings: list[str] = []
    if (closing - start).days >= 731:
        warnings.append("L'exercice dépasse 24 mois : vérifiez --year-start.")

    invoiced, credited, issued_count = _year_totals(conn, creditor_id, start, closing)
    unpaid_lines, excluded_lines = _unpaid(conn, creditor_id, closing)
    late_lines, late_excluded_lines = _late_paid(conn, creditor_id, start, closing)
    revenue = invoiced - credited
    others = _other_currencies(conn, creditor_id, closing)
    if others:
        warnings.append(
            "Factures en devise non comprises (convertissez-les au cours de clôture) : "
            + ", ".join(f"{n} en {cur}" for cur, n in others) + ".")
    if revenue <= 0:
        warnings.append("Chiffre d'affaires TTC de l'exercice nul ou négatif : pourcentages "
                        "non calculables.")

    unpaid = _cells(unpaid_lines, lambda c: Cell(c[0], c[1], percent(c[1], revenue)))
    late = _cells(late_lines, lambda c: Cell(c[0], c[1], percent(c[1], invoiced),
                                             percent(c[0], issued_count)))
    return D441Table(
        creditor_ref=creditor.ref, creditor_name=creditor.legal_name, closing=closing,
        year_start=start, reference_terms=terms, invoiced=invoiced, credited=credited,
        issued_count=issued_count, unpaid=unpaid,
        excluded=Cell(len(excluded_lines), sum((x.counted for x in excluded_lines), ZERO)),
        late=late,
        late_excluded=Cell(len(late_excluded_lines),
                           sum((x.counted for x in late_excluded_lines), ZERO)),
        unpaid_lines=unpaid_lines, excluded_lines=excluded_lines, late_lines=late_lines,
        late_excluded_lines=late_excluded_lines, warnings=warnings)


# --- queries ------------------------------------------------------------------------------------


def _year_totals(conn: Connection, creditor_id: int, start: date,
                 closing: date) -> tuple[Decimal, Decimal, int]:
    inv = t.invoices
    rows = conn.execute(
        select(inv.c.doc_type, func.count().label("n"),
               type_coerce(func.sum(inv.c.amount), Money()).label("total"))
        .where(inv.c.creditor_id == creditor_id, inv.c.currency == CURRENCY,
               inv.c.issue_date >= start, inv.c.issue_date <= closing)
        .group_by(inv.c.doc_type))
    found = {r.doc_type: (int(r.n), r.total or ZERO) for r in rows}
    invoiced = found.get("invoice", (0, ZERO))
    return invoiced[1], found.get("credit_note", (0, ZERO))[1], invoiced[0]


def _disputed_at(invoice_id: Any, on: Any) -> Any:
    """A dispute on the invoice open on the date `on` (a column or a value)."""
    d = t.disputes
    return exists().where(d.c.invoice_id == invoice_id, d.c.opened_on <= on,
                          or_(d.c.resolved_on.is_(None), d.c.resolved_on > on))


def _unpaid(conn: Connection, creditor_id: int, closing: date) -> tuple[list[Line], list[Line]]:
    """Open invoices at the closing: those of (A) and those excluded into (B)."""
    base = invoices_with_open_amount(creditor_id, closing).where(
        t.invoices.c.currency == CURRENCY).subquery()
    query = (select(base, _disputed_at(base.c.id, closing).label("disputed"))
             .where(base.c.open_amount > 0)
             .order_by(base.c.due_date, base.c.number))
    counted: list[Line] = []
    excluded: list[Line] = []
    for r in conn.execute(query):
        days = (closing - r.due_date).days
        disputed = bool(r.disputed)
        line = Line(r.number, r.client_ref, r.client_name, r.issue_date, r.due_date, r.amount,
                    r.open_amount, days, "excluded" if disputed else bucket_of(days))
        (excluded if disputed else counted).append(line)
    return counted, excluded


def _late_paid(conn: Connection, creditor_id: int, start: date,
               closing: date) -> tuple[list[Line], list[Line]]:
    """Invoices fully settled during the fiscal year (with a payment), and the disputed ones."""
    a, inv, c = t.allocations, t.invoices, t.clients
    settled = settled_subquery(closing, dated=True)
    by_payment = exists().where(a.c.invoice_id == inv.c.id, a.c.payment_id.is_not(None))
    query = (
        select(inv.c.number, inv.c.issue_date, inv.c.due_date, inv.c.amount,
               c.c.ref.label("client_ref"), c.c.name.label("client_name"),
               settled.c.last_on.label("settled_on"),
               _disputed_before(inv.c.id, settled.c.last_on).label("disputed"))
        .select_from(inv.join(c, c.c.id == inv.c.client_id)
                     .join(settled, settled.c.invoice_id == inv.c.id))
        .where(inv.c.creditor_id == creditor_id, inv.c.doc_type == "invoice",
               inv.c.currency == CURRENCY, by_payment, settled.c.settled >= inv.c.amount,
               settled.c.last_on >= start, settled.c.last_on <= closing)
        .order_by(settled.c.last_on, inv.c.number))
    counted: list[Line] = []
    excluded: list[Line] = []
    for r in conn.execute(query):
        days = (r.settled_on - r.due_date).days
        disputed = bool(r.disputed)
        line = Line(r.number, r.client_ref, r.client_name, r.issue_date, r.due_date, r.amount,
                    r.amount, days, "excluded" if disputed else bucket_of(days), r.settled_on)
        (excluded if disputed else counted).append(line)
    return counted, excluded


def _disputed_before(invoice_id: Any, settled_on: Any) -> Any:
    """A dispute opened on the invoice on or before the day it was settled."""
    d = t.disputes
    return exists().where(and_(d.c.invoice_id == invoice_id, d.c.opened_on <= settled_on))


def _other_currencies(conn: Connection, creditor_id: int, closing: date) -> list[tuple[str, int]]:
    inv = t.invoices
    return [(r.currency, int(r.n)) for r in conn.execute(
        select(inv.c.currency, func.count().label("n"))
        .where(inv.c.creditor_id == creditor_id, inv.c.currency != CURRENCY,
               inv.c.issue_date <= closing)
        .group_by(inv.c.currency).order_by(inv.c.currency))]


def _cells(lines: Sequence[Line], make: Any) -> dict[str, Cell]:
    """Per column: (count, amount) turned into a Cell by `make`; "total" is 1 day and more."""
    sums: dict[str, tuple[int, Decimal]] = {k: (0, ZERO) for k in COLUMNS}
    for line in lines:
        n, amount = sums[line.column]
        sums[line.column] = (n + 1, amount + line.counted)
        if line.column != "0":
            n, amount = sums["total"]
            sums["total"] = (n + 1, amount + line.counted)
    return {k: make(v) for k, v in sums.items()}




def _pct(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"
