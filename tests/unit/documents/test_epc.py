"""EPC069-12 payloads ("girocode") and their QR codes, checked against the specification."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
import segno
from PIL import Image

from relance.documents.epc import (
    EpcError,
    InvalidAmountError,
    InvalidBicError,
    InvalidIbanError,
    InvalidNameError,
    InvalidReferenceError,
    InvalidTextError,
    MalformedPayloadError,
    PayloadTooLongError,
    epc_payload,
    epc_qr_png,
    parse_epc,
)
from relance.domain.errors import RelanceError

IBAN = "FR76 3000 6000 0112 3456 7890 189"
COMPACT_IBAN = "FR7630006000011234567890189"
RF_REFERENCE = "RF18 5390 0754 7034"


def payload(**changes: object) -> str:
    fields: dict[str, object] = {
        "name": "Atelier Dupont SARL",
        "iban": IBAN,
        "bic": "AGRIFRPPXXX",
        "amount": Decimal("1234.56"),
        "reference": "F2026-0042",
    }
    fields.update(changes)
    return epc_payload(**fields)  # type: ignore[arg-type]


def qr_modules(picture: Image.Image | bytes, scale: int = 4) -> list[list[bool]]:
    """Dark modules of a QR code image (`scale` pixels a module, quiet zone of 4 modules)."""
    if isinstance(picture, bytes):
        picture = Image.open(io.BytesIO(picture))
    image = picture.convert("L")
    size = image.size[0] // scale - 8

    def dark(row: int, col: int) -> bool:
        pixel = image.getpixel(((col + 4) * scale + scale // 2, (row + 4) * scale + scale // 2))
        assert isinstance(pixel, int)
        return pixel < 128

    return [[dark(row, col) for col in range(size)] for row in range(size)]


def format_information(modules: list[list[bool]]) -> tuple[str, int]:
    """(error correction level, mask) read from the format bits next to the top-left finder."""
    cells = [(8, col) for col in range(6)] + [(8, 7), (8, 8), (7, 8)]
    cells += [(row, 8) for row in range(5, -1, -1)]
    bits = 0
    for row, col in cells:
        bits = (bits << 1) | modules[row][col]
    data = (bits ^ 0b101010000010010) >> 10
    return {0b01: "L", 0b00: "M", 0b11: "Q", 0b10: "H"}[data >> 3], data & 0b111


def assert_encodes(modules: list[list[bool]], text: str) -> None:
    """The modules are the QR code of `text` in UTF-8 at level M, version 13 at most."""
    level, mask = format_information(modules)
    assert level == "M"
    assert (len(modules) - 17) // 4 <= 13
    expected = segno.make_qr(text, error="m", boost_error=False, encoding="utf-8", mask=mask)
    assert modules == [[bool(cell) for cell in row] for row in expected.matrix]


def test_a_payload_has_the_epc_sct_fields_in_order_without_a_trailing_separator() -> None:
    assert payload(text="Relance F2026-0042").split("\n") == [
        "BCD",
        "002",
        "1",
        "SCT",
        "AGRIFRPPXXX",
        "Atelier Dupont SARL",
        COMPACT_IBAN,
        "EUR1234.56",
        "",
        "",
        "F2026-0042",
        "Relance F2026-0042",
    ]
    assert not payload().endswith("\n")
    assert payload().split("\n")[-1] == "F2026-0042"


def test_the_payload_round_trips_through_the_parser_with_exact_values() -> None:
    parsed = parse_epc(payload(amount=Decimal("0.10"), text="Merci"))

    assert parsed["amount"] == Decimal("0.10")
    assert parsed["iban"] == COMPACT_IBAN
    assert parsed["bic"] == "AGRIFRPPXXX"
    assert parsed["remittance"] == "F2026-0042"
    assert parsed["reference"] is None
    assert parsed["name"] == "Atelier Dupont SARL"
    assert parsed["information"] == "Merci"
    assert (parsed["service"], parsed["version"], parsed["charset"]) == ("BCD", "002", "1")


def test_an_iso_11649_creditor_reference_goes_in_the_structured_field() -> None:
    lines = payload(reference=RF_REFERENCE).split("\n")

    assert lines[9:] == ["RF18539007547034"]
    assert parse_epc("\n".join(lines))["reference"] == "RF18539007547034"


def test_amounts_are_written_with_a_point_and_two_decimals() -> None:
    assert payload(amount=Decimal("40")).split("\n")[7] == "EUR40.00"
    assert payload(amount=Decimal("0.01")).split("\n")[7] == "EUR0.01"
    assert payload(amount=Decimal("999999999.99")).split("\n")[7] == "EUR999999999.99"


@pytest.mark.parametrize(
    "amount", [Decimal("0"), Decimal("-5.00"), Decimal("1000000000.00"), Decimal("12.345")]
)
def test_an_amount_outside_the_epc_range_or_below_the_cent_is_refused_in_french(
    amount: Decimal,
) -> None:
    with pytest.raises(InvalidAmountError, match="Montant invalide"):
        payload(amount=amount)


def test_a_float_amount_is_refused() -> None:
    with pytest.raises(InvalidAmountError):
        payload(amount=12.5)


def test_an_iban_with_a_wrong_check_digit_is_refused_in_french() -> None:
    with pytest.raises(InvalidIbanError, match="IBAN invalide : FR76 3000 6000 0112 3456 7890 188"):
        payload(iban="FR76 3000 6000 0112 3456 7890 188")


def test_a_beneficiary_name_longer_than_70_characters_is_refused_in_french() -> None:
    assert parse_epc(payload(name="N" * 70))["name"] == "N" * 70
    with pytest.raises(InvalidNameError, match=r"70 caractères .*reçu 71"):
        payload(name="N" * 71)


def test_an_empty_beneficiary_name_is_refused() -> None:
    with pytest.raises(InvalidNameError):
        payload(name="  ")


def test_the_bic_is_optional_in_version_002_but_checked_when_given() -> None:
    assert payload(bic="").split("\n")[4] == ""
    with pytest.raises(InvalidBicError, match="BIC invalide"):
        payload(bic="AGRI")


def test_a_missing_or_too_long_reference_is_refused() -> None:
    with pytest.raises(InvalidReferenceError, match="manquante"):
        payload(reference=" ")
    with pytest.raises(InvalidReferenceError, match="140 caractères"):
        payload(reference="R" * 141)


def test_a_message_to_the_payer_longer_than_70_characters_is_refused() -> None:
    with pytest.raises(InvalidTextError):
        payload(text="x" * 71)


def test_line_breaks_inside_a_field_cannot_shift_the_following_fields() -> None:
    parsed = parse_epc(payload(name="Atelier\nDupont", reference="F1\r\nF2"))

    assert parsed["name"] == "Atelier Dupont"
    assert parsed["iban"] == COMPACT_IBAN
    assert parsed["remittance"] == "F1 F2"


def test_a_payload_over_331_bytes_in_utf_8_is_refused() -> None:
    with pytest.raises(PayloadTooLongError, match="331 octets"):
        payload(name="€" * 70, reference="é" * 140)


def test_epc_errors_are_value_errors_and_relance_errors_with_french_messages() -> None:
    with pytest.raises(EpcError) as caught:
        payload(iban="XX00")

    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, RelanceError)
    assert caught.value.message.startswith("IBAN invalide")


@pytest.mark.parametrize(
    ("broken", "why"),
    [
        ("XCD\n002\n1\nSCT\n\nA\nFR7630006000011234567890189\nEUR1.00", "BCD"),
        ("BCD\n001\n1\nSCT\n\nA\nFR7630006000011234567890189\nEUR1.00", "BIC obligatoire"),
        ("BCD\n002\n1\nSCT\n\nA\nFR7630006000011234567890189\nEUR1,00", "EUR123.45"),
        ("BCD\n002\n1\nSCT\n\nA\nFR7630006000011234567890189\nEUR1.00\n", "séparateur"),
        (
            "BCD\n002\n1\nSCT\n\nA\nFR7630006000011234567890189\nEUR1.00\n\nRF18539007547034\nF1",
            "structurée et libre",
        ),
    ],
)
def test_the_parser_rejects_payloads_that_break_the_specification(broken: str, why: str) -> None:
    with pytest.raises(MalformedPayloadError, match=why):
        parse_epc(broken)


def test_the_qr_code_encodes_the_payload_at_error_level_m_within_version_13() -> None:
    text = payload(name="Société Générale Éclair", reference=RF_REFERENCE, text="Relance")

    assert_encodes(qr_modules(epc_qr_png(text)), text)


def test_the_format_reader_used_above_tells_levels_and_masks_apart() -> None:
    for level, mask in (("L", 3), ("M", 0), ("M", 5), ("Q", 7), ("H", 1)):
        qr = segno.make_qr("BCD", error=level, boost_error=False, mask=mask)
        out = io.BytesIO()
        qr.save(out, kind="png", scale=3, border=4)
        assert format_information(qr_modules(out.getvalue(), scale=3)) == (level, mask)
