"""Prescription of the claim: 5 years B2B, 2 years against consumers, 4 years public bodies.

The result is the last day on which the creditor can still act, recomputed from the latest
interruption (acknowledgement of the debt, court filing); a formal notice does not interrupt.

>>> s = prescription_status("b2b", invoice_date=date(2020, 2, 15), due_date=date(2020, 3, 15),
...                         today=date(2025, 1, 10))
>>> s.expires, s.state
(datetime.date(2025, 3, 15), 'warning')
>>> paid = Interruption(date(2023, 6, 1), "partial_payment")
>>> prescription_status("b2b", invoice_date=date(2020, 2, 15), due_date=date(2020, 3, 15),
...                     today=date(2025, 1, 10), interruptions=[paid]).expires
datetime.date(2028, 6, 1)
>>> prescription_status("public", invoice_date=date(2021, 5, 10), due_date=date(2021, 6, 9),
...                     today=date(2024, 1, 1)).expires
datetime.date(2025, 12, 31)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from relance.law.errors import InvalidInputError
from relance.law.rules import load_rules

date = dt.date
State = Literal["ok", "warning", "expired", "suspended"]
INTERRUPTING = ("acknowledgement", "partial_payment", "payment_plan", "court_filing",
                "enforcement")
NOT_INTERRUPTING = ("formal_notice", "reminder")
_LABELS = {
    "acknowledgement": "reconnaissance de dette", "partial_payment": "paiement partiel",
    "payment_plan": "échéancier signé", "court_filing": "demande en justice",
    "enforcement": "acte d'exécution forcée", "formal_notice": "mise en demeure",
    "reminder": "relance",
}


@dataclass(frozen=True)
class Interruption:
    """An event that may interrupt prescription; `ends` closes court proceedings."""

    date: dt.date
    kind: str
    ends: dt.date | None = None

    def __post_init__(self) -> None:
        if self.kind not in INTERRUPTING + NOT_INTERRUPTING:
            raise InvalidInputError(
                f"Événement inconnu : « {self.kind} » ({', '.join(INTERRUPTING)} ou "
                f"{', '.join(NOT_INTERRUPTING)}).")
        if self.ends is not None and self.ends < self.date:
            raise InvalidInputError("Dates incohérentes : la fin de l'instance précède la demande.")


@dataclass(frozen=True)
class PrescriptionStatus:
    """Last day to act (None while proceedings run), state for `today`, and why."""

    kind: str
    start: dt.date
    expires: dt.date | None
    state: State
    days_left: int | None
    interrupted_by: Interruption | None
    message: str
    notes: tuple[str, ...]
    sources: tuple[str, ...]


def add_years(day: dt.date, years: int) -> dt.date:
    """Same day `years` later; 29 February becomes 28 February (art. 641 CPC)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def prescription_start(kind: str, *, invoice_date: dt.date, due_date: dt.date,
                       known_date: dt.date | None = None) -> dt.date:
    """Starting point: B2B the due date; B2C and public the invoice date unless given."""
    if kind == "b2b":
        return known_date or due_date
    if kind in ("b2c", "public"):
        return known_date or invoice_date
    raise InvalidInputError(f"Type de débiteur inconnu : « {kind} » (b2b, b2c ou public).")


def expiry_from(kind: str, start: dt.date) -> dt.date:
    """Last day to act for a period running from `start` (or 31 Dec for public bodies)."""
    rules = load_rules().prescription
    if kind == "public":
        return dt.date(start.year + rules.public_years, 12, 31)
    return add_years(start, rules.b2b_years if kind == "b2b" else rules.b2c_years)


def prescription_status(
    kind: str, *, invoice_date: dt.date, due_date: dt.date, today: dt.date,
    interruptions: Sequence[Interruption] = (), known_date: dt.date | None = None,
    horizon_days: int = 90,
) -> PrescriptionStatus:
    """When the claim is prescribed, and whether to warn on `today` (within `horizon_days`)."""
    if due_date < invoice_date:
        raise InvalidInputError("Dates incohérentes : l'échéance précède la date de facture.")
    start = prescription_start(kind, invoice_date=invoice_date, due_date=due_date,
                               known_date=known_date)
    expires: dt.date | None = expiry_from(kind, start)
    last: Interruption | None = None
    notes: list[str] = []
    for event in sorted(interruptions, key=lambda e: e.date):
        label = f"{_LABELS[event.kind]} du {event.date:%d/%m/%Y}"
        if event.kind in NOT_INTERRUPTING:
            notes.append(f"{label} : n'interrompt pas la prescription.")
        elif event.date < start:
            notes.append(f"{label} : antérieure au point de départ, sans effet.")
        elif expires is not None and event.date > expires:
            notes.append(f"{label} : intervenue après la prescription, sans effet interruptif.")
        elif expires is None:
            notes.append(f"{label} : instance en cours, la prescription reste interrompue "
                         "jusqu'à la fin de la procédure.")
        elif _not_earlier(after := _after(kind, event), expires):
            last, expires = event, after
    return _status(kind, start, expires, last, today, horizon_days, tuple(notes))


def _not_earlier(new: dt.date | None, current: dt.date) -> bool:
    """An interruption never shortens the period (an earlier filing may end later)."""
    return new is None or new >= current


def _after(kind: str, event: Interruption) -> dt.date | None:
    """New expiry after an interruption: a new period of the same length (art. 2231 C. civ.)."""
    if event.kind == "court_filing":
        return None if event.ends is None else expiry_from(kind, event.ends)
    return expiry_from(kind, event.date)


def _status(kind: str, start: dt.date, expires: dt.date | None, last: Interruption | None,
            today: dt.date, horizon: int, notes: tuple[str, ...]) -> PrescriptionStatus:
    """State and French message for `today`."""
    rules = load_rules().prescription
    sources = ({"b2b": rules.b2b_source, "b2c": rules.b2c_source,
                "public": rules.public_source}[kind], rules.interruption_source)
    if expires is None:
        return PrescriptionStatus(kind, start, None, "suspended", None, last,
                                  "Instance en cours : la prescription est interrompue jusqu'à "
                                  "la fin de la procédure (art. 2242 C. civ.).", notes, sources)
    left = (expires - today).days
    if left < 0:
        state: State = "expired"
        message = f"Créance prescrite depuis le {expires + dt.timedelta(days=1):%d/%m/%Y}."
    elif left <= horizon:
        state = "warning"
        message = (f"Prescription le {expires:%d/%m/%Y} (dans {left} jours) : agir avant cette "
                   "date (reconnaissance de dette écrite, échéancier signé ou action en justice).")
    else:
        state = "ok"
        message = f"Action possible jusqu'au {expires:%d/%m/%Y} inclus."
    return PrescriptionStatus(kind, start, expires, state, left, last, message, notes, sources)
