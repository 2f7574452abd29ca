"""Checks of identifiers and codes with python-stdnum, with French messages.

>>> check_siren("732829320")
'732829320'
>>> check_siren("732829321")
Traceback (most recent call last):
...
relance.imports.values.BadValue: un SIREN valide (9 chiffres, clé de contrôle fausse)
"""

from __future__ import annotations

import re
from typing import Any

from stdnum import bic as std_bic
from stdnum import iban as std_iban
from stdnum.eu import vat as std_vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdValidationError
from stdnum.fr import siren as std_siren
from stdnum.fr import siret as std_siret

from relance.domain.errors import ValidationError
from relance.imports.values import BadValue

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

KINDS = {
    "b2b": "b2b", "entreprise": "b2b", "professionnel": "b2b", "pro": "b2b", "societe": "b2b",
    "b2c": "b2c", "particulier": "b2c", "consommateur": "b2c", "personne_physique": "b2c",
    "public": "public", "administration": "public", "collectivite": "public",
    "acheteur_public": "public", "secteur_public": "public",
}

DOC_TYPES = {
    "invoice": "invoice", "facture": "invoice", "fa": "invoice", "": "invoice",
    "credit_note": "credit_note", "avoir": "credit_note", "av": "credit_note",
    "credit": "credit_note",
}

CHANNELS = {
    "email": "email", "courriel": "email", "mail": "email", "letter": "letter",
    "courrier": "letter", "lettre": "letter", "call": "call", "appel": "call",
    "telephone": "call", "sms": "sms",
}


def _why(exc: StdValidationError, what: str, digits: str) -> BadValue:
    if isinstance(exc, InvalidChecksum):
        return BadValue(f"un {what} valide ({digits}, clé de contrôle fausse)")
    if isinstance(exc, InvalidLength):
        return BadValue(f"un {what} valide ({digits}, longueur incorrecte)")
    if isinstance(exc, InvalidFormat | InvalidComponent):
        return BadValue(f"un {what} valide ({digits}, format incorrect)")
    return BadValue(f"un {what} valide ({digits})")


def check_siren(text: str) -> str:
    """A valid SIREN, compacted."""
    try:
        return str(std_siren.validate(text))
    except StdValidationError as exc:
        raise _why(exc, "SIREN", "9 chiffres") from None


def check_siret(text: str) -> str:
    """A valid SIRET, compacted."""
    try:
        return str(std_siret.validate(text))
    except StdValidationError as exc:
        raise _why(exc, "SIRET", "14 chiffres") from None


def check_vat(text: str) -> str:
    """A valid EU VAT number (FR12345678901…), compacted."""
    try:
        return str(std_vat.validate(text))
    except StdValidationError as exc:
        raise _why(exc, "numéro de TVA intracommunautaire", "comme FR40303265045") from None


def check_iban(text: str) -> str:
    """A valid IBAN, compacted."""
    try:
        return str(std_iban.validate(text))
    except StdValidationError as exc:
        raise _why(exc, "IBAN", "comme FR76 3000 6000 0112 3456 7890 189") from None


def check_bic(text: str) -> str:
    """A valid BIC, compacted."""
    try:
        return str(std_bic.validate(text))
    except StdValidationError:
        raise BadValue("un BIC de 8 ou 11 caractères, comme AGRIFRPPXXX") from None


COMPANY_IDENTIFIERS = (("siren", check_siren), ("siret", check_siret),
                       ("vat_number", check_vat), ("iban", check_iban), ("bic", check_bic))


def company_identifiers(values: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    """`values` with the company's SIREN, SIRET, VAT number, IBAN and BIC (those present)
    checked by python-stdnum and compacted, an empty one left empty; the SIRET must start with
    the SIREN, and gives it when only the SIRET is known. An error names the field by its
    label (`--siren` on the command line, `SIREN` on the settings page)."""
    checked = dict(values)
    for name, check in COMPANY_IDENTIFIERS:
        value = str(values.get(name) or "").strip()
        if name not in values or not value:
            continue
        try:
            checked[name] = check(value)
        except BadValue as exc:
            raise ValidationError(f"{labels[name]} « {value} » : attendu {exc.expected}.") from None
    siren, siret = checked.get("siren") or "", checked.get("siret") or ""
    if siren and siret and not siret.startswith(siren):
        raise ValidationError("Le SIRET doit commencer par le SIREN.")
    if siret and not siren and "siren" in values:
        checked["siren"] = siret[:9]
    return checked


def check_email(text: str) -> str:
    """A plausible e-mail address."""
    if not _EMAIL.match(text):
        raise BadValue("une adresse e-mail comme compta@exemple.fr")
    return text


def check_choice(text: str, choices: dict[str, str], expected: str) -> str:
    """One of a set of codes, French synonyms accepted."""
    from relance.imports.values import normalize_header

    key = normalize_header(text)
    if key not in choices:
        raise BadValue(expected)
    return choices[key]
