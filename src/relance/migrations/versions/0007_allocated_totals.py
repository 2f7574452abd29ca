"""allocated totals kept on invoices and payments

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 09:10:00

Each invoice keeps the sum of the allocations made to it, each credit note the sum of the
allocations made from it (both in `invoices.allocated`), and each payment the sum of its
allocations (`payments.allocated`). The database keeps them right whoever writes the
allocations (imports, manual payments, re-allocation, credit notes, cascades): triggers, one
statement-level trigger per operation on PostgreSQL (set-wise, through transition tables, so a
COPY of a million allocations updates the totals in three joins), row triggers on SQLite.

A partial index on the credit notes lets the reports find those dated after a day without
reading every invoice.

The aged balance and the DSO then read what is open today from the invoices themselves and add
back only the allocations dated after the report date, instead of summing every allocation of
the ledger on each report.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

def _pg_apply(sign: str, moved: str) -> str:
    """The two set-wise updates of a trigger function (transition tables are visible only in
    the trigger function itself, so each one carries its own copy of these lines)."""
    return f"""
    UPDATE invoices i SET allocated = i.allocated {sign} m.cents
      FROM (SELECT id, sum(amount) AS cents
              FROM (SELECT invoice_id AS id, amount FROM {moved}
                    UNION ALL
                    SELECT credit_note_id, amount FROM {moved}
                     WHERE credit_note_id IS NOT NULL) moves
             GROUP BY id) m
     WHERE i.id = m.id;
    UPDATE payments p SET allocated = p.allocated {sign} m.cents
      FROM (SELECT payment_id AS id, sum(amount) AS cents FROM {moved}
             WHERE payment_id IS NOT NULL GROUP BY payment_id) m
     WHERE p.id = m.id;"""


_PG_TRIGGERS = f"""
CREATE OR REPLACE FUNCTION relance_allocations_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN {_pg_apply("+", "added_rows")}
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION relance_allocations_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN {_pg_apply("-", "removed_rows")}
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION relance_allocations_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN {_pg_apply("-", "removed_rows")} {_pg_apply("+", "added_rows")}
    RETURN NULL;
END $$;

CREATE TRIGGER allocations_added AFTER INSERT ON allocations
    REFERENCING NEW TABLE AS added_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relance_allocations_added();
CREATE TRIGGER allocations_removed AFTER DELETE ON allocations
    REFERENCING OLD TABLE AS removed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relance_allocations_removed();
CREATE TRIGGER allocations_changed AFTER UPDATE ON allocations
    REFERENCING OLD TABLE AS removed_rows NEW TABLE AS added_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relance_allocations_changed();
"""

_PG_DROP = """
DROP TRIGGER IF EXISTS allocations_added ON allocations;
DROP TRIGGER IF EXISTS allocations_removed ON allocations;
DROP TRIGGER IF EXISTS allocations_changed ON allocations;
DROP FUNCTION IF EXISTS relance_allocations_added();
DROP FUNCTION IF EXISTS relance_allocations_removed();
DROP FUNCTION IF EXISTS relance_allocations_changed();
"""

_SQLITE_TRIGGERS = (
    """CREATE TRIGGER allocations_added AFTER INSERT ON allocations BEGIN
        UPDATE invoices SET allocated = allocated + NEW.amount
            WHERE id IN (NEW.invoice_id, NEW.credit_note_id);
        UPDATE payments SET allocated = allocated + NEW.amount WHERE id = NEW.payment_id;
    END""",
    """CREATE TRIGGER allocations_removed AFTER DELETE ON allocations BEGIN
        UPDATE invoices SET allocated = allocated - OLD.amount
            WHERE id IN (OLD.invoice_id, OLD.credit_note_id);
        UPDATE payments SET allocated = allocated - OLD.amount WHERE id = OLD.payment_id;
    END""",
    """CREATE TRIGGER allocations_changed AFTER UPDATE ON allocations BEGIN
        UPDATE invoices SET allocated = allocated - OLD.amount
            WHERE id IN (OLD.invoice_id, OLD.credit_note_id);
        UPDATE payments SET allocated = allocated - OLD.amount WHERE id = OLD.payment_id;
        UPDATE invoices SET allocated = allocated + NEW.amount
            WHERE id IN (NEW.invoice_id, NEW.credit_note_id);
        UPDATE payments SET allocated = allocated + NEW.amount WHERE id = NEW.payment_id;
    END""",
)

_BACKFILL = (
    """UPDATE invoices SET allocated =
        COALESCE((SELECT sum(a.amount) FROM allocations a WHERE a.invoice_id = invoices.id), 0)
        + COALESCE((SELECT sum(a.amount) FROM allocations a
                    WHERE a.credit_note_id = invoices.id), 0)
       WHERE id IN (SELECT invoice_id FROM allocations)
          OR id IN (SELECT credit_note_id FROM allocations WHERE credit_note_id IS NOT NULL)""",
    """UPDATE payments SET allocated =
        (SELECT sum(a.amount) FROM allocations a WHERE a.payment_id = payments.id)
       WHERE id IN (SELECT payment_id FROM allocations WHERE payment_id IS NOT NULL)""",
)


def upgrade() -> None:
    for table in ("invoices", "payments"):
        op.add_column(table, sa.Column("allocated", sa.BigInteger(), server_default="0",
                                       nullable=False))
    for statement in _BACKFILL:
        op.execute(statement)
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index("ix_invoices_credit_notes", ["creditor_id", "issue_date"],
                              unique=False, sqlite_where=sa.text("doc_type = 'credit_note'"),
                              postgresql_where=sa.text("doc_type = 'credit_note'"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_TRIGGERS)
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_DROP)
    else:
        for name in ("allocations_added", "allocations_removed", "allocations_changed"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_invoices_credit_notes")
    for table in ("payments", "invoices"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("allocated")
