"""Test fixtures: a real database (SQLite by default, PostgreSQL with RELANCE_TEST_DATABASE_URL).

Each test gets an empty, migrated database: a copy of a migrated SQLite file, or on
PostgreSQL the shared test database emptied table by table.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, MetaData, text

from relance.adapters.database import make_engine, migrate
from relance.adapters.tables import metadata
from relance.entrypoints.cli import cli

TEST_URL = os.environ.get("RELANCE_TEST_DATABASE_URL", "")
SAMPLES = Path(__file__).resolve().parents[1] / "src" / "relance" / "samples"


def _reset_postgres(engine: Engine) -> None:
    with engine.begin() as conn:
        reflected = MetaData()
        reflected.reflect(conn)
        for table in reversed(reflected.sorted_tables):
            conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}" CASCADE'))


def _empty_postgres(conn: Any) -> None:
    """Empty every table and restart every id sequence. DELETE in dependency order, not
    TRUNCATE: on a test's few rows it takes 20 ms where TRUNCATE of ~40 tables takes 300 ms,
    which was a third of the PostgreSQL suite."""
    for table in reversed(metadata.sorted_tables):
        conn.execute(table.delete())
    sequences = conn.execute(text(
        "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")).scalars()
    calls = [f"setval('{name}', 1, false)" for name in sequences]
    if calls:
        conn.execute(text("SELECT " + ", ".join(calls)))


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if TEST_URL:
        engine = make_engine(TEST_URL)
        _reset_postgres(engine)
        migrate(engine)
        engine.dispose()
        yield TEST_URL
        return
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    yield str(path)


@pytest.fixture
def db_url(_template: str, tmp_path: Path) -> Iterator[str]:
    """URL of an empty, migrated database for this test."""
    if TEST_URL:
        engine = make_engine(TEST_URL)
        with engine.begin() as conn:
            _empty_postgres(conn)
        engine.dispose()
        yield TEST_URL
        return
    path = tmp_path / "relance.db"
    shutil.copyfile(_template, path)
    yield f"sqlite:///{path}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on this test's database."""
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


class Relance:
    """Runs `relance` commands in-process against the test database."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self.runner = CliRunner()

    def __call__(self, *args: str, ok: bool = True) -> Result:
        result = self.runner.invoke(cli, ["--db", self.db_url, *args], catch_exceptions=False)
        if ok and result.exit_code != 0:
            raise AssertionError(f"relance {' '.join(args)} -> {result.exit_code}\n"
                                 f"{result.output}")
        return result


@pytest.fixture
def relance(db_url: str) -> Relance:
    """The CLI bound to this test's database."""
    return Relance(db_url)


@pytest.fixture
def creditor(relance: Relance) -> str:
    """One creditor company, as a user would add it."""
    relance("creditors", "add", "ACME", "--name", "ACME Services SAS", "--siren", "732829320",
            "--legal-form", "SAS", "--city", "Paris")
    return "ACME"


# --- the web application ----------------------------------------------------------------------

WEB_PASSWORD = "mot-de-passe-solide"
WEB_DAY = "2026-06-30"


class Web:
    """The web application on this test's database, with users of each role signed in on
    demand: `web.client("admin")` is a TestClient holding that user's session cookie."""

    def __init__(self, engine: Engine) -> None:
        from datetime import date

        from relance.entrypoints.web.app import create_app

        self.engine = engine
        self.app = create_app(engine, on=date.fromisoformat(WEB_DAY))

    def client(self, username: str | None = None, password: str = WEB_PASSWORD) -> Any:
        """A browser: signed in as `username` (through the real sign-in form) or anonymous."""
        from fastapi.testclient import TestClient

        browser = TestClient(self.app, base_url="http://testserver", follow_redirects=False)
        if username:
            page = browser.get("/connexion")
            token = csrf_of(page.text)
            answer = browser.post("/connexion", data={"identifiant": username,
                                                      "mot_de_passe": password,
                                                      "csrf_token": token, "suite": "/"})
            assert answer.status_code == 303, answer.text
        return browser

    def csrf(self, browser: Any, path: str) -> str:
        """The CSRF token of the form on a page."""
        return csrf_of(browser.get(path).text)

    def token(self, username: str) -> str:
        """A new API token of a user."""
        from relance.services.users import create_token, user_by_name

        with self.engine.begin() as conn:
            return create_token(conn, user_by_name(conn, username).id, "tests")


def csrf_of(html: str) -> str:
    """The value of the first csrf_token field of a page."""
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


@pytest.fixture
def web(engine: Engine, relance: Relance, creditor: str) -> Web:
    """Two companies (ACME and BETA) and four users: admin, collector and readonly serve ACME;
    `beta` (a collector) serves only BETA."""
    from relance.services.users import add_user

    relance("creditors", "add", "BETA", "--name", "Beta Conseil SARL", "--siren", "552100554")
    with engine.begin() as conn:
        ids = {r.ref: r.id for r in conn.execute(text("select id, ref from creditors"))}
        for name, role, ref in (("admin", "admin", "ACME"), ("collector", "collector", "ACME"),
                                ("readonly", "readonly", "ACME"), ("beta", "collector", "BETA")):
            add_user(conn, name, WEB_PASSWORD, role, full_name=name.title(),
                     creditor_ids=[ids[ref]])
    return Web(engine)


def app_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every APIRoute of the application with its full path (FastAPI keeps an included router
    as one entry of `app.routes`: walk into it)."""
    from fastapi.routing import APIRoute

    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):
            yield from app_routes(route.original_router.routes,
                                  prefix + route.include_context.prefix)
