"""Import formats: for each file kind, its fields, their French aliases and which are required.

One table per extension point: the CLI help and the README are written from these.

>>> columns = resolve_columns(INVOICES, ["Numéro", "Client", "Date facture", "Échéance",
...                                     "Montant TTC"], {}, "f.csv")
>>> sorted(columns.index)
['amount', 'client_ref', 'due_date', 'issue_date', 'number']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from relance.imports.errors import ImportProblem
from relance.imports.values import normalize_header


@dataclass(frozen=True)
class Field:
    """A column of an import format."""

    name: str
    help: str
    required: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Format:
    """The columns of one kind of import file."""

    kind: str
    label: str
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field:
        """The field called `name`."""
        return next(f for f in self.fields if f.name == name)


CLIENTS = Format(
    "clients",
    "clients",
    (
        Field("client_ref", "référence du client", True, ("ref", "code_client", "ref_client",
              "reference", "reference_client", "client", "customer_id", "compte", "numero_client")),
        Field("name", "nom ou raison sociale", True, ("nom", "raison_sociale", "client_name",
              "nom_client", "societe", "denomination", "company")),
        Field("kind", "b2b, b2c ou public (entreprise, particulier, public)", False,
              ("type", "type_client", "categorie", "nature")),
        Field("siren", "SIREN (9 chiffres)", False, ("n_siren", "numero_siren")),
        Field("siret", "SIRET (14 chiffres)", False, ("n_siret", "numero_siret")),
        Field("vat", "numéro de TVA intracommunautaire", False, ("tva", "numero_tva",
              "tva_intracom", "tva_intracommunautaire", "vat_number", "n_tva")),
        Field("email", "adresse e-mail", False, ("courriel", "e_mail", "mail")),
        Field("phone", "téléphone", False, ("telephone", "tel", "portable", "mobile")),
        Field("address", "adresse", False, ("adresse", "rue", "address_line")),
        Field("postal_code", "code postal", False, ("code_postal", "cp", "zip", "zipcode")),
        Field("city", "ville", False, ("ville", "commune", "localite")),
        Field("country", "pays (code ISO, FR par défaut)", False, ("pays", "country_code")),
        Field("legal_form", "forme juridique", False, ("forme_juridique", "forme")),
        Field("legal_representative", "représentant légal", False,
              ("representant_legal", "dirigeant", "gerant")),
        Field("contact_name", "nom du contact", False, ("contact", "nom_contact",
              "interlocuteur")),
        Field("contact_role", "fonction du contact", False, ("fonction", "role")),
        Field("preferred_channel", "canal préféré (email, letter, call, sms)", False,
              ("canal", "canal_prefere")),
        Field("language", "langue (fr par défaut)", False, ("langue", "lang")),
        Field("collector", "chargé de recouvrement", False, ("charge_de_recouvrement",
              "gestionnaire", "responsable")),
    ),
)

INVOICES = Format(
    "invoices",
    "factures",
    (
        Field("number", "numéro de facture ou d'avoir", True, ("numero", "num", "n_facture",
              "numero_facture", "num_facture", "facture", "invoice_number", "invoice_no",
              "piece", "numero_piece")),
        Field("client_ref", "référence du client", True, ("client", "code_client",
              "ref_client", "reference_client", "customer", "customer_id", "compte")),
        Field("issue_date", "date d'émission", True, ("date_facture", "date", "date_emission",
              "invoice_date", "date_piece")),
        Field("due_date", "date d'échéance (vide si `terms` la donne)", True, ("echeance",
              "date_echeance", "date_d_echeance", "due")),
        Field("amount", "montant TTC (positif)", True, ("montant_ttc", "ttc", "total_ttc",
              "amount_incl_tax", "montant", "total")),
        Field("amount_excl_tax", "montant HT", False, ("montant_ht", "ht", "total_ht")),
        Field("currency", "devise (EUR par défaut)", False, ("devise",)),
        Field("terms", "conditions de paiement (« 30 jours fin de mois »)", False,
              ("conditions", "conditions_de_paiement", "delai", "delai_de_paiement",
               "payment_terms")),
        Field("po_ref", "référence de bon de commande", False, ("bon_de_commande",
              "ref_commande", "po", "commande", "purchase_order")),
        Field("billed_siren", "SIREN de la société facturée quand ce n'est pas le client",
              False, ("siren_facture", "siren_facturation", "societe_facturee",
                      "billed_to_siren")),
        Field("type", "invoice/facture ou credit_note/avoir", False, ("type_piece",
              "type_document", "nature")),
        Field("applies_to", "facture que l'avoir réduit", False, ("facture_origine",
              "avoir_sur", "facture_liee", "invoice_ref")),
        Field("client_name", "nom du client (crée le client s'il est inconnu)", False,
              ("nom_client", "raison_sociale", "nom")),
    ),
)

PAYMENTS = Format(
    "payments",
    "règlements",
    (
        Field("date", "date du règlement", True, ("date_paiement", "date_reglement",
              "date_encaissement", "payment_date", "date_valeur")),
        Field("amount", "montant reçu (positif)", True, ("montant", "montant_regle",
              "montant_recu", "credit")),
        Field("client_ref", "référence du client", True, ("client", "code_client",
              "ref_client", "reference_client", "customer", "compte")),
        Field("invoice_number", "facture(s) réglée(s), séparées par |", False, ("facture",
              "numero_facture", "n_facture", "invoice", "factures")),
        Field("reference", "référence du règlement", False, ("ref", "reference_paiement",
              "libelle", "label")),
        Field("method", "mode de règlement (virement, chèque…)", False, ("mode", "moyen",
              "mode_de_reglement", "moyen_de_paiement", "mode_paiement")),
    ),
)

FORMATS: dict[str, Format] = {f.kind: f for f in (CLIENTS, INVOICES, PAYMENTS)}


@dataclass
class Columns:
    """Where each field sits in the file's rows (field name → column index and header)."""

    index: dict[str, int] = field(default_factory=dict)
    header: dict[str, str] = field(default_factory=dict)


def resolve_columns(
    fmt: Format, headers: Sequence[str], mapping: Mapping[str, str], file: str
) -> Columns | list[ImportProblem]:
    """Match headers to fields (explicit mapping first, then names and aliases)."""
    by_key: dict[str, int] = {}
    for position, header in enumerate(headers):
        by_key.setdefault(normalize_header(header), position)
    columns = Columns()
    problems: list[ImportProblem] = []
    known = {f.name for f in fmt.fields}
    for name, header in mapping.items():
        if name not in known:
            problems.append(ImportProblem(file, 0, header, name,
                            f"champ inconnu dans --map (attendu : {', '.join(sorted(known))})"))
            continue
        at = by_key.get(normalize_header(header))
        if at is None:
            problems.append(ImportProblem(file, 1, header, "",
                            f"colonne absente du fichier (nommée dans --map {name}={header})"))
            continue
        columns.index[name] = at
        columns.header[name] = headers[at]
    taken = set(columns.index.values())
    for fld in fmt.fields:
        if fld.name in columns.index:
            continue
        for key in (fld.name, *fld.aliases):
            found = by_key.get(key)
            if found is not None and found not in taken:
                columns.index[fld.name] = found
                columns.header[fld.name] = headers[found]
                taken.add(found)
                break
    for fld in fmt.fields:
        if fld.required and fld.name not in columns.index:
            names = ", ".join((fld.name, *fld.aliases[:3]))
            problems.append(ImportProblem(file, 1, fld.name, "",
                            f"colonne obligatoire manquante : {fld.help} (en-tête {names}…)"))
    return problems or columns


def parse_mapping(text: str) -> dict[str, str]:
    """Read `--map numero=Invoice No,client_ref=Customer` into a dict."""
    mapping: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        if "=" not in part:
            raise ValueError(part)
        name, header = (s.strip() for s in part.split("=", 1))
        mapping[_FIELD_ALIASES.get(normalize_header(name), normalize_header(name))] = header
    return mapping


# `--map` accepts the French names a user would type on the left side too.
_FIELD_ALIASES = {
    "numero": "number",
    "client": "client_ref",
    "date_facture": "issue_date",
    "echeance": "due_date",
    "montant_ttc": "amount",
    "montant": "amount",
    "montant_ht": "amount_excl_tax",
    "devise": "currency",
    "conditions": "terms",
    "facture": "invoice_number",
    "nom": "name",
}
