"""Alembic migrations build exactly the schema the code declares, up and down, on both databases."""

from __future__ import annotations

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
