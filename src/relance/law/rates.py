"""Rate tables: the ECB rate and the two legal interest rates per half-year, with sources.

>>> table = load_shipped_rates()
>>> e = table.entry(HalfYear.parse("2024-H1"))
>>> e.ecb, e.legal_private, e.legal_other
(Decimal('4.50'), Decimal('8.01'), Decimal('5.07'))
>>> table.entry(HalfYear.parse("2026-H2"))  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
relance.law.errors.MissingRateError: Taux manquant pour le semestre 2026-H2 : ...
>>> added = RateEntry.of("2026-H2", ecb="2.15", legal_private="6.50", legal_other="2.50",
...                      source="https://www.legifrance.gouv.fr/")
>>> table.with_overrides([added]).entry(added.half).legal_other
Decimal('2.50')
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Any, TypeVar

from relance.law.errors import InvalidInputError, MissingRateError
from relance.law.halfyear import HalfYear

__all__ = ["HalfYear", "RateEntry", "RateTable", "load_shipped_rates", "parse_rate"]

T = TypeVar("T")

ALL_RATES = "le taux BCE et les deux taux de l'intérêt légal"
ECB_RATE = "le taux BCE (opération principale de refinancement)"
LEGAL_PRIVATE_RATE = "le taux de l'intérêt légal (créancier particulier)"
LEGAL_OTHER_RATE = "le taux de l'intérêt légal (autres cas)"


def parse_rate(value: Decimal | int | str, name: str = "taux") -> Decimal:
    """A percentage as a Decimal from a Decimal, an int or a string; floats are refused."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise InvalidInputError(f"Le {name} doit être un nombre décimal exact : {value!r}.")
    try:
        rate = Decimal(value.strip().replace(",", ".") if isinstance(value, str) else value)
    except InvalidOperation:
        raise InvalidInputError(f"Le {name} n'est pas un nombre : « {value} ».") from None
    if not rate.is_finite():
        raise InvalidInputError(f"Le {name} n'est pas un nombre fini : « {value} ».")
    return rate


@dataclass(frozen=True)
class RateEntry:
    """The rates of one half-year, in percent, and where each figure comes from."""

    half: HalfYear
    ecb: Decimal
    legal_private: Decimal
    legal_other: Decimal
    ecb_source: str = ""
    legal_source: str = ""
    origin: str = "shipped"
    ecb_note: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        checks = (
            (self.ecb, "taux BCE", Decimal(-10)),
            (self.legal_private, "taux légal (particuliers)", Decimal(0)),
            (self.legal_other, "taux légal (autres cas)", Decimal(0)),
        )
        for value, name, low in checks:
            if not isinstance(value, Decimal) or not value.is_finite():
                raise InvalidInputError(f"{self.half} : le {name} doit être un décimal exact.")
            if not low <= value <= Decimal(100):
                raise InvalidInputError(
                    f"{self.half} : {name} invraisemblable ({value} %), vérifiez la saisie."
                )

    @classmethod
    def of(
        cls,
        half: HalfYear | str,
        *,
        ecb: Decimal | int | str,
        legal_private: Decimal | int | str,
        legal_other: Decimal | int | str,
        source: str = "",
        legal_source: str | None = None,
        origin: str = "user",
    ) -> RateEntry:
        """Build an entry from user input (e.g. `relance rates add`), validating each figure."""
        return cls(
            half=HalfYear.parse(half) if isinstance(half, str) else half,
            ecb=parse_rate(ecb, "taux BCE"),
            legal_private=parse_rate(legal_private, "taux légal (particuliers)"),
            legal_other=parse_rate(legal_other, "taux légal (autres cas)"),
            ecb_source=source,
            legal_source=source if legal_source is None else legal_source,
            origin=origin,
        )

    @property
    def sources(self) -> tuple[str, ...]:
        """Distinct non-empty sources of this entry."""
        return tuple(dict.fromkeys(s for s in (self.ecb_source, self.legal_source) if s))


class RateTable:
    """Rate entries by half-year; immutable; refuses to answer for a missing half-year."""

    __slots__ = ("_entries", "_memo")

    def __init__(self, entries: Iterable[RateEntry] = ()) -> None:
        by_half: dict[HalfYear, RateEntry] = {}
        for entry in entries:
            if entry.half in by_half:
                raise InvalidInputError(f"Semestre {entry.half} en double dans la table des taux.")
            by_half[entry.half] = entry
        self._entries = dict(sorted(by_half.items()))
        self._memo: dict[object, object] = {}

    def entry(self, half: HalfYear, needed: str = ALL_RATES) -> RateEntry:
        """The entry of a half-year, or MissingRateError naming `needed`."""
        found = self._entries.get(half)
        if found is None:
            raise MissingRateError(half, needed)
        return found

    def get(self, half: HalfYear) -> RateEntry | None:
        """The entry of a half-year, or None."""
        return self._entries.get(half)

    def with_overrides(self, entries: Iterable[RateEntry]) -> RateTable:
        """A new table where the given entries (e.g. the user's, from the database) win."""
        merged = dict(self._entries)
        merged.update((entry.half, entry) for entry in entries)
        return RateTable(merged.values())

    def memo(self, key: object, build: Callable[[], T]) -> T:
        """Cache a value derived from this (immutable) table, e.g. fast-path rate arrays."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]  # type: ignore[return-value]

    @property
    def halves(self) -> tuple[HalfYear, ...]:
        """The half-years present, in order."""
        return tuple(self._entries)

    def __iter__(self) -> Iterator[RateEntry]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, half: object) -> bool:
        return half in self._entries

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RateTable) and self._entries == other._entries

    def __hash__(self) -> int:
        return hash(tuple(self._entries.values()))

    def __repr__(self) -> str:
        halves = self.halves
        span = f"{halves[0]}..{halves[-1]}" if halves else "vide"
        return f"RateTable({span}, {len(halves)} semestres)"


def _entry_from_toml(raw: dict[str, Any]) -> RateEntry:
    """One [[rate]] block; figures must be strings so they stay exact."""
    for name in ("ecb", "legal_private", "legal_other"):
        if not isinstance(raw.get(name), str):
            raise InvalidInputError(f"rates.toml : {name} doit être une chaîne ({raw!r}).")
    return RateEntry(
        half=HalfYear.parse(str(raw["half"])),
        ecb=parse_rate(raw["ecb"]),
        legal_private=parse_rate(raw["legal_private"]),
        legal_other=parse_rate(raw["legal_other"]),
        ecb_source=str(raw.get("ecb_source", "")),
        legal_source=str(raw.get("legal_source", "")),
        origin="shipped",
        ecb_note=str(raw.get("ecb_note", "")),
    )


@cache
def load_shipped_rates() -> RateTable:
    """The rate table shipped in relance/law/data/rates.toml (read once)."""
    text = resources.files("relance.law.data").joinpath("rates.toml").read_text("utf-8")
    return RateTable(_entry_from_toml(raw) for raw in tomllib.loads(text)["rate"])
