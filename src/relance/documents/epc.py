"""EPC QR codes ("girocode", EPC069-12): the SEPA credit transfer a payer scans to pay.

The payload is version 002, character set 1 (UTF-8), lines separated by LF, and no
separator after the last filled field. A creditor reference (ISO 11649, `RF..`) goes in
the structured remittance field; any other reference goes in the unstructured one. The
optional `text` goes in the "beneficiary to originator" field shown to the payer.

>>> from decimal import Decimal
>>> payload = epc_payload(name="Atelier Dupont SARL", iban="FR76 3000 6000 0112 3456 7890 189",
...                       bic="AGRIFRPP", amount=Decimal("1234.56"), reference="F2026-0042")
>>> print(payload)
BCD
002
1
SCT
AGRIFRPP
Atelier Dupont SARL
FR7630006000011234567890189
EUR1234.56
<BLANKLINE>
<BLANKLINE>
F2026-0042
>>> parse_epc(payload)["amount"]
Decimal('1234.56')
>>> epc_payload(name="X", iban="FR76 0000", bic="", amount=Decimal("1"), reference="F1")
Traceback (most recent call last):
...
relance.documents.epc.InvalidIbanError: IBAN invalide : FR76 0000.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import segno
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum import iso11649
from stdnum.exceptions import ValidationError as StdnumValidationError

from relance.domain.errors import RelanceError

SERVICE_TAG = "BCD"
VERSION = "002"
CHARSET_UTF8 = "1"
IDENTIFICATION = "SCT"
MIN_AMOUNT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999.99")
MAX_NAME = 70
MAX_STRUCTURED = 35
MAX_UNSTRUCTURED = 140
MAX_INFORMATION = 70
MAX_PAYLOAD_BYTES = 331
MAX_QR_VERSION = 13
QUIET_ZONE = 4
# Readers decode any of the eight masks; letting segno score all eight (pure Python)
# costs ~5 ms per code, half the time of a one-page letter.
QR_MASK = 0
_AMOUNT = re.compile(r"EUR(\d{1,9})(?:\.(\d{1,2}))?")
_PURPOSE = re.compile(r"[A-Z0-9]{4}")


class EpcError(RelanceError, ValueError):
    """The data of a SEPA transfer QR code is not valid."""

    default_message = "Données du QR code de virement (EPC) invalides."


class InvalidIbanError(EpcError):
    """The IBAN is not valid (length, country format or check digits)."""

    default_message = "IBAN invalide."


class InvalidBicError(EpcError):
    """The BIC is not valid."""

    default_message = "BIC invalide."


class InvalidAmountError(EpcError):
    """The amount is outside 0,01 € to 999 999 999,99 € or has more than two decimals."""

    default_message = (
        "Montant invalide : un virement SEPA par QR code va de 0,01 € à 999 999 999,99 €, "
        "au centime près."
    )


class InvalidNameError(EpcError):
    """The beneficiary name is empty or longer than 70 characters."""

    default_message = "Nom du bénéficiaire invalide : 1 à 70 caractères."


class InvalidReferenceError(EpcError):
    """The payment reference is missing or too long."""

    default_message = "Référence de paiement invalide."


class InvalidTextError(EpcError):
    """The text for the payer is longer than 70 characters."""

    default_message = "Message au payeur trop long : 70 caractères au plus."


class PayloadTooLongError(EpcError):
    """The payload exceeds the 331 bytes allowed by EPC069-12."""

    default_message = "Données trop longues pour un QR code EPC : 331 octets au plus."


class MalformedPayloadError(EpcError):
    """A payload read back does not follow EPC069-12."""

    default_message = "Contenu de QR code EPC non conforme."


def epc_payload(
    *, name: str, iban: str, bic: str, amount: Decimal, reference: str, text: str = ""
) -> str:
    """The EPC069-12 version 002 payload of a SEPA credit transfer in euros."""
    name = _single_line(name.strip())
    if not 1 <= len(name) <= MAX_NAME:
        raise InvalidNameError(
            f"Nom du bénéficiaire invalide : 1 à {MAX_NAME} caractères (reçu {len(name)})."
        )
    account = _valid_iban(iban)
    bank = _valid_bic(bic)
    structured, unstructured = _remittance(reference)
    text = _single_line(text.strip())
    if len(text) > MAX_INFORMATION:
        raise InvalidTextError(
            f"Message au payeur trop long : {MAX_INFORMATION} caractères au plus "
            f"(reçu {len(text)})."
        )
    fields = [
        SERVICE_TAG,
        VERSION,
        CHARSET_UTF8,
        IDENTIFICATION,
        bank,
        name,
        account,
        f"EUR{_valid_amount(amount)}",
        "",
        structured,
        unstructured,
        text,
    ]
    while not fields[-1]:
        fields.pop()
    payload = "\n".join(fields)
    size = len(payload.encode("utf-8"))
    if size > MAX_PAYLOAD_BYTES:
        raise PayloadTooLongError(
            f"Données trop longues pour un QR code EPC : {size} octets, "
            f"{MAX_PAYLOAD_BYTES} octets au plus."
        )
    return payload


@lru_cache(maxsize=256)
def epc_qr(payload: str) -> segno.QRCode:
    """The QR code of a payload: byte mode UTF-8, error level M, version 13 at most."""
    qr = segno.make_qr(payload, error="m", boost_error=False, encoding="utf-8", mask=QR_MASK)
    if int(qr.version) > MAX_QR_VERSION:
        raise PayloadTooLongError(
            f"QR code EPC trop dense : version {qr.version}, {MAX_QR_VERSION} au plus."
        )
    return qr


def epc_qr_png(payload: str, scale: int = 4) -> bytes:
    """The QR code of a payload as a PNG, with the quiet zone of four modules."""
    out = io.BytesIO()
    epc_qr(payload).save(out, kind="png", scale=scale, border=QUIET_ZONE)
    return out.getvalue()


def parse_epc(payload: str) -> dict[str, str | Decimal | None]:
    """Read an EPC069-12 payload back, checking each field against the specification."""
    if len(payload.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise MalformedPayloadError("Contenu EPC trop long : 331 octets au plus.")
    if payload.endswith(("\n", "\r")):
        raise MalformedPayloadError("Contenu EPC non conforme : séparateur après le dernier champ.")
    lines = payload.replace("\r\n", "\n").split("\n")
    if not 7 <= len(lines) <= 12:
        raise MalformedPayloadError(
            f"Contenu EPC non conforme : 7 à 12 lignes attendues, {len(lines)} reçues."
        )
    lines += [""] * (12 - len(lines))
    service, version, charset, ident, bank, name, account, amount, purpose = lines[:9]
    structured, unstructured, information = lines[9:]
    _expect(service == SERVICE_TAG, "étiquette de service BCD attendue")
    _expect(version in ("001", "002"), "version 001 ou 002 attendue")
    _expect(charset in tuple("12345678"), "jeu de caractères 1 à 8 attendu")
    _expect(ident == IDENTIFICATION, "identification SCT attendue")
    _expect(bool(bank) or version == "002", "BIC obligatoire en version 001")
    if bank:
        _valid_bic(bank)
    _expect(1 <= len(name) <= MAX_NAME, "nom du bénéficiaire de 1 à 70 caractères attendu")
    _expect(_valid_iban(account) == account, "IBAN sans espaces attendu")
    _expect(not purpose or bool(_PURPOSE.fullmatch(purpose)), "code motif de 4 caractères")
    _expect(not (structured and unstructured), "référence structurée et libre à la fois")
    _expect(len(structured) <= MAX_STRUCTURED, "référence structurée de 35 caractères au plus")
    _expect(len(unstructured) <= MAX_UNSTRUCTURED, "libellé de 140 caractères au plus")
    _expect(len(information) <= MAX_INFORMATION, "message au payeur de 70 caractères au plus")
    return {
        "service": service,
        "version": version,
        "charset": charset,
        "identification": ident,
        "bic": bank or None,
        "name": name,
        "iban": account,
        "amount": _parse_amount(amount) if amount else None,
        "purpose": purpose or None,
        "reference": structured or None,
        "remittance": unstructured or None,
        "information": information or None,
    }


def _single_line(value: str) -> str:
    """Line breaks would shift every following field: fold them into spaces."""
    return " ".join(value.splitlines())


def _valid_iban(value: str) -> str:
    """The compact IBAN (`FR76…`), or InvalidIbanError."""
    try:
        return str(stdnum_iban.validate(value))
    except StdnumValidationError as error:
        raise InvalidIbanError(f"IBAN invalide : {value}.") from error


def _valid_bic(value: str) -> str:
    """The compact BIC, empty when not given (optional in version 002), or InvalidBicError."""
    if not value or not value.strip():
        return ""
    try:
        return str(stdnum_bic.validate(value))
    except StdnumValidationError as error:
        raise InvalidBicError(f"BIC invalide : {value}.") from error


def _valid_amount(amount: Decimal) -> str:
    """`1234.56` for a Decimal between 0.01 and 999999999.99 with at most two decimals."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise InvalidAmountError()
    try:
        cents = amount.quantize(MIN_AMOUNT)
    except InvalidOperation as error:
        raise InvalidAmountError() from error
    if cents != amount or not MIN_AMOUNT <= cents <= MAX_AMOUNT:
        raise InvalidAmountError()
    return f"{cents:f}"


def _remittance(reference: str) -> tuple[str, str]:
    """(structured, unstructured): an ISO 11649 reference is structured, anything else is not."""
    reference = _single_line(reference.strip())
    if not reference:
        raise InvalidReferenceError("Référence de paiement manquante.")
    if iso11649.is_valid(reference):
        return str(iso11649.compact(reference)), ""
    if len(reference) > MAX_UNSTRUCTURED:
        raise InvalidReferenceError(
            f"Référence de paiement trop longue : {MAX_UNSTRUCTURED} caractères au plus "
            f"(reçu {len(reference)})."
        )
    return "", reference


def _parse_amount(value: str) -> Decimal:
    """`EUR12.3` → Decimal('12.30'), within the EPC range."""
    match = _AMOUNT.fullmatch(value)
    _expect(match is not None, f"montant au format EUR123.45 attendu, reçu {value!r}")
    amount = Decimal(value[3:]).quantize(MIN_AMOUNT)
    _expect(MIN_AMOUNT <= amount <= MAX_AMOUNT, "montant de 0,01 à 999 999 999,99 attendu")
    return amount


def _expect(condition: bool, what: str) -> None:
    """Raise MalformedPayloadError naming the rule broken."""
    if not condition:
        raise MalformedPayloadError(f"Contenu EPC non conforme : {what}.")
