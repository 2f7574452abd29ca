"""The reliability score (0–100), its grade (A–E), every factor's contribution, the
recommended policy and the alerts on credit limits and credit insurance.

The score starts at 100; each factor takes points off (or gives a few back), and the French
text of each says why, e.g. "3 promesses non tenues : −15". A bad-payer mark set by a person
is deliberately not a factor: the CNIL forbids using such a file to predict non-payment.

>>> from decimal import Decimal as D
>>> from relance.risk.behaviour import behaviour
>>> s = score(behaviour([], date(2026, 11, 23)), ())
>>> s.score, s.grade, s.factors[0].text
(75, 'B', 'Aucune facture réglée à ce jour : historique insuffisant : −25')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import NamedTuple

from relance.domain.money import ZERO
from relance.i18n import format_date, format_money
from relance.risk.behaviour import Behaviour
from relance.risk.signs import SIGN_KINDS

GRADES = ("A", "B", "C", "D", "E")
GRADE_FLOORS = ((80, "A"), (65, "B"), (50, "C"), (35, "D"), (0, "E"))
GRADE_LABELS = {"A": "très fiable", "B": "fiable", "C": "à surveiller", "D": "risqué",
                "E": "très risqué"}


class ObservedSign(NamedTuple):
    """A warning sign in force for the client (withdrawn signs are not given)."""

    kind: str
    observed_on: date
    source: str = "manual"
    detail: str = ""


@dataclass(frozen=True)
class Factor:
    """One line of the explanation."""

    key: str
    points: int
    text: str


@dataclass(frozen=True)
class Policy:
    """The terms Relance recommends for this client."""

    deposit_percent: int
    max_term_days: int
    credit_limit: Decimal
    scenario_tone: str          # "standard" or "renforcé"
    text: str


@dataclass(frozen=True)
class Limits:
    """The client's credit limit and credit insurance, as the creditor set them."""

    credit_limit: Decimal | None = None
    insured_limit: Decimal | None = None
    insurer: str = ""
    declare_within_days: int | None = None


@dataclass(frozen=True)
class Score:
    score: int
    grade: str
    factors: tuple[Factor, ...]
    policy: Policy
    alerts: tuple[str, ...]

    def explanation(self) -> list[str]:
        return [f.text for f in self.factors]


def _minus(points: int) -> str:
    return f"−{points}" if points > 0 else f"+{-points}"


def _factor(key: str, points: int, text: str) -> Factor:
    return Factor(key, -points, f"{text} : {_minus(points)}")


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _days(value: Decimal) -> str:
    return f"{value}".replace(".", ",").removesuffix(",0")


def behaviour_factors(b: Behaviour) -> list[Factor]:
    """The factors drawn from the ledger and the commitments."""
    out: list[Factor] = []
    if b.paid == 0:
        out.append(_factor("history", 25, "Aucune facture réglée à ce jour : historique "
                                           "insuffisant"))
    elif b.paid < 3:
        paid = _plural(b.paid, "facture réglée", "factures réglées")
        out.append(_factor("history", 10, f"Historique court ({paid})"))
    elif b.paid < 6:
        out.append(_factor("history", 5, f"Historique encore court ({b.paid} factures réglées)"))
    if b.paid:
        points = int((b.late_share * 25).to_integral_value(ROUND_HALF_UP))
        if points:
            share = int((b.late_share * 100).to_integral_value(ROUND_HALF_UP))
            out.append(_factor("late_share", points,
                               f"{share} % des factures réglées l'ont été en retard "
                               f"({b.paid_late} sur {b.paid})"))
        points = min(20, int((b.weighted_days_late / 3).to_integral_value(ROUND_HALF_UP)))
        if points:
            out.append(_factor("days_late", points,
                               f"Retard moyen pondéré par les montants : "
                               f"{_days(b.weighted_days_late)} jours (moyenne simple "
                               f"{_days(b.avg_days_late)} jours)"))
    for limit, points in ((90, 10), (60, 6), (30, 3)):
        if b.longest_delay > limit:
            out.append(_factor("longest_delay", points,
                               f"Plus long retard : {b.longest_delay} jours"))
            break
    for limit, points in ((90, 15), (60, 10), (30, 6), (0, 2)):
        if b.oldest_overdue_days > limit:
            out.append(_factor("overdue", points,
                               f"{format_money(b.overdue_amount)} échus impayés, le plus "
                               f"ancien depuis {b.oldest_overdue_days} jours"))
            break
    c = b.commitments
    if c.promises_broken:
        out.append(_factor("promises_broken", min(15, 5 * c.promises_broken),
                           _plural(c.promises_broken, "promesse non tenue",
                                   "promesses non tenues")))
    if c.promises_kept:
        out.append(_factor("promises_kept", -min(6, 2 * c.promises_kept),
                           _plural(c.promises_kept, "promesse tenue", "promesses tenues")))
    if c.plans_broken:
        out.append(_factor("plans_broken", min(20, 10 * c.plans_broken),
                           _plural(c.plans_broken, "échéancier non respecté",
                                   "échéanciers non respectés")))
    if c.plans_completed:
        out.append(_factor("plans_completed", -min(6, 3 * c.plans_completed),
                           _plural(c.plans_completed, "échéancier honoré",
                                   "échéanciers honorés")))
    if c.disputes_12m:
        out.append(_factor("disputes", min(9, 3 * c.disputes_12m),
                           _plural(c.disputes_12m, "litige ouvert", "litiges ouverts")
                           + " sur 12 mois"))
    trend = b.trend
    if trend == "dégradation":
        out.append(_factor("trend", 5, "Retards en hausse sur les 3 derniers mois"))
    elif trend == "amélioration":
        out.append(_factor("trend", -3, "Retards en baisse sur les 3 derniers mois"))
    return out


def sign_factors(signs: Sequence[ObservedSign], at: date) -> list[Factor]:
    """One factor per kind of warning sign in force (repeated signs weigh more)."""
    out: list[Factor] = []
    since = at - timedelta(days=365)
    by_kind: dict[str, list[ObservedSign]] = {}
    for s in signs:
        if s.kind in SIGN_KINDS and s.observed_on <= at:
            by_kind.setdefault(s.kind, []).append(s)
    for key, kind in SIGN_KINDS.items():
        seen = by_kind.get(key)
        if not seen:
            continue
        recent = [s for s in seen if s.observed_on > since]
        points = kind.points
        text = f"Signal d'alerte : {kind.label}"
        if kind.repeated_points and len(recent) >= 2:
            points = kind.repeated_points
            text += f" ({len(recent)} fois en 12 mois)"
        last = max(seen, key=lambda s: s.observed_on)
        text += f", le {last.observed_on:%d/%m/%Y}"
        out.append(_factor(f"sign:{key}", points, text))
    return out


def grade_of(value: int) -> str:
    """The grade of a score.

    >>> grade_of(80), grade_of(79), grade_of(34)
    ('A', 'B', 'E')
    """
    return next(g for floor, g in GRADE_FLOORS if value >= floor)


# Recommended terms per grade: deposit (%), longest payment term (days), credit limit in
# months of the client's average monthly sales, and the scenario's tone.
POLICY = {
    "A": (0, 60, Decimal(3), "standard"),
    "B": (0, 45, Decimal(2), "standard"),
    "C": (30, 30, Decimal(1), "standard"),
    "D": (50, 15, Decimal("0.5"), "renforcé"),
    "E": (100, 0, Decimal(0), "renforcé"),
}
NEW_CLIENT_BASE = Decimal(1000)  # a month of sales assumed for a client without history


def policy(grade: str, b: Behaviour) -> Policy:
    deposit, term, months, tone = POLICY[grade]
    monthly = (b.sales_12m / 12) if b.sales_12m else NEW_CLIENT_BASE
    limit = (monthly * months / 100).to_integral_value(ROUND_DOWN) * 100
    limit = Decimal(limit).quantize(Decimal("0.01"))
    parts = ["pas d'acompte" if not deposit else
             ("paiement intégral à la commande" if deposit == 100 else
              f"acompte de {deposit} % à la commande")]
    parts.append("paiement comptant" if term == 0 else f"délai de paiement de {term} jours "
                 "au plus")
    parts.append(f"encours maximal conseillé {format_money(limit)}")
    parts.append("scénario de relance " + tone)
    return Policy(deposit, term, limit, tone, " ; ".join(parts).capitalize())


def alerts(b: Behaviour, limits: Limits) -> list[str]:
    """Exposure beyond the credit limit or the insured amount, and the insurer's deadline to
    declare a threat of loss (menace de sinistre)."""
    out: list[str] = []
    exposure = b.open_amount
    if limits.credit_limit is not None and exposure > limits.credit_limit:
        out.append(f"Encours de {format_money(exposure)} au-delà de la limite de crédit de "
                   f"{format_money(limits.credit_limit)} (dépassement "
                   f"{format_money(exposure - limits.credit_limit)}) : bloquer les nouvelles "
                   "commandes ou demander un acompte.")
    if limits.insured_limit is not None and exposure > limits.insured_limit:
        insurer = f" par {limits.insurer}" if limits.insurer else ""
        out.append(f"Encours de {format_money(exposure)} au-delà du montant garanti{insurer} "
                   f"({format_money(limits.insured_limit)}) : "
                   f"{format_money(exposure - limits.insured_limit)} ne sont pas assurés.")
    if (limits.declare_within_days is not None and b.first_unpaid_due is not None
            and b.overdue_amount > ZERO):
        deadline = b.first_unpaid_due + timedelta(days=limits.declare_within_days)
        insurer = limits.insurer or "l'assureur-crédit"
        left = (deadline - b.at).days
        if left < 0:
            out.append(f"Délai de déclaration de menace de sinistre à {insurer} dépassé depuis "
                       f"le {format_date(deadline)} : la garantie peut être perdue.")
        elif left <= 15:
            out.append(f"Menace de sinistre à déclarer à {insurer} avant le "
                       f"{format_date(deadline)} ({_plural(left, 'jour', 'jours')}) : impayé "
                       f"depuis le {format_date(b.first_unpaid_due)}.")
    return out


def score(b: Behaviour, signs: Sequence[ObservedSign], limits: Limits | None = None) -> Score:
    """The score of a client at `b.at`, with its explanation, policy and alerts."""
    factors = behaviour_factors(b) + sign_factors(signs, b.at)
    value = max(0, min(100, 100 + sum(f.points for f in factors)))
    grade = grade_of(value)
    caps = {SIGN_KINDS[s.kind].grade_cap for s in signs
            if s.kind in SIGN_KINDS and SIGN_KINDS[s.kind].grade_cap and s.observed_on <= b.at}
    for cap in sorted(caps):
        if GRADES.index(cap) > GRADES.index(grade):
            grade = cap
            factors.append(Factor("grade_cap", 0, f"Note limitée à {cap} : entreprise "
                                  "fermée, procédure collective ou surendettement"))
    found = tuple(alerts(b, limits or Limits()))
    return Score(value, grade, tuple(factors), policy(grade, b), found)
