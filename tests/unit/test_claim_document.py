"""The claim declaration to the mandataire judiciaire, as PDF (read back with pypdf) and text."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from relance.documents.claim import ClaimDeclaration, claim_text, render_claim
from relance.documents.pdf import DocumentError, Party
from relance.law.proceedings import PriorInvoice, claim_deadline, declaration_lines

JUDGMENT = date(2026, 3, 2)
CREDITOR = Party(
    "Atelier Dupont SARL",
    ("12 rue des Lilas", "75011 Paris"),
    ("SARL au capital de 8 000 €", "RCS Paris 732 829 320"),
)
ADMINISTRATOR = Party("SELARL Roux & Associés, Maître Anne Roux",
                      ("3 rue Vauban", "69006 Lyon"))


def declaration(kind: str = "redressement") -> ClaimDeclaration:
    lines = declaration_lines(kind, JUDGMENT, [
        PriorInvoice("F2026-0012", date(2026, 1, 5), date(2026, 2, 4), Decimal("1200.00"),
                     penalties=Decimal("12.43"), indemnity=Decimal("40.00")),
        PriorInvoice("F2026-0031", date(2026, 2, 20), date(2026, 3, 22), Decimal("2034.56"),
                     amount_excl_tax=Decimal("1695.47")),
    ])
    return ClaimDeclaration(
        creditor=CREDITOR,
        client_name="Boulangerie Martin SAS",
        client_siren="552100554",
        client_address=("3 place du Marché", "69002 Lyon"),
        kind=kind,
        judgment_date=JUDGMENT,
        published_on=date(2026, 3, 12),
        court="Tribunal de commerce de Lyon",
        administrator=ADMINISTRATOR,
        deadline=claim_deadline(date(2026, 3, 12)),
        declaration=lines,
        place="Paris",
        on=date(2026, 3, 20),
        signatory="Marie Dupont",
        signatory_title="Gérante",
        formal_notice_on=date(2026, 2, 20),
        footer=("Atelier Dupont SARL – RCS Paris 732 829 320",),
    )


def plain(text: str) -> str:
    """Text with French no-break spaces as plain spaces and lines joined."""
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def pdf_text(data: bytes) -> str:
    return plain("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


@pytest.fixture(scope="module")
def rendered() -> str:
    pdf = render_claim(declaration())
    assert pdf.startswith(b"%PDF-")
    return pdf_text(pdf)


class TestPdf:
    def test_addressed_to_the_mandataire_by_registered_letter(self, rendered: str) -> None:
        assert "Lettre recommandée avec accusé de réception" in rendered
        assert "SELARL Roux & Associés, Maître Anne Roux" in rendered
        assert "69006 Lyon" in rendered
        assert "DÉCLARATION DE CRÉANCE" in rendered

    def test_subject(self, rendered: str) -> None:
        assert ("Objet : Déclaration de créance — redressement judiciaire de Boulangerie "
                "Martin SAS (SIREN 552 100 554), jugement d'ouverture du 2 mars 2026 "
                "(Tribunal de commerce de Lyon)") in rendered

    def test_claims_table_and_totals_in_french_format(self, rendered: str) -> None:
        assert "F2026-0012 05/01/2026 04/02/2026" in rendered
        assert "1 200,00 €" in rendered and "2 034,56 €" in rendered
        assert "1 695,47 €" in rendered
        assert "échu" in rendered and "à échoir" in rendered
        assert "Total échu au 2 mars 2026 1 252,43 €" in rendered
        assert "Total à échoir 2 034,56 €" in rendered
        assert "Montant total déclaré 3 286,99 €" in rendered

    def test_penalties_and_indemnity_are_separate_lines(self, rendered: str) -> None:
        assert "Pénalités de retard" in rendered and "12,43 €" in rendered
        assert "arrêtées au 2 mars 2026 (C. com. L622-28)" in rendered
        assert "Indemnité forfaitaire" in rendered and "40,00 €" in rendered

    def test_legal_mentions(self, rendered: str) -> None:
        assert "créance chirographaire" in rendered
        assert "L622-24" in rendered and "R622-24" in rendered
        assert "qui expire le 12 mai 2026" in rendered
        assert "publié au BODACC le 12 mars 2026" in rendered
        assert "certifions sincère" in rendered

    def test_attachments_and_signature(self, rendered: str) -> None:
        assert "Copie de la facture F2026-0012 du 05/01/2026" in rendered
        assert "Copie de la mise en demeure du 20 février 2026" in rendered
        assert "Décompte des pénalités de retard" in rendered
        assert "Fait à Paris, le 20 mars 2026" in rendered
        assert "Marie Dupont Gérante pour Atelier Dupont SARL" in rendered

    def test_security_replaces_chirographaire(self) -> None:
        data = replace(declaration(), security="clause de réserve de propriété sur le four")
        text = pdf_text(render_claim(data))
        assert "chirographaire" not in text
        assert "clause de réserve de propriété sur le four" in text

    def test_liquidation_goes_to_the_liquidator(self) -> None:
        text = pdf_text(render_claim(declaration("liquidation")))
        assert "liquidation judiciaire de Boulangerie Martin SAS" in text
        assert "liquidateur judiciaire" in text and "L643-1" in text

    def test_agent_and_litigation(self) -> None:
        data = replace(declaration(), agent="Cabinet Recouvre SAS",
                       litigation="Tribunal de commerce de Paris, RG 26/01234")
        text = pdf_text(render_claim(data))
        assert "par Cabinet Recouvre SAS, son mandataire" in text
        assert "Pouvoir donné à Cabinet Recouvre SAS" in text
        assert "RG 26/01234" in text


class TestText:
    def test_same_content_as_the_pdf(self, rendered: str) -> None:
        text = plain(claim_text(declaration()))
        for needle in ("Lettre recommandée avec accusé de réception",
                       "SELARL Roux & Associés, Maître Anne Roux",
                       "SIREN 552 100 554", "Total échu au 2 mars 2026 : 1 252,43 €",
                       "Total à échoir : 2 034,56 €", "Montant total déclaré : 3 286,99 €",
                       "qui expire le 12 mai 2026", "L622-24", "créance chirographaire",
                       "Copie de la mise en demeure du 20 février 2026",
                       "Fait à Paris, le 20 mars 2026"):
            assert needle in text
            assert needle.replace(" :", "") in rendered or needle in rendered

    def test_deadline_abroad(self) -> None:
        published = date(2026, 3, 31)
        data = replace(declaration(), published_on=published,
                       deadline=claim_deadline(published, abroad=True))
        text = plain(claim_text(data))
        assert "qui expire le 31 juillet 2026" in text
        assert "BODACC le 31 mars 2026" in text


class TestRefusals:
    def test_over_indebtedness(self) -> None:
        data = replace(declaration(), kind="surendettement")
        with pytest.raises(DocumentError, match="surendettement"):
            render_claim(data)

    def test_lines_of_another_judgment(self) -> None:
        data = replace(declaration(), judgment_date=date(2026, 3, 3))
        with pytest.raises(DocumentError, match="ne correspondent pas"):
            claim_text(data)

    def test_publication_before_judgment(self) -> None:
        data = replace(declaration(), published_on=date(2026, 3, 1))
        with pytest.raises(DocumentError, match="BODACC"):
            claim_text(data)
