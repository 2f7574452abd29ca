"""Ledger records: creditors, clients, invoices, credit notes, payments, allocations.

Records are immutable; amounts are Decimal (see `money`), dates are `date`.

>>> from datetime import date
>>> from decimal import Decimal
>>> inv = Invoice(id=1, number="F1", client_id=7, issue_date=date(2026, 1, 5),
...               due_date=date(2026, 2, 4), amount=Decimal("1200.00"))
>>> inv.tax
Decimal('0.00')
>>> inv.days_overdue(date(2026, 2, 10))
6
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from relance.domain.money import ZERO


class ClientKind(StrEnum):
    """Who the debtor is: it decides which late-payment law applies."""

    B2B = "b2b"
    B2C = "b2c"
    PUBLIC = "public"


class LegalForm(StrEnum):
    """Legal form of a client or creditor, as a court request needs it."""

    COMPANY = "company"
    SOLE_TRADER = "sole_trader"
    LIBERAL_PROFESSION = "liberal_profession"
    ASSOCIATION = "association"
    PUBLIC_BODY = "public_body"
    PRIVATE_PERSON = "private_person"
    OTHER = "other"


class Channel(StrEnum):
    """Ways of contacting a client."""

    EMAIL = "email"
    LETTER = "letter"
    CALL = "call"
    SMS = "sms"
    REGISTERED_LETTER = "registered_letter"


class DocumentType(StrEnum):
    """An invoice raises the debt, a credit note reduces it."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


@dataclass(frozen=True)
class Address:
    """A postal address."""

    line: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = "FR"


@dataclass(frozen=True)
class Creditor:
    """The user's company: everything a letterhead and a court request need."""

    ref: str
    legal_name: str
    id: int | None = None
    legal_form: str = ""
    share_capital: Decimal | None = None
    rcs_city: str = ""
    siren: str = ""
    siret: str = ""
    vat_number: str = ""
    address: Address = Address()
    iban: str = ""
    bic: str = ""
    email: str = ""
    phone: str = ""
    signatory_name: str = ""
    signatory_title: str = ""
    default_terms: str = "30 jours"
    penalty_rate: Decimal | None = None
    is_private_person: bool = False


@dataclass(frozen=True)
class Contact:
    """A person to reach at a client."""

    name: str
    role: str = ""
    email: str = ""
    phone: str = ""
    address: Address = Address()
    is_primary: bool = False


@dataclass(frozen=True)
class Client:
    """A debtor of one creditor."""

    ref: str
    name: str
    id: int | None = None
    kind: ClientKind = ClientKind.B2B
    legal_form: str = ""
    legal_representative: str = ""
    siren: str = ""
    siret: str = ""
    vat_number: str = ""
    email: str = ""
    phone: str = ""
    address: Address = Address()
    contacts: tuple[Contact, ...] = ()
    preferred_channel: Channel = Channel.EMAIL
    language: str = "fr"
    collector: str = ""
    flags: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Invoice:
    """An invoice (or credit note) as issued; its balance is derived from allocations."""

    number: str
    client_id: int
    issue_date: date
    due_date: date
    amount: Decimal
    id: int | None = None
    amount_excl_tax: Decimal | None = None
    currency: str = "EUR"
    terms: str = ""
    po_ref: str = ""
    doc_type: DocumentType = DocumentType.INVOICE
    applies_to_id: int | None = None

    @property
    def tax(self) -> Decimal:
        """VAT and other taxes: amount incl. tax minus amount excl. tax."""
        if self.amount_excl_tax is None:
            return ZERO
        return self.amount - self.amount_excl_tax

    def days_overdue(self, on: date) -> int:
        """Days past the due date on a given day (0 when not yet due)."""
        return max(0, (on - self.due_date).days)


@dataclass(frozen=True)
class Payment:
    """Money received from a client."""

    client_id: int
    date: date
    amount: Decimal
    id: int | None = None
    method: str = ""
    reference: str = ""


@dataclass(frozen=True)
class Allocation:
    """Part of a payment or credit note matched to an invoice, effective on `date`."""

    invoice_id: int
    amount: Decimal
    date: date
    payment_id: int | None = None
    credit_note_id: int | None = None
