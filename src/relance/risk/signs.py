"""The warning signs of a bad payer (seed 003), and the rules that detect some of them.

Each sign is recorded with its date and source; this module only says what a sign is, what it
weighs, and whether a text, a promise history, an invoice or a registry answer shows one.

>>> financial_keywords("Le gérant dit qu'ils ont des soucis de TRESORERIE, on attend un virement")
('trésorerie', 'on attend un virement')
>>> financial_keywords("Facture reçue, paiement le 15.")
()
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple


@dataclass(frozen=True)
class SignKind:
    """A kind of warning sign: its French label and what it costs in the score."""

    key: str
    label: str
    points: int                 # subtracted from the score (per the rules of `score`)
    repeated_points: int = 0    # when observed twice or more within 12 months (0: same)
    grade_cap: str = ""         # the best grade a client showing it can get ("E": E at best)
    automatic: str = ""         # how Relance detects it, if it does


SIGN_KINDS: dict[str, SignKind] = {s.key: s for s in (
    SignKind("deposit_refused", "a refusé de verser un acompte", 10),
    SignKind("contract_refused", "a refusé de signer le contrat ou le devis", 10),
    SignKind("other_company", "a demandé de facturer une autre société", 10,
             automatic="facture adressée à un autre SIREN que celui du client"),
    SignKind("financial_difficulties", "parle de difficultés financières", 8, 15,
             automatic="mots clés dans les notes d'appel et les courriels consignés"),
    SignKind("postponing", "repousse sans cesse l'échéance", 10,
             automatic="promesses repoussées ou non tenues (2 au moins en 12 mois)"),
    SignKind("young_company", "entreprise créée il y a moins de 3 ans", 5,
             automatic="date de création au registre"),
    SignKind("closed", "entreprise fermée ou radiée", 50, grade_cap="E",
             automatic="registre des entreprises et BODACC"),
    SignKind("collective_proceedings", "procédure collective en cours", 50, grade_cap="E",
             automatic="BODACC, ou saisie manuelle de la procédure"),
    SignKind("over_indebtedness", "dossier de surendettement déclaré recevable", 50,
             grade_cap="E", automatic="saisie de la décision de recevabilité"),
)}

YOUNG_COMPANY_YEARS = 3
POSTPONING_MIN = 2  # broken or pushed-back promises within 12 months


class Keyword(NamedTuple):
    """A French keyword rule: what is shown, and the accent-free pattern that finds it."""

    label: str
    pattern: re.Pattern[str]


def _rule(label: str, pattern: str) -> Keyword:
    return Keyword(label, re.compile(pattern))


# Patterns run on lower-case text without accents; word boundaries avoid "sauvegarde du
# fichier" style false positives where a qualifier is needed.
FINANCIAL_KEYWORDS: tuple[Keyword, ...] = (
    _rule("difficultés", r"\bdifficultes?\b(?! (d'acces|techniques?|informatiques?))"),
    _rule("trésorerie", r"\btresorerie\b"),
    _rule("redressement", r"\bredressement\b"),
    _rule("sauvegarde", r"\b(procedure|plan|mesure) de sauvegarde\b"),
    _rule("liquidation", r"\bliquidation\b"),
    _rule("cessation de paiements", r"\bcessation (des|de) paiements?\b"),
    _rule("dépôt de bilan", r"\bdep(o|ot|oser|ose) (de |le )?bilan\b"),
    _rule("on attend un virement",
          r"\b(on|nous) attend(ons)? (un|le|des|nos) (virement|reglement|paiement)s?\b"),
    _rule("nos clients ne paient pas",
          r"\b(nos|mes|leurs?) clients? ne (nous |me )?pai(e|ent)\b"),
    _rule("découvert", r"\bdecouvert\b"),
    _rule("la banque bloque", r"\bbanque (bloque|refuse|a bloque|a refuse)\b"),
    _rule("conciliation", r"\bconciliation\b"),
    _rule("mandat ad hoc", r"\bmandat(aire)? ad hoc\b"),
    _rule("pas d'argent", r"\b(pas|plus) (d'argent|de fonds|de liquidites)\b"),
)


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def financial_keywords(text: str) -> tuple[str, ...]:
    """The financial-difficulty keywords found in a call note or a logged email."""
    plain = _plain(text)
    return tuple(k.label for k in FINANCIAL_KEYWORDS if k.pattern.search(plain))


class PromiseFact(NamedTuple):
    """A promise to pay, as the postponing rule sees it."""

    made_on: date
    pay_by: date
    status: str                 # open, kept, broken
    closed_on: date | None = None


def postponements(promises: Sequence[PromiseFact], at: date) -> list[tuple[date, str]]:
    """Each time in the 12 months up to `at` the client broke a promise or pushed a still-open
    promise's date back with a new one: (date, French description)."""
    since = date.fromordinal(at.toordinal() - 365)
    found: list[tuple[date, str]] = []
    ordered = sorted(promises, key=lambda p: (p.made_on, p.pay_by))
    for i, p in enumerate(ordered):
        if p.status == "broken" and p.closed_on is not None and since < p.closed_on <= at:
            found.append((p.closed_on, f"promesse de payer au {p.pay_by:%d/%m/%Y} non tenue"))
        for later in ordered[i + 1:]:
            if (p.made_on <= later.made_on <= p.pay_by and later.pay_by > p.pay_by
                    and since < later.made_on <= at):
                found.append((later.made_on, f"promesse du {p.pay_by:%d/%m/%Y} repoussée "
                                             f"au {later.pay_by:%d/%m/%Y}"))
                break
    return sorted(found)


def is_young(created_on: date | None, at: date) -> bool:
    """Whether a company created on `created_on` is under YOUNG_COMPANY_YEARS at `at`.

    >>> is_young(date(2024, 6, 1), date(2026, 11, 23)), is_young(date(2020, 1, 1), date(2026, 1, 1))
    (True, False)
    """
    if created_on is None:
        return False
    try:
        limit = created_on.replace(year=created_on.year + YOUNG_COMPANY_YEARS)
    except ValueError:  # 29 February
        limit = date(created_on.year + YOUNG_COMPANY_YEARS, 3, 1)
    return at < limit


def billed_elsewhere(client_siren: str, billed_siren: str) -> bool:
    """Whether an invoice is addressed to another company than the client's SIREN.

    >>> billed_elsewhere("552032534", "732829320"), billed_elsewhere("552032534", "")
    (True, False)
    """
    return bool(billed_siren) and bool(client_siren) and billed_siren != client_siren
