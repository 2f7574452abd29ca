"""Import clients, invoices and payments: all or nothing, every problem reported.

Rows are parsed and checked as they stream in, written in batches inside one transaction;
at the end, if any problem was found, the transaction is rolled back and `ImportFailed`
lists them all. Nothing is written unless the whole file is right.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from babel.numbers import list_currencies
from sqlalchemy import Connection, Engine, insert, select, text, update

from relance.adapters import tables as t
from relance.adapters.bulk import bulk_insert, cents, reserve_ids
from relance.adapters.repository import open_items, resolve_creditor
from relance.domain.ledger import OpenItem, allocate_in_order, allocate_oldest_first
from relance.domain.money import ZERO
from relance.imports.errors import ImportFailed, ImportProblem
from relance.imports.formats import FORMATS, Columns, Format, resolve_columns
from relance.imports.tabular import read_table
from relance.imports.validate import (
    CHANNELS,
    DOC_TYPES,
    KINDS,
    check_choice,
    check_email,
    check_siren,
    check_siret,
    check_vat,
)
from relance.imports.values import BadValue, cell_text, parse_amount, parse_date

BATCH = 20_000
_PLAIN_POSITIVE = re.compile(r"^\d{1,13}(\.\d{1,2})?$")


def _plain_cents(text: str) -> int:
    """Integer cents of a string matched by _PLAIN_POSITIVE ("12", "12.5", "12.50").

    >>> _plain_cents("12"), _plain_cents("12.5"), _plain_cents("0.07")
    (1200, 1250, 7)
    """
    dot = text.find(".")
    if dot < 0:
        return int(text) * 100
    return int(text.replace(".", "")) * (10 if len(text) - dot == 2 else 1)

_CURRENCIES = frozenset(list_currencies())


@dataclass
class ImportReport:
    """What an import wrote."""

    kind: str
    file: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    clients_created: int = 0
    credit_notes: int = 0
    allocated: Decimal = ZERO
    unallocated: Decimal = ZERO
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """JSON form."""
        return {
            "kind": self.kind,
            "file": self.file,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "clients_created": self.clients_created,
            "credit_notes": self.credit_notes,
            "allocated": f"{self.allocated:.2f}",
            "unallocated": f"{self.unallocated:.2f}",
            "warnings": list(self.warnings),
        }


@dataclass
class RowReader:
    """Reads the cells of one row by field name and records problems with their position."""

    file: str
    columns: Columns
    problems: list[ImportProblem]
    row: int = 0
    cells: Sequence[object] = ()
    failed: bool = False
    text_cells: bool = False

    def start(self, row: int, cells: Sequence[object]) -> None:
        """Move to a new row."""
        self.row, self.cells, self.failed = row, cells, False

    def raw(self, name: str) -> object:
        """The raw cell of a field (None when the column is absent or the row short)."""
        position = self.columns.index.get(name)
        if position is None or position >= len(self.cells):
            return None
        return self.cells[position]

    def text(self, name: str, required: bool = False) -> str:
        """A cell as text; a required empty cell is a problem."""
        value = cell_text(self.raw(name))
        if required and not value:
            self.problem(name, "", "une valeur (cette colonne est obligatoire)")
        return value

    def problem(self, name: str, value: object, expected: str) -> None:
        """Record a problem in this row and column."""
        header = self.columns.header.get(name, name)
        self.problems.append(ImportProblem(self.file, self.row, header, cell_text(value),
                                           expected))
        self.failed = True

    def parse(self, name: str, parser: Callable[[Any], Any], required: bool = True) -> Any:
        """Parse a cell; empty optional cells give None; failures become problems."""
        raw = self.raw(name)
        if raw is None or cell_text(raw) == "":
            if required:
                self.problem(name, "", "une valeur (cette colonne est obligatoire)")
            return None
        try:
            return parser(raw)
        except BadValue as exc:
            self.problem(name, raw, exc.expected)
            return None


def import_file(
    engine: Engine,
    kind: str,
    path: Path,
    *,
    creditor_ref: str | None = None,
    mapping: Mapping[str, str] | None = None,
    encoding: str | None = None,
) -> ImportReport:
    """Import one file of clients, invoices or payments into a creditor's ledger."""
    fmt = FORMATS[kind]
    table = read_table(path, encoding)
    columns = resolve_columns(fmt, table.headers, mapping or {}, table.file)
    if isinstance(columns, list):
        raise ImportFailed(columns)
    problems: list[ImportProblem] = []
    reader = RowReader(table.file, columns, problems, text_cells=table.text_cells)
    importer = IMPORTERS[kind]
    with engine.begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        report = importer(conn, creditor, fmt, reader, table.rows)
        if problems:
            raise ImportFailed(problems)
        if report.rows == 0:
            raise ImportFailed([ImportProblem(table.file, 0, "", "",
                                "aucune ligne de données après l'en-tête")])
    if engine.dialect.name == "postgresql" and report.rows >= ANALYZE_AFTER_ROWS:
        # Fresh statistics after a bulk load: without them the planner takes a million-row
        # table for an empty one and picks plans that run for minutes instead of seconds.
        with engine.begin() as conn:
            for name in ANALYZED[kind]:
                conn.execute(text(f"ANALYZE {name}"))
    return report


ANALYZE_AFTER_ROWS = 10_000
ANALYZED = {"clients": ("clients", "contacts"), "invoices": ("invoices", "allocations", "clients"),
            "payments": ("payments", "allocations")}


# --- clients -------------------------------------------------------------------------------


def _import_clients(
    conn: Connection, creditor: Any, fmt: Format, r: RowReader,
    rows: Iterator[tuple[int, list[object]]],
) -> ImportReport:
    report = ImportReport("clients", r.file)
    existing = dict(conn.execute(
        select(t.clients.c.ref, t.clients.c.id).where(t.clients.c.creditor_id == creditor.id)
    ).all())
    seen: dict[str, int] = {}
    new_rows: list[dict[str, Any]] = []
    updates: list[tuple[int, dict[str, Any], dict[str, Any] | None]] = []
    contacts_for_new: dict[str, dict[str, Any]] = {}
    for number, cells in rows:
        report.rows += 1
        r.start(number, cells)
        ref = r.text("client_ref", required=True)
        name = r.text("name", required=True)
        if ref and ref in seen:
            r.problem("client_ref", ref, f"une référence unique (déjà à la ligne {seen[ref]})")
        seen.setdefault(ref, number)
        values = _client_values(r)
        if r.failed:
            continue
        values.update(ref=ref, name=name)
        contact = _contact_values(r, values)
        if ref in existing:
            updates.append((existing[ref], values, contact))
        else:
            new_rows.append({**values, "creditor_id": creditor.id})
            if contact:
                contacts_for_new[ref] = contact
    if r.problems:
        return report
    for chunk_start in range(0, len(new_rows), BATCH):
        conn.execute(insert(t.clients), new_rows[chunk_start : chunk_start + BATCH])
    if contacts_for_new:
        ids = _client_ids(conn, creditor.id, list(contacts_for_new))
        conn.execute(insert(t.contacts), [
            {**c, "client_id": ids[ref]} for ref, c in contacts_for_new.items()
        ])
    for client_id, values, contact in updates:
        conn.execute(update(t.clients).where(t.clients.c.id == client_id).values(**values))
        if contact:
            _replace_primary_contact(conn, client_id, contact)
    report.created, report.updated = len(new_rows), len(updates)
    return report


def _client_values(r: RowReader) -> dict[str, Any]:
    values: dict[str, Any] = {}
    kind = r.parse("kind", lambda v: check_choice(
        cell_text(v), KINDS, "b2b, b2c ou public (entreprise, particulier, public)"), False)
    values["kind"] = kind or "b2b"
    siren = r.parse("siren", lambda v: check_siren(cell_text(v)), False)
    siret = r.parse("siret", lambda v: check_siret(cell_text(v)), False)
    vat = r.parse("vat", lambda v: check_vat(cell_text(v)), False)
    if siren and siret and not siret.startswith(siren):
        r.problem("siret", siret, f"un SIRET qui commence par le SIREN {siren}")
    if siren and vat and vat.startswith("FR") and vat[4:] != siren:
        r.problem("vat", vat, f"un numéro de TVA français qui contient le SIREN {siren}")
    values["siren"] = siren or (siret[:9] if siret else "")
    values["siret"] = siret or ""
    values["vat_number"] = vat or ""
    values["email"] = r.parse("email", lambda v: check_email(cell_text(v)), False) or ""
    channel = r.parse("preferred_channel", lambda v: check_choice(
        cell_text(v), CHANNELS, "email, letter, call ou sms"), False)
    values["preferred_channel"] = channel or "email"
    country = r.text("country").upper() or "FR"
    if len(country) != 2 or not country.isalpha():
        r.problem("country", country, "un code pays ISO à deux lettres (FR, BE…)")
    values["country"] = country
    for name, column in (("phone", "phone"), ("address", "address"),
                         ("postal_code", "postal_code"), ("city", "city"),
                         ("legal_form", "legal_form"),
                         ("legal_representative", "legal_representative"),
                         ("collector", "collector")):
        values[column] = r.text(name)
    values["language"] = (r.text("language") or "fr").lower()[:5]
    return values


def _contact_values(r: RowReader, client: Mapping[str, Any]) -> dict[str, Any] | None:
    name = r.text("contact_name")
    if not name:
        return None
    return {
        "name": name, "role": r.text("contact_role"), "email": client["email"],
        "phone": client["phone"], "address": client["address"],
        "postal_code": client["postal_code"], "city": client["city"],
        "country": client["country"], "is_primary": True,
    }


def _replace_primary_contact(conn: Connection, client_id: int, contact: dict[str, Any]) -> None:
    conn.execute(t.contacts.delete().where(
        t.contacts.c.client_id == client_id, t.contacts.c.is_primary.is_(True)))
    conn.execute(insert(t.contacts).values(client_id=client_id, **contact))


def _client_ids(conn: Connection, creditor_id: int, refs: Sequence[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for start in range(0, len(refs), 900):
        ids.update(conn.execute(
            select(t.clients.c.ref, t.clients.c.id).where(
                t.clients.c.creditor_id == creditor_id,
                t.clients.c.ref.in_(refs[start : start + 900]),
            )
        ).all())
    return ids


# --- invoices and credit notes -------------------------------------------------------------


@dataclass
class _PendingCreditNote:
    row: int
    number: str
    client_ref: str
    applies_to: str


_INVOICE_COLUMNS = ("creditor_id", "client_id", "number", "doc_type", "issue_date", "due_date",
                    "amount", "amount_excl_tax", "currency", "terms", "po_ref", "billed_siren")


@dataclass
class _InvoiceBatch:
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    client_refs: list[str] = field(default_factory=list)


def _import_invoices(
    conn: Connection, creditor: Any, fmt: Format, r: RowReader,
    rows: Iterator[tuple[int, list[object]]],
) -> ImportReport:
    report = ImportReport("invoices", r.file)
    client_ids: dict[str, int] = dict(conn.execute(
        select(t.clients.c.ref, t.clients.c.id).where(t.clients.c.creditor_id == creditor.id)
    ).all())
    in_db = set(conn.execute(
        select(t.invoices.c.number).where(t.invoices.c.creditor_id == creditor.id)
    ).scalars())
    seen: dict[str, int] = {}
    new_clients: dict[str, str] = {}
    pending_notes: list[_PendingCreditNote] = []
    batch = _InvoiceBatch()
    terms_cache: dict[str, Any] = {}
    long_terms: list[tuple[int, str, str, date, date]] = []

    def due_from_terms(text: str, issue: date) -> date | None:
        from relance.law.errors import TermsError
        from relance.law.terms import parse_terms

        terms = terms_cache.get(text)
        if terms is None:
            try:
                terms = terms_cache[text] = parse_terms(text)
            except TermsError as exc:
                r.problem("terms", text, f"des conditions de paiement lisibles ({exc.message})")
                return None
        return terms.due_date(issue)

    def flush() -> None:
        if r.problems or not batch.rows:
            batch.rows.clear()
            return
        fresh = [ref for ref in dict.fromkeys(batch.client_refs) if ref not in client_ids]
        if fresh:  # the rows of clients this file creates name them by ref until now
            conn.execute(insert(t.clients), [
                {"creditor_id": creditor.id, "ref": ref, "name": new_clients.get(ref) or ref,
                 "flags": []} for ref in fresh
            ])
            client_ids.update(_client_ids(conn, creditor.id, fresh))
            report.clients_created += len(fresh)
        rows = batch.rows
        if batch.client_refs:
            rows = [(row[0], client_ids[row[1]], *row[2:]) if type(row[1]) is str else row
                    for row in rows]
        bulk_insert(conn, t.invoices, _INVOICE_COLUMNS, rows, converted=True)
        batch.rows.clear()
        batch.client_refs.clear()

    idx = r.columns.index
    p_num, p_cli, p_iss, p_due, p_amt = (idx.get(name) for name in (
        "number", "client_ref", "issue_date", "due_date", "amount"))
    p_excl, p_terms, p_po, p_type, p_cur, p_name = (idx.get(name) for name in (
        "amount_excl_tax", "terms", "po_ref", "type", "currency", "client_name"))
    p_bill = idx.get("billed_siren")
    known = [p for p in (p_num, p_cli, p_iss, p_due, p_amt, p_excl, p_terms, p_po, p_type, p_cur,
                         p_name, p_bill) if p is not None]
    width = max(known) + 1 if known else 0
    fast = r.text_cells and None not in (p_num, p_cli, p_iss, p_due, p_amt)
    a_num, a_cli, a_iss, a_due, a_amt = (p or 0 for p in (p_num, p_cli, p_iss, p_due, p_amt))
    plain, fromiso = _PLAIN_POSITIVE.match, date.fromisoformat
    creditor_id = creditor.id
    sqlite = conn.dialect.name == "sqlite"

    def stored_date(day: date | None) -> object:
        return day.isoformat() if sqlite and day is not None else day

    def cell(cells: list[str], pos: int | None) -> str:
        return "" if pos is None else cells[pos].strip()

    for number_in_file, cells in rows:
        report.rows += 1
        # Fast path for the common, clean CSV row (ISO dates, plain amounts, an invoice);
        # anything else, or anything wrong, goes through the checked path below.
        if fast and len(cells) >= width:
            sc = cast("list[str]", cells)
            number, client_ref = sc[a_num].strip(), sc[a_cli].strip()
            issue_s, due_s, amount_s = sc[a_iss].strip(), sc[a_due].strip(), sc[a_amt].strip()
            if (number and client_ref and number not in seen and number not in in_db
                    and len(issue_s) == 10 and issue_s[4] == "-" and issue_s[7] == "-"
                    and len(due_s) == 10 and due_s[4] == "-" and due_s[7] == "-"
                    and plain(amount_s) and (p_type is None or not sc[p_type].strip())
                    and (p_cur is None or sc[p_cur].strip().upper() in ("", "EUR"))
                    and (p_bill is None or not sc[p_bill].strip())):
                issue_d: date | None
                due_d: date | None
                try:
                    issue_d, due_d = fromiso(issue_s), fromiso(due_s)
                except ValueError:
                    issue_d = due_d = None
                amount_c = _plain_cents(amount_s)
                excl_s = cell(sc, p_excl)
                excl_c = _plain_cents(excl_s) if excl_s and plain(excl_s) else None
                if (issue_d is not None and due_d is not None and due_d >= issue_d
                        and amount_c > 0
                        and (not excl_s or (excl_c is not None and excl_c <= amount_c))):
                    seen[number] = number_in_file
                    if client_ref not in client_ids and client_ref not in new_clients:
                        new_clients[client_ref] = cell(sc, p_name)
                    report.created += 1
                    if (due_d - issue_d).days > 30:
                        long_terms.append((number_in_file, number, client_ref, issue_d, due_d))
                    cid = client_ids.get(client_ref)
                    batch.rows.append((creditor_id, client_ref if cid is None else cid, number,
                                       "invoice", issue_s if sqlite else issue_d,
                                       due_s if sqlite else due_d, amount_c, excl_c, "EUR",
                                       "" if p_terms is None else sc[p_terms].strip(),
                                       "" if p_po is None else sc[p_po].strip(), ""))
                    if cid is None:
                        batch.client_refs.append(client_ref)
                    if len(batch.rows) >= BATCH:
                        flush()
                    continue
        r.start(number_in_file, cells)
        number = r.text("number", required=True)
        client_ref = r.text("client_ref", required=True)
        issue = r.parse("issue_date", parse_date)
        due = r.parse("due_date", parse_date, required=False)
        amount = r.parse("amount", parse_amount)
        excl = r.parse("amount_excl_tax", parse_amount, required=False)
        terms = r.text("terms")
        doc_type = r.parse("type", lambda v: check_choice(
            cell_text(v), DOC_TYPES, "invoice/facture ou credit_note/avoir"), False) or "invoice"
        currency = (r.text("currency") or "EUR").upper()
        if currency not in _CURRENCIES:
            r.problem("currency", currency, "un code de devise ISO 4217 (EUR, USD…)")
        if number:
            if number in seen:
                r.problem("number", number, f"un numéro unique (déjà à la ligne {seen[number]})")
            elif number in in_db:
                r.problem("number", number, "un numéro nouveau (déjà enregistré dans la base)")
            seen.setdefault(number, number_in_file)
        if amount is not None and amount <= ZERO:
            r.problem("amount", r.raw("amount"), "un montant positif (un avoir s'importe avec "
                      "type=avoir et un montant positif)" if amount < ZERO else
                      "un montant non nul")
        if excl is not None and (excl < ZERO or (amount is not None and excl > amount)):
            r.problem("amount_excl_tax", r.raw("amount_excl_tax"),
                      "un montant HT positif et au plus égal au montant TTC")
        if doc_type == "credit_note" and issue is not None:
            due = issue
        elif due is None and issue is not None:
            if terms:
                due = due_from_terms(terms, issue)
            else:
                r.problem("due_date", "", "une date d'échéance, ou des conditions de paiement "
                          "(colonne terms) qui la donnent")
        if due is not None and issue is not None and due < issue:
            r.problem("due_date", r.raw("due_date"),
                      f"une échéance postérieure ou égale à la date d'émission ({issue:%d/%m/%Y})")
        applies_to = r.text("applies_to")
        billed = r.parse("billed_siren", lambda v: check_siren(cell_text(v)), False) or ""
        if r.failed:
            continue
        client_name = r.text("client_name")
        if client_ref not in client_ids and client_ref not in new_clients:
            new_clients[client_ref] = client_name
        if doc_type == "credit_note":
            pending_notes.append(_PendingCreditNote(number_in_file, number, client_ref,
                                                    applies_to))
            report.credit_notes += 1
        else:
            report.created += 1
            if due is not None and issue is not None and (due - issue).days > 30:
                long_terms.append((number_in_file, number, client_ref, issue, due))
        cid = client_ids.get(client_ref)
        batch.rows.append((creditor_id, client_ref if cid is None else cid, number, doc_type,
                           stored_date(issue), stored_date(due), cents(amount), cents(excl),
                           currency, terms, r.text("po_ref"), billed))
        if cid is None:
            batch.client_refs.append(client_ref)
        if len(batch.rows) >= BATCH:
            flush()
    flush()
    if pending_notes and not r.problems:
        _apply_credit_notes(conn, creditor.id, pending_notes, r, report)
    if long_terms and not r.problems:
        report.warnings = _terms_warnings(conn, creditor.id, r.file, long_terms)
    return report


def _terms_warnings(conn: Connection, creditor_id: int, file: str,
                    candidates: list[tuple[int, str, str, date, date]]) -> list[str]:
    """Invoices whose due date lies beyond the legal caps for their client's kind."""
    from relance.law.caps import beyond_cap, latest_lawful_due

    kinds: dict[str, str] = dict(conn.execute(
        select(t.clients.c.ref, t.clients.c.kind).where(t.clients.c.creditor_id == creditor_id)
    ).all())
    out: list[str] = []
    for row, number, ref, issue, due in candidates:
        kind = kinds.get(ref, "b2b")
        latest = latest_lawful_due(issue, kind)  # cached per (issue date, kind)
        if latest is not None and due > latest:
            out.append(f"{file}, ligne {row}, facture {number} : {beyond_cap(issue, due, kind)}")
    return out


def _apply_credit_notes(
    conn: Connection, creditor_id: int, notes: list[_PendingCreditNote], r: RowReader,
    report: ImportReport,
) -> None:
    numbers = [n.number for n in notes] + [n.applies_to for n in notes if n.applies_to]
    docs: dict[str, Any] = {}
    for start in range(0, len(numbers), 900):
        for row in conn.execute(select(t.invoices).where(
            t.invoices.c.creditor_id == creditor_id,
            t.invoices.c.number.in_(numbers[start : start + 900]),
        )):
            docs[row.number] = row
    client_ids = {docs[n.number].client_id for n in notes}
    items = open_items(conn, client_ids)
    remaining = {item.invoice_id: item for lst in items.values() for item in lst}
    allocation_rows: list[tuple[Any, ...]] = []
    for note in notes:
        doc = docs[note.number]
        if note.applies_to:
            target = docs.get(note.applies_to)
            r.start(note.row, ())
            if target is None or target.doc_type != "invoice":
                r.problem("applies_to", note.applies_to,
                          "le numéro d'une facture existante (dans ce fichier ou la base)")
                continue
            if target.client_id != doc.client_id:
                r.problem("applies_to", note.applies_to,
                          f"une facture du même client ({note.client_ref})")
                continue
            candidates = [remaining[target.id]] if target.id in remaining else []
            plan = allocate_in_order(doc.amount, candidates)
        else:
            candidates = [i for i in items.get(doc.client_id, []) if i.invoice_id in remaining]
            plan = allocate_oldest_first(doc.amount, candidates)
        for invoice_id, part in plan.lines:
            allocation_rows.append((invoice_id, None, doc.id, part))
            _consume(remaining, invoice_id, part)
            report.allocated += part
        report.unallocated += plan.unallocated
    if allocation_rows and not r.problems:
        bulk_insert(conn, t.allocations, _ALLOCATION_COLUMNS, allocation_rows)


_ALLOCATION_COLUMNS = ("invoice_id", "payment_id", "credit_note_id", "amount")
_PAYMENT_COLUMNS = ("id", "creditor_id", "client_id", "date", "amount", "method", "reference")


def _consume(remaining: dict[int, OpenItem], invoice_id: int, part: Decimal) -> None:
    item = remaining[invoice_id].reduced_by(part)
    if item.open_amount > ZERO:
        remaining[invoice_id] = item
    else:
        del remaining[invoice_id]


# --- payments ------------------------------------------------------------------------------


@dataclass
class _PaymentRow:
    row: int
    client_ref: str
    date: date
    amount: Decimal
    invoice_numbers: list[str]
    reference: str
    method: str


def _import_payments(
    conn: Connection, creditor: Any, fmt: Format, r: RowReader,
    rows: Iterator[tuple[int, list[object]]],
) -> ImportReport:
    report = ImportReport("payments", r.file)
    client_ids: dict[str, int] = dict(conn.execute(
        select(t.clients.c.ref, t.clients.c.id).where(t.clients.c.creditor_id == creditor.id)
    ).all())
    parsed: list[_PaymentRow] = []
    keys: dict[tuple[str, date, Decimal, str], int] = {}
    for number, cells in rows:
        report.rows += 1
        r.start(number, cells)
        paid_on = r.parse("date", parse_date)
        amount = r.parse("amount", parse_amount)
        client_ref = r.text("client_ref", required=True)
        invoice_field = r.text("invoice_number")
        reference = r.text("reference")
        if amount is not None and amount <= ZERO:
            r.problem("amount", r.raw("amount"), "un montant reçu strictement positif")
        if client_ref and client_ref not in client_ids:
            r.problem("client_ref", client_ref, "la référence d'un client connu (importez "
                      "d'abord les clients ou les factures)")
        if r.failed:
            continue
        key = (client_ref, paid_on, amount, reference)
        if reference and key in keys:
            r.problem("reference", reference,
                      f"un règlement unique (le même figure déjà à la ligne {keys[key]})")
            continue
        keys.setdefault(key, number)
        numbers = [n.strip() for n in invoice_field.split("|") if n.strip()]
        parsed.append(_PaymentRow(number, client_ref, paid_on, amount, numbers, reference,
                                  r.text("method")))
    _check_payments_known(conn, creditor.id, parsed, client_ids, r)
    if r.problems:
        return report
    _write_payments(conn, creditor.id, parsed, client_ids, report)
    if parsed:
        from relance.services.risk import lift_paid_marks

        # A bad-payer mark goes as soon as its unpaid sums are paid (CNIL: within 48 hours).
        lift_paid_marks(conn, creditor.id, max(p.date for p in parsed))
    return report


def _check_payments_known(
    conn: Connection, creditor_id: int, parsed: list[_PaymentRow], client_ids: dict[str, int],
    r: RowReader,
) -> dict[str, Any]:
    numbers = sorted({n for p in parsed for n in p.invoice_numbers})
    docs: dict[str, Any] = {}
    for start in range(0, len(numbers), 900):
        for row in conn.execute(select(t.invoices.c.number, t.invoices.c.id,
                                       t.invoices.c.client_id, t.invoices.c.doc_type).where(
            t.invoices.c.creditor_id == creditor_id,
            t.invoices.c.number.in_(numbers[start : start + 900]),
        )):
            docs[row.number] = row
    with_refs = [p for p in parsed if p.reference]
    existing = set()
    if with_refs:
        ids = {client_ids[p.client_ref] for p in with_refs}
        for row in conn.execute(select(t.payments.c.client_id, t.payments.c.date,
                                       t.payments.c.amount, t.payments.c.reference).where(
            t.payments.c.creditor_id == creditor_id, t.payments.c.reference != "",
            t.payments.c.client_id.in_(sorted(ids)[:30000]),
        )):
            existing.add((row.client_id, row.date, row.amount, row.reference))
    for p in parsed:
        r.start(p.row, ())
        for n in p.invoice_numbers:
            doc = docs.get(n)
            if doc is None or doc.doc_type != "invoice":
                r.problem("invoice_number", n, "le numéro d'une facture connue")
            elif doc.client_id != client_ids[p.client_ref]:
                r.problem("invoice_number", n, f"une facture du client {p.client_ref}")
        if (client_ids[p.client_ref], p.date, p.amount, p.reference) in existing:
            r.problem("reference", p.reference, "un règlement nouveau (le même client, date, "
                      "montant et référence est déjà enregistré)")
    return docs


def _write_payments(
    conn: Connection, creditor_id: int, parsed: list[_PaymentRow], client_ids: dict[str, int],
    report: ImportReport,
) -> None:
    parsed.sort(key=lambda p: (p.date, p.row))
    ids = reserve_ids(conn, t.payments, len(parsed))
    bulk_insert(conn, t.payments, _PAYMENT_COLUMNS, [
        (payment_id, creditor_id, client_ids[p.client_ref], p.date, p.amount, p.method,
         p.reference) for payment_id, p in zip(ids, parsed, strict=True)
    ])
    items = open_items(conn, {client_ids[p.client_ref] for p in parsed})
    remaining = {i.invoice_id: i for lst in items.values() for i in lst}
    by_number = {i.number: i.invoice_id for i in remaining.values()}
    allocation_rows: list[tuple[Any, ...]] = []
    for payment_id, p in zip(ids, parsed, strict=True):
        client_id = client_ids[p.client_ref]
        if p.invoice_numbers:
            chosen = [remaining[by_number[n]] for n in p.invoice_numbers
                      if n in by_number and by_number[n] in remaining]
            plan = allocate_in_order(p.amount, chosen)
        else:
            # Without an invoice number, only invoices already issued on the payment date are
            # candidates: a deposit stays as client credit until `relance allocate` matches it.
            candidates = [remaining[i.invoice_id] for i in items[client_id]
                          if i.invoice_id in remaining and _issued_by(i, p.date)]
            plan = allocate_oldest_first(p.amount, candidates)
        for invoice_id, part in plan.lines:
            allocation_rows.append((invoice_id, payment_id, None, part))
            _consume(remaining, invoice_id, part)
            report.allocated += part
        report.unallocated += plan.unallocated
        report.created += 1
    bulk_insert(conn, t.allocations, _ALLOCATION_COLUMNS, allocation_rows)


def _issued_by(item: OpenItem, on: date) -> bool:
    return item.issue_date is None or item.issue_date <= on


IMPORTERS: dict[str, Callable[..., ImportReport]] = {
    "clients": _import_clients,
    "invoices": _import_invoices,
    "payments": _import_payments,
}
