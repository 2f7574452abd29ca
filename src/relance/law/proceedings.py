"""Collective proceedings and over-indebtedness: what may still be dunned, the claim deadline,
when penalties stop, and the lines of the claim declaration (déclaration de créance).

The articles, their summaries and sources are data (data/proceedings.toml); the figures
(2 months, + 2 months outside metropolitan France…) are read from there.

>>> claim_deadline(date(2026, 3, 10))  # BODACC publication + 2 months (C. com. R622-24)
datetime.date(2026, 5, 10)
>>> claim_deadline(date(2025, 12, 31)), claim_deadline(date(2025, 12, 31), abroad=True)
(datetime.date(2026, 2, 28), datetime.date(2026, 4, 30))
>>> is_prior_claim(date(2026, 3, 1), date(2026, 3, 2)), is_prior_claim(date(2026, 3, 2),
...                                                                     date(2026, 3, 2))
(True, False)
>>> allowed, why = dunning_allowed("redressement", date(2026, 2, 10), date(2026, 3, 2))
>>> allowed, why  # doctest: +NORMALIZE_WHITESPACE
(False, "Créance antérieure au jugement d'ouverture du 2 mars 2026 : relances interdites
(C. com. L622-21) ; déclarer la créance au mandataire judiciaire.")
>>> d = declaration_lines("redressement", date(2026, 3, 2), [
...     PriorInvoice("F1", date(2026, 1, 5), date(2026, 2, 4), Decimal("1200.00"),
...                  penalties=Decimal("12.43"), indemnity=Decimal("40.00")),
...     PriorInvoice("F2", date(2026, 2, 20), date(2026, 3, 22), Decimal("600.00"))])
>>> d.matured, d.to_mature, d.total
(Decimal('1252.43'), Decimal('600.00'), Decimal('1852.43'))

Conventions, in one place:

- A claim arose on its invoice's issue date (Relance does not know the supply date). The
  opening judgment takes effect from 0h of the day it is pronounced, so an invoice issued on
  the judgment day is posterior (`is_prior_claim`).
- An invoice is "échue" at the judgment when its due date is before the judgment day; one
  payable on the judgment day or later is "à échoir" (it could still be paid on time when
  the judgment took effect, at 0h).
- Interest and penalties stop at 0h of the judgment day (C. com. L622-28): the last day of
  accrual is the day before (`accrual_until`). Over-indebtedness does not stop them.
- For a consumer's over-indebtedness file, `judgment_date` is the date of the admissibility
  decision (décision de recevabilité) of the commission.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, Literal

from relance.law.calendar import add_months
from relance.law.errors import InvalidInputError

__all__ = [
    "COLLECTIVE", "KINDS", "LABELS", "Declaration", "DeclarationLine", "Delays",
    "PriorInvoice", "ProceedingsLaw", "Rule", "accrual_until", "claim_deadline",
    "declaration_lines", "dunning_allowed", "is_prior_claim", "kind_label", "load_proceedings_law",
    "long_date", "penalty_stop", "relief_deadline",
]

date = dt.date
ONE_DAY = dt.timedelta(days=1)
ZERO = Decimal("0.00")

KINDS = ("sauvegarde", "redressement", "liquidation", "surendettement")
COLLECTIVE = ("sauvegarde", "redressement", "liquidation")  # Code de commerce, livre VI
LABELS: Mapping[str, str] = {
    "sauvegarde": "procédure de sauvegarde",
    "redressement": "redressement judiciaire",
    "liquidation": "liquidation judiciaire",
    "surendettement": "dossier de surendettement déclaré recevable",
}
_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre")

LineKind = Literal["invoice", "penalties", "indemnity"]


@dataclass(frozen=True)
class Rule:
    """One article: what it says (summary), what Relance does with it, and where it is."""

    id: str
    code: str
    article: str
    kinds: tuple[str, ...]
    summary: str
    relance: str
    source: str
    url: str
    note: str = ""


@dataclass(frozen=True)
class Delays:
    """The figures of the rules, in months or years."""

    claim_months: int
    abroad_extra_months: int
    relief_months: int
    relief_unaware_months: int
    suspension_max_years: int


@dataclass(frozen=True)
class ProceedingsLaw:
    """data/proceedings.toml: the delays and the rules by id."""

    delays: Delays
    rules: Mapping[str, Rule]

    def rule(self, rule_id: str) -> Rule:
        """The rule `rule_id` ("L622-21"), or InvalidInputError."""
        found = self.rules.get(rule_id)
        if found is None:
            raise InvalidInputError(f"Règle inconnue : « {rule_id} ».")
        return found


@dataclass(frozen=True)
class PriorInvoice:
    """An invoice issued before the judgment, as it stood on the judgment day.

    `open_amount` is what remained due incl. VAT at the judgment date; `penalties` (accrued
    up to the judgment date) and `indemnity` (the 40 €) are computed by the caller.
    """

    number: str
    issue_date: date
    due_date: date
    open_amount: Decimal
    amount_excl_tax: Decimal | None = None
    penalties: Decimal = ZERO
    indemnity: Decimal = ZERO


@dataclass(frozen=True)
class DeclarationLine:
    """One line of the declaration: an invoice's open amount, its penalties or its 40 €."""

    kind: LineKind
    invoice: str
    label: str
    amount: Decimal
    matured: bool
    issue_date: date | None = None
    due_date: date | None = None
    amount_excl_tax: Decimal | None = None

    @property
    def status(self) -> str:
        """« échu » or « à échoir »."""
        return "échu" if self.matured else "à échoir"


@dataclass(frozen=True)
class Declaration:
    """The lines of a claim declaration and its totals (L622-25: échu vs à échoir)."""

    kind: str
    judgment_date: date
    lines: tuple[DeclarationLine, ...]
    principal_matured: Decimal
    principal_to_mature: Decimal
    penalties: Decimal
    indemnities: Decimal

    @property
    def matured(self) -> Decimal:
        """Due at the judgment date: matured principal, penalties and indemnities."""
        return self.principal_matured + self.penalties + self.indemnities

    @property
    def to_mature(self) -> Decimal:
        """Falling due after the judgment date."""
        return self.principal_to_mature

    @property
    def total(self) -> Decimal:
        """The whole claim declared."""
        return self.matured + self.to_mature

    @property
    def invoice_lines(self) -> tuple[DeclarationLine, ...]:
        """The invoices' open amounts."""
        return tuple(line for line in self.lines if line.kind == "invoice")

    @property
    def accessory_lines(self) -> tuple[DeclarationLine, ...]:
        """Penalties stopped at the judgment date and fixed indemnities."""
        return tuple(line for line in self.lines if line.kind != "invoice")

    @property
    def notes(self) -> tuple[str, ...]:
        """French sentences the declaration should carry about its sums to fall due."""
        if not self.to_mature:
            return ()
        if self.kind == "liquidation":
            return ("Le jugement de liquidation judiciaire rend exigibles les sommes non échues "
                    "(C. com. L643-1).",)
        return ("Le jugement d'ouverture ne rend pas exigibles les sommes non échues, déclarées "
                "avec leur date d'échéance (C. com. L622-25 et L622-29).",)


def kind_label(kind: str) -> str:
    """The French name of a kind: « redressement judiciaire »."""
    return LABELS[_check_kind(kind)]


def long_date(day: date) -> str:
    """`2 mars 2026`, `1er mars 2026` (the law core does not depend on Babel).

    >>> long_date(date(2026, 3, 1)), long_date(date(2026, 11, 23))
    ('1er mars 2026', '23 novembre 2026')
    """
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {_MONTHS[day.month - 1]} {day.year}"


def claim_deadline(published_on: date, *, abroad: bool = False,
                   business_day: Callable[[date], date] | None = None) -> date:
    """Last day to declare a claim: BODACC publication + 2 months, or + 4 months (R622-24).

    `abroad`: the creditor does not live in metropolitan France (abroad or overseas). The
    extended delay counts 4 months from the publication. Months end on the same day-number,
    or on the month's last day when it has none (CPC 641); the delay ends at 24h that day
    (CPC 642). CPC 642 also moves a delay ending on a Saturday, Sunday or holiday to the
    next working day; it applies here through R662-1 C. com. as far as Relance knows, so the
    move is made only when the caller passes `business_day` (for example
    ``lambda d: next_business_day(d, holidays)`` from relance.law.calendar). Without it the
    earlier, safe date is given.

    >>> from relance.law.calendar import next_business_day
    >>> claim_deadline(date(2025, 12, 30))  # no 30 February: the last day of the month
    datetime.date(2026, 2, 28)
    >>> claim_deadline(date(2026, 2, 4))  # Saturday 4 April 2026…
    datetime.date(2026, 4, 4)
    >>> easter_monday = {date(2026, 4, 6)}  # …moved past the weekend and Easter Monday
    >>> claim_deadline(date(2026, 2, 4), business_day=lambda d: next_business_day(d, easter_monday))
    datetime.date(2026, 4, 7)
    """
    delays = load_proceedings_law().delays
    months = delays.claim_months + (delays.abroad_extra_months if abroad else 0)
    last = add_months(published_on, months)
    return business_day(last) if business_day is not None else last


def relief_deadline(published_on: date, *, unaware: bool = False) -> date:
    """Last day to ask for relief from foreclosure (relevé de forclusion, L622-26); informative.

    6 months from the publication, 1 year for a creditor who could not know of his claim
    (see the note of L622-26 in data/proceedings.toml).

    >>> relief_deadline(date(2026, 3, 10)), relief_deadline(date(2026, 3, 10), unaware=True)
    (datetime.date(2026, 9, 10), datetime.date(2027, 3, 10))
    """
    delays = load_proceedings_law().delays
    return add_months(published_on,
                      delays.relief_unaware_months if unaware else delays.relief_months)


def is_prior_claim(issue_date: date, judgment_date: date) -> bool:
    """True when the claim arose before the judgment: issued before the judgment day.

    The judgment takes effect from 0h of its date, so an invoice issued that day is posterior.
    """
    return issue_date < judgment_date


def penalty_stop(kind: str, judgment_date: date) -> date | None:
    """The day from which penalties no longer run on prior claims, or None.

    Sauvegarde, redressement and liquidation: the judgment day (L622-28, L631-14, L641-3),
    from 0h, so that day carries no interest. Surendettement: None, admissibility
    suspends enforcement but does not stop interest (the commission's measures may reduce
    or suspend it later, L733-1 C. consom., not modelled).

    >>> penalty_stop("liquidation", date(2026, 3, 2)), penalty_stop("surendettement",
    ...                                                             date(2026, 3, 2))
    (datetime.date(2026, 3, 2), None)
    """
    return None if _check_kind(kind) == "surendettement" else judgment_date


def accrual_until(kind: str, judgment_date: date, *, end_day_counts: bool = True) -> date | None:
    """The `until` to give compute_penalties so that no penalty runs from the judgment day.

    With `end_day_counts` (the default convention count_payment_day, where the `until` day
    bears interest) that is the day before the judgment; otherwise the judgment day.

    >>> accrual_until("redressement", date(2026, 3, 2))
    datetime.date(2026, 3, 1)
    """
    stop = penalty_stop(kind, judgment_date)
    if stop is None:
        return None
    return stop - ONE_DAY if end_day_counts else stop


def dunning_allowed(kind: str, issue_date: date, judgment_date: date) -> tuple[bool, str]:
    """Whether an invoice may still be dunned, and why in French with the article.

    Prior claims in sauvegarde, redressement or liquidation: no (L622-21), declare them.
    Posterior ones: yes, payable at maturity (L622-17; L641-13 in liquidation).
    Surendettement: no, prior debts may not be paid (L722-2, L722-5) and Relance pauses
    posterior ones too, as a precaution (L722-5 does not forbid paying them).

    >>> dunning_allowed("sauvegarde", date(2026, 3, 2), date(2026, 3, 2))
    ... # doctest: +NORMALIZE_WHITESPACE
    (True, "Créance postérieure au jugement d'ouverture du 2 mars 2026 : payable à
    l'échéance (C. com. L622-17) ; relances autorisées.")
    """
    kind = _check_kind(kind)
    on = long_date(judgment_date)
    prior = is_prior_claim(issue_date, judgment_date)
    if kind == "surendettement":
        if prior:
            return False, (
                f"Créance antérieure à la recevabilité du dossier de surendettement du {on} : "
                "relances suspendues, le débiteur ne peut pas la payer (C. consom. L722-2 et "
                "L722-5) ; la faire valoir auprès de la commission de surendettement.")
        return False, (
            f"Dossier de surendettement déclaré recevable le {on} : relances du client "
            "suspendues pendant la procédure (prudence de Relance : cette créance postérieure "
            "n'est pas visée par l'interdiction de payer de C. consom. L722-5).")
    if kind == "liquidation":
        if prior:
            return False, (
                f"Créance antérieure au jugement de liquidation judiciaire du {on} : relances "
                "interdites (C. com. L622-21 et L641-3) ; déclarer la créance au liquidateur.")
        return True, (
            f"Créance postérieure au jugement de liquidation judiciaire du {on} : payable à "
            "l'échéance (C. com. L641-13) ; relances autorisées.")
    if prior:
        return False, (
            f"Créance antérieure au jugement d'ouverture du {on} : relances interdites "
            "(C. com. L622-21) ; déclarer la créance au mandataire judiciaire.")
    return True, (
        f"Créance postérieure au jugement d'ouverture du {on} : payable à l'échéance "
        "(C. com. L622-17) ; relances autorisées.")


def declaration_lines(kind: str, judgment_date: date,
                      invoices: Iterable[PriorInvoice]) -> Declaration:
    """The declaration's lines (open amounts, penalties, 40 €) and totals échu / à échoir.

    Every invoice must be prior to the judgment; penalties and indemnities are accepted only
    on invoices already due at the judgment date. An invoice fully paid but late still
    brings its penalties and 40 €. Amounts are not rounded here.
    """
    kind = _check_kind(kind)
    if kind not in COLLECTIVE:
        raise InvalidInputError(
            "Pas de déclaration de créance au mandataire judiciaire pour un dossier de "
            "surendettement : la créance se fait valoir auprès de la commission.")
    checked = [_check_invoice(invoice, judgment_date) for invoice in invoices]
    _check_unique(checked)
    stop = long_date(judgment_date)
    principal: list[DeclarationLine] = []
    accessories: list[DeclarationLine] = []
    for inv in checked:
        matured = inv.due_date < judgment_date
        if inv.open_amount:
            principal.append(DeclarationLine(
                "invoice", inv.number, f"Facture {inv.number}", inv.open_amount, matured,
                inv.issue_date, inv.due_date, inv.amount_excl_tax))
        if inv.penalties:
            accessories.append(DeclarationLine(
                "penalties", inv.number,
                f"Pénalités de retard, facture {inv.number}, arrêtées au {stop}",
                inv.penalties, True))
        if inv.indemnity:
            accessories.append(DeclarationLine(
                "indemnity", inv.number,
                f"Indemnité forfaitaire pour frais de recouvrement, facture {inv.number}",
                inv.indemnity, True))
    if not principal and not accessories:
        raise InvalidInputError("Aucune somme à déclarer.")
    return Declaration(
        kind=kind, judgment_date=judgment_date, lines=tuple(principal + accessories),
        principal_matured=_sum(ln.amount for ln in principal if ln.matured),
        principal_to_mature=_sum(ln.amount for ln in principal if not ln.matured),
        penalties=_sum(ln.amount for ln in accessories if ln.kind == "penalties"),
        indemnities=_sum(ln.amount for ln in accessories if ln.kind == "indemnity"),
    )


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InvalidInputError(
            f"Procédure inconnue : « {kind} » ({', '.join(KINDS)}).")
    return kind


def _check_invoice(inv: PriorInvoice, judgment_date: date) -> PriorInvoice:
    """Refuse posterior invoices, inconsistent dates, and inexact or negative amounts."""
    if not is_prior_claim(inv.issue_date, judgment_date):
        raise InvalidInputError(
            f"Facture {inv.number} du {long_date(inv.issue_date)} postérieure au jugement "
            f"d'ouverture du {long_date(judgment_date)} : payable à l'échéance, elle ne se "
            "déclare pas.")
    if inv.due_date < inv.issue_date:
        raise InvalidInputError(f"Facture {inv.number} : échéance antérieure à sa date.")
    amounts = {"montant restant dû": inv.open_amount, "pénalités": inv.penalties,
               "indemnité": inv.indemnity}
    if inv.amount_excl_tax is not None:
        amounts["montant HT"] = inv.amount_excl_tax
    for name, value in amounts.items():
        _check_amount(inv.number, name, value)
    if inv.due_date >= judgment_date and (inv.penalties or inv.indemnity):
        raise InvalidInputError(
            f"Facture {inv.number} non échue au jugement d'ouverture : ni pénalités ni "
            "indemnité ne peuvent être déclarées.")
    return inv


def _check_amount(number: str, name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidInputError(
            f"Facture {number} : {name} doit être un décimal exact ({value!r}).")
    if value < 0:
        raise InvalidInputError(f"Facture {number} : {name} négatif ({value}).")


def _check_unique(invoices: Sequence[PriorInvoice]) -> None:
    seen: set[str] = set()
    for inv in invoices:
        if inv.number in seen:
            raise InvalidInputError(f"Facture {inv.number} en double dans la déclaration.")
        seen.add(inv.number)


def _sum(amounts: Iterable[Decimal]) -> Decimal:
    return sum(amounts, ZERO)


def _rule(raw: dict[str, Any]) -> Rule:
    return Rule(id=str(raw["id"]), code=str(raw["code"]), article=str(raw["article"]),
                kinds=tuple(str(k) for k in raw["kinds"]), summary=str(raw["summary"]),
                relance=str(raw["relance"]), source=str(raw["source"]), url=str(raw["url"]),
                note=str(raw.get("note", "")))


@cache
def load_proceedings_law() -> ProceedingsLaw:
    """data/proceedings.toml, read once."""
    text = resources.files("relance.law.data").joinpath("proceedings.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    delays = Delays(**{name: int(value) for name, value in raw["delays"].items()})
    rules = {rule.id: rule for rule in map(_rule, raw["rule"])}
    return ProceedingsLaw(delays=delays, rules=rules)
