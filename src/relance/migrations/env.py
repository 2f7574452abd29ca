"""Alembic environment: runs on the connection that `relance.adapters.database` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from relance.adapters.tables import metadata

config = context.config


def run_migrations_online() -> None:
    """Migrate over the given connection, or one built from the config's URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.begin() as conn:
        _run(conn)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
