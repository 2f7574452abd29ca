"""Saved column mappings for imports from other tools' exports."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Engine, delete, insert, select

from relance.adapters import tables as t
from relance.domain.errors import NotFoundError


def save_mapping(engine: Engine, name: str, kind: str, mapping: Mapping[str, str]) -> None:
    """Store (or replace) a named mapping for one kind of import."""
    with engine.begin() as conn:
        conn.execute(delete(t.import_mappings).where(t.import_mappings.c.name == name))
        conn.execute(insert(t.import_mappings).values(name=name, kind=kind, mapping=dict(mapping)))


def load_mapping(engine: Engine, name: str, kind: str) -> dict[str, str]:
    """A saved mapping, checked to be for this kind of import."""
    with engine.connect() as conn:
        row = conn.execute(
            select(t.import_mappings).where(t.import_mappings.c.name == name)
        ).first()
    if row is None:
        raise NotFoundError(f"Correspondance de colonnes « {name} » inconnue.")
    if row.kind != kind:
        raise NotFoundError(f"La correspondance « {name} » sert aux imports {row.kind}.")
    return dict(row.mapping)
