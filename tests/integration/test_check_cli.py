"""`relance check SIREN` and `relance registry` against a local HTTP server serving recorded
registry answers: the real HTTP client, cache and parsing run; offline says "inconnu"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.test_imports import write
from tests.integration.test_registry import (  # noqa: F401 (the server fixture)
    ACTIVE,
    CLOSED,
    FakeRegistry,
    Scripted,
    server,
)

AT = "2026-11-23"
IN_REDRESSEMENT = "404833048"


@pytest.fixture
def registry_env(server: FakeRegistry, monkeypatch: pytest.MonkeyPatch) -> FakeRegistry:  # noqa: F811
    monkeypatch.setenv("RELANCE_SIRENE_URL", server.url)
    monkeypatch.setenv("RELANCE_BODACC_URL", server.url)
    monkeypatch.delenv("RELANCE_REGISTRY_OFFLINE", raising=False)
    return server


def test_check_an_unknown_active_company(relance, creditor, registry_env):
    out = relance("check", ACTIVE, "--at", AT).stdout
    assert "MENUISERIE DUVAL ET FILS — active, créée le 14 mars 2011" in out
    assert "aucune procédure collective en cours" in out
    assert "aucune affaire avec cette entreprise" in out
    assert "Note conseillée : B" in out and "Conditions conseillées" in out
    data = json.loads(relance("check", ACTIVE, "--at", AT, "--json").stdout)
    assert data["registry"]["status"] == "ok" and data["registry"]["company"]["active"]
    assert data["registry"]["from_cache"] is True            # the second check used the cache
    assert len([s for s in registry_env.seen if s.path == "/search"]) == 1


def test_check_a_closed_company_recommends_cash(relance, creditor, registry_env):
    data = json.loads(relance("check", CLOSED, "--at", AT, "--json").stdout)
    assert [s["kind"] for s in data["signs"]] == ["closed"]
    assert data["recommendation"]["grade"] == "E"
    assert data["recommendation"]["policy"]["deposit_percent"] == 100


def test_check_shows_this_creditors_history_only(relance, creditor, registry_env,
                                                 tmp_path: Path):
    relance("creditors", "add", "OTHER", "--name", "Autre SAS", "--siren", "552032534")
    write(tmp_path / "c.csv", f"client_ref,name,kind,siren\nDUV,Menuiserie Duval,b2b,{ACTIVE}\n")
    write(tmp_path / "i.csv", "number,client_ref,issue_date,due_date,amount\n"
          "D1,DUV,2026-01-05,2026-02-04,900.00\n")
    relance("import", "clients", str(tmp_path / "c.csv"), "--creditor", "OTHER")
    relance("import", "invoices", str(tmp_path / "i.csv"), "--creditor", "OTHER")
    mine = json.loads(relance("check", ACTIVE, "--at", AT, "--json",
                              "--creditor", "ACME").stdout)
    assert mine["history"] == []                              # OTHER's client is not ACME's
    theirs = json.loads(relance("check", ACTIVE, "--at", AT, "--json",
                                "--creditor", "OTHER").stdout)
    assert [h["client"] for h in theirs["history"]] == ["DUV"]
    assert theirs["history"][0]["behaviour"]["overdue_amount"] == "900.00"


def test_offline_says_unknown_and_blocks_nothing(relance, creditor, registry_env,
                                                monkeypatch):
    monkeypatch.setenv("RELANCE_REGISTRY_OFFLINE", "1")
    result = relance("check", ACTIVE, "--at", AT)
    assert result.exit_code == 0
    assert "Registre : statut inconnu" in result.stdout and "BODACC : inconnu" in result.stdout
    assert "Conditions conseillées" in result.stdout
    assert registry_env.seen == []


def test_unreachable_registry_is_unknown(relance, creditor, monkeypatch):
    monkeypatch.setenv("RELANCE_SIRENE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("RELANCE_BODACC_URL", "http://127.0.0.1:9")
    out = relance("check", ACTIVE, "--at", AT).stdout
    assert "statut inconnu" in out and "injoignable" in out


def test_an_invalid_siren_is_refused(relance, creditor):
    bad = relance("check", "123456789", ok=False)
    assert bad.exit_code == 2 and "SIREN invalide" in bad.output


def test_registry_refresh_opens_the_proceeding_from_the_bodacc(relance, creditor,
                                                              registry_env, tmp_path):
    write(tmp_path / "c.csv", "client_ref,name,kind,siren,email,address,postal_code,city\n"
          f"AMV,Ateliers du Val,b2b,{IN_REDRESSEMENT},a@v.fr,1 rue A,45000,Orléans\n")
    write(tmp_path / "i.csv", "number,client_ref,issue_date,due_date,amount\n"
          "V1,AMV,2026-01-10,2026-02-09,1500.00\n")
    relance("import", "clients", str(tmp_path / "c.csv"))
    relance("import", "invoices", str(tmp_path / "i.csv"))
    company = {"results": [{"siren": IN_REDRESSEMENT, "nom_complet": "ATELIERS DU VAL",
                            "etat_administratif": "A", "date_creation": "2001-05-02",
                            "siege": {"siret": IN_REDRESSEMENT + "00017",
                                      "etat_administratif": "A",
                                      "adresse": "1 RUE A 45000 ORLEANS"}}],
               "total_results": 1, "page": 1, "per_page": 1, "total_pages": 1}
    judgment = {"type": "initial", "famille": "Jugement d'ouverture",
                "nature": "Jugement d'ouverture d'une procédure de redressement judiciaire",
                "date": "2026-10-06",
                "complementJugement": "Mandataire judiciaire : Maître Anne Morel, 4 rue "
                                      "Royale 45000 Orléans."}
    notices = {"total_count": 1, "results": [{
        "id": "A202602000001", "dateparution": "2026-10-14", "familleavis": "collective",
        "familleavis_lib": "Procédures collectives", "typeavis_lib": "Avis initial",
        "tribunal": "Tribunal de commerce d'Orléans", "commercant": "ATELIERS DU VAL",
        "registre": [f"{IN_REDRESSEMENT[:3]} {IN_REDRESSEMENT[3:6]} {IN_REDRESSEMENT[6:]}",
                     IN_REDRESSEMENT],
        "jugement": json.dumps(judgment, ensure_ascii=False)}]}
    registry_env.script += [Scripted(200, json.dumps(company).encode()),
                            Scripted(200, json.dumps(notices).encode())]
    out = relance("registry", "AMV", "--at", AT).stdout
    assert "1 nouveau(x) signal(aux)" in out and "procédure collective en cours" in out
    procs = json.loads(relance("proceedings", "list", "--json").stdout)
    assert [(p["kind"], p["judgment_date"], p["published_on"], p["claim_deadline"], p["source"])
            for p in procs] == [("redressement", "2026-10-06", "2026-10-14", "2026-12-14",
                                 "bodacc")]
    assert "Morel" in procs[0]["administrator"]
    again = relance("registry", "AMV", "--at", AT).stdout      # cached, nothing new
    assert "0 nouveau(x) signal(aux)" in again
    plan = json.loads(relance("run", "--date", AT, "--dry-run", "--json").stdout)
    assert [s["reason_code"] for s in plan["skipped"]] == ["collective_proceedings"]
