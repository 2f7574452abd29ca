"""Saved column mappings for imports from other tools' exports, each a company's own."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Engine, delete, insert, select

from relance.adapters import tables as t
from relance.domain.errors import NotFoundError


def save_mapping(engine: Engine, creditor_id: int, name: str, kind: str,
                 mapping: Mapping[str, str]) -> None:
    """Store (or replace) a company's named mapping for one kind of import."""
    m = t.import_mappings
    with engine.begin() as conn:
        conn.execute(delete(m).where(m.c.creditor_id == creditor_id, m.c.name == name))
        conn.execute(insert(m).values(creditor_id=creditor_id, name=name, kind=kind,
                                      mapping=dict(mapping)))


def load_mapping(engine: Engine, creditor_id: int, name: str, kind: str) -> dict[str, str]:
    """A company's saved mapping, checked to be for this kind of import."""
    m = t.import_mappings
    with engine.connect() as conn:
        row = conn.execute(
            select(m).where(m.c.creditor_id == creditor_id, m.c.name == name)).first()
    if row is None:
        raise NotFoundError(f"Correspondance de colonnes « {name} » inconnue.")
    if row.kind != kind:
        raise NotFoundError(f"La correspondance « {name} » sert aux imports {row.kind}.")
    return dict(row.mapping)
