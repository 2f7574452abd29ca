"""Half-years (semestres), the unit in which French rates change.

>>> h = HalfYear.of(date(2024, 3, 15))
>>> str(h), h.start, h.end
('2024-H1', datetime.date(2024, 1, 1), datetime.date(2024, 6, 30))
>>> HalfYear.parse("2026-h2") > h
True
>>> HalfYear.parse("2026-H3")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
relance.law.errors.InvalidInputError: Semestre invalide : « 2026-H3 ». Format attendu : ...
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from relance.law.errors import InvalidInputError

_PATTERN = re.compile(r"^\s*(\d{4})\s*-?\s*[HS]([12])\s*$", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class HalfYear:
    """One half of a calendar year: H1 is January-June, H2 is July-December."""

    year: int
    half: int

    def __post_init__(self) -> None:
        if self.half not in (1, 2) or not 1 <= self.year <= 9998:
            raise InvalidInputError(f"Semestre invalide : {self.year}-H{self.half}.")

    @classmethod
    def of(cls, day: date) -> HalfYear:
        """The half-year containing a date."""
        return cls(day.year, 1 if day.month <= 6 else 2)

    @classmethod
    def parse(cls, text: str) -> HalfYear:
        """Read "2026-H2" (also "2026-S2", any case); raise InvalidInputError otherwise."""
        match = _PATTERN.match(text)
        if match is None:
            raise InvalidInputError(
                f"Semestre invalide : « {text} ». "
                "Format attendu : AAAA-H1 ou AAAA-H2 (par exemple 2026-H2)."
            )
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def start(self) -> date:
        """First day: 1 January or 1 July (the reference date of the ECB rate)."""
        return date(self.year, 1 if self.half == 1 else 7, 1)

    @property
    def end(self) -> date:
        """Last day: 30 June or 31 December."""
        return date(self.year, 6, 30) if self.half == 1 else date(self.year, 12, 31)

    @property
    def index(self) -> int:
        """A running number, consecutive across years (used for fast lookups)."""
        return self.year * 2 + self.half - 1

    @classmethod
    def from_index(cls, index: int) -> HalfYear:
        """Inverse of `index`."""
        return cls(index // 2, index % 2 + 1)

    def next(self) -> HalfYear:
        """The following half-year."""
        return HalfYear.from_index(self.index + 1)

    def label_fr(self) -> str:
        """French label, e.g. "second semestre 2026"."""
        return f"{'premier' if self.half == 1 else 'second'} semestre {self.year}"

    def __str__(self) -> str:
        return f"{self.year}-H{self.half}"
