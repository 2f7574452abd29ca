"""SQLAlchemy Core tables: the one schema for SQLite and PostgreSQL (Alembic migrates it)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)



class Money(TypeDecorator[Decimal]):
    """An amount stored as integer cents: exact sums in SQL on SQLite and PostgreSQL alike."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | int | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, int):
            return value * 100
        cents = value * 100
        if cents != cents.to_integral_value():
            raise ValueError(f"amount has more than two decimals: {value}")
        return int(cents)

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-2)


class Rate(TypeDecorator[Decimal]):
    """An annual percentage kept exactly, as text."""

    impl = String(16)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)



def _address(prefix: str = "") -> list[Column]:  # type: ignore[type-arg]
    return [
        Column(f"{prefix}address", Text, nullable=False, server_default=""),
        Column(f"{prefix}postal_code", String(16), nullable=False, server_default=""),
        Column(f"{prefix}city", String(120), nullable=False, server_default=""),
        Column(f"{prefix}country", String(2), nullable=False, server_default="FR"),
    ]


creditors = Table(
    "creditors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ref", String(40), nullable=False, unique=True),
    Column("legal_name", String(200), nullable=False),
    Column("legal_form", String(60), nullable=False, server_default=""),
    Column("share_capital", Money()),
    Column("rcs_city", String(120), nullable=False, server_default=""),
    Column("siren", String(9), nullable=False, server_default=""),
    Column("siret", String(14), nullable=False, server_default=""),
    Column("vat_number", String(20), nullable=False, server_default=""),
    *_address(),
    Column("iban", String(34), nullable=False, server_default=""),
    Column("bic", String(11), nullable=False, server_default=""),
    Column("email", String(200), nullable=False, server_default=""),
    Column("phone", String(40), nullable=False, server_default=""),
    Column("signatory_name", String(200), nullable=False, server_default=""),
    Column("signatory_title", String(120), nullable=False, server_default=""),
    Column("default_terms", String(80), nullable=False, server_default="30 jours"),
    Column("penalty_rate", Rate()),
    Column("is_private_person", Boolean, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

clients = Table(
    "clients",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("creditor_id", ForeignKey("creditors.id", ondelete="CASCADE"), nullable=False),
    Column("ref", String(60), nullable=False),
    Column("name", String(200), nullable=False),
    Column("kind", String(10), nullable=False, server_default="b2b"),
    Column("legal_form", String(60), nullable=False, server_default=""),
    Column("legal_representative", String(200), nullable=False, server_default=""),
    Column("siren", String(9), nullable=False, server_default=""),
    Column("siret", String(14), nullable=False, server_default=""),
    Column("vat_number", String(20), nullable=False, server_default=""),
    Column("email", String(200), nullable=False, server_default=""),
    Column("phone", String(40), nullable=False, server_default=""),
    *_address(),
    Column("preferred_channel", String(20), nullable=False, server_default="email"),
    Column("language", String(5), nullable=False, server_default="fr"),
    Column("collector", String(120), nullable=False, server_default=""),
    Column("flags", JSON, nullable=False, default=list),
    Column("penalty_rate", Rate()),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("creditor_id", "ref", name="uq_clients_creditor_ref"),
    CheckConstraint("kind in ('b2b', 'b2c', 'public')", name="kind"),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("role", String(120), nullable=False, server_default=""),
    Column("email", String(200), nullable=False, server_default=""),
    Column("phone", String(40), nullable=False, server_default=""),
    *_address(),
    Column("is_primary", Boolean, nullable=False, server_default="0"),
)

invoices = Table(
    "invoices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("creditor_id", ForeignKey("creditors.id", ondelete="CASCADE"), nullable=False),
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    Column("number", String(60), nullable=False),
    Column("doc_type", String(12), nullable=False, server_default="invoice"),
    Column("issue_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("amount", Money(), nullable=False),
    Column("amount_excl_tax", Money()),
    Column("currency", String(3), nullable=False, server_default="EUR"),
    Column("terms", String(80), nullable=False, server_default=""),
    Column("po_ref", String(80), nullable=False, server_default=""),
    # The company the invoice is addressed to when it is not the client's own SIREN (a warning
    # sign: "asked to invoice another company").
    Column("billed_siren", String(9), nullable=False, server_default=""),
    Column("applies_to_id", ForeignKey("invoices.id", ondelete="SET NULL")),
    Column("penalty_rate", Rate()),
    # What the allocations settled of this invoice, or used of this credit note, whatever their
    # dates: kept by database triggers on `allocations` (migration 0007), never written here.
    Column("allocated", Money(), nullable=False, server_default="0"),
    UniqueConstraint("creditor_id", "number", name="uq_invoices_creditor_number"),
    CheckConstraint("amount > 0", name="amount_positive"),
    CheckConstraint("due_date >= issue_date", name="due_after_issue"),
    CheckConstraint("doc_type in ('invoice', 'credit_note')", name="doc_type"),
)
Index("ix_invoices_client_due", invoices.c.client_id, invoices.c.due_date)
# Credit notes are few: reports find those dated after a day without reading every invoice.
Index("ix_invoices_credit_notes", invoices.c.creditor_id, invoices.c.issue_date,
      sqlite_where=text("doc_type = 'credit_note'"),
      postgresql_where=text("doc_type = 'credit_note'"))

payments = Table(
    "payments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("creditor_id", ForeignKey("creditors.id", ondelete="CASCADE"), nullable=False),
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("date", Date, nullable=False),
    Column("amount", Money(), nullable=False),
    Column("method", String(40), nullable=False, server_default=""),
    Column("reference", String(140), nullable=False, server_default=""),
    # What of the payment is allocated, whatever the invoices' dates: kept by the triggers.
    Column("allocated", Money(), nullable=False, server_default="0"),
    CheckConstraint("amount > 0", name="amount_positive"),
)

# Each allocation matches part of a payment or of a credit note to an invoice.
allocations = Table(
    "allocations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("invoice_id", ForeignKey("invoices.id", ondelete="CASCADE"), nullable=False),
    Column("payment_id", ForeignKey("payments.id", ondelete="CASCADE"), index=True),
    Column("credit_note_id", ForeignKey("invoices.id", ondelete="CASCADE"), index=True),
    Column("amount", Money(), nullable=False),
    # The day it settles its invoice: its payment's date or its credit note's issue date. Set
    # and kept by database triggers (migration 0008), never written here.
    Column("effective_on", Date()),
    CheckConstraint("amount > 0", name="amount_positive"),
    CheckConstraint(
        "(payment_id IS NULL) <> (credit_note_id IS NULL)", name="one_source"
    ),
)
# An invoice's allocations, and "what was settled of each invoice by this day" read from the
# index alone (scanned in invoice order, it is grouped as it is read).
Index("ix_allocations_invoice_effective", allocations.c.invoice_id, allocations.c.effective_on,
      allocations.c.amount)

# Column mappings of other tools' exports, saved by a company for its own imports.
import_mappings = Table(
    "import_mappings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("creditor_id", ForeignKey("creditors.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(80), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("mapping", JSON, nullable=False),
    UniqueConstraint("creditor_id", "name", name="uq_import_mappings_creditor_name"),
)

# Rates a user added (`relance rates add`): they override the shipped table for their half-year.
rate_overrides = Table(
    "rate_overrides",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("half", String(7), nullable=False, unique=True),
    Column("ecb", Rate(), nullable=False),
    Column("legal_private", Rate(), nullable=False),
    Column("legal_other", Rate(), nullable=False),
    Column("source", Text, nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Per-creditor settings (late-payment conventions and others declared in `relance.config`).
creditor_settings = Table(
    "creditor_settings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("creditor_id", ForeignKey("creditors.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(60), nullable=False),
    Column("value", String(200), nullable=False),
    UniqueConstraint("creditor_id", "name", name="uq_creditor_settings_creditor_name"),
)

# Penalties and the 40 € indemnity waived for a client or one invoice; kept, never deleted.
waivers = Table(
    "waivers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("creditor_id", ForeignKey("creditors.id", ondelete="CASCADE"), nullable=False),
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), index=True),
    Column("invoice_id", ForeignKey("invoices.id", ondelete="CASCADE"), index=True),
    Column("waived_on", Date, nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Column("revoked_on", Date),
    CheckConstraint("(client_id IS NULL) <> (invoice_id IS NULL)", name="one_target"),
)

# The history: everything that happened to a client or an invoice, append-only.
events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("creditor_id", ForeignKey("creditors.id", ondelete="CASCADE"), nullable=False),
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), index=True),
    Column("invoice_id", ForeignKey("invoices.id", ondelete="CASCADE"), index=True),
    Column("kind", String(40), nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("summary", Text, nullable=False, server_default=""),
    Column("data", JSON, nullable=False, default=dict),
)
Index("ix_events_kind_invoice", events.c.kind, events.c.invoice_id)

# --- the daily run -----------------------------------------------------------------------------

# Scenarios loaded from YAML (the text is kept as the user wrote it).
scenarios = Table(
    "scenarios",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("creditor_id", ForeignKey("creditors.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(60), nullable=False),
    Column("source", Text, nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("creditor_id", "name", name="uq_scenarios_creditor_name"),
)

# Per-client collection status: scenario override, hold, do-not-contact, legal case, cause.
client_status = Table(
    "client_status",
    metadata,
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
    Column("scenario", String(60)),
    Column("hold_until", Date),
    Column("hold_reason", Text, nullable=False, server_default=""),
    Column("do_not_contact", Boolean, nullable=False, server_default="0"),
    Column("legal_case", Boolean, nullable=False, server_default="0"),
    Column("no_calls", Boolean, nullable=False, server_default="0"),
    Column("blocked", Boolean, nullable=False, server_default="0"),
    Column("late_cause", String(30)),
)

# Where each invoice stands in its scenario (its own step, whatever its client's others do).
invoice_steps = Table(
    "invoice_steps",
    metadata,
    Column("invoice_id", ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True),
    Column("scenario", String(60), nullable=False),
    Column("step_index", Integer, nullable=False),
    Column("step_key", String(60), nullable=False),
    Column("done_on", Date, nullable=False),
)

disputes = Table(
    "disputes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("invoice_id", ForeignKey("invoices.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("opened_on", Date, nullable=False),
    Column("reason", Text, nullable=False),
    Column("resolved_on", Date),
    Column("resolution", Text, nullable=False, server_default=""),
)

promises = Table(
    "promises",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("made_on", Date, nullable=False),
    Column("pay_by", Date, nullable=False),
    Column("amount", Money(), nullable=False),
    Column("status", String(10), nullable=False, server_default="open"),
    Column("closed_on", Date),
    CheckConstraint("status in ('open', 'kept', 'broken')", name="status"),
)

payment_plans = Table(
    "payment_plans",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("agreed_on", Date, nullable=False),
    Column("total", Money(), nullable=False),
    Column("installments", JSON, nullable=False),  # [{"date": ISO, "amount": "123.45"}, …]
    Column("status", String(10), nullable=False, server_default="active"),
    Column("closed_on", Date),
    CheckConstraint("status in ('active', 'completed', 'broken')", name="status"),
)

# Messages waiting to be sent; the key makes a replayed run write nothing twice.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("creditor_id", ForeignKey("creditors.id", ondelete="CASCADE"), nullable=False),
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("run_date", Date, nullable=False),
    Column("channel", String(20), nullable=False),
    Column("step_key", String(60), nullable=False),
    Column("tone", String(12), nullable=False),
    Column("template", String(60), nullable=False),
    Column("status", String(20), nullable=False),
    Column("data", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Sending (issue 5): who holds the row, how often it was tried, what happened.
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("claimed_by", String(120)),
    Column("claimed_at", DateTime(timezone=True)),
    Column("sent_at", DateTime(timezone=True)),
    Column("message_id", String(200)),
    Column("document", Text),  # path of the PDF or .eml written for it
    Column("error", Text, nullable=False, server_default=""),
)
Index("ix_outbox_status", outbox.c.status, outbox.c.id)

calls = Table(
    "calls",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("creditor_id", ForeignKey("creditors.id", ondelete="CASCADE"), nullable=False),
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("run_date", Date, nullable=False, index=True),
    Column("step_key", String(60), nullable=False),
    Column("tone", String(12), nullable=False),
    Column("collector", String(120), nullable=False, server_default=""),
    Column("priority", Money(), nullable=False),
    Column("status", String(12), nullable=False, server_default="open"),
    Column("outcome", String(20)),
    Column("data", JSON, nullable=False),
)

# The run dates done, and the clients already processed on the current one.
runs = Table(
    "runs",
    metadata,
    Column("run_date", Date, primary_key=True),
    Column("started_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("finished_at", DateTime(timezone=True)),
)
run_clients = Table(
    "run_clients",
    metadata,
    Column("run_date", Date, primary_key=True),
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
)


# --- reliability (issue 6) ---------------------------------------------------------------------

# Credit limit and credit insurance (assurance-crédit) per client.
client_risk = Table(
    "client_risk",
    metadata,
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
    Column("credit_limit", Money()),
    Column("insured_limit", Money()),
    Column("insurer", String(120), nullable=False, server_default=""),
    # The policy's deadline to declare a threat of loss, in days after the first unpaid due date.
    Column("declare_within_days", Integer),
)

# Warning signs of a bad payer, each with its date and source; withdrawn, never deleted.
warning_signs = Table(
    "warning_signs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("creditor_id", ForeignKey("creditors.id", ondelete="CASCADE"), nullable=False),
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("kind", String(40), nullable=False),
    Column("observed_on", Date, nullable=False),
    Column("source", String(20), nullable=False),
    Column("source_ref", String(200), nullable=False, server_default=""),
    Column("detail", Text, nullable=False, server_default=""),
    Column("recorded_by", String(120), nullable=False, server_default=""),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("withdrawn_on", Date),
    Column("withdrawn_reason", Text, nullable=False, server_default=""),
    UniqueConstraint("client_id", "kind", "source_ref", name="uq_warning_signs_client_kind_ref"),
)

# Answers of the company registries (recherche-entreprises, BODACC), cached by SIREN.
registry_cache = Table(
    "registry_cache",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(20), nullable=False),
    Column("key", String(20), nullable=False),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
    Column("status", String(12), nullable=False),
    Column("payload", JSON, nullable=False),
    UniqueConstraint("source", "key", name="uq_registry_cache_source_key"),
)

# The latest score of each client, as of the date it was computed (the run reads the grade).
client_scores = Table(
    "client_scores",
    metadata,
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
    Column("computed_on", Date, nullable=False),
    Column("score", Integer, nullable=False),
    Column("grade", String(1), nullable=False),
    Column("factors", JSON, nullable=False),
    Column("policy", JSON, nullable=False),
)

# Collective proceedings (sauvegarde, redressement, liquidation) and consumer over-indebtedness.
proceedings = Table(
    "proceedings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("creditor_id", ForeignKey("creditors.id", ondelete="CASCADE"), nullable=False),
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("kind", String(20), nullable=False),
    Column("judgment_date", Date, nullable=False),
    Column("published_on", Date),
    Column("court", String(200), nullable=False, server_default=""),
    Column("administrator", Text, nullable=False, server_default=""),  # mandataire judiciaire
    Column("source", String(20), nullable=False, server_default="manual"),
    Column("source_ref", String(200), nullable=False, server_default=""),
    Column("claim_declared_on", Date),
    Column("closed_on", Date),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("client_id", "kind", "judgment_date", name="uq_proceedings_client_kind_date"),
)

# Bad-payer marks (CNIL): proven unpaid sums only, set by a named person, lifted on payment.
bad_payer_marks = Table(
    "bad_payer_marks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("creditor_id", ForeignKey("creditors.id", ondelete="CASCADE"), nullable=False),
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("marked_on", Date, nullable=False),
    Column("marked_by", String(120), nullable=False),
    Column("reason", Text, nullable=False),
    Column("proven_amount", Money(), nullable=False),
    Column("invoices", JSON, nullable=False),
    Column("removed_on", Date),
    Column("removed_reason", Text, nullable=False, server_default=""),
)

# Predicted lateness of each open invoice (the latest prediction).
invoice_predictions = Table(
    "invoice_predictions",
    metadata,
    Column("invoice_id", ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True),
    Column("predicted_on", Date, nullable=False),
    Column("p_late", Rate(), nullable=False),
    Column("expected_on", Date, nullable=False),
    Column("model", String(40), nullable=False),
)


# --- web application and API (issue 8) ---------------------------------------------------------

# People who sign in. Roles: admin (everything, settings, users), collector (the day's work),
# readonly (reading only, no bad-payer file). Passwords are argon2 hashes, never the password.
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(120), nullable=False, unique=True),
    Column("full_name", String(200), nullable=False, server_default=""),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(12), nullable=False),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("role in ('admin', 'collector', 'readonly')", name="role"),
)

# The creditor companies each user serves (an accounting firm serves many).
user_creditors = Table(
    "user_creditors",
    metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("creditor_id", ForeignKey("creditors.id", ondelete="CASCADE"), primary_key=True),
)

# Browser sessions, server side so that they expire and can be ended; the cookie holds a random
# token whose SHA-256 only is stored.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# API tokens per user (SHA-256 stored; the token is shown once).
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(120), nullable=False, server_default=""),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
)

# Sign-in attempts, in the database so that the rate limit holds across processes.
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(120), nullable=False),
    Column("address", String(64), nullable=False, server_default=""),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("success", Boolean, nullable=False),
)
Index("ix_login_attempts_username_at", login_attempts.c.username, login_attempts.c.at)
Index("ix_login_attempts_address_at", login_attempts.c.address, login_attempts.c.at)

# Who did what: every write through the web application or the API.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("user_id", ForeignKey("users.id", ondelete="SET NULL")),
    Column("username", String(120), nullable=False, server_default=""),
    Column("creditor_id", ForeignKey("creditors.id", ondelete="CASCADE")),
    Column("action", String(60), nullable=False),
    Column("target", String(200), nullable=False, server_default=""),
    Column("detail", JSON, nullable=False, default=dict),
    Column("address", String(64), nullable=False, server_default=""),
)
Index("ix_audit_log_creditor_at", audit_log.c.creditor_id, audit_log.c.at)

# Dashboard figures computed by the run and stored as of its date, so pages stay fast.
dashboard_snapshots = Table(
    "dashboard_snapshots",
    metadata,
    Column("creditor_id", ForeignKey("creditors.id", ondelete="CASCADE"), primary_key=True),
    Column("as_of", Date, primary_key=True),
    Column("computed_at", DateTime(timezone=True), nullable=False),
    Column("data", JSON, nullable=False),
)

# Long operations started from the web application (runs, imports), with their progress, in the
# database so that any process can report on them.
jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("creditor_id", ForeignKey("creditors.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", ForeignKey("users.id", ondelete="SET NULL")),
    Column("kind", String(30), nullable=False),
    Column("status", String(12), nullable=False, server_default="running"),
    Column("done", Integer, nullable=False, server_default="0"),
    Column("total", Integer, nullable=False, server_default="0"),
    Column("message", Text, nullable=False, server_default=""),
    Column("result", JSON, nullable=False, default=dict),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True)),  # last sign of life (a dead job stops it)
    Column("finished_at", DateTime(timezone=True)),
)
