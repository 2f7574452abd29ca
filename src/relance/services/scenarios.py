"""Scenarios: the shipped YAML files and those a creditor loaded (which win by name)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, delete, select

from relance.adapters import tables as t
from relance.domain.errors import ValidationError
from relance.dunning.scenario import Scenario, ScenarioError, parse_scenario, shipped_scenarios


def available(conn: Connection, creditor_id: int) -> list[tuple[Scenario, str]]:
    """(scenario, "loaded" | "shipped"), loaded ones first."""
    loaded = [(parse_scenario(r.source, r.name), "loaded") for r in conn.execute(
        select(t.scenarios.c.name, t.scenarios.c.source)
        .where(t.scenarios.c.creditor_id == creditor_id).order_by(t.scenarios.c.name))]
    names = {s.name for s, _ in loaded}
    return loaded + [(s, "shipped") for s in shipped_scenarios() if s.name not in names]


def load_file(conn: Connection, creditor_id: int, path: Path) -> Scenario:
    """Validate a YAML file and store it (replacing a scenario of the same name)."""
    try:
        source = path.read_text("utf-8")
    except FileNotFoundError:
        raise ValidationError(f"{path} : fichier introuvable.") from None
    except UnicodeDecodeError:
        raise ValidationError(f"{path} : le fichier doit être encodé en UTF-8.") from None
    try:
        scenario = parse_scenario(source, path.name)
    except ScenarioError as err:
        raise ValidationError(err.message) from None
    conn.execute(delete(t.scenarios).where(t.scenarios.c.creditor_id == creditor_id,
                                           t.scenarios.c.name == scenario.name))
    conn.execute(t.scenarios.insert().values(creditor_id=creditor_id, name=scenario.name,
                                             source=source))
    return scenario
