"""Late-payment penalties (B2B L441-10, public buyers R2192-31) and legal interest (B2C).

Worked example (a) of the law file: 10,000 € due 2024-03-15, paid 2024-09-30.

>>> rates = load_shipped_rates()
>>> r = compute_penalties(amount=money("10000"), due=date(2024, 3, 15),
...                       until=date(2024, 9, 30), kind="b2b", rates=rates)
>>> r.interest, r.indemnity, r.total, r.amount_due
(Decimal('784.25'), Decimal('40.00'), Decimal('824.25'), Decimal('10824.25'))
>>> [(p.days, str(p.rate), str(p.interest)) for p in r.periods]
[(107, '14.50', '425.07'), (92, '14.25', '359.18')]
>>> penalty_or_reason(amount=money("100"), due=date(2026, 6, 1), until=date(2026, 7, 2),
...                   kind="b2b", rates=rates).missing_half
HalfYear(year=2026, half=2)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from relance.domain.money import ZERO, money
from relance.law.accrual import ONE_DAY, BaseSteps, Line, build_lines, rounded_lines
from relance.law.applicable import applicable_rate
from relance.law.conventions import Conventions
from relance.law.errors import InvalidInputError, LawError, MissingRateError
from relance.law.halfyear import HalfYear
from relance.law.penalty_model import (
    KINDS,
    NotComputable,
    NoticeDates,
    PenaltyResult,
    Period,
    Settlement,
    fr_number,
)
from relance.law.rates import RateTable, load_shipped_rates, parse_rate
from relance.law.rules import load_rules

__all__ = [
    "EARLIEST", "Conventions", "NotComputable", "NoticeDates", "PenaltyResult", "Period",
    "Settlement", "compute_penalties", "load_shipped_rates", "penalty_or_reason",
]

date = dt.date
EARLIEST = dt.date(2015, 1, 1)
DEFAULT_CONVENTIONS = Conventions()


class Checked(NamedTuple):
    """Inputs after validation."""

    amount: Decimal
    settled: list[tuple[dt.date, Decimal]]
    contractual_rate: Decimal | None
    notice: dt.date | None
    extra_costs: Decimal


def compute_penalties(
    *,
    amount: Decimal,
    due: dt.date,
    until: dt.date,
    kind: str,
    rates: RateTable,
    settlements: Sequence[Settlement] = (),
    contractual_rate: Decimal | None = None,
    notice_date: dt.date | NoticeDates | None = None,
    creditor_private: bool = False,
    extra_costs: Decimal = ZERO,
    conventions: Conventions = DEFAULT_CONVENTIONS,
) -> PenaltyResult:
    """Penalties or legal interest from `due` (or the formal notice) to `until`, with 40 €."""
    inp = check_inputs(amount, due, until, kind, settlements, contractual_rate, notice_date,
                       extra_costs, conventions)
    window = accrual_window(kind, due, until, inp.notice, conventions)
    lines: list[Line] = []
    if window is not None:
        start_half = HalfYear.of(window[0])
        lines = build_lines(
            window[0], window[1],
            BaseSteps(inp.amount, inp.settled, conventions.count_payment_day),
            lambda half: applicable_rate(
                kind, half, rates, contractual_rate=inp.contractual_rate,
                creditor_private=creditor_private,
                floor_default_rate=conventions.floor_default_rate, start_half=start_half),
            conventions.day_count)
    cents = rounded_lines(lines, conventions.rounding)
    periods = tuple(Period(ln.first, ln.last, ln.days, ln.base, ln.applied.rate, c)
                    for ln, c in zip(lines, cents, strict=True))
    late = kind != "b2c" and is_late(inp.amount, inp.settled, due, until)
    return PenaltyResult(
        kind=kind, due=due, until=until,
        interest=sum(cents, ZERO),
        indemnity=load_rules().penalties.indemnity if late else ZERO,
        extra_costs=inp.extra_costs,
        principal_open=open_principal(inp.amount, inp.settled, until),
        periods=periods,
        conventions=conventions,
        sources=_sources(kind, late, lines),
        notes=_notes(kind, inp, lines, late),
        start=window[0] if window else None,
    )


def penalty_or_reason(
    *,
    amount: Decimal,
    due: dt.date,
    until: dt.date,
    kind: str,
    rates: RateTable,
    settlements: Sequence[Settlement] = (),
    contractual_rate: Decimal | None = None,
    notice_date: dt.date | NoticeDates | None = None,
    creditor_private: bool = False,
    extra_costs: Decimal = ZERO,
    conventions: Conventions = DEFAULT_CONVENTIONS,
) -> PenaltyResult | NotComputable:
    """Like compute_penalties, but a refusal becomes a value (for the daily run)."""
    try:
        return compute_penalties(
            amount=amount, due=due, until=until, kind=kind, rates=rates,
            settlements=settlements, contractual_rate=contractual_rate,
            notice_date=notice_date, creditor_private=creditor_private,
            extra_costs=extra_costs, conventions=conventions)
    except MissingRateError as err:
        return NotComputable(err.message, err.half)
    except LawError as err:
        return NotComputable(err.message)


def check_inputs(
    amount: Decimal, due: dt.date, until: dt.date, kind: str,
    settlements: Sequence[Settlement], contractual_rate: Decimal | None,
    notice_date: dt.date | NoticeDates | None, extra_costs: Decimal, conventions: Conventions,
) -> Checked:
    """Validate and normalise the inputs; InvalidInputError with a French message."""
    if kind not in KINDS:
        raise InvalidInputError(f"Type de débiteur inconnu : « {kind} » (b2b, b2c ou public).")
    notice = notice_date.pick(conventions.notice_basis) \
        if isinstance(notice_date, NoticeDates) else notice_date
    dates = [due, until, *(s.date for s in settlements), *([notice] if notice else [])]
    if any(type(d) is not dt.date for d in dates):
        raise InvalidInputError("Les dates doivent être des dates sans heure (datetime.date).")
    if due < EARLIEST:
        raise InvalidInputError(
            f"Échéance du {due:%d/%m/%Y} antérieure au 1er janvier 2015 : Relance ne dispose "
            "pas des taux nécessaires avant cette date.")
    amount = _non_negative(amount, "Le montant de la facture")
    settled = [(s.date, _non_negative(s.amount, "Un règlement ou avoir")) for s in settlements]
    if kind == "b2c" and notice is not None and notice < due:
        raise InvalidInputError(
            f"Dates incohérentes : la mise en demeure du {notice:%d/%m/%Y} précède "
            f"l'échéance du {due:%d/%m/%Y}.")
    extra = _non_negative(extra_costs, "Les frais complémentaires")
    if kind == "b2c" and extra > 0:
        raise InvalidInputError(
            "Aucun frais de recouvrement ne peut être mis à la charge d'un consommateur sans "
            "titre exécutoire (art. L111-8 du Code des procédures civiles d'exécution).")
    rate = None if contractual_rate is None else parse_rate(contractual_rate, "taux contractuel")
    if rate is not None and rate < 0:
        raise InvalidInputError(f"Taux contractuel négatif : {rate} %.")
    return Checked(amount, settled, rate, notice, extra)


def _non_negative(value: Decimal, what: str) -> Decimal:
    """A money amount that must not be negative."""
    amount = money(value)
    if amount < 0:
        raise InvalidInputError(f"{what} ne peut pas être négatif : {amount} €.")
    return amount


def accrual_window(kind: str, due: dt.date, until: dt.date, notice: dt.date | None,
                   conventions: Conventions) -> tuple[dt.date, dt.date] | None:
    """First and last day of interest (both counted), or None when no day counts."""
    if kind == "b2c":
        if notice is None:
            return None
        first = notice if conventions.count_notice_day else notice + ONE_DAY
        first = max(first, due + ONE_DAY)  # never on a day the debt was not yet overdue
    else:
        first = due + ONE_DAY
    last = until if conventions.count_payment_day else until - ONE_DAY
    return (first, last) if first <= last else None


def is_late(amount: Decimal, settled: Sequence[tuple[dt.date, Decimal]], due: dt.date,
            until: dt.date) -> bool:
    """True when some principal was still open after the due date (the 40 € is then due)."""
    paid_by_due = sum((a for d, a in settled if d <= due), ZERO)
    return until > due and paid_by_due < amount


def open_principal(amount: Decimal, settled: Sequence[tuple[dt.date, Decimal]],
                   until: dt.date) -> Decimal:
    """Principal still open at the end of `until`."""
    return max(amount - sum((a for d, a in settled if d <= until), ZERO), ZERO)


def _sources(kind: str, late: bool, lines: Sequence[Line]) -> tuple[str, ...]:
    """Legal references for the kind, then the sources of every rate used."""
    rules = load_rules().penalties
    refs = {
        "b2b": [rules.b2b_source, rules.simple_interest_source]
        + ([rules.indemnity_source] if late else []),
        "public": [rules.public_source] + ([rules.public_indemnity_source] if late else []),
        "b2c": [rules.b2c_source, rules.b2c_costs_source],
    }[kind]
    for line in lines:
        refs.extend(line.applied.sources)
    return tuple(dict.fromkeys(s for s in refs if s))


def _notes(kind: str, inp: Checked, lines: Sequence[Line], late: bool) -> tuple[str, ...]:
    """French remarks shown with the breakdown."""
    notes: list[str] = []
    if kind == "b2c":
        if inp.notice is None:
            notes.append("Débiteur consommateur sans mise en demeure : aucun intérêt ne court "
                         "(art. 1231-6 et 1344-1 du Code civil).")
        notes.append("Consommateur : pas d'indemnité forfaitaire de 40 € (art. D441-5 C. com.) "
                     "ni de frais de recouvrement (art. L111-8 CPCE).")
    if inp.contractual_rate is not None and kind != "b2b":
        notes.append("Taux contractuel non appliqué : "
                     + ("le taux de la commande publique est fixé par l'art. R2192-31."
                        if kind == "public" else "l'intérêt légal s'applique au consommateur."))
    for line in lines:
        if line.applied.floored:
            notes.append(f"{line.half} : taux porté au plancher légal de 3 fois le taux de "
                         f"l'intérêt légal ({fr_number(line.applied.rate)} %).")
    if late or (kind != "b2c" and lines):
        notes.append("Pénalités et indemnité hors champ de la TVA, à réclamer à part de la "
                     "facture.")
    return tuple(dict.fromkeys(notes))

