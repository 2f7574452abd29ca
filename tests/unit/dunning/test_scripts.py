"""Phone scripts: French amounts and dates, content by tone, lawful and never threatening."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from relance.dunning.scripts import call_script

INVOICES = [("F2026-001", date(2026, 3, 16), Decimal("1200.00")),
            ("F2026-002", date(2026, 4, 1), Decimal("300.50"))]


def script(tone: str, kind: str | None = "b2b", penalties: str | None = "18.27",
           contact: str | None = "Mme Roux", invoices=INVOICES) -> str:
    total = sum((amount for _, _, amount in invoices), Decimal("0.00"))
    text = call_script(tone=tone, client_name="Garage Martin SARL", contact_name=contact,
                       invoices=invoices, total_open=total,
                       penalties=Decimal(penalties) if penalties else None,
                       creditor_name="Atelier Durand", step_label="Appel de relance",
                       kind=kind)
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.mark.parametrize("tone", ["courteous", "firm", "formal"])
def test_every_script_lists_the_invoices_with_french_dates_and_amounts(tone):
    text = script(tone)
    assert "- F2026-001, échue le 16 mars 2026 : 1 200,00 €" in text
    assert "- F2026-002, échue le 1er avril 2026 : 300,50 €" in text
    assert "Total restant dû : 1 500,50 €" in text
    assert "1200.00" not in text and "1500.50" not in text


@pytest.mark.parametrize("tone", ["courteous", "firm", "formal"])
def test_every_script_asks_the_cause_the_promised_date_and_the_amount(tone):
    text = script(tone)
    assert "« Qu'est-ce qui explique ce retard ? »" in text
    assert "« À quelle date le règlement sera-t-il effectué ? »" in text
    assert "« Pour quel montant : la totalité (1 500,50 €) ou une partie ? »" in text


def test_the_heading_names_the_step_and_the_tone_in_french():
    assert script("courteous").splitlines()[0] == \
        "Script d'appel : Appel de relance (ton courtois)"
    assert script("firm").splitlines()[0].endswith("(ton ferme)")
    assert script("formal").splitlines()[0].endswith("(ton formel)")


def test_a_courteous_script_checks_receipt_blames_no_one_and_asks_for_a_date():
    text = script("courteous")
    assert "Avez-vous bien reçu nos factures ?" in text
    assert "simple oubli" in text
    assert "« À quelle date pensez-vous pouvoir procéder au règlement ? »" in text
    assert "mise en demeure" not in text
    assert "40,00 €" not in text and "pénalités de retard courent" not in text


def test_a_firm_script_recalls_earlier_reminders_and_wants_a_firm_date_and_amount():
    text = script("firm")
    assert "Nous vous avons déjà adressé des rappels" in text
    assert "date de règlement ferme et du montant" in text
    assert "Pénalités de retard à ce jour : 18,27 €" in text
    assert "des pénalités de retard courent depuis l'échéance : 18,27 € à ce jour" in text


def test_a_firm_script_for_a_professional_adds_40_euros_per_invoice():
    text = script("firm")
    assert ("indemnité forfaitaire pour frais de recouvrement de 40,00 € par facture, "
            "soit 80,00 €") in text
    one = script("firm", invoices=INVOICES[:1])
    assert "40,00 € par facture. »" in one and "soit" not in one


def test_a_public_sector_client_owes_moratory_interest_and_the_40_euros_too():
    text = script("firm", kind="public")
    assert "Intérêts moratoires à ce jour : 18,27 €" in text
    assert "40,00 € par facture" in text


@pytest.mark.parametrize("tone", ["courteous", "firm", "formal"])
def test_a_consumer_is_never_asked_for_the_40_euros(tone):
    text = script(tone, kind="b2c")
    assert "40,00" not in text and "40 €" not in text
    assert "indemnité forfaitaire" not in text
    assert "Pénalités de retard" not in text


def test_without_the_client_kind_the_40_euros_are_not_mentioned():
    text = script("firm", kind=None)
    assert "40,00" not in text and "indemnité forfaitaire" not in text
    assert "Intérêts de retard à ce jour : 18,27 €" in text


def test_a_formal_script_announces_the_formal_notice_as_the_next_legal_step():
    text = script("formal")
    assert ("nous vous adresserons une mise en demeure par lettre recommandée avec accusé de "
            "réception") in text
    assert "par exemple une injonction de payer" in text
    assert "La mise en demeure réclamera les pénalités de retard et l'indemnité forfaitaire" in text
    assert "annoncez seulement l'étape légale suivante, sans menace ni pression" in text


def test_a_formal_script_for_a_consumer_announces_legal_interest_from_the_notice():
    text = script("formal", kind="b2c", penalties=None)
    assert "À compter de la mise en demeure, la somme due portera intérêts au taux légal." in text
    assert "réclamera les" not in text


@pytest.mark.parametrize("tone", ["courteous", "firm", "formal"])
@pytest.mark.parametrize("kind", ["b2b", "b2c", "public", None])
def test_no_script_threatens_beyond_the_lawful_next_step(tone, kind):
    text = script(tone, kind=kind).lower()
    for word in ("saisie", "huissier", "police", "prison", "plainte", "dernier avis",
                 "mauvais payeur", "vos proches", "votre employeur"):
        assert word not in text
    assert "ne contactez jamais ses proches, ses voisins ou son employeur" in text


def test_the_debt_is_never_disclosed_to_a_third_party_or_a_voicemail():
    text = script("courteous")
    assert "Vérifiez que vous parlez à la bonne personne avant d'évoquer les factures" in text
    assert "sans parler des sommes dues" in text


def test_without_a_contact_name_the_caller_asks_for_the_person_in_charge():
    text = script("courteous", contact=None)
    assert ("« Bonjour, pourrais-je parler à la personne chargée du règlement des factures de "
            "Garage Martin SARL ?") in text
    assert "interlocuteur" not in text.splitlines()[1]


def test_no_penalty_line_when_there_are_no_penalties():
    assert "à ce jour :" not in script("firm", penalties=None)


@pytest.mark.parametrize(("kw", "said"), [({"tone": "rude"}, "Ton « rude » inconnu"),
                                          ({"kind": "pro"}, "Type de client « pro » inconnu")])
def test_an_unknown_tone_or_kind_is_refused_in_french(kw, said):
    args = {"tone": "firm", "client_name": "X", "contact_name": None, "invoices": INVOICES,
            "total_open": Decimal("1"), "penalties": None, "creditor_name": "Y",
            "step_label": "Z", **kw}
    with pytest.raises(ValueError, match=said):
        call_script(**args)
