"""column mappings belong to one company

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 11:00:00

A saved column mapping (`relance import --save-map`, the import page's list) was shared by
every company of the database: one company's users saw the others' mapping names and could
replace them. Each mapping now belongs to one company, its name unique within it. The mappings
saved until now are copied to every company, which keeps what each one could use (a mapping
is saved only after an import, which needs a company: there is always one to copy it to).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("import_mappings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("creditor_id", sa.Integer(), nullable=True))
        batch_op.drop_constraint("uq_import_mappings_name", type_="unique")
    op.execute("""INSERT INTO import_mappings (creditor_id, name, kind, mapping)
                  SELECT c.id, m.name, m.kind, m.mapping
                    FROM import_mappings m CROSS JOIN creditors c
                   WHERE m.creditor_id IS NULL""")
    op.execute("DELETE FROM import_mappings WHERE creditor_id IS NULL")
    with op.batch_alter_table("import_mappings", schema=None) as batch_op:
        batch_op.alter_column("creditor_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key("fk_import_mappings_creditor_id_creditors", "creditors",
                                    ["creditor_id"], ["id"], ondelete="CASCADE")
        batch_op.create_unique_constraint("uq_import_mappings_creditor_name",
                                          ["creditor_id", "name"])


def downgrade() -> None:
    # Shared again: one mapping per name, the oldest.
    op.execute("""DELETE FROM import_mappings WHERE id NOT IN (
                      SELECT min(id) FROM import_mappings GROUP BY name)""")
    with op.batch_alter_table("import_mappings", schema=None) as batch_op:
        batch_op.drop_constraint("uq_import_mappings_creditor_name", type_="unique")
        batch_op.drop_constraint("fk_import_mappings_creditor_id_creditors",
                                 type_="foreignkey")
        batch_op.drop_column("creditor_id")
        batch_op.create_unique_constraint("uq_import_mappings_name", ["name"])
