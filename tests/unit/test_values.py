"""Reading amounts, dates and headers as French and international exports write them."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relance.domain.errors import ValidationError
from relance.domain.money import amount_text, cents_text
from relance.i18n import format_date, format_money
from relance.imports.validate import company_identifiers
from relance.imports.values import BadValue, normalize_header, parse_amount, parse_date


@pytest.mark.parametrize(("text", "expected"), [
    ("1234.56", "1234.56"), ("1 234,56", "1234.56"), ("1\u202f234,56 €", "1234.56"),
    ("1.234,56", "1234.56"), ("1,234.56", "1234.56"), ("12", "12.00"), ("0,5", "0.50"),
    ("-40,00", "-40.00"), ("1.234.567", "1234567.00"), ("EUR 99,90", "99.90"),
])
def test_amounts_are_read_in_french_and_international_notation(text, expected):
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "abc", "12,3,4", "1.2.3", "12.345", "1,005", "NaN"])
def test_unreadable_amounts_say_what_was_expected(text):
    with pytest.raises(BadValue) as info:
        parse_amount(text)
    assert "montant" in info.value.expected


def test_spreadsheet_floats_become_the_decimal_the_user_typed():
    assert parse_amount(0.1 + 0.2 - 0.3 + 1234.56) == Decimal("1234.56")
    assert parse_amount(19.99) == Decimal("19.99")


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-23", date(2026, 11, 23)), ("23/11/2026", date(2026, 11, 23)),
    ("23.11.2026", date(2026, 11, 23)), ("3/1/26", date(2026, 1, 3)),
    ("20261123", date(2026, 11, 23)), (datetime(2026, 11, 23, 0, 0), date(2026, 11, 23)),
])
def test_dates_are_read_in_french_and_iso_forms(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["31/02/2026", "2026-13-01", "demain", "11/23/2026", ""])
def test_impossible_dates_are_refused(text):
    with pytest.raises(BadValue):
        parse_date(text)


def test_headers_are_compared_without_case_accents_or_punctuation():
    assert normalize_header("  Date d'échéance ") == "date_d_echeance"
    assert normalize_header("Montant TTC (€)") == "montant_ttc"


@given(st.integers(min_value=0, max_value=10**11))
def test_amounts_printed_in_french_read_back_identically(cents):
    amount = Decimal(cents).scaleb(-2)
    assert parse_amount(format_money(amount)) == amount


def test_users_read_french_formats():
    assert format_money(Decimal("1234.56")).replace("\u202f", " ").replace("\xa0", " ") == (
        "1 234,56 €")
    assert format_date(date(2026, 11, 23)) == "23 novembre 2026"


@given(st.decimals(min_value=-10**12, max_value=10**12, allow_nan=False, allow_infinity=False,
                   places=4))
def test_the_fast_french_euro_format_is_exactly_babels(amount):
    from babel.numbers import format_currency

    from relance.i18n import format_money

    assert format_money(amount) == format_currency(amount, "EUR", locale="fr_FR")


@given(st.integers(min_value=-10**15, max_value=10**15))
def test_cents_text_writes_what_amount_text_writes_of_the_same_amount(cents):
    """Reports write integer cents as text directly; it must read exactly as the Decimal."""
    assert cents_text(cents) == amount_text(Decimal(cents).scaleb(-2))
    assert Decimal(cents_text(cents)) * 100 == cents


CLI_LABELS = {"siren": "--siren", "siret": "--siret", "vat_number": "--vat", "iban": "--iban",
              "bic": "--bic"}


def test_company_identifiers_are_checked_compacted_and_the_siren_taken_from_the_siret():
    checked = company_identifiers(
        {"siren": "", "siret": "732 829 320 00074", "vat_number": "",
         "iban": "FR76 3000 6000 0112 3456 7890 189", "bic": "agrifrpp", "city": "Lyon"},
        CLI_LABELS)
    assert checked == {"siren": "732829320", "siret": "73282932000074", "vat_number": "",
                       "iban": "FR7630006000011234567890189", "bic": "AGRIFRPP",
                       "city": "Lyon"}


@pytest.mark.parametrize(("values", "message"), [
    ({"bic": "AGRI"}, "--bic « AGRI » : attendu un BIC de 8 ou 11 caractères"),
    ({"siren": "732829321"}, "--siren « 732829321 » : attendu un SIREN valide"),
    ({"siren": "443061841", "siret": "73282932000074"}, "Le SIRET doit commencer par le SIREN."),
])
def test_a_wrong_company_identifier_is_refused_by_its_label(values, message):
    with pytest.raises(ValidationError) as refused:
        company_identifiers(values, CLI_LABELS)
    assert message in str(refused.value)
