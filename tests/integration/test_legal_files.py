"""Files after the formal notice: injonction de payer, small claims, collection agency."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from pypdf import PdfReader
from sqlalchemy import select

import relance.entrypoints.cli_files  # noqa: F401
from relance.adapters import tables as t
from relance.domain.errors import ValidationError
from relance.services.legal_files import competent_court
from tests.integration.test_imports import write
from tests.integration.test_send import DUE, ledger, text_of  # noqa: F401

AT = date(2026, 5, 15)


def pdf_text(data: bytes) -> str:
    raw = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(raw.replace("\u202f", " ").replace("\xa0", " ").split())


@pytest.fixture
def parties(relance, ledger, tmp_path: Path) -> Path:  # noqa: F811
    """The `ledger` of test_send, with a SAS client, a public body and a big claim."""
    write(tmp_path / "more.csv",
          "client_ref,name,kind,legal_form,legal_representative,address,postal_code,city\n"
          "SAS1,Transports Rapides,b2b,SAS,Paul Durand,5 quai Perrache,69002,Lyon\n"
          "MAIRIE,Commune de Vaulx,public,,,1 place de la Mairie,69120,Vaulx\n")
    write(tmp_path / "more-inv.csv", "number,client_ref,issue_date,due_date,amount\n"
          f"G1,SAS1,2026-02-14,{DUE},1000.00\nG2,SAS1,2026-02-20,{DUE},4800.00\n"
          f"M1,MAIRIE,2026-02-14,{DUE},700.00\n")
    relance("import", "clients", str(tmp_path / "more.csv"))
    relance("import", "invoices", str(tmp_path / "more-inv.csv"))
    return tmp_path / "dossiers"


def test_the_competent_court_depends_on_the_debtor():
    assert competent_court(SimpleNamespace(kind="b2b", legal_form="SAS"))[0] == "commerce"
    assert "tribunal de commerce" in competent_court(
        SimpleNamespace(kind="b2b", legal_form=""))[1]
    assert competent_court(SimpleNamespace(kind="b2c", legal_form=""))[0] == "judiciaire"
    assert competent_court(SimpleNamespace(kind="b2b", legal_form="SCI"))[0] == "judiciaire"
    assert competent_court(SimpleNamespace(kind="b2b", legal_form="Association loi 1901"))[
        1] == "tribunal judiciaire"
    with pytest.raises(ValidationError) as refused:
        competent_court(SimpleNamespace(kind="public", legal_form=""))
    assert "tribunal administratif" in refused.value.message
    assert "Médiateur des entreprises" in refused.value.message


def test_the_request_for_a_professional_lists_parties_amounts_and_exhibits(
        relance, parties, engine, tmp_path):
    notice = tmp_path / "mise-en-demeure-PRO.pdf"
    notice.write_bytes(b"%PDF-1.4 mise en demeure")
    with engine.begin() as conn:
        creditor_id, client_id = conn.execute(select(t.clients.c.creditor_id, t.clients.c.id)
                                              .where(t.clients.c.ref == "PRO")).one()
        conn.execute(t.events.insert().values(
            creditor_id=creditor_id, client_id=client_id, kind="message_sent",
            occurred_on=date(2026, 4, 1), summary="Lettre recommandée imprimée",
            data={"channel": "registered_letter", "document": str(notice)}))
    result = relance("files", "injonction", "PRO", "--at", AT.isoformat(),
                     "--court", "Tribunal de commerce de Lyon", "--out", str(parties))
    assert "tribunal de commerce" in result.output
    stem = parties / f"injonction-PRO-{AT.isoformat()}"
    text = text_of(stem.with_suffix(".pdf"))
    assert "REQUÊTE EN INJONCTION DE PAYER" in text
    assert "article 57" in text and "1405" in text
    assert "ACME Services" in text and "SIREN 732829320" in text and "Claire Martin" in text
    assert "Garage Martin SARL" in text and "Tribunal de commerce de Lyon" in text
    assert "Facture F1" in text and "Facture F2" in text
    assert "principal restant dû 1 234,56 €" in text and "principal restant dû 300,00 €" in text
    assert "à compter du 17/03/2026 au taux annuel de" in text
    assert text.count("Indemnité forfaitaire pour frais de recouvrement, facture") == 2
    assert "L441-10" in text
    assert "Pièce n° 1 : Facture F1" in text
    with zipfile.ZipFile(stem.with_suffix(".zip")) as archive:
        names = archive.namelist()
        bordereau = archive.read("bordereau.txt").decode()
        assert archive.read(next(n for n in names if "mise-en-demeure" in n)).startswith(b"%PDF")
    assert "00-requete-injonction-de-payer.pdf" in names
    assert any(n.endswith("releve-de-compte-au-15-05-2026.pdf") for n in names)
    lines = bordereau.splitlines()
    assert "Pièce n° 1 : Facture F1 du 14/02/2026 (copie à joindre)" in lines
    assert any(line.startswith("Pièce n° 4 : Mise en demeure du 01/04/2026") for line in lines)
    assert lines[-1].startswith("Pièce n° 5 : Relevé de compte")


def test_a_consumer_goes_to_the_tribunal_judiciaire_without_indemnity(relance, parties):
    result = relance("files", "injonction", "PART", "--at", AT.isoformat(), "--out",
                     str(parties))
    assert "tribunal judiciaire" in result.output
    text = text_of(parties / f"injonction-PART-{AT.isoformat()}.pdf")
    assert "Julie Petit, personne physique" in text and "à compléter : tribunal de" in text
    assert "Facture F3" in text and "450,00 €" in text
    assert "Indemnité forfaitaire" not in text and "40,00 €" not in text


def test_public_bodies_and_big_claims_are_refused(relance, parties):
    public = relance("files", "injonction", "MAIRIE", "--at", AT.isoformat(), ok=False)
    assert public.exit_code == 2 and "tribunal administratif" in public.output
    big = relance("files", "petites-creances", "SAS1", "--at", AT.isoformat(), ok=False)
    message = " ".join(big.output.replace("\u202f", " ").replace("\xa0", " ").split())
    assert big.exit_code == 2 and "plafond de 5 000,00 €" in message
    assert "impossible : 5 915,84 € en principal et intérêts" in message  # 5 800 + interest
    relance("files", "petites-creances", "PRO", "--at", AT.isoformat(), "--out", str(parties))
    text = text_of(parties / f"petites-creances-PRO-{AT.isoformat()}.pdf")
    assert "commissaire de justice" in text and "L125-1" in text
    with zipfile.ZipFile(parties / f"petites-creances-PRO-{AT.isoformat()}.zip") as archive:
        assert "bordereau.txt" in archive.namelist()


def test_the_agency_handoff_and_its_follow_up(relance, parties, engine):
    result = relance("files", "agence", "SAS1", "--agency", "Recouvre & Co", "--deadline",
                     "2026-07-15", "--at", AT.isoformat(), "--out", str(parties))
    assert "Recouvre & Co" in result.output
    stem = parties / f"cabinet-SAS1-{AT.isoformat()}"
    rows = list(csv.DictReader(io.StringIO(stem.with_suffix(".csv").read_text("utf-8")),
                               delimiter=";"))
    assert [r["facture"] for r in rows] == ["G1", "G2"]
    assert rows[0]["reste_du"] == "1000,00" and rows[0]["indemnite"] == "40,00"
    data = json.loads(stem.with_suffix(".json").read_text("utf-8"))
    assert data["deadline"] == "2026-07-15" and data["client"]["legal_representative"] == (
        "Paul Durand")
    assert "MANDAT DE RECOUVREMENT AMIABLE" in text_of(stem.with_suffix(".pdf"))
    relance("files", "agence-suivi", "SAS1", "--status", "returned_unpaid", "--date",
            "2026-07-16")
    with engine.connect() as conn:
        kinds = [e.kind for e in conn.execute(select(t.events).where(
            t.events.c.kind.like("agency%")).order_by(t.events.c.id))]
        handoff = conn.execute(select(t.events.c.data).where(
            t.events.c.kind == "agency_handoff")).scalar_one()
    assert kinds == ["agency_handoff", "agency_returned_unpaid"]
    assert handoff["agency"] == "Recouvre & Co" and handoff["deadline"] == "2026-07-15"


def test_a_follow_up_needs_a_handoff(relance, parties):
    result = relance("files", "agence-suivi", "PRO", "--status", "payment_received", ok=False)
    assert result.exit_code == 2 and "cabinet" in result.output
