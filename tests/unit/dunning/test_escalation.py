"""Escalation after an unanswered formal notice: which options, in which order, and why."""

from __future__ import annotations

from decimal import Decimal

import pytest

from relance.dunning.escalation import (
    ESCALATION_CODES,
    SMALL_CLAIMS_CAP,
    EscalationOption,
    recommend_escalation,
)


def codes(amount: str, kind: str, **kw) -> list[str]:
    return [o.code for o in recommend_escalation(Decimal(amount), kind, **kw)]


def option(amount: str, kind: str, code: str, **kw) -> EscalationOption:
    options = recommend_escalation(Decimal(amount), kind, **kw)
    return next(o for o in options if o.code == code)


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


def test_the_small_claims_cap_is_five_thousand_euros():
    assert Decimal("5000.00") == SMALL_CLAIMS_CAP


@pytest.mark.parametrize("kind", ["b2b", "b2c"])
def test_a_claim_of_exactly_5000_euros_can_use_the_small_claims_procedure(kind):
    assert codes("5000.00", kind) == ["small_claims", "payment_order", "collection_agency"]


@pytest.mark.parametrize("kind", ["b2b", "b2c"])
def test_a_claim_of_5000_euros_and_one_cent_cannot_and_gets_a_lawyer_instead(kind):
    assert codes("5000.01", kind) == ["payment_order", "collection_agency", "lawyer"]


def test_the_small_claims_option_names_the_commissaire_de_justice_the_cap_and_its_source():
    o = option("5000.00", "b2b", "small_claims")
    assert o.label == "Procédure simplifiée de recouvrement des petites créances"
    assert "commissaire de justice" in o.why
    assert plain(o.why).startswith("5 000,00 € ne dépasse pas 5 000,00 € (principal et intérêts)")
    assert "L125-1" in o.source and "R125-1" in o.source and "5 000 €" in o.source


def test_an_undisputed_claim_gets_an_injonction_de_payer_before_the_law_courts_of_its_kind():
    b2b = option("1200", "b2b", "payment_order")
    b2c = option("1200", "b2c", "payment_order")
    assert b2b.label == "Demander une injonction de payer"
    assert "tribunal de commerce" in b2b.why and "tribunal judiciaire" in b2c.why
    assert "n'est pas contestée" in b2b.why
    assert "art. 1405" in b2b.source


@pytest.mark.parametrize("how", [{"disputed": True}, {"late_cause": "dispute"}])
def test_a_disputed_claim_goes_to_a_lawyer_not_to_an_injonction_de_payer(how):
    for kind in ("b2b", "b2c"):
        found = codes("1200", kind, **how)
        assert "payment_order" not in found and "small_claims" not in found
        assert found[-1] == "lawyer"
    assert "contestée" in option("1200", "b2c", "lawyer", **how).why


def test_a_disputed_claim_between_professionals_is_taken_to_the_business_mediator_first():
    assert codes("3000", "b2b", disputed=True) == ["business_mediator", "lawyer"]
    assert codes("3000", "b2c", disputed=True) == ["lawyer"]


def test_a_large_undisputed_claim_gets_a_lawyer_last():
    o = option("25000", "b2b", "lawyer")
    assert plain(o.why).startswith("Montant élevé (25 000,00 €, au-delà de 5 000,00 €)")
    assert codes("25000", "b2b")[-1] == "lawyer"


def test_a_public_sector_client_goes_to_the_business_mediator_first():
    for amount in ("800", "5000.01", "80000"):
        found = codes(amount, "public")
        assert found[0] == "business_mediator"
    o = option("800", "public", "business_mediator")
    assert o.label == "Saisir le Médiateur des entreprises"
    assert "secteur public" in o.why and "gratuit" in o.why
    assert "Médiateur des entreprises" in o.source


def test_financial_difficulty_gets_a_payment_plan_before_any_escalation():
    for kind in ("b2b", "b2c", "public"):
        found = codes("1200", kind, late_cause="financial_difficulty")
        assert found[0] == "payment_plan"
        assert found.count("payment_plan") == 1
    assert codes("1200", "public", late_cause="financial_difficulty")[:2] == \
        ["payment_plan", "business_mediator"]
    o = option("1200", "b2c", "payment_plan", late_cause="financial_difficulty")
    assert o.label == "Proposer un échéancier" and "avant toute procédure" in o.why


def test_no_payment_plan_for_other_causes_nor_for_a_disputed_claim():
    for cause in (None, "forgetting", "internal_process", "bad_faith", "unknown"):
        assert "payment_plan" not in codes("1200", "b2b", late_cause=cause)
    assert "payment_plan" not in codes("1200", "b2b", disputed=True,
                                       late_cause="financial_difficulty")


def test_a_collection_agency_never_charges_its_fees_to_a_consumer():
    b2c = option("1200", "b2c", "collection_agency")
    assert "aucun frais de recouvrement ne peut être réclamé au particulier" in b2c.why
    assert "40 €" not in b2c.why
    assert "L111-8" in b2c.source
    b2b = option("1200", "b2b", "collection_agency")
    assert "40 €" in b2b.why and "à votre charge" in b2b.why
    assert "amiable" in b2b.label


def test_every_option_has_a_known_code_and_a_french_label_reason_and_source():
    seen = set()
    for kind in ("b2b", "b2c", "public"):
        for amount in ("10", "5000", "5000.01", "90000"):
            for kw in ({}, {"disputed": True}, {"late_cause": "financial_difficulty"}):
                for o in recommend_escalation(Decimal(amount), kind, **kw):
                    assert o.code in ESCALATION_CODES
                    assert o.label and o.why.endswith(".") and o.source
                    seen.add(o.code)
    assert seen == set(ESCALATION_CODES)


def test_nothing_is_recommended_for_nothing_owed():
    assert recommend_escalation(Decimal("0.00"), "b2b") == []


@pytest.mark.parametrize(("args", "said"), [
    ((Decimal("-1"), "b2b"), "Montant négatif"),
    ((Decimal("100"), "pro"), "Type de client « pro » inconnu"),
])
def test_bad_input_is_refused_in_french(args, said):
    with pytest.raises(ValueError, match=said):
        recommend_escalation(*args)


def test_an_unknown_late_cause_is_refused_in_french():
    with pytest.raises(ValueError, match="Cause de retard « paresse » inconnue"):
        recommend_escalation(Decimal("100"), "b2b", late_cause="paresse")
