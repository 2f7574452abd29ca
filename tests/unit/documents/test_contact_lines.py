"""The contact and payment lines of letters and emails leave out what the creditor has not
filled in, instead of printing « IBAN : » or « Votre interlocuteur : , , au  ou … »."""

from __future__ import annotations

from relance.documents.render import environment

FULL = {"signatory_name": "Julie Martin", "signatory_title": "Gérante", "phone": "04 72 00 00 00",
        "email": "compta@acme.fr", "legal_name": "ACME SAS", "iban": "FR7630006000011234567890189",
        "bic": "AGRIFRPP"}
BARE = {**FULL, "signatory_name": "", "signatory_title": "", "phone": "", "iban": "", "bic": ""}


def render(name: str, sender: dict[str, str]) -> str:
    return environment(None).get_template(name).render(sender=sender, payment_reference="R1")


def test_a_complete_creditor_gets_the_full_lines():
    assert render("fr/_contact.txt", FULL) == ("Votre interlocuteur : Julie Martin, Gérante, au "
                                               "04 72 00 00 00 ou à l'adresse compta@acme.fr.")
    assert "IBAN : FR7630006000011234567890189\nBIC : AGRIFRPP\n" in render("fr/_payment.txt", FULL)


def test_missing_fields_are_left_out_not_printed_empty():
    assert render("fr/_contact.txt", BARE) == "Pour nous joindre : à l'adresse compta@acme.fr."
    assert render("en/_contact.txt", BARE) == "To reach us: at compta@acme.fr."
    assert "mailto:compta@acme.fr" in render("fr/_contact.html", BARE)
    assert render("fr/_contact.txt", {**BARE, "email": ""}) == ""
    payment = render("fr/_payment.txt", BARE)
    assert "IBAN" not in payment and "BIC" not in payment and "R1" in payment


def test_the_signature_has_no_dangling_comma_without_a_signatory():
    assert render("fr/_signature.txt", FULL) == "Julie Martin\nGérante, ACME SAS"
    assert render("fr/_signature.txt", BARE) == "ACME SAS"
    assert render("en/_signature.txt", BARE) == "ACME SAS"
