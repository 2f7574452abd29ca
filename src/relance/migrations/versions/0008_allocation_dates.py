"""the date each allocation takes effect, kept on the allocation

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 10:00:00

An allocation settles its invoice on its payment's date, or on its credit note's issue date.
The reports ask "what was settled by this day" of a million allocations; reading the date
through the payment or the credit note cost a join of every allocation with its source.
`allocations.effective_on` now holds that date, with an index (invoice_id, effective_on,
amount) that answers the question by itself; it replaces the index on invoice_id alone.

The database keeps the date, whoever writes: it is set on every insert and on every change of
an allocation's source (a row trigger; importing 918,889 payments with their allocations took
103-109 s on PostgreSQL with it, 107 s without), and follows a payment's date or a credit
note's issue date when either is corrected, even by a transaction running at the same time as
the allocation is written. The code never writes it.

On SQLite, the trigger that keeps the allocated totals now fires only when an allocation's
amount or links change, not when its date is set.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# The source's date, for an allocation row named `row` (NEW in a trigger).
_SOURCE_DATE = """COALESCE((SELECT date FROM payments WHERE id = {row}.payment_id),
                           (SELECT issue_date FROM invoices WHERE id = {row}.credit_note_id))"""

_PG_TRIGGERS = """
CREATE OR REPLACE FUNCTION relance_allocation_date() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- FOR SHARE waits for a transaction correcting that date, then reads the new one: read
    -- without it, an allocation written meanwhile would keep the old date, and the
    -- correction's trigger cannot see that allocation to fix it.
    IF NEW.payment_id IS NOT NULL THEN
        SELECT date INTO NEW.effective_on FROM payments WHERE id = NEW.payment_id FOR SHARE;
    ELSE
        SELECT issue_date INTO NEW.effective_on FROM invoices WHERE id = NEW.credit_note_id
           FOR SHARE;
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION relance_payment_redated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE allocations SET effective_on = NEW.date WHERE payment_id = NEW.id;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION relance_credit_note_redated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE allocations SET effective_on = NEW.issue_date WHERE credit_note_id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER allocations_dated BEFORE INSERT OR UPDATE ON allocations
    FOR EACH ROW EXECUTE FUNCTION relance_allocation_date();
CREATE TRIGGER payments_redated AFTER UPDATE OF date ON payments
    FOR EACH ROW WHEN (OLD.date IS DISTINCT FROM NEW.date)
    EXECUTE FUNCTION relance_payment_redated();
CREATE TRIGGER credit_notes_redated AFTER UPDATE OF issue_date ON invoices
    FOR EACH ROW WHEN (OLD.issue_date IS DISTINCT FROM NEW.issue_date)
    EXECUTE FUNCTION relance_credit_note_redated();
"""

_PG_DROP = """
DROP TRIGGER IF EXISTS allocations_dated ON allocations;
DROP TRIGGER IF EXISTS payments_redated ON payments;
DROP TRIGGER IF EXISTS credit_notes_redated ON invoices;
DROP FUNCTION IF EXISTS relance_allocation_date();
DROP FUNCTION IF EXISTS relance_payment_redated();
DROP FUNCTION IF EXISTS relance_credit_note_redated();
"""

# SQLite cannot assign NEW: the row is dated right after it is written, when its date is not
# its source's already (so that this update, which fires `allocations_redated`, stops there).
_SQLITE_SOURCE = _SOURCE_DATE.format(row="NEW")
_SQLITE_DATE = (f"WHEN NEW.effective_on IS NOT {_SQLITE_SOURCE} BEGIN "
                f"UPDATE allocations SET effective_on = {_SQLITE_SOURCE} WHERE id = NEW.id; END")


def _sqlite_totals_trigger_on(columns: str) -> None:
    """Recreate 0007's `allocations_changed` as it stands, firing on an update of `columns`
    only ("" for any update): the trigger's own text is read back, not written again here."""
    sql = op.get_bind().exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'allocations_changed'"
    ).scalar_one()
    narrowed, found = re.subn(r"AFTER UPDATE (?:OF [\w, ]+ )?ON allocations",
                              f"AFTER UPDATE {columns}ON allocations", sql, count=1)
    if not found:
        raise RuntimeError(f"allocations_changed: unexpected trigger text {sql!r}")
    op.execute("DROP TRIGGER allocations_changed")
    op.execute(narrowed)


_SQLITE_TRIGGERS = (
    f"CREATE TRIGGER allocations_dated AFTER INSERT ON allocations {_SQLITE_DATE}",
    "CREATE TRIGGER allocations_redated AFTER UPDATE OF payment_id, credit_note_id, "
    f"effective_on ON allocations {_SQLITE_DATE}",
    """CREATE TRIGGER payments_redated AFTER UPDATE OF date ON payments
        WHEN OLD.date IS NOT NEW.date BEGIN
        UPDATE allocations SET effective_on = NEW.date WHERE payment_id = NEW.id;
    END""",
    """CREATE TRIGGER credit_notes_redated AFTER UPDATE OF issue_date ON invoices
        WHEN OLD.issue_date IS NOT NEW.issue_date BEGIN
        UPDATE allocations SET effective_on = NEW.issue_date WHERE credit_note_id = NEW.id;
    END""",
)

_BACKFILL = f"UPDATE allocations SET effective_on = {_SOURCE_DATE.format(row='allocations')}"


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.add_column("allocations", sa.Column("effective_on", sa.Date(), nullable=True))
    # The backfill changes no amount: the totals' triggers need not run on it.
    if postgresql:
        op.execute("ALTER TABLE allocations DISABLE TRIGGER allocations_changed")
        op.execute(_BACKFILL)
        op.execute("ALTER TABLE allocations ENABLE TRIGGER allocations_changed")
        op.execute(_PG_TRIGGERS)
    else:
        _sqlite_totals_trigger_on("OF invoice_id, payment_id, credit_note_id, amount ")
        op.execute(_BACKFILL)
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)
    # Replaces the index on invoice_id alone, which it serves as well.
    op.create_index("ix_allocations_invoice_effective", "allocations",
                    ["invoice_id", "effective_on", "amount"], unique=False)
    op.drop_index("ix_allocations_invoice_id", table_name="allocations")


def downgrade() -> None:
    op.create_index("ix_allocations_invoice_id", "allocations", ["invoice_id"], unique=False)
    op.drop_index("ix_allocations_invoice_effective", table_name="allocations")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_DROP)
    else:
        for name in ("allocations_dated", "allocations_redated", "payments_redated",
                     "credit_notes_redated"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        _sqlite_totals_trigger_on("")
    # Not a batch (table copy) on SQLite: that would drop the totals' triggers with the table.
    op.execute("ALTER TABLE allocations DROP COLUMN effective_on")
