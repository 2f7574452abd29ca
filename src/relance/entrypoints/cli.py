"""The `relance` command: French messages, `--db` everywhere, `--json` where it prints data.

Exit codes: 0 success, 2 bad input or usage, 1 internal failure (never a traceback unless
RELANCE_DEBUG is set).
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy import select

from relance import bootstrap, config
from relance.adapters import tables as t
from relance.adapters.repository import client_by_ref, resolve_creditor
from relance.domain.errors import RelanceError, ValidationError
from relance.domain.money import ZERO
from relance.i18n import format_money, format_short_date
from relance.imports.errors import ImportFailed
from relance.imports.formats import FORMATS, parse_mapping
from relance.imports.validate import company_identifiers
from relance.imports.values import BadValue, parse_amount, parse_date
from relance.law.errors import LawError

F = TypeVar("F", bound=Callable[..., Any])


# --- shared options and output -------------------------------------------------------------


def _db_from_root(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    return value or ctx.find_root().params.get("db_url")


def db_option(func: F) -> F:
    """`--db URL` on every command (also accepted before the command name)."""
    return click.option(
        "--db", "db_url", envvar="RELANCE_DATABASE_URL", default=None, metavar="URL",
        callback=_db_from_root,
        help="Base de données (défaut : RELANCE_DATABASE_URL, sinon ./relance.db).",
    )(func)


def creditor_option(func: F) -> F:
    """`--creditor REF` where several creditors could be meant."""
    return click.option(
        "--creditor", "creditor_ref", default=None, metavar="REF",
        help="Société créancière (facultatif s'il n'y en a qu'une).",
    )(func)


def json_option(func: F) -> F:
    """`--json` where the command prints data."""
    return click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")(func)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return f"{value:.2f}" if value.as_tuple().exponent == -2 else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(type(value).__name__)


def emit_json(data: object) -> None:
    """Print data as JSON (amounts as strings with two decimals, ISO dates)."""
    click.echo(json.dumps(data, default=_json_default, ensure_ascii=False, indent=2))


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Print a plain aligned table."""
    text_rows = [[str(c) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in text_rows)]) for i, h in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    for row in text_rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


class DateType(click.ParamType):  # type: ignore[type-arg]
    """A date as `2026-11-23` or `23/11/2026`."""

    name = "DATE"

    def convert(self, value: Any, param: Any, ctx: Any) -> date:
        if isinstance(value, date):
            return value
        try:
            return parse_date(value)
        except BadValue as exc:
            self.fail(f"« {value} » : attendu {exc.expected}", param, ctx)


class AmountType(click.ParamType):  # type: ignore[type-arg]
    """An amount as `1234.56` or `1 234,56`."""

    name = "MONTANT"

    def convert(self, value: Any, param: Any, ctx: Any) -> Decimal:
        if isinstance(value, Decimal):
            return value
        try:
            return parse_amount(value)
        except BadValue as exc:
            self.fail(f"« {value} » : attendu {exc.expected}", param, ctx)


DATE = DateType()
AMOUNT = AmountType()


def today() -> date:
    """The clock, read only when a command is run without --date/--at."""
    return date.today()


class RelanceGroup(click.Group):
    """Turns known errors into French messages and exit codes, never a traceback."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("standalone_mode", True)
        return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.Abort, click.ClickException):
            raise
        except RelanceError as exc:
            click.echo(f"Erreur : {exc.message}", err=True)
            ctx.exit(2)
        except LawError as exc:
            click.echo(f"Erreur : {exc.message}", err=True)
            ctx.exit(2)
        except BrokenPipeError:  # output piped into `head` and the like: stop quietly
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(0)
        except Exception as exc:
            if config.get("debug"):
                traceback.print_exc()
            click.echo(
                f"Erreur interne : {type(exc).__name__}: {exc}\n"
                "Rien n'a été modifié par l'opération en cours. Relancez avec RELANCE_DEBUG=1 "
                "pour le détail et signalez le problème.",
                err=True,
            )
            ctx.exit(1)


@click.group(cls=RelanceGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="relance", message="relance %(version)s")
@click.option("--db", "db_url", envvar="RELANCE_DATABASE_URL", default=None, metavar="URL",
              help="Base de données (défaut : RELANCE_DATABASE_URL, sinon ./relance.db).")
def cli(db_url: str | None) -> None:
    """Relance : relance clients et recouvrement des factures impayées."""


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="relance")


# --- init and creditors ----------------------------------------------------------------------


@cli.command()
@db_option
def init(db_url: str | None) -> None:
    """Crée la base de données ou la met à jour."""
    engine = bootstrap.initialise(db_url)
    click.echo(f"Base prête : {engine.url.render_as_string()}")


@cli.group()
def creditors() -> None:
    """Sociétés créancières (les entreprises de l'utilisateur)."""


@creditors.command("add")
@db_option
@click.argument("ref")
@click.option("--name", "legal_name", required=True, help="Raison sociale.")
@click.option("--legal-form", default="", help="Forme juridique (SAS, SARL, EI…).")
@click.option("--share-capital", type=AMOUNT, default=None, help="Capital social.")
@click.option("--rcs-city", default="", help="Ville du greffe (RCS).")
@click.option("--siren", default="", help="SIREN (9 chiffres).")
@click.option("--siret", default="", help="SIRET du siège (14 chiffres).")
@click.option("--vat", "vat_number", default="", help="Numéro de TVA intracommunautaire.")
@click.option("--address", default="", help="Adresse du siège.")
@click.option("--postal-code", default="", help="Code postal.")
@click.option("--city", default="", help="Ville.")
@click.option("--country", default="FR", help="Pays (code ISO).")
@click.option("--iban", default="", help="IBAN pour les règlements.")
@click.option("--bic", default="", help="BIC.")
@click.option("--email", default="", help="E-mail d'expédition des relances.")
@click.option("--phone", default="", help="Téléphone.")
@click.option("--signatory", "signatory_name", default="", help="Signataire des courriers.")
@click.option("--signatory-title", default="", help="Fonction du signataire.")
@click.option("--terms", "default_terms", default="30 jours", show_default=True,
              help="Conditions de paiement par défaut.")
@click.option("--penalty-rate", type=AMOUNT, default=None,
              help="Taux contractuel des pénalités (%/an) ; défaut : BCE + 10 points.")
@click.option("--private-person", "is_private_person", is_flag=True,
              help="Le créancier est une personne physique (taux d'intérêt légal particulier).")
@json_option
def creditors_add(db_url: str | None, ref: str, as_json: bool, **values: Any) -> None:
    """Ajoute une société créancière."""
    values = company_identifiers(values, {"siren": "--siren", "siret": "--siret",
                                          "vat_number": "--vat", "iban": "--iban",
                                          "bic": "--bic"})
    engine = bootstrap.database(db_url)
    from relance.services.ledger import add_creditor

    with engine.begin() as conn:
        creditor_id = add_creditor(conn, {"ref": ref, **values})
    if as_json:
        emit_json({"id": creditor_id, "ref": ref})
    else:
        click.echo(f"Société créancière « {ref} » ajoutée.")


@creditors.command("list")
@db_option
@json_option
def creditors_list(db_url: str | None, as_json: bool) -> None:
    """Liste les sociétés créancières."""
    from relance.services.ledger import creditor_dict

    with bootstrap.database(db_url).connect() as conn:
        rows = [creditor_dict(r) for r in conn.execute(select(t.creditors).order_by("ref"))]
    if as_json:
        emit_json(rows)
        return
    table(["Réf.", "Raison sociale", "SIREN", "Ville"],
          [(r["ref"], r["legal_name"], r["siren"], r["city"]) for r in rows])


@creditors.command("show")
@db_option
@click.argument("ref", required=False)
@json_option
def creditors_show(db_url: str | None, ref: str | None, as_json: bool) -> None:
    """Affiche une société créancière."""
    from relance.services.ledger import creditor_dict

    with bootstrap.database(db_url).connect() as conn:
        data = creditor_dict(resolve_creditor(conn, ref))
    if as_json:
        emit_json(data)
        return
    for key, value in data.items():
        if value not in ("", None):
            click.echo(f"{key:>18} : {value}")


# --- imports -------------------------------------------------------------------------------


@cli.command("import")
@db_option
@creditor_option
@click.argument("kind", type=click.Choice(sorted(FORMATS)))
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--map", "mapping_text", default=None, metavar="CHAMP=COLONNE,…",
              help="Colonnes du fichier pour chaque champ (ex. number=Invoice No).")
@click.option("--save-map", default=None, metavar="NOM",
              help="Enregistre la correspondance --map sous ce nom.")
@click.option("--use-map", default=None, metavar="NOM",
              help="Réutilise une correspondance enregistrée.")
@click.option("--encoding", default=None, help="Encodage du CSV (défaut : UTF-8 ou Latin-1).")
@json_option
def import_(db_url: str | None, creditor_ref: str | None, kind: str, file: Path,
            mapping_text: str | None, save_map: str | None, use_map: str | None,
            encoding: str | None, as_json: bool) -> None:
    """Importe des clients, factures ou règlements (CSV ou XLSX), tout ou rien.

    KIND : clients, invoices (factures et avoirs) ou payments (règlements).
    """
    from relance.services.importing import import_file
    from relance.services.mappings import load_mapping, save_mapping

    engine = bootstrap.database(db_url)
    mapping: dict[str, str] = {}
    creditor_id = 0
    if use_map or save_map:    # saved mappings are each company's own
        with engine.connect() as conn:
            creditor_id = int(resolve_creditor(conn, creditor_ref).id)
    if use_map:
        mapping.update(load_mapping(engine, creditor_id, use_map, kind))
    if mapping_text:
        try:
            mapping.update(parse_mapping(mapping_text))
        except ValueError as exc:
            raise ValidationError(
                f"--map : « {exc} » n'est pas de la forme champ=Nom de colonne.") from None
    try:
        report = import_file(engine, kind, file, creditor_ref=creditor_ref, mapping=mapping,
                             encoding=encoding)
    except ImportFailed as exc:
        if as_json:
            emit_json({"ok": False, "problems": [p.as_dict() for p in exc.problems]})
            sys.exit(2)
        raise
    if save_map and mapping:
        save_mapping(engine, creditor_id, save_map, kind, mapping)
    if as_json:
        emit_json({"ok": True, **report.as_dict()})
        return
    label = FORMATS[kind].label
    click.echo(f"{file.name} : {report.rows} ligne(s) de {label} importée(s).")
    if report.updated:
        click.echo(f"  {report.created} créé(s), {report.updated} mis à jour.")
    if report.clients_created:
        click.echo(f"  {report.clients_created} client(s) créé(s) à partir des factures.")
    if report.credit_notes:
        click.echo(f"  dont {report.credit_notes} avoir(s).")
    if report.allocated or report.unallocated:
        click.echo(f"  Lettré : {format_money(report.allocated)} ; "
                   f"non affecté (avoir client) : {format_money(report.unallocated)}.")
    for warning in report.warnings[:20]:
        click.echo(f"Attention : {warning}")
    if len(report.warnings) > 20:
        click.echo(f"Attention : {len(report.warnings) - 20} autre(s) facture(s) au-delà des "
                   "délais légaux (voir --json).")


# --- clients -------------------------------------------------------------------------------


@cli.group()
def clients() -> None:
    """Clients débiteurs."""


@clients.command("list")
@db_option
@creditor_option
@click.option("--at", type=DATE, default=None, help="Soldes à cette date (défaut : aujourd'hui).")
@json_option
def clients_list(db_url: str | None, creditor_ref: str | None, at: date | None,
                 as_json: bool) -> None:
    """Liste les clients avec leur encours et leur retard."""
    from relance.services.ledger import client_balances

    at = at or today()
    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        balances = client_balances(conn, creditor.id, at)
        rows = list(conn.execute(select(t.clients).where(
            t.clients.c.creditor_id == creditor.id).order_by(t.clients.c.ref)))
    data = []
    for row in rows:
        b = balances.get(row.id)
        data.append({
            "ref": row.ref, "name": row.name, "kind": row.kind, "siren": row.siren,
            "email": row.email, "open_amount": b.open_amount if b else ZERO,
            "overdue_amount": b.overdue_amount if b else ZERO,
            "overdue_invoices": b.overdue_invoices if b else 0,
            "unallocated_credit": b.unallocated_credit if b else ZERO,
        })
    if as_json:
        emit_json({"at": at, "clients": data})
        return
    table(["Réf.", "Nom", "Type", "Encours", "Échu", "Fact. échues"],
          [(c["ref"], c["name"][:40], c["kind"], format_money(c["open_amount"]),
            format_money(c["overdue_amount"]), c["overdue_invoices"]) for c in data])


@clients.command("show")
@db_option
@creditor_option
@click.argument("ref")
@click.option("--at", type=DATE, default=None, help="Situation à cette date.")
@json_option
def clients_show(db_url: str | None, creditor_ref: str | None, ref: str, at: date | None,
                 as_json: bool) -> None:
    """Fiche d'un client : coordonnées, contacts, factures ouvertes."""
    from relance.services.ledger import client_balances, invoice_rows
    from relance.services.penalties import penalties_for_rows

    at = at or today()
    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        client = client_by_ref(conn, creditor.id, ref)
        contacts = [dict(c._mapping) for c in conn.execute(
            select(t.contacts).where(t.contacts.c.client_id == client.id))]
        invoices = invoice_rows(conn, creditor.id, at=at, client_id=client.id)
        balance = client_balances(conn, creditor.id, at).get(client.id)
        penalties = penalties_for_rows(conn, creditor, invoices, at)
        status = conn.execute(select(t.client_status).where(
            t.client_status.c.client_id == client.id)).one_or_none()
        from relance.services.risk import active_mark, assess_one

        assessment = assess_one(conn, creditor.id, client.id, at)
        mark = active_mark(conn, client.id)
    from relance.entrypoints.cli_risk import print_score
    from relance.services.risk import assessment_json

    data = {k: v for k, v in client._mapping.items() if k not in ("creditor_id", "created_at")}
    data["reliability"] = assessment_json(assessment)
    data["bad_payer"] = ({"marked_on": mark.marked_on, "marked_by": mark.marked_by,
                          "reason": mark.reason, "proven_amount": mark.proven_amount}
                         if mark else None)
    data["collection_status"] = (
        {k: v for k, v in status._mapping.items() if k != "client_id"} if status else {})
    data["contacts"] = [{k: v for k, v in c.items() if k != "client_id"} for c in contacts]
    data["open_amount"] = balance.open_amount if balance else ZERO
    data["overdue_amount"] = balance.overdue_amount if balance else ZERO
    data["unallocated_credit"] = balance.unallocated_credit if balance else ZERO
    data["open_invoices"] = [_invoice_json(r, at, penalties.get(r.id)) for r in invoices]
    if as_json:
        emit_json(data)
        return
    click.echo(f"{client.name} ({client.ref}) — {client.kind}")
    for key in ("siren", "siret", "vat_number", "email", "phone", "address", "postal_code",
                "city", "preferred_channel", "collector"):
        if data.get(key):
            click.echo(f"  {key:>18} : {data[key]}")
    for c in data["contacts"]:
        click.echo(f"  contact : {c['name']} {c['role']} {c['email']} {c['phone']}")
    click.echo(f"  Encours au {format_short_date(at)} : {format_money(data['open_amount'])}"
               f" dont échu {format_money(data['overdue_amount'])}")
    if data["unallocated_credit"]:
        click.echo(f"  Règlements non affectés : {format_money(data['unallocated_credit'])}")
    flags = data["collection_status"]
    if flags.get("blocked"):
        click.echo("  ATTENTION : client signalé, ne plus accepter de nouvelle affaire.")
    for key, label in (("legal_case", "procédure judiciaire en cours"),
                       ("do_not_contact", "ne pas contacter"), ("no_calls", "plus d'appels")):
        if flags.get(key):
            click.echo(f"  Statut : {label}")
    if flags.get("hold_until"):
        click.echo(f"  Suspendu jusqu'au {format_short_date(flags['hold_until'])}"
                   + (f" : {flags['hold_reason']}" if flags.get("hold_reason") else ""))
    if mark:
        click.echo(f"  Signalé mauvais payeur le {format_short_date(mark.marked_on)} par "
                   f"{mark.marked_by} : {mark.reason} (usage interne)")
    print_score(assessment, indent="  ")
    _print_invoices(invoices, at, penalties)


# --- invoices ------------------------------------------------------------------------------


def _penalty_json(result: Any) -> dict[str, Any] | None:
    from relance.law import NotComputable

    if result is None:
        return None
    if isinstance(result, NotComputable):
        return {"computable": False, "reason": result.reason,
                "missing_half": str(result.missing_half) if result.missing_half else None}
    return {"computable": True, "interest": result.interest, "indemnity": result.indemnity,
            "total": result.total, "amount_due": result.amount_due}


def _invoice_json(row: Any, at: date, penalty: Any = None) -> dict[str, Any]:
    return {
        "number": row.number, "client_ref": row.client_ref, "client_name": row.client_name,
        "issue_date": row.issue_date, "due_date": row.due_date, "amount": row.amount,
        "open_amount": row.open_amount, "currency": row.currency,
        "days_overdue": max(0, (at - row.due_date).days) if row.open_amount > ZERO else 0,
        "penalties": _penalty_json(penalty),
    }


def _penalty_cell(result: Any) -> str:
    from relance.law import NotComputable

    if result is None:
        return ""
    if isinstance(result, NotComputable):
        return f"non calculable ({result.missing_half})" if result.missing_half else (
            "non calculable")
    return format_money(result.total)


def _print_invoices(rows: Sequence[Any], at: date, penalties: dict[int, Any]) -> None:
    table(["Facture", "Client", "Émise le", "Échéance", "Montant", "Reste dû", "Retard (j)",
           "Pénalités + 40 €"],
          [(r.number, r.client_ref, format_short_date(r.issue_date),
            format_short_date(r.due_date), format_money(r.amount, r.currency),
            format_money(r.open_amount, r.currency),
            max(0, (at - r.due_date).days) if r.open_amount > ZERO else 0,
            _penalty_cell(penalties.get(r.id)))
           for r in rows])
    _print_penalty_footer(penalties)


def _print_penalty_footer(penalties: dict[int, Any]) -> None:
    from relance.law import NotComputable, PenaltyTotals
    from relance.services.penalties import missing_halves

    totals = [p for p in penalties.values() if isinstance(p, PenaltyTotals)]
    if totals:
        click.echo(f"Pénalités et indemnités exigibles (hors TVA, à réclamer à part) : "
                   f"{format_money(sum((p.total for p in totals), ZERO))} ; détail : "
                   "relance penalties FACTURE --at DATE")
    failed = [p for p in penalties.values() if isinstance(p, NotComputable)]
    for half in missing_halves(failed):
        count = sum(1 for p in failed if p.missing_half == half)
        click.echo(f"Pénalités non calculables pour {count} facture(s) : taux du semestre "
                   f"{half} manquant. Ajoutez-le : relance rates add {half} --ecb … "
                   "--legal-private … --legal-other … --source URL")
    other = [p for p in failed if p.missing_half is None]
    for reason in sorted({p.reason for p in other}):
        count = sum(1 for p in other if p.reason == reason)
        click.echo(f"Pénalités non calculables pour {count} facture(s) : {reason}")


@cli.group()
def invoices() -> None:
    """Factures."""


@invoices.command("list")
@db_option
@creditor_option
@click.option("--overdue", is_flag=True, help="Seulement les factures échues et non soldées.")
@click.option("--at", type=DATE, default=None,
              help="Situation à cette date : seuls comptent les règlements et avoirs datés "
                   "de ce jour ou avant (défaut : aujourd'hui).")
@click.option("--all", "include_settled", is_flag=True, help="Inclut les factures soldées.")
@click.option("--client", "client_ref", default=None, help="Seulement ce client.")
@click.option("--limit", type=int, default=None, help="Nombre maximal de lignes.")
@json_option
def invoices_list(db_url: str | None, creditor_ref: str | None, overdue: bool, at: date | None,
                  include_settled: bool, client_ref: str | None, limit: int | None,
                  as_json: bool) -> None:
    """Liste les factures ouvertes (ou échues) avec leur reste dû et leurs pénalités."""
    from relance.services.ledger import invoice_rows
    from relance.services.penalties import penalties_for_rows

    at = at or today()
    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        client_id = client_by_ref(conn, creditor.id, client_ref).id if client_ref else None
        rows = invoice_rows(conn, creditor.id, at=at, overdue=overdue,
                            include_settled=include_settled, client_id=client_id, limit=limit)
        penalties = penalties_for_rows(conn, creditor, rows, at)
    if as_json:
        items = [_invoice_json(r, at, penalties.get(r.id)) for r in rows]
        emit_json({"at": at, "overdue_only": overdue, "count": len(items),
                   "total_open": sum((i["open_amount"] for i in items), ZERO),
                   "invoices": items})
        return
    _print_invoices(rows, at, penalties)
    total = sum((r.open_amount for r in rows), ZERO)
    click.echo(f"{len(rows)} facture(s), reste dû au {format_short_date(at)} : "
               f"{format_money(total)}")


# --- payments ------------------------------------------------------------------------------


@cli.group()
def payments() -> None:
    """Règlements."""


def _payment_result_json(result: Any) -> dict[str, Any]:
    return {"payment_id": result.payment_id,
            "allocations": [{"invoice": n, "amount": a} for n, a in result.allocations],
            "unallocated": result.unallocated}


def _print_payment_result(result: Any) -> None:
    for number, part in result.allocations:
        click.echo(f"  {number} : {format_money(part)}")
    if result.unallocated:
        click.echo(f"  Non affecté (avoir client) : {format_money(result.unallocated)}")


@payments.command("add")
@db_option
@creditor_option
@click.option("--client", "client_ref", required=True, help="Référence du client.")
@click.option("--amount", type=AMOUNT, required=True, help="Montant reçu.")
@click.option("--date", "paid_on", type=DATE, default=None,
              help="Date du règlement (défaut : aujourd'hui).")
@click.option("--invoice", "invoice_numbers", multiple=True,
              help="Facture réglée (répétable) ; sinon, les plus anciennes d'abord.")
@click.option("--method", default="", help="Mode (virement, chèque, CB, prélèvement…).")
@click.option("--reference", default="", help="Référence du règlement.")
@json_option
def payments_add(db_url: str | None, creditor_ref: str | None, client_ref: str,
                 amount: Decimal, paid_on: date | None, invoice_numbers: tuple[str, ...],
                 method: str, reference: str, as_json: bool) -> None:
    """Saisit un règlement et le lettre."""
    from relance.services.ledger import record_payment

    with bootstrap.database(db_url).begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        result = record_payment(conn, creditor.id, client_ref=client_ref,
                                paid_on=paid_on or today(), amount=amount,
                                invoice_numbers=invoice_numbers, method=method,
                                reference=reference)
    if as_json:
        emit_json(_payment_result_json(result))
        return
    click.echo(f"Règlement n° {result.payment_id} de {format_money(amount)} enregistré.")
    _print_payment_result(result)


@payments.command("list")
@db_option
@creditor_option
@click.option("--client", "client_ref", default=None, help="Seulement ce client.")
@click.option("--unallocated", is_flag=True, help="Seulement ceux qui ne sont pas tout lettrés.")
@json_option
def payments_list(db_url: str | None, creditor_ref: str | None, client_ref: str | None,
                  unallocated: bool, as_json: bool) -> None:
    """Liste les règlements et ce qui en reste à affecter."""
    from relance.services.ledger import payment_rows

    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        client_id = client_by_ref(conn, creditor.id, client_ref).id if client_ref else None
        rows = payment_rows(conn, creditor.id, client_id, unallocated)
    if as_json:
        emit_json(rows)
        return
    table(["N°", "Date", "Client", "Montant", "Non affecté", "Mode", "Référence"],
          [(p["id"], format_short_date(p["date"]), p["client_ref"], format_money(p["amount"]),
            format_money(p["unallocated"]), p["method"], p["reference"]) for p in rows])


@cli.command()
@db_option
@creditor_option
@click.argument("payment_id", type=int)
@click.option("--invoice", "invoice_numbers", multiple=True,
              help="Facture à régler (répétable) ; sinon, les plus anciennes d'abord.")
@json_option
def allocate(db_url: str | None, creditor_ref: str | None, payment_id: int,
             invoice_numbers: tuple[str, ...], as_json: bool) -> None:
    """Relettre un règlement : annule son affectation et la refait."""
    from relance.services.ledger import reallocate

    with bootstrap.database(db_url).begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        result = reallocate(conn, creditor.id, payment_id, invoice_numbers)
    if as_json:
        emit_json(_payment_result_json(result))
        return
    click.echo(f"Règlement n° {payment_id} relettré.")
    _print_payment_result(result)


# --- demo ----------------------------------------------------------------------------------


@cli.command()
@click.option("--path", "path", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("relance-demo.db"), show_default=True,
              help="Fichier SQLite de démonstration (recréé à chaque fois).")
@click.option("--clients", "n_clients", type=click.IntRange(1), default=200, show_default=True,
              help="Nombre de clients.")
@click.option("--invoices", "n_invoices", type=click.IntRange(1), default=3000,
              show_default=True, help="Nombre de factures sur 18 mois.")
@click.option("--days", type=click.IntRange(0, 540), default=90, show_default=True,
              help="Jours de runs quotidiens simulés jusqu'à la fin du calendrier.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True,
              help="Port de l'application web de démonstration (sur 127.0.0.1).")
@click.option("--no-serve", is_flag=True,
              help="Construire la base sans lancer l'application web.")
@json_option
def demo(path: Path, n_clients: int, n_invoices: int, days: int, port: int, no_serve: bool,
         as_json: bool) -> None:
    """Crée une base de démonstration réaliste, en affiche la synthèse, puis sert
    l'application web sur http://127.0.0.1:PORT/ (date de travail : le dernier jour du
    calendrier de la démo) avec l'identifiant de démonstration qu'elle affiche."""
    from relance.demo.portfolio import BEHAVIOUR_LABELS, PortfolioSpec
    from relance.entrypoints.cli_web import serve_app
    from relance.i18n import format_date
    from relance.services.demo import DEMO_PASSWORD, DEMO_USER, build_demo

    if not no_serve:  # say so now, not after building the database
        import socket

        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError as exc:
                raise RelanceError(f"Le port {port} est déjà utilisé : choisissez-en un autre "
                                   "avec --port, ou --no-serve.") from exc
    spec = PortfolioSpec(clients=n_clients, invoices=n_invoices)
    if not as_json:
        click.echo(f"Création de la base de démonstration {path} …")
    output = path.parent / f"{path.stem}-sortie"
    engine, s = build_demo(path, spec, simulated_days=days, output=output)
    if as_json:
        emit_json({"path": str(path), "start": spec.start, "end": spec.end,
                   "login": {"username": DEMO_USER, "password": DEMO_PASSWORD, "role": "admin"},
                   "behaviours": s.behaviours, "invoices": s.invoices, "payments": s.payments,
                   "open_amount": s.open_amount, "overdue_amount": s.overdue_amount,
                   "buckets": s.buckets, "runs": s.runs, "run_actions": s.actions,
                   "sent": s.sent, "output": str(s.output) if s.output else None,
                   "worst": [{"client_ref": r, "name": n, "overdue": a, "max_days_late": d}
                             for r, n, a, d in s.worst]})
        if not no_serve:
            serve_app(engine, "127.0.0.1", port, on=spec.end)
        return
    click.echo(
        f"Calendrier de démonstration : du {format_date(spec.start)} au {format_date(spec.end)}"
        " (dernier jour couvert par la table des taux livrée) ; toutes les dates de la démo "
        "sont fixes.")
    click.echo("Société créancière : Atelier Numérique du Rhône (réf. DEMO)")
    click.echo(f"{sum(s.behaviours.values())} clients : " + ", ".join(
        f"{count} {BEHAVIOUR_LABELS[name]}" for name, count in s.behaviours.items()))
    click.echo(f"{s.invoices} factures, {s.payments} règlements importés.")
    if s.runs:
        click.echo(f"{s.runs} runs quotidiens simulés jusqu'au {format_date(spec.end)} : "
                   f"{s.actions} relances, appels et mises en demeure préparés.")
    if s.output:
        click.echo(f"{s.sent} e-mails, courriers et SMS produits dans {s.output}/ (emails/*.eml, "
                   "courriers/AAAA-MM-JJ/*.pdf avec le lot du jour à imprimer, sms/).")
    click.echo(f"Au {format_date(spec.end)} : encours {format_money(s.open_amount)}, "
               f"dont échu {format_money(s.overdue_amount)}.")
    click.echo("Balance âgée :")
    for label, amount in s.buckets.items():
        click.echo(f"  {label:<18} {format_money(amount):>16}")
    click.echo("Plus gros retards :")
    table(["Client", "Nom", "Échu", "Retard max (j)"],
          [(r, n[:36], format_money(a), d) for r, n, a, d in s.worst])
    click.echo("")
    click.echo("Pour explorer :")
    click.echo(f"  relance --db sqlite:///{path} invoices list --overdue --at {spec.end}")
    click.echo(f"  relance --db sqlite:///{path} clients show {s.worst[0][0] if s.worst else ''}"
               f" --at {spec.end}")
    if s.runs:
        click.echo(f"  relance --db sqlite:///{path} history {s.worst[0][0] if s.worst else ''}")
        click.echo(f"  relance --db sqlite:///{path} outbox")
        click.echo(f"  relance --db sqlite:///{path} calls --date {spec.end}")
        if s.worst:
            click.echo(f"  relance --db sqlite:///{path} score {s.worst[0][0]} --at {spec.end}")
        click.echo(f"  relance --db sqlite:///{path} proceedings list")
    click.echo(f"  relance --db sqlite:///{path} serve --date {spec.end}")
    click.echo("")
    click.echo(f"Connexion à l'application web : identifiant « {DEMO_USER} », "
               f"mot de passe « {DEMO_PASSWORD} » (administrateur de la société DEMO).")
    if no_serve:
        return
    click.echo(f"Relance (démo, date de travail {format_date(spec.end)}) sur "
               f"http://127.0.0.1:{port}/ (Ctrl+C pour arrêter)")
    serve_app(engine, "127.0.0.1", port, on=spec.end)


# The other command groups register themselves on `cli` (kept apart for readability).
from relance.entrypoints import cli_docs as _cli_docs  # noqa: E402,F401
from relance.entrypoints import cli_files as _cli_files  # noqa: E402,F401
from relance.entrypoints import cli_law as _cli_law  # noqa: E402,F401
from relance.entrypoints import cli_predict as _cli_predict  # noqa: E402
from relance.entrypoints import cli_reports as _cli_reports  # noqa: E402
from relance.entrypoints import cli_reports_cash as _cli_reports_cash  # noqa: E402
from relance.entrypoints import cli_reports_legal as _cli_reports_legal  # noqa: E402
from relance.entrypoints import cli_risk as _cli_risk  # noqa: E402
from relance.entrypoints import cli_run as _cli_run  # noqa: E402,F401
from relance.entrypoints import cli_web as _cli_web  # noqa: E402,F401

_cli_predict.register(cli)
_cli_reports.register(cli)
_report_group = cli.commands["report"]
assert isinstance(_report_group, click.Group)
_cli_reports_cash.register(_report_group)
_cli_reports_legal.register(_report_group)
_cli_risk.register_report(_report_group)
