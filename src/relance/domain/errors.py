"""Typed errors for bad input; every message is French because users read it."""

from __future__ import annotations


class RelanceError(Exception):
    """Bad input or usage: the CLI prints `message` and exits with code 2."""

    default_message = "Entrée invalide."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class NotFoundError(RelanceError):
    """Something the user named does not exist."""

    default_message = "Élément introuvable."


class AmbiguousCreditorError(RelanceError):
    """Several creditors could be meant: the user must say which."""

    default_message = (
        "Plusieurs sociétés créancières existent dans cette base : précisez --creditor REF."
    )


class ValidationError(RelanceError):
    """A value does not satisfy a business rule."""

    default_message = "Valeur invalide."
