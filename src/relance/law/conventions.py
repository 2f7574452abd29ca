"""Conventions chosen where the law is silent (law file §10.2); each result records them.

>>> c = Conventions()
>>> c.day_count, c.count_payment_day, c.rounding, c.notice_basis
('actual/365', True, 'half_year', 'receipt')
>>> c = Conventions.from_settings({"day_count": "actual/actual", "count_payment_day": "non"})
>>> c.day_count, c.count_payment_day
('actual/actual', False)
>>> Conventions(rounding="banker")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
relance.law.errors.InvalidInputError: Convention « rounding » inconnue : « banker ». ...
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Literal, NamedTuple

from relance.law.errors import InvalidInputError

DayCount = Literal["actual/365", "actual/actual"]
Rounding = Literal["half_year", "line", "total"]
NoticeBasis = Literal["receipt", "first_presentation", "sending"]
EomMethod = Literal["days_then_eom", "eom_then_days"]

CHOICES: dict[str, tuple[str, ...]] = {
    "day_count": ("actual/365", "actual/actual"),
    "rounding": ("half_year", "line", "total"),
    "notice_basis": ("receipt", "first_presentation", "sending"),
    "eom_method": ("days_then_eom", "eom_then_days"),
}
_TRUE = {"1", "true", "oui", "yes", "vrai", "on"}
_FALSE = {"0", "false", "non", "no", "faux", "off"}


class Setting(NamedTuple):
    """One configurable convention: name, default, French help (drives CLI and web lists)."""

    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("day_count", "actual/365",
            "Base de calcul des jours : actual/365 (usage courant) ou actual/actual "
            "(366 jours les années bissextiles)."),
    Setting("count_payment_day", "true",
            "Le jour du paiement compte comme jour de retard (jours = fin - début)."),
    Setting("count_notice_day", "false",
            "B2C : les intérêts courent dès le jour de la mise en demeure (sinon le lendemain)."),
    Setting("floor_default_rate", "false",
            "Appliquer aussi le plancher de 3 fois le taux légal au taux par défaut BCE + 10 "
            "(sinon seulement aux taux contractuels, lecture littérale de L441-10)."),
    Setting("notice_basis", "receipt",
            "Date de la mise en demeure retenue : receipt (réception), first_presentation "
            "(première présentation) ou sending (envoi)."),
    Setting("rounding", "half_year",
            "Arrondi : half_year (chaque semestre arrondi au centime puis additionné), line "
            "(chaque ligne du décompte) ou total (une seule fois sur le total)."),
    Setting("eom_method", "days_then_eom",
            "« 45 jours fin de mois » : days_then_eom (date + 45 jours puis fin de mois) ou "
            "eom_then_days (fin de mois puis + 45 jours)."),
)


@dataclass(frozen=True)
class Conventions:
    """Every choice the law leaves open; the defaults are those of the law file's examples."""

    day_count: DayCount = "actual/365"
    count_payment_day: bool = True
    count_notice_day: bool = False
    floor_default_rate: bool = False
    notice_basis: NoticeBasis = "receipt"
    rounding: Rounding = "half_year"
    eom_method: EomMethod = "days_then_eom"

    def __post_init__(self) -> None:
        for name, allowed in CHOICES.items():
            value = getattr(self, name)
            if value not in allowed:
                raise InvalidInputError(
                    f"Convention « {name} » inconnue : « {value} ». "
                    f"Valeurs possibles : {', '.join(allowed)}."
                )
        for item in fields(self):
            if item.type == "bool" and not isinstance(getattr(self, item.name), bool):
                raise InvalidInputError(f"Convention « {item.name} » : oui ou non attendu.")

    def as_dict(self) -> dict[str, str | bool]:
        """The conventions as plain values, recorded with every result."""
        return {**asdict(self), "interest": "simple", "base": "TTC"}

    @classmethod
    def from_settings(cls, values: Mapping[str, str | bool]) -> Conventions:
        """Build from settings strings (e.g. a config file); unknown names are refused."""
        known = {item.name: item.type for item in fields(cls)}
        kwargs: dict[str, str | bool] = {}
        for name, raw in values.items():
            if name not in known:
                raise InvalidInputError(f"Convention inconnue : « {name} ».")
            kwargs[name] = _to_bool(name, raw) if known[name] == "bool" else str(raw)
        return cls(**kwargs)  # type: ignore[arg-type]


def _to_bool(name: str, raw: str | bool) -> bool:
    """Read oui/non, true/false, 1/0."""
    if isinstance(raw, bool):
        return raw
    text = raw.strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise InvalidInputError(f"Convention « {name} » : oui ou non attendu, pas « {raw} ».")
