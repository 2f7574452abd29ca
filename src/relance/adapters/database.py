"""Engines and migrations: SQLite by default, PostgreSQL through a URL; nothing at import."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from relance.domain.errors import RelanceError


class DatabaseError(RelanceError):
    """The database cannot be reached or is not initialised."""

    default_message = "Base de données inaccessible."


def aware(moment: datetime) -> datetime:
    """A datetime read from the database as an aware one (SQLite gives naive UTC back)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets foreign keys and WAL, PostgreSQL psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"URL de base de données invalide : « {url} ».") from exc
    try:
        if parsed.get_backend_name() == "sqlite":
            # One connection serves one request at a time, maybe from several threads (the web
            # application's thread pool): SQLite's same-thread check would refuse that.
            engine = create_engine(url, connect_args={"timeout": 30,
                                                      "check_same_thread": False})
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(url, pool_pre_ping=True)
    except (NoSuchModuleError, ArgumentError, ImportError) as exc:
        raise DatabaseError(
            f"Base de données non prise en charge : « {url} » (attendu : sqlite:///fichier.db "
            "ou postgresql+psycopg://utilisateur@hôte:5432/base)."
        ) from exc


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB: big imports and reports stay in memory
    cursor.close()


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    script_location = resources.files("relance") / "migrations"
    cfg.set_main_option("script_location", str(Path(str(script_location))))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration."""
    cfg = _alembic_config(engine)
    try:
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")
    except OperationalError as exc:
        raise DatabaseError(
            f"Impossible d'ouvrir la base {engine.url.render_as_string()} : {exc.orig}"
        ) from exc


def is_current(engine: Engine) -> bool:
    """Whether the schema is at the newest migration."""
    head = ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except OperationalError as exc:
        raise DatabaseError(
            f"Impossible d'ouvrir la base {engine.url.render_as_string()} : {exc.orig}"
        ) from exc
    return current == head
