"""Alembic migrations build exactly the schema the code declares, up and down, on both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from relance.adapters.database import _alembic_config, is_current, make_engine, migrate
from relance.adapters.tables import metadata
from tests.conftest import TEST_URL


@pytest.fixture
def scratch_url(tmp_path: Path) -> Iterator[str]:
    """A database of its own: a new SQLite file, or a new PostgreSQL database."""
    if not TEST_URL:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    url = make_url(TEST_URL)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    name = "relance_migrations_test"
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def test_migrations_build_the_declared_schema_and_can_be_undone(scratch_url):
    engine = make_engine(scratch_url)
    assert not is_current(engine)
    migrate(engine)
    assert is_current(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
    cfg = _alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(engine)
    assert {"invoices", "payments", "allocations", "events"} <= set(
        inspect(engine).get_table_names())
    engine.dispose()


def test_mappings_shared_before_0009_are_copied_to_each_company_and_merged_back(scratch_url):
    """Saved column mappings were shared by every company until 0009: each company keeps a
    copy of its own; going back leaves one mapping per name, the one saved first."""
    engine = make_engine(scratch_url)
    cfg = _alembic_config(engine)

    def to(revision: str, downgrade: bool = False) -> None:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            (command.downgrade if downgrade else command.upgrade)(cfg, revision)

    to("0008")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO creditors (ref, legal_name) VALUES ('A', 'A SAS'), "
                          "('B', 'B SARL')"))
        conn.execute(text("""INSERT INTO import_mappings (name, kind, mapping)
                             VALUES ('sage', 'invoices', '{"number": "Piece"}')"""))
    to("head")
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT c.ref, m.name, m.kind, m.mapping FROM import_mappings m "
            "JOIN creditors c ON c.id = m.creditor_id ORDER BY c.ref")).all()
    assert [(r[0], r[1], r[2], _json(r[3])) for r in rows] == [("A", "sage", "invoices", {"number": "Piece"}),
                               ("B", "sage", "invoices", {"number": "Piece"})]
    # A saves its mapping again, changed: B's copy, untouched, is now the older one.
    from relance.services.mappings import save_mapping

    with engine.connect() as conn:
        a_id = conn.execute(text("SELECT id FROM creditors WHERE ref = 'A'")).scalar_one()
    save_mapping(engine, a_id, "sage", "invoices", {"number": "N° pièce"})
    to("0008", downgrade=True)
    with engine.connect() as conn:
        kept = conn.execute(text("SELECT name, mapping FROM import_mappings")).all()
    assert [(n, _json(m)) for n, m in kept] == [
        ("sage", {"number": "Piece"})]
    engine.dispose()


def _json(value: object) -> object:
    """A JSON column read through plain SQL: text on SQLite, already decoded on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value
