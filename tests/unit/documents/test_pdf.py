"""Reminder letters and statements as PDF, read back with pypdf."""

from __future__ import annotations

import io
import logging
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PageObject, PdfReader
from pypdf.generic import DictionaryObject

from relance.documents.epc import epc_payload, parse_epc
from relance.documents.pdf import (
    DocumentError,
    InvoiceLine,
    Letter,
    Party,
    PenaltyLine,
    StatementLine,
    render_batch,
    render_letter,
    render_statement,
    statement_csv,
)
from tests.unit.documents.test_epc import assert_encodes, qr_modules

MM = 72 / 25.4
SENDER = Party(
    "Atelier Dupont SARL",
    ("12 rue des Lilas", "75011 Paris"),
    (
        "SARL au capital de 8 000 €",
        "RCS Paris 732 829 320",
        "Siège social : 12 rue des Lilas, 75011 Paris",
        "TVA intracommunautaire FR44 732 829 320",
    ),
)
CLIENT = Party(
    "Boulangerie Martin SAS",
    ("À l'attention de M. Paul Martin", "3 place du Marché", "69002 Lyon"),
)
FOOTER = (
    "Atelier Dupont SARL – SARL au capital de 8 000 € – RCS Paris 732 829 320 – "
    "TVA FR44 732 829 320",
    "Pénalités de retard au taux BCE majoré de 10 points ; indemnité forfaitaire pour frais "
    "de recouvrement : 40 € (art. D441-5 du code de commerce).",
)
TOTAL = Decimal("2552.64")
PAYLOAD = epc_payload(
    name="Atelier Dupont SARL",
    iban="FR76 3000 6000 0112 3456 7890 189",
    bic="AGRIFRPP",
    amount=TOTAL,
    reference="RF18 5390 0754 7034",
)


def invoices(count: int) -> tuple[InvoiceLine, ...]:
    return tuple(
        InvoiceLine(
            f"F2026-{k:04d}",
            date(2026, 2, 14),
            date(2026, 3, 16),
            Decimal("1500.00") if k % 2 == 0 else Decimal("1234.56"),
            Decimal("1234.56"),
        )
        for k in range(1, count + 1)
    )


def notice(invoice_count: int = 2, **changes: object) -> Letter:
    letter = Letter(
        sender=SENDER,
        recipient=CLIENT,
        place="Paris",
        on=date(2026, 11, 23),
        subject="Factures F2026-0001 et F2026-0002 impayées",
        paragraphs=(
            "Madame, Monsieur,",
            "Malgré nos relances des 15 octobre et 2 novembre 2026, les factures ci-dessous "
            "restent impayées. Nous vous mettons en demeure de régler la somme indiquée sous "
            "huit jours.",
        ),
        invoices=invoices(invoice_count),
        penalties=(
            PenaltyLine(
                "Pénalités de retard F2026-0001",
                Decimal("43.52"),
                "du 17/03/2026 au 30/06/2026, 106 jours à 12,15 %",
            ),
            PenaltyLine(
                "Indemnité forfaitaire F2026-0001", Decimal("40.00"), "art. D441-5 C. com."
            ),
        ),
        total_due=TOTAL,
        payment=(
            "IBAN : FR76 3000 6000 0112 3456 7890 189",
            "BIC : AGRIFRPP",
            "Référence à rappeler : RF18 5390 0754 7034",
        ),
        qr_payload=PAYLOAD,
        signature=("Jeanne Dupont", "Gérante"),
        title="MISE EN DEMEURE",
        footer=FOOTER,
        registered=True,
    )
    return replace(letter, **changes)  # type: ignore[arg-type]


def flat(text: str) -> str:
    """Text with every kind of space (U+202F, U+00A0, line breaks) as one plain space."""
    return " ".join(text.split())


def pages(pdf: bytes) -> list[str]:
    return [flat(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def positions(page: PageObject) -> dict[str, tuple[float, float]]:
    """Each text shown on the page, with its start in mm from the left and from the top."""
    found: dict[str, tuple[float, float]] = {}

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        if text.strip():
            found.setdefault(text.strip(), (x / MM, (float(page.mediabox.height) - y) / MM))

    page.extract_text(visitor_text=visit)
    return found


def test_a_formal_notice_prints_its_title_subject_date_and_recipient() -> None:
    [text] = pages(render_letter(notice()))

    assert "MISE EN DEMEURE" in text
    assert "Objet : Factures F2026-0001 et F2026-0002 impayées" in text
    assert "Paris, le 23 novembre 2026" in text
    assert (
        "Boulangerie Martin SAS À l'attention de M. Paul Martin 3 place du Marché 69002 Lyon"
        in text
    )
    assert "Jeanne Dupont Gérante" in text


def test_the_letterhead_carries_the_senders_legal_mentions() -> None:
    [text] = pages(render_letter(notice()))

    for mention in SENDER.legal:
        assert mention in text


def test_every_invoice_is_listed_with_french_dates_and_amounts() -> None:
    [text] = pages(render_letter(notice()))

    assert "F2026-0001 14/02/2026 16/03/2026 1 234,56 € 1 234,56 €" in text
    assert "F2026-0002 14/02/2026 16/03/2026 1 500,00 € 1 234,56 €" in text


def test_penalties_and_the_total_due_are_printed_in_french_format() -> None:
    [text] = pages(render_letter(notice()))

    assert "Pénalités de retard F2026-0001" in text
    assert "du 17/03/2026 au 30/06/2026, 106 jours à 12,15 %" in text
    assert "43,52 €" in text
    assert "Total à régler 2 552,64 €" in text


def test_the_payment_block_gives_the_iban_the_reference_and_the_qr_caption() -> None:
    [text] = pages(render_letter(notice()))

    assert "IBAN : FR76 3000 6000 0112 3456 7890 189" in text
    assert "Référence à rappeler : RF18 5390 0754 7034" in text
    assert "Scannez pour payer" in text


def test_the_qr_image_on_the_page_encodes_the_letters_epc_payload() -> None:
    [page] = PdfReader(io.BytesIO(render_letter(notice()))).pages
    resources = page["/Resources"].get_object()
    assert isinstance(resources, DictionaryObject)
    xobjects = resources["/XObject"].get_object()
    assert isinstance(xobjects, DictionaryObject)
    [image] = page.images

    assert [xobject["/Subtype"] for xobject in xobjects.values()] == ["/Image"]
    assert image.image is not None
    assert_encodes(qr_modules(image.image), PAYLOAD)
    parsed = parse_epc(PAYLOAD)
    assert parsed["amount"] == TOTAL
    assert parsed["iban"] == "FR7630006000011234567890189"
    assert parsed["bic"] == "AGRIFRPP"
    assert parsed["reference"] == "RF18539007547034"


def test_a_letter_without_payload_has_no_qr_code() -> None:
    [page] = PdfReader(io.BytesIO(render_letter(notice(qr_payload=None)))).pages

    assert len(page.images) == 0
    assert "Scannez pour payer" not in flat(page.extract_text())
    assert "IBAN : FR76" in flat(page.extract_text())


def test_a_long_letter_has_legal_mentions_and_its_page_number_on_every_page() -> None:
    text = pages(render_letter(notice(60)))

    assert len(text) >= 3
    for number, page in enumerate(text, start=1):
        assert flat(FOOTER[0]) in page
        assert flat(FOOTER[1]) in page
        assert f"Page {number}/{len(text)}" in page
    everything = " ".join(text)
    for k in range(1, 61):
        assert everything.count(f"F2026-{k:04d} 14/02/2026 16/03/2026") == 1


def test_tables_repeat_their_heading_and_pages_their_running_head_after_a_break() -> None:
    first, second, *_ = pages(render_letter(notice(60)))

    assert second.startswith("Atelier Dupont SARL · Boulangerie Martin SAS · 23 novembre 2026")
    assert "Facture Date Échéance Montant TTC Reste dû" in second
    assert not first.startswith("Atelier Dupont SARL ·")


def test_the_registered_mail_mention_is_printed_only_for_registered_letters() -> None:
    [registered] = pages(render_letter(notice()))
    [ordinary] = pages(render_letter(notice(registered=False, title=None)))

    assert "Lettre recommandée avec accusé de réception Boulangerie Martin SAS" in registered
    assert "recommandée" not in ordinary
    assert "MISE EN DEMEURE" not in ordinary


def test_the_recipient_address_sits_in_the_envelope_window() -> None:
    [page] = PdfReader(io.BytesIO(render_letter(notice()))).pages
    where = positions(page)

    for line in (CLIENT.name, *CLIENT.lines):
        x, y = where[line]
        assert 110 <= x <= 115
        assert 45 <= y <= 80
    x, y = where[SENDER.name]
    assert x < 105 and y < 45


def test_a_batch_starts_each_letter_on_a_new_page_numbered_per_letter() -> None:
    short = notice()
    other = replace(short, recipient=Party("Garage Leroy", ("8 rue Neuve", "33000 Bordeaux")))
    long = notice(60, recipient=Party("Hôtel Bellevue", ("1 quai Est", "06000 Nice")))
    long_pages = len(pages(render_letter(long)))

    text = pages(render_batch([short, long, other]))

    assert len(text) == 1 + long_pages + 1
    assert "Boulangerie Martin SAS" in text[0] and "Page 1/1" in text[0]
    assert "Hôtel Bellevue 1 quai Est 06000 Nice" in text[1]
    assert f"Page 1/{long_pages}" in text[1]
    assert f"Page {long_pages}/{long_pages}" in text[long_pages]
    assert "Garage Leroy 8 rue Neuve 33000 Bordeaux" in text[-1] and "Page 1/1" in text[-1]
    assert all(flat(FOOTER[0]) in page for page in text)


def test_an_empty_batch_is_refused_in_french() -> None:
    with pytest.raises(DocumentError, match="Aucune lettre"):
        render_batch([])


def test_euro_signs_and_narrow_no_break_spaces_are_drawn_with_embedded_glyphs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        pdf = render_letter(notice())
    raw = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()

    assert "1\u202f234,56\u00a0€" in raw
    assert not [r for r in caplog.records if "missing" in r.getMessage()]
    with caplog.at_level(logging.WARNING):
        render_letter(notice(subject="漢字"))
    assert [r for r in caplog.records if "missing" in r.getMessage()]


def test_names_in_other_scripts_are_printed_with_the_full_font(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = Party("ООО Ромашка", ("ул. Ленина 1", "Μέγαρο Αθηνών"))
    with caplog.at_level(logging.WARNING):
        [text] = pages(render_letter(notice(recipient=client)))

    assert "ООО Ромашка ул. Ленина 1 Μέγαρο Αθηνών" in text
    assert not [r for r in caplog.records if "missing" in r.getMessage()]


def test_long_paragraphs_flow_onto_the_next_page_without_losing_words() -> None:
    sentences = " ".join(f"Phrase numéro {k}." for k in range(1, 401))
    token = "https://paiement.example.fr/" + "x" * 150
    text = pages(render_letter(notice(paragraphs=(sentences, token))))

    assert len(text) >= 2
    everything = " ".join(text)
    for k in range(1, 401):
        assert f"Phrase numéro {k}." in everything
    assert token in everything.replace(" ", "")


def test_rendering_the_same_letter_twice_gives_the_same_bytes() -> None:
    assert render_letter(notice()) == render_letter(notice())


def statement_lines() -> list[StatementLine]:
    return [
        StatementLine(
            date(2026, 2, 14), "Facture F2026-0001", Decimal("1234.56"), None, Decimal("1234.56")
        ),
        StatementLine(
            date(2026, 3, 2), "Facture F2026-0002", Decimal("1500.00"), None, Decimal("2734.56")
        ),
        StatementLine(
            date(2026, 4, 10), "Règlement virement", None, Decimal("265.44"), Decimal("2469.12")
        ),
    ]


def test_a_statement_lists_each_line_and_the_open_balance() -> None:
    pdf = render_statement(
        SENDER, CLIENT, date(2026, 11, 23), statement_lines(), Decimal("2469.12")
    )
    [text] = pages(pdf)

    assert "Relevé de compte au 23 novembre 2026" in text
    assert "14/02/2026 Facture F2026-0001 1 234,56 € 1 234,56 €" in text
    assert "10/04/2026 Règlement virement 265,44 € 2 469,12 €" in text
    assert "Solde restant dû 2 469,12 €" in text
    assert "Boulangerie Martin SAS À l'attention de M. Paul Martin" in text
    assert "RCS Paris 732 829 320" in text and "Page 1/1" in text


def test_the_statement_csv_has_a_french_header_decimal_commas_and_blank_cells() -> None:
    assert statement_csv(statement_lines()).splitlines() == [
        "date;libellé;débit;crédit;solde",
        "14/02/2026;Facture F2026-0001;1234,56;;1234,56",
        "02/03/2026;Facture F2026-0002;1500,00;;2734,56",
        "10/04/2026;Règlement virement;;265,44;2469,12",
    ]


def test_the_statement_csv_quotes_semicolons_and_defuses_spreadsheet_formulas() -> None:
    lines = [
        StatementLine(date(2026, 1, 5), "Avoir; remise", None, Decimal("10"), Decimal("-10")),
        StatementLine(date(2026, 1, 6), '=HYPERLINK("x")', Decimal("10"), None, Decimal("0")),
    ]

    assert statement_csv(lines).splitlines()[1:] == [
        '05/01/2026;"Avoir; remise";;10,00;-10,00',
        '06/01/2026;"\'=HYPERLINK(""x"")";10,00;;0,00',
    ]
