"""Fixed figures of the law (margins, 40 €, caps, prescription), read from data/rules.toml.

>>> r = load_rules()
>>> r.penalties.b2b_margin, r.penalties.indemnity, r.penalties.public_margin
(Decimal('10'), Decimal('40.00'), Decimal('8'))
>>> r.terms.b2b_max_days, r.terms.b2b_max_eom_days, r.prescription.b2c_years
(60, 45, 2)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class PenaltyRules:
    """Margins over the ECB rate, the legal-rate floor multiple and the fixed indemnity."""

    b2b_margin: Decimal
    b2b_source: str
    floor_multiple: Decimal
    indemnity: Decimal
    indemnity_source: str
    public_margin: Decimal
    public_source: str
    public_indemnity_source: str
    b2c_source: str
    b2c_costs_source: str
    simple_interest_source: str


@dataclass(frozen=True)
class TermsRules:
    """Payment-term caps in days."""

    b2b_max_days: int
    b2b_max_eom_days: int
    b2b_default_days: int
    b2b_source: str
    periodic_max_days: int
    periodic_source: str
    transport_max_days: int
    transport_source: str
    perishable_max_days: int
    perishable_source: str
    public_authority_max_days: int
    public_health_max_days: int
    public_company_max_days: int
    public_source: str


@dataclass(frozen=True)
class PrescriptionRules:
    """Prescription periods in years."""

    b2b_years: int
    b2b_source: str
    b2c_years: int
    b2c_source: str
    public_years: int
    public_source: str
    interruption_source: str


@dataclass(frozen=True)
class Rules:
    """All fixed figures, by section of rules.toml."""

    penalties: PenaltyRules
    terms: TermsRules
    prescription: PrescriptionRules


def _section(cls: type[Any], raw: dict[str, Any]) -> Any:
    """Build one section, converting decimal fields from their string form."""
    values: dict[str, Any] = {}
    for field in fields(cls):
        value = raw[field.name]
        values[field.name] = Decimal(value) if field.type == "Decimal" else value
    return cls(**values)


@cache
def load_rules() -> Rules:
    """Read data/rules.toml once (shipped with the package)."""
    text = resources.files("relance.law.data").joinpath("rules.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    return Rules(
        penalties=_section(PenaltyRules, raw["penalties"]),
        terms=_section(TermsRules, raw["terms"]),
        prescription=_section(PrescriptionRules, raw["prescription"]),
    )
