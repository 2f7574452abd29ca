"""Typed errors of the law core, each with a French message for the user.

>>> err = InvalidInputError("Montant négatif : -5.00 €.")
>>> err.message
'Montant négatif : -5.00 €.'
>>> isinstance(err, LawError)
True
>>> TermsError().message
'Conditions de paiement illisibles.'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from relance.law.halfyear import HalfYear

ADD_RATE_HINT = (
    "relance rates add {half} --ecb … --legal-private … --legal-other … --source URL"
)


class LawError(Exception):
    """Base of the law errors; `.message` is French and shown to the user as is."""

    default_message = "Erreur dans l'application des règles juridiques."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class InvalidInputError(LawError):
    """Bad input: dates before 2015, negative amounts, inconsistent dates, bad text."""

    default_message = "Donnée invalide."


class TermsError(LawError):
    """Payment terms that Relance cannot read."""

    default_message = "Conditions de paiement illisibles."


class MissingRateError(LawError):
    """A half-year has no rate in the table: Relance refuses to guess one."""

    def __init__(self, half: HalfYear, needed: str = "les taux", message: str | None = None):
        self.half = half
        self.needed = needed
        super().__init__(message or missing_rate_message(half, needed))


def missing_rate_message(half: HalfYear, needed: str) -> str:
    """French message naming the missing rate and the command that adds it."""
    return (
        f"Taux manquant pour le semestre {half} : {needed}. "
        "Relance refuse de calculer des pénalités sur un semestre dont le taux est inconnu. "
        "Ajoutez les taux de ce semestre (taux BCE en vigueur au "
        f"{half.start.strftime('%d/%m/%Y')} sur ecb.europa.eu, taux de l'intérêt légal "
        "publié au Journal officiel) avec : "
        + ADD_RATE_HINT.format(half=half)
    )
