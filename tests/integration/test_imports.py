"""Imports of clients, invoices and payments: all or nothing, every problem reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from relance.adapters import tables as t

CLIENTS = """client_ref;name;kind;siren;vat;email;phone;address;postal_code;city;country
C001;Boulangerie Martin SARL;b2b;443061841;FR64443061841;compta@martin.fr;0123456789;12 rue de la Paix;75002;Paris;FR
C002;Transports Lefèvre SAS;entreprise;552081317;;factures@lefevre.fr;;3 av. Berthelot;69007;Lyon;FR
C003;Sophie Bernard;particulier;;;sophie@example.org;;8 impasse des Lilas;44000;Nantes;FR
"""

INVOICES = """number,client_ref,issue_date,due_date,amount,amount_excl_tax,currency,po_ref,type,applies_to
F1,C001,2025-10-01,2025-10-31,1200.00,1000.00,EUR,BC-1,invoice,
F2,C001,2025-11-15,2025-12-15,600.00,500.00,EUR,,invoice,
F3,C002,2025-11-20,2025-12-20,3600.00,3000.00,EUR,,facture,
F4,C003,2025-12-01,2025-12-31,480.00,400.00,EUR,,invoice,
F5,C002,2026-01-10,2026-02-09,900.00,750.00,EUR,,invoice,
A1,C002,2025-12-10,,300.00,250.00,EUR,,avoir,F3
"""

PAYMENTS = """date,amount,client_ref,invoice_number,reference,method
2025-11-05,1200.00,C001,F1,VIR-1,virement
2025-12-20,200.00,C001,,VIR-2,virement
2026-01-15,1000.00,C002,F3,VIR-3,virement
2026-01-20,100.00,C003,,CHQ-1,chèque
"""


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(path: Path, text: str, sep: str) -> Path:
    book = Workbook()
    sheet = book.active
    for line in text.strip().splitlines():
        sheet.append([cell if cell else None for cell in line.split(sep)])
    book.save(path)
    return path


def ledger_dump(engine) -> dict[str, list[tuple]]:
    """Every table's business content, without ids or timestamps."""
    with engine.connect() as conn:
        clients = {r.id: r.ref for r in conn.execute(select(t.clients))}
        invoices = {r.id: r.number for r in conn.execute(select(t.invoices))}
        payments = {r.id: r.reference for r in conn.execute(select(t.payments))}
        return {
            "clients": sorted(tuple(v for k, v in r._mapping.items()
                                    if k not in ("id", "created_at", "creditor_id"))
                              for r in conn.execute(select(t.clients))),
            "invoices": sorted((r.number, clients[r.client_id], r.doc_type, r.issue_date,
                                r.due_date, r.amount, r.amount_excl_tax, r.currency, r.po_ref)
                               for r in conn.execute(select(t.invoices))),
            "payments": sorted((clients[r.client_id], r.date, r.amount, r.reference, r.method)
                               for r in conn.execute(select(t.payments))),
            "allocations": sorted((invoices[r.invoice_id],
                                   payments.get(r.payment_id) if r.payment_id else "",
                                   invoices.get(r.credit_note_id) if r.credit_note_id else "",
                                   r.amount) for r in conn.execute(select(t.allocations))),
        }


def import_all(relance, folder: Path, ext: str, make) -> None:
    relance("import", "clients", str(make(folder / f"clients.{ext}", CLIENTS, ";")))
    relance("import", "invoices", str(make(folder / f"invoices.{ext}", INVOICES, ",")))
    relance("import", "payments", str(make(folder / f"payments.{ext}", PAYMENTS, ",")))


def test_the_same_data_as_csv_and_as_xlsx_gives_identical_databases(
    relance, creditor, engine, tmp_path, _template, db_url
):
    import_all(relance, tmp_path, "csv", lambda p, text, sep: write(p, text))
    from_csv = ledger_dump(engine)
    assert len(from_csv["invoices"]) == 6 and len(from_csv["allocations"]) == 5
    # Start again on an empty ledger and import the same data from spreadsheets.
    with engine.begin() as conn:
        for table in (t.allocations, t.payments, t.invoices, t.contacts, t.clients):
            conn.execute(table.delete())
    import_all(relance, tmp_path, "xlsx", write_xlsx)
    assert ledger_dump(engine) == from_csv


def test_payments_and_credit_notes_are_matched_as_a_credit_manager_expects(
    relance, creditor, tmp_path
):
    import_all(relance, tmp_path, "csv", lambda p, text, sep: write(p, text))
    data = json.loads(relance("invoices", "list", "--at", "2026-06-30", "--all",
                              "--json").output)
    open_by_number = {i["number"]: i["open_amount"] for i in data["invoices"]}
    # F1 paid in full; 200 without number went to the oldest open invoice of C001 (F2);
    # F3 reduced by the credit note (300) and a named payment (1000); F4 paid 100 of 480.
    assert open_by_number == {"F1": "0.00", "F2": "400.00", "F3": "2300.00", "F4": "380.00",
                              "F5": "900.00"}


def test_invoices_list_gives_the_point_in_time_view(relance, creditor, tmp_path):
    import_all(relance, tmp_path, "csv", lambda p, text, sep: write(p, text))
    data = json.loads(relance("invoices", "list", "--overdue", "--at", "2025-12-31",
                              "--json").output)
    rows = {i["number"]: i for i in data["invoices"]}
    # On 31 December 2025 the 20 December payment on C001 counts, the January ones don't;
    # F4 falls due on the 31st itself so is not yet overdue; F5 was not yet issued.
    assert set(rows) == {"F2", "F3"}
    assert rows["F2"]["open_amount"] == "400.00" and rows["F2"]["days_overdue"] == 16
    assert rows["F3"]["open_amount"] == "3300.00" and rows["F3"]["days_overdue"] == 11
    assert data["total_open"] == "3700.00"
    later = json.loads(relance("invoices", "list", "--overdue", "--at", "2026-01-31",
                               "--json").output)
    assert {i["number"]: i["open_amount"] for i in later["invoices"]} == {
        "F2": "400.00", "F3": "2300.00", "F4": "380.00"}


def count_rows(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {tb.name: conn.execute(select(func.count()).select_from(tb)).scalar_one()
                for tb in (t.clients, t.invoices, t.payments, t.allocations, t.contacts)}


def test_a_file_with_ten_errors_reports_all_ten_and_writes_nothing(
    relance, creditor, engine, tmp_path
):
    relance("import", "clients", str(write(tmp_path / "c.csv", CLIENTS)))
    relance("import", "invoices", str(write(tmp_path / "ok.csv", INVOICES)))
    before = count_rows(engine)
    bad = write(tmp_path / "factures.csv", "\n".join([
        "numero;client;date_facture;echeance;montant_ttc;montant_ht;devise",
        "G1;C001;31/02/2026;30/03/2026;100,00;;EUR",        # 1 impossible date
        "G2;C001;01/03/2026;30/03/2026;cent euros;;EUR",    # 2 unreadable amount
        "G3;C001;01/03/2026;30/03/2026;-50,00;;EUR",        # 3 negative amount
        "G4;C001;01/03/2026;01/02/2026;100,00;;EUR",        # 4 due date before issue date
        "G5;C001;01/03/2026;30/03/2026;100,00;;EUR",
        "G5;C002;01/03/2026;30/03/2026;100,00;;EUR",        # 5 duplicate in the file
        "F1;C001;01/03/2026;30/03/2026;100,00;;EUR",        # 6 already in the database
        ";C001;01/03/2026;30/03/2026;100,00;;EUR",          # 7 missing number
        "G8;C001;01/03/2026;30/03/2026;100,00;120,00;EUR",  # 8 excl. tax above incl. tax
        "G9;C001;01/03/2026;30/03/2026;100,00;;EURO",       # 9 unknown currency
        "G10;C001;01/03/2026;;100,00;;EUR",                 # 10 no due date and no terms
        "G11;C002;01/03/2026;30/03/2026;100,00;;EUR",       # a good row: not written either
    ]) + "\n")
    result = relance("import", "invoices", str(bad), ok=False)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "10 problèmes" in result.output
    for row, column, value in [(2, "date_facture", "31/02/2026"), (3, "montant_ttc", "cent euros"),
                               (4, "montant_ttc", "-50,00"), (5, "echeance", "01/02/2026"),
                               (7, "numero", "G5"), (8, "numero", "F1"), (9, "numero", ""),
                               (10, "montant_ht", "120,00"), (11, "devise", "EURO"),
                               (12, "echeance", "")]:
        assert f"factures.csv, ligne {row}, colonne « {column} »" in result.output
        if value:
            assert f"« {value} »" in result.output
    assert "déjà à la ligne 6" in result.output
    assert "déjà enregistré dans la base" in result.output
    assert count_rows(engine) == before
    problems = json.loads(relance("import", "invoices", str(bad), "--json", ok=False).output)
    assert len(problems["problems"]) == 10
    assert {p["row"] for p in problems["problems"]} == {2, 3, 4, 5, 7, 8, 9, 10, 11, 12}


def test_an_unquoted_french_amount_in_a_comma_file_is_refused_not_cut(
    relance, creditor, engine, tmp_path
):
    relance("import", "clients", str(write(tmp_path / "c.csv", CLIENTS)))
    before = count_rows(engine)
    bad = write(tmp_path / "virgules.csv",
                "number,client_ref,issue_date,due_date,amount\n"
                '"H1",C001,2026-03-01,2026-03-30,"1 234,56"\n'
                "H2,C001,2026-03-01,2026-03-30,1 234,56\n")
    result = relance("import", "invoices", str(bad), ok=False)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "virgules.csv, ligne 3, colonne « amount »" in result.output
    assert "« 1 234,56 »" in result.output and "entre guillemets" in result.output
    assert count_rows(engine) == before


def test_client_identifiers_are_checked_with_their_control_keys(
    relance, creditor, engine, tmp_path
):
    bad = write(tmp_path / "clients.csv", "\n".join([
        "client_ref,name,siren,vat,email,kind",
        "K1,Alpha,443061842,,a@b.fr,b2b",       # wrong SIREN key
        "K2,Beta,,FR00443061841,b@b.fr,b2b",    # wrong VAT key
        "K3,Gamma,,,pas-un-email,b2b",          # e-mail
        "K4,Delta,,,,grossiste",                # unknown kind
        "K5,,,,,b2b",                           # missing name
    ]) + "\n")
    result = relance("import", "clients", str(bad), ok=False)
    assert result.exit_code == 2
    assert "5 problèmes" in result.output
    assert "ligne 2, colonne « siren » : valeur « 443061842 » : un SIREN valide" in result.output
    assert "clé de contrôle fausse" in result.output
    assert "ligne 3, colonne « vat »" in result.output
    assert "ligne 5, colonne « kind »" in result.output
    assert count_rows(engine)["clients"] == 0


def test_payments_for_unknown_clients_or_invoices_are_refused(relance, creditor, engine, tmp_path):
    relance("import", "clients", str(write(tmp_path / "c.csv", CLIENTS)))
    relance("import", "invoices", str(write(tmp_path / "i.csv", INVOICES)))
    before = count_rows(engine)
    bad = write(tmp_path / "reglements.csv", "\n".join([
        "date;montant;client;facture;ref",
        "01/02/2026;100,00;C999;;X1",      # unknown client
        "01/02/2026;100,00;C001;F404;X2",  # unknown invoice
        "01/02/2026;100,00;C001;F3;X3",    # another client's invoice
        "01/02/2026;0;C001;;X4",           # zero
        "01/02/2026;50,00;C001;;X5",       # fine, but not written
    ]) + "\n")
    result = relance("import", "payments", str(bad), ok=False)
    assert result.exit_code == 2
    assert "4 problèmes" in result.output
    assert "ligne 2, colonne « client » : valeur « C999 »" in result.output
    assert "ligne 3, colonne « facture » : valeur « F404 »" in result.output
    assert "ligne 4, colonne « facture » : valeur « F3 » : une facture du client C001" in (
        result.output)
    assert count_rows(engine) == before


def test_the_same_payment_imported_twice_is_refused(relance, creditor, tmp_path):
    import_all(relance, tmp_path, "csv", lambda p, text, sep: write(p, text))
    result = relance("import", "payments", str(tmp_path / "payments.csv"), ok=False)
    assert result.exit_code == 2
    assert "déjà enregistré" in result.output


@pytest.mark.parametrize(("content", "message"), [
    (b"", "le fichier est vide"),
    (b"   \n\n", "le fichier est vide"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "ni un CSV ni un classeur XLSX"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "ni un CSV ni un classeur XLSX"),
    (b"PK\x03\x04not really a zip", "ni un CSV ni un classeur XLSX"),
    ("number,client_ref\n".encode("utf-16"), "UTF-16"),
    (b"number,client_ref,issue_date,due_date,amount\n", "aucune ligne de données"),
])
def test_files_that_cannot_be_read_get_a_clear_error(relance, creditor, tmp_path, content,
                                                      message):
    path = tmp_path / "factures.csv"
    path.write_bytes(content)
    result = relance("import", "invoices", str(path), ok=False)
    assert result.exit_code == 2
    assert message in result.output
    assert "factures.csv" in result.output
    assert "Traceback" not in result.output


def test_a_missing_column_is_named(relance, creditor, tmp_path):
    path = write(tmp_path / "f.csv", "number;client_ref;issue_date;due_date\nF1;C1;2026-01-01;\n")
    result = relance("import", "invoices", str(path), ok=False)
    assert result.exit_code == 2
    assert "colonne obligatoire manquante : montant TTC" in result.output


def test_an_explicit_encoding_that_does_not_match_is_reported_with_its_row(
    relance, creditor, tmp_path
):
    path = write(tmp_path / "clients.csv", "client_ref;name\nC1;Société Générale\n", "latin-1")
    result = relance("import", "clients", str(path), "--encoding", "utf-8", ok=False)
    assert result.exit_code == 2
    assert "encodage non reconnu" in result.output and "ligne 2" in result.output


def test_latin1_files_with_french_headers_are_read(relance, creditor, engine, tmp_path):
    path = write(tmp_path / "clients.csv",
                 "Code client;Raison sociale;Type;Ville\nC1;Société Générale;Entreprise;Orléans\n",
                 "latin-1")
    relance("import", "clients", str(path))
    with engine.connect() as conn:
        row = conn.execute(select(t.clients)).one()
    assert (row.ref, row.name, row.kind, row.city) == ("C1", "Société Générale", "b2b", "Orléans")


def test_invoices_may_name_clients_not_yet_known(relance, creditor, engine, tmp_path):
    path = write(tmp_path / "f.csv", "number,client_ref,client_name,issue_date,due_date,amount\n"
                 "F1,NEW1,Nouvelle SARL,2026-01-01,2026-01-31,100\n"
                 "F2,NEW1,Nouvelle SARL,2026-01-02,2026-02-01,100\n")
    result = relance("import", "invoices", str(path))
    assert "1 client(s) créé(s)" in result.output
    with engine.connect() as conn:
        assert conn.execute(select(t.clients.c.name)).scalars().all() == ["Nouvelle SARL"]


def test_other_tools_exports_are_read_through_a_saved_mapping(relance, creditor, engine, tmp_path):
    export = write(tmp_path / "export.csv",
                   "Invoice No,Customer Code,Invoice Date,Due,Total\n"
                   "INV-1,X1,2026-01-01,2026-01-31,\"1,234.50\"\n")
    relance("import", "invoices", str(export), "--map",
            "number=Invoice No,client_ref=Customer Code,issue_date=Invoice Date,due_date=Due,"
            "amount=Total", "--save-map", "mon-logiciel")
    again = write(tmp_path / "export2.csv",
                  "Invoice No,Customer Code,Invoice Date,Due,Total\n"
                  "INV-2,X1,2026-02-01,2026-03-03,99.90\n")
    relance("import", "invoices", str(again), "--use-map", "mon-logiciel")
    with engine.connect() as conn:
        amounts = dict(conn.execute(select(t.invoices.c.number, t.invoices.c.amount)).all())
    assert {k: str(v) for k, v in amounts.items()} == {"INV-1": "1234.50", "INV-2": "99.90"}


def test_a_saved_mapping_is_its_company_s_own(relance, creditor, engine, tmp_path):
    """Another company of the same database neither uses nor replaces ACME's mapping: its own,
    under the same name, lives beside it."""
    relance("creditors", "add", "BETA", "--name", "Beta SARL")
    export = write(tmp_path / "export.csv",
                   "Invoice No,Customer Code,Invoice Date,Due,Total\n"
                   "INV-1,X1,2026-01-01,2026-01-31,100.00\n")
    relance("import", "invoices", str(export), "--creditor", "ACME", "--map",
            "number=Invoice No,client_ref=Customer Code,issue_date=Invoice Date,due_date=Due,"
            "amount=Total", "--save-map", "mon-logiciel")
    refused = relance("import", "invoices", str(export), "--creditor", "BETA",
                      "--use-map", "mon-logiciel", ok=False)
    assert refused.exit_code != 0
    assert "Correspondance de colonnes « mon-logiciel » inconnue." in refused.output
    other = write(tmp_path / "other.csv", "Ref,Client,Date,Echeance,TTC\n"
                  "B-1,Y1,2026-01-05,2026-02-04,50.00\n")
    relance("import", "invoices", str(other), "--creditor", "BETA", "--map",
            "number=Ref,client_ref=Client,issue_date=Date,due_date=Echeance,amount=TTC",
            "--save-map", "mon-logiciel")
    again = write(tmp_path / "again.csv", "Invoice No,Customer Code,Invoice Date,Due,Total\n"
                  "INV-2,X1,2026-02-01,2026-03-03,99.90\n")
    relance("import", "invoices", str(again), "--creditor", "ACME", "--use-map", "mon-logiciel")
    with engine.connect() as conn:
        numbers = conn.execute(
            select(t.creditors.c.ref, t.invoices.c.number)
            .join(t.creditors, t.creditors.c.id == t.invoices.c.creditor_id)
            .order_by(t.invoices.c.number)).all()
        saved = conn.execute(select(t.import_mappings.c.mapping)
                             .order_by(t.import_mappings.c.creditor_id)).scalars().all()
    assert [tuple(n) for n in numbers] == [("BETA", "B-1"), ("ACME", "INV-1"), ("ACME", "INV-2")]
    assert [m["number"] for m in saved] == ["Invoice No", "Ref"]


def test_reimporting_clients_updates_them(relance, creditor, engine, tmp_path):
    relance("import", "clients", str(write(tmp_path / "c.csv", CLIENTS)))
    changed = CLIENTS.replace("compta@martin.fr", "paiement@martin.fr")
    result = relance("import", "clients", str(write(tmp_path / "c2.csv", changed)))
    assert "0 créé(s), 3 mis à jour" in result.output
    with engine.connect() as conn:
        email = conn.execute(select(t.clients.c.email).where(t.clients.c.ref == "C001"))
        assert email.scalar_one() == "paiement@martin.fr"
