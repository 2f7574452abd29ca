"""`relance demo` creates its documented login and serves the application on its calendar."""

from __future__ import annotations

import json
from datetime import date

from click.testing import CliRunner
from sqlalchemy import select

from relance.adapters import tables as t
from relance.adapters.database import make_engine
from relance.entrypoints.cli import cli
from tests.conftest import Web

SMALL = ("--clients", "12", "--invoices", "120", "--days", "2")


def test_the_demo_prints_its_login_and_the_login_signs_in_as_an_administrator(tmp_path):
    path = tmp_path / "demo.db"
    result = CliRunner().invoke(cli, ["demo", "--no-serve", "--path", str(path), *SMALL])
    assert result.exit_code == 0, result.output
    assert "identifiant « demo », mot de passe « relance-demo-2026 »" in result.output
    assert "serve --date 2026-06-30" in result.output
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            user = conn.execute(select(t.users)).one()
            grants = conn.execute(select(t.creditors.c.ref).join(
                t.user_creditors, t.user_creditors.c.creditor_id == t.creditors.c.id)).all()
        assert (user.username, user.role, user.active) == ("demo", "admin", True)
        assert user.password_hash.startswith("$argon2id$")
        assert [g.ref for g in grants] == ["DEMO"]
        browser = Web(engine).client("demo", "relance-demo-2026")
        home = browser.get("/")
        assert home.status_code == 303 and home.headers["location"] == "/c/DEMO/"
        dashboard = browser.get("/c/DEMO/")
        assert dashboard.status_code == 200 and "Atelier Numérique du Rhône" in dashboard.text
    finally:
        engine.dispose()


def test_the_demo_serves_the_application_pinned_to_its_last_day(tmp_path, monkeypatch):
    served = []
    monkeypatch.setattr("relance.entrypoints.cli_web.serve_app",
                        lambda engine, host, port, on=None: served.append((host, port, on)))
    result = CliRunner().invoke(cli, ["demo", "--path", str(tmp_path / "d.db"), "--port",
                                      "8123", *SMALL])
    assert result.exit_code == 0, result.output
    assert served == [("127.0.0.1", 8123, date(2026, 6, 30))]
    assert "sur http://127.0.0.1:8123/" in result.output
    assert "identifiant « demo »" in result.output
    as_json = CliRunner().invoke(cli, ["demo", "--no-serve", "--json", "--path",
                                       str(tmp_path / "j.db"), *SMALL])
    assert json.loads(as_json.output)["login"] == {"username": "demo",
                                                   "password": "relance-demo-2026",
                                                   "role": "admin"}
    assert len(served) == 1   # --no-serve serves nothing


def test_a_busy_port_is_said_in_french_before_building_anything(tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli, ["demo", "--path", str(tmp_path / "d.db"),
                                          "--port", str(port), *SMALL])
    assert result.exit_code == 2
    assert f"Le port {port} est déjà utilisé" in result.output
    assert not (tmp_path / "d.db").exists()
