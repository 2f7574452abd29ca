"""Payment-terms clause: the mentions that make penalties enforceable, B2B, B2C and public."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relance.law import clause
from relance.law.clause import terms_clause
from relance.law.errors import InvalidInputError, TermsError
from relance.law.rules import load_rules
from relance.law.terms import parse_terms


def test_a_b2b_clause_has_every_mention_l441_10_requires():
    text = terms_clause(kind="b2b", terms="30 jours")
    assert text.startswith("Les factures sont payables à 30 jours à compter de la date "
                           "d'émission de la facture.")
    assert "Aucun escompte n'est accordé pour paiement anticipé." in text
    assert "le jour suivant la date de règlement figurant sur la facture" in text
    assert "sans qu'un rappel soit nécessaire" in text
    assert "majoré de 10 points de pourcentage" in text
    assert "1er janvier pour le premier semestre et au 1er juillet pour le second" in text
    assert "toutes taxes comprises" in text and "au prorata du nombre de jours" in text


def test_a_b2b_clause_writes_the_40_euro_indemnity_as_an_amount_not_just_a_reference():
    text = terms_clause(kind="b2b")
    assert "indemnité forfaitaire pour frais de recouvrement de 40 € " in text
    assert "D441-5" in text and "L441-10" in text
    assert "indemnisation complémentaire peut être demandée sur justification" in text
    assert "40,00" not in text


@pytest.mark.parametrize(("rate", "written"), [("12.5", "12,5 %"), ("15,21", "15,21 %"),
                                               (Decimal("20"), "20 %"), ("1e1", "10 %")])
def test_a_contractual_rate_is_written_the_french_way_with_the_legal_floor(rate, written):
    text = terms_clause(kind="b2b", contractual_rate=rate)
    assert f"au taux annuel de {written}, sans pouvoir être inférieur à trois fois le taux " \
           "de l'intérêt légal" in text
    assert "Banque centrale européenne" not in text


@pytest.mark.parametrize("rate", ["0", "-5", "0,00"])
def test_a_zero_or_negative_contractual_rate_is_refused(rate):
    with pytest.raises(InvalidInputError, match="doit être positif"):
        terms_clause(kind="b2b", contractual_rate=rate)


def test_a_float_rate_is_refused_so_no_binary_rounding_reaches_the_clause():
    with pytest.raises(InvalidInputError, match="nombre décimal exact"):
        terms_clause(kind="b2b", contractual_rate=12.5)  # type: ignore[arg-type]


def test_the_default_margin_is_written_the_french_way_when_it_has_decimals(monkeypatch):
    rules = load_rules()
    changed = dataclasses.replace(rules, penalties=dataclasses.replace(
        rules.penalties, b2b_margin=Decimal("10.5"), public_margin=Decimal("8.25")))
    monkeypatch.setattr(clause, "load_rules", lambda: changed)
    assert "majoré de 10,5 points" in terms_clause(kind="b2b")
    assert "majoré de 8,25 points" in terms_clause(kind="public")


def test_an_escompte_is_stated_with_its_rate_and_period():
    text = terms_clause(kind="b2b", discount=("1.5", 10))
    assert "Escompte de 1,5 % en cas de paiement sous 10 jours." in text
    assert "Aucun escompte" not in text


@pytest.mark.parametrize("discount", [("0", 10), ("-1", 10), ("2", 0)])
def test_a_meaningless_escompte_is_refused(discount):
    with pytest.raises(InvalidInputError):
        terms_clause(kind="b2b", discount=discount)


def test_a_consumer_clause_has_legal_interest_and_no_professional_penalty_or_indemnity():
    text = terms_clause(kind="b2c", terms="à réception", document="facture")
    assert text.startswith("La présente facture est payable à réception de la facture.")
    assert "intérêt au taux de l'intérêt légal à compter de la mise en demeure" in text
    assert "1231-6" in text and "1344-1" in text
    for forbidden in ("40", "€", "indemnité", "frais de recouvrement", "pénalités",
                      "L441-10", "D441-5", "de plein droit"):
        assert forbidden not in text


def test_a_consumer_clause_ignores_a_b2b_penalty_rate():
    text = terms_clause(kind="b2c", contractual_rate="15")
    assert "15" not in text and "taux de l'intérêt légal" in text


def test_a_public_buyer_clause_has_moratory_interest_at_ecb_plus_8_and_the_indemnity():
    text = terms_clause(kind="public", terms="30 jours", contractual_rate="15")
    assert "intérêts moratoires" in text
    assert "premier jour du semestre au cours duquel les intérêts ont commencé à courir" in text
    assert "majoré de 8 points de pourcentage" in text
    assert "de 40 € (Code de la commande publique, articles R2192-31 et suivants)" in text
    assert "15" not in text  # the buyer's rate is set by regulation


@pytest.mark.parametrize(("document", "subject"), [
    ("cgv", "Les factures sont payables "),
    ("devis", "Les factures émises au titre du présent devis sont payables "),
    ("facture", "La présente facture est payable "),
])
def test_the_opening_sentence_fits_the_document(document, subject):
    assert terms_clause(document=document).startswith(subject)


def test_only_an_invoice_states_its_due_date():
    due = date(2024, 3, 15)
    lines = terms_clause(document="facture", due_date=due).splitlines()
    assert lines[1] == "Date d'échéance : 15/03/2024."
    assert "Date d'échéance" not in terms_clause(document="cgv", due_date=due)


def test_end_of_month_terms_say_which_computation_applies():
    first = terms_clause(terms="45 jours fin de mois")
    second = terms_clause(terms="45 jours fin de mois", eom_method="eom_then_days")
    assert "dernier jour du mois au cours duquel expire un délai de 45 jours" in first
    assert "45 jours après la fin du mois d'émission de la facture" in second


def test_already_parsed_terms_are_used_as_given():
    terms = parse_terms("fin de mois 45 jours")
    assert "45 jours après la fin du mois" in terms_clause(terms=terms)


def test_unreadable_terms_raise_terms_error():
    with pytest.raises(TermsError):
        terms_clause(terms="un jour peut-être")


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"kind": "b2x"}, "Type de client inconnu"),
    ({"document": "bon de commande"}, "Document inconnu"),
])
def test_an_unknown_client_kind_or_document_is_refused_in_french(kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        terms_clause(**kwargs)


@given(rate=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99.99"), places=2))
def test_any_contractual_rate_appears_exactly_with_a_decimal_comma(rate):
    text = terms_clause(kind="b2b", contractual_rate=rate)
    written = re.search(r"au taux annuel de ([0-9,]+) %", text)
    assert written is not None
    assert Decimal(written.group(1).replace(",", ".")) == rate
    assert "." not in written.group(1)


@given(kind=st.sampled_from(["b2b", "b2c", "public"]),
       document=st.sampled_from(["cgv", "devis", "facture"]),
       terms=st.sampled_from(["30 jours", "45 jours fin de mois", "à réception", "comptant"]))
def test_the_40_euro_indemnity_appears_for_professionals_and_never_for_consumers(kind, document,
                                                                                terms):
    text = terms_clause(kind=kind, document=document, terms=terms)
    assert ("40 €" in text) == (kind != "b2c")
    assert text.count("\n") == (1 if kind == "b2c" else 2)
