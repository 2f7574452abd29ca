"""The one place that wires adapters: database engines from settings; nothing at import."""

from __future__ import annotations

from sqlalchemy import Engine

from relance import config
from relance.adapters.database import DatabaseError, is_current, make_engine, migrate


def database(url: str | None = None) -> Engine:
    """An engine on an initialised, current database (or a clear error saying what to do)."""
    resolved = config.database_url(url)
    engine = make_engine(resolved)
    if not is_current(engine):
        raise DatabaseError(
            f"La base {engine.url.render_as_string()} n'est pas initialisée ou pas à jour : "
            "lancez « relance init »."
        )
    return engine


def initialise(url: str | None = None) -> Engine:
    """Create or migrate the database and return its engine."""
    engine = make_engine(config.database_url(url))
    migrate(engine)
    return engine
