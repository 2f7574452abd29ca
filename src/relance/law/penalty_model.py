"""Values of the penalty computation: settlements, notice dates, periods and the result.

>>> p = Period(date(2024, 3, 16), date(2024, 6, 30), 107, money("10000"), Decimal("14.50"),
...            money("425.07"))
>>> p.to_json()["from"], p.to_json()["interest"]
('2024-03-16', '425.07')
>>> NoticeDates(sent=date(2025, 5, 2), received=date(2025, 5, 5)).pick("receipt")
datetime.date(2025, 5, 5)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Literal

from relance.domain.money import CENT, ZERO, money
from relance.law.conventions import Conventions, NoticeBasis
from relance.law.errors import InvalidInputError
from relance.law.halfyear import HalfYear

date = dt.date
Kind = Literal["b2b", "b2c", "public"]
KINDS: tuple[str, ...] = ("b2b", "b2c", "public")


def fmt_amount(value: Decimal) -> str:
    """An amount as a string with two decimals."""
    return str(money(value))


def fmt_rate(value: Decimal) -> str:
    """A percentage as a string with at least two decimals."""
    exponent = value.as_tuple().exponent
    return str(value if isinstance(exponent, int) and exponent <= -2 else value.quantize(CENT))


def fr_number(value: Decimal) -> str:
    """A number written the French way in messages: "15,21"."""
    return str(value).replace(".", ",")


@dataclass(frozen=True)
class Settlement:
    """A payment or credit note reducing the base from the day after its date."""

    date: dt.date
    amount: Decimal
    label: str = ""


@dataclass(frozen=True)
class NoticeDates:
    """Dates of one formal notice (mise en demeure); which one counts is a convention."""

    sent: dt.date
    first_presented: dt.date | None = None
    received: dt.date | None = None

    def __post_init__(self) -> None:
        for later in (self.first_presented, self.received):
            if later is not None and later < self.sent:
                raise InvalidInputError(
                    "Dates de mise en demeure incohérentes : la présentation ou la réception "
                    f"({later.isoformat()}) précède l'envoi ({self.sent.isoformat()})."
                )

    def pick(self, basis: NoticeBasis) -> dt.date:
        """The date used under `basis`; InvalidInputError if that date is unknown."""
        chosen = {"sending": self.sent, "first_presentation": self.first_presented,
                  "receipt": self.received}[basis]
        if chosen is None:
            label = {"first_presentation": "première présentation", "receipt": "réception"}
            raise InvalidInputError(
                f"Date de {label[basis]} de la mise en demeure inconnue : renseignez-la ou "
                "choisissez une autre convention (notice_basis)."
            )
        return chosen


@dataclass(frozen=True)
class Period:
    """One line of the breakdown: days `start`..`end` (both counted) at one base and rate."""

    start: dt.date
    end: dt.date
    days: int
    base: Decimal
    rate: Decimal
    interest: Decimal

    @property
    def half(self) -> HalfYear:
        """The half-year of this line."""
        return HalfYear.of(self.start)

    def to_json(self) -> dict[str, str | int]:
        """ISO dates, amounts with two decimals."""
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "days": self.days,
                "base": fmt_amount(self.base), "rate": fmt_rate(self.rate),
                "interest": fmt_amount(self.interest)}


@dataclass(frozen=True)
class PenaltyResult:
    """Penalties (or legal interest), fixed indemnity and costs: outside VAT, claimed apart."""

    kind: str
    due: dt.date
    until: dt.date
    interest: Decimal
    indemnity: Decimal
    extra_costs: Decimal
    principal_open: Decimal
    periods: tuple[Period, ...]
    conventions: Conventions
    sources: tuple[str, ...]
    notes: tuple[str, ...] = ()
    start: dt.date | None = None
    waived_interest: Decimal = ZERO
    waived_indemnity: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        """Interest + indemnity + extra costs (what is claimed beyond the principal)."""
        return self.interest + self.indemnity + self.extra_costs

    @property
    def amount_due(self) -> Decimal:
        """Open principal plus the total claimed."""
        return self.principal_open + self.total

    @property
    def days(self) -> int:
        """Days of interest over all periods."""
        return sum(p.days for p in self.periods)

    def waive(self, *, interest: bool = True, indemnity: bool = True) -> PenaltyResult:
        """A copy where the creditor waives interest and/or the indemnity (kept for display)."""
        return replace(
            self,
            interest=ZERO if interest else self.interest,
            indemnity=ZERO if indemnity else self.indemnity,
            waived_interest=self.waived_interest + (self.interest if interest else ZERO),
            waived_indemnity=self.waived_indemnity + (self.indemnity if indemnity else ZERO),
        )

    def to_json(self) -> dict[str, object]:
        """Plain JSON-ready dict: amounts as two-decimal strings, ISO dates."""
        return {
            "kind": self.kind,
            "due": self.due.isoformat(),
            "until": self.until.isoformat(),
            "start": self.start.isoformat() if self.start else None,
            "days": self.days,
            "interest": fmt_amount(self.interest),
            "indemnity": fmt_amount(self.indemnity),
            "extra_costs": fmt_amount(self.extra_costs),
            "total": fmt_amount(self.total),
            "principal_open": fmt_amount(self.principal_open),
            "amount_due": fmt_amount(self.amount_due),
            "waived": {"interest": fmt_amount(self.waived_interest),
                       "indemnity": fmt_amount(self.waived_indemnity)},
            "periods": [p.to_json() for p in self.periods],
            "conventions": self.conventions.as_dict(),
            "sources": list(self.sources),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class NotComputable:
    """Why penalties could not be computed (French), and the missing half-year if any."""

    reason: str
    missing_half: HalfYear | None = None
