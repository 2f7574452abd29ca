"""Law commands: `rates`, `penalties`, `terms-clause`, `settings`, `waivers`, `notices`,
`prescription`. Registered on the main `relance` group by entrypoints/cli.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from relance import bootstrap, config
from relance.adapters import tables as t
from relance.adapters.repository import client_by_ref, resolve_creditor
from relance.domain.errors import ValidationError
from relance.domain.money import ZERO
from relance.entrypoints.cli import (
    AMOUNT,
    DATE,
    cli,
    creditor_option,
    db_option,
    emit_json,
    json_option,
    table,
    today,
)
from relance.i18n import format_date, format_money, format_percent, format_short_date
from relance.law import (
    SETTINGS,
    Conventions,
    NotComputable,
    PenaltyResult,
    RateEntry,
    RateTable,
    Settlement,
    compute_penalties,
)
from relance.law.errors import InvalidInputError, LawError

KINDS = ("b2b", "b2c", "public")


def law_call(func: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a law function; its refusals become the CLI's French errors (exit 2)."""
    try:
        return func(*args, **kwargs)
    except LawError as err:
        raise ValidationError(err.message) from None


# --- rates ---------------------------------------------------------------------------------


@cli.group()
def rates() -> None:
    """Taux BCE et taux de l'intérêt légal, par semestre, avec leurs sources."""


def _rates_table(db_url: str | None) -> RateTable:
    from relance.services.penalties import rate_table

    engine = _optional_engine(db_url)
    if engine is None:
        return rate_table(None)
    with engine.connect() as conn:
        return rate_table(conn)


def _optional_engine(db_url: str | None) -> Any:
    """The database if one is named or ./relance.db exists and is initialised; else None."""
    if db_url or config.get("database_url"):
        return bootstrap.database(db_url)
    if not Path(config.DEFAULT_SQLITE_FILE).exists():
        return None
    try:
        return bootstrap.database(None)
    except Exception:  # an unrelated or uninitialised ./relance.db: shipped rates only
        return None


@rates.command("list")
@db_option
@json_option
def rates_list(db_url: str | None, as_json: bool) -> None:
    """Affiche la table des taux (livrée, complétée par vos ajouts) avec ses sources."""
    table_ = _rates_table(db_url)
    if as_json:
        emit_json({"rates": [
            {"half": str(e.half), "ecb": e.ecb, "legal_private": e.legal_private,
             "legal_other": e.legal_other, "b2b_default": e.ecb + Decimal(10),
             "public": e.ecb + Decimal(8), "origin": e.origin, "sources": list(e.sources)}
            for e in table_], "last": str(table_.halves[-1]) if len(table_) else None})
        return
    table(["Semestre", "BCE", "Légal partic.", "Légal autres", "B2B (BCE+10)", "Public (+8)",
           "Origine"],
          [(str(e.half), *(format_percent(v) for v in (
              e.ecb, e.legal_private, e.legal_other, e.ecb + 10, e.ecb + 8)),
            "livré" if e.origin == "shipped" else "ajouté") for e in table_])
    click.echo("")
    click.echo("Sources :")
    seen: set[str] = set()
    for e in table_:
        for source in e.sources:
            if source not in seen:
                seen.add(source)
                click.echo(f"  - {source}")
    last = table_.halves[-1]
    click.echo(f"Dernier semestre couvert : {last.label_fr()} (jusqu'au "
               f"{format_date(last.end)}). Au-delà, ajoutez les taux avec « relance rates add "
               f"{last.next()} --ecb … --legal-private … --legal-other … --source URL ».")



@rates.command("add")
@db_option
@click.argument("half")
@click.option("--ecb", required=True, help="Taux BCE (refinancement) au 1er jour du semestre, "
              "en %, par ex. 2,15.")
@click.option("--legal-private", required=True,
              help="Taux de l'intérêt légal, créancier personne physique (hors besoins pro.).")
@click.option("--legal-other", required=True, help="Taux de l'intérêt légal, autres cas.")
@click.option("--source", required=True, help="Adresse de la source officielle (JORF, BCE).")
@click.option("--replace", is_flag=True, help="Remplace des taux déjà ajoutés.")
def rates_add(db_url: str | None, half: str, ecb: str, legal_private: str, legal_other: str,
              source: str, replace: bool) -> None:
    """Ajoute (ou remplace) les taux d'un semestre, par ex. 2026-H2."""
    from relance.services.penalties import save_rate

    if not source.strip():
        raise ValidationError("La source est obligatoire (adresse du JORF ou de la BCE).")
    entry = law_call(RateEntry.of, half, ecb=ecb, legal_private=legal_private,
                     legal_other=legal_other, source=source.strip(), origin="user")
    with bootstrap.database(db_url).begin() as conn:
        replaced = save_rate(conn, entry, replace=replace)
    click.echo(f"Taux du semestre {entry.half} {'remplacés' if replaced else 'enregistrés'} : "
               f"BCE {format_percent(entry.ecb)}, légal {format_percent(entry.legal_private)} "
               f"(particuliers) / {format_percent(entry.legal_other)} (autres cas).")


@rates.command("update")
@db_option
@click.option("--url", default=None, help="Adresse de la série BCE (défaut : ECB Data Portal).")
@click.option("--timeout", type=float, default=10.0, show_default=True,
              help="Délai d'attente réseau en secondes.")
def rates_update(db_url: str | None, url: str | None, timeout: float) -> None:
    """Interroge l'ECB Data Portal et compare le taux BCE avec la table (rien n'est modifié
    sans « rates add »)."""
    from relance.services.ecb import EcbUnavailable, compare, fetch_mro

    table_ = _rates_table(db_url)
    try:
        changes = fetch_mro(url, timeout)
    except EcbUnavailable as err:
        click.echo(f"Mise à jour impossible : {err.message} Rien n'a été modifié.", err=True)
        click.get_current_context().exit(2)
    report = compare(table_, changes)
    for line in report:
        click.echo(line)


# --- penalties -----------------------------------------------------------------------------


def _conventions(pairs: tuple[str, ...], base: Conventions | None = None) -> Conventions:
    values: dict[str, str | bool] = dict(base.as_dict()) if base else {}
    values = {k: v for k, v in values.items() if k in {s.name for s in SETTINGS}}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise ValidationError(f"Réglage « {pair} » : attendu NOM=VALEUR (par ex. "
                                  "day_count=actual/actual).")
        values[name.strip()] = value.strip()
    conventions: Conventions = law_call(Conventions.from_settings, values)
    return conventions


@cli.command()
@db_option
@creditor_option
@click.argument("invoice", required=False)
@click.option("--at", type=DATE, default=None, help="Date de calcul (défaut : aujourd'hui).")
@click.option("--amount", type=AMOUNT, default=None, help="Calculatrice : montant TTC.")
@click.option("--due", type=DATE, default=None, help="Calculatrice : date d'échéance.")
@click.option("--paid", type=DATE, default=None, help="Calculatrice : date du paiement complet.")
@click.option("--kind", type=click.Choice(KINDS), default="b2b", show_default=True,
              help="Calculatrice : client professionnel, particulier ou acheteur public.")
@click.option("--rate", default=None, help="Calculatrice : taux contractuel annuel en % (12.5).")
@click.option("--notice", type=DATE, default=None,
              help="Calculatrice : date de la mise en demeure (particuliers).")
@click.option("--creditor-private", is_flag=True,
              help="Calculatrice : le créancier est un particulier (colonne « particuliers »).")
@click.option("--costs", type=AMOUNT, default=None,
              help="Calculatrice : frais de recouvrement justifiés au-delà de 40 €.")
@click.option("--set", "settings", multiple=True, metavar="NOM=VALEUR",
              help="Convention de calcul (voir « relance settings list »), répétable.")
@json_option
def penalties(db_url: str | None, creditor_ref: str | None, invoice: str | None,
              at: date | None, amount: Decimal | None, due: date | None, paid: date | None,
              kind: str, rate: str | None, notice: date | None, creditor_private: bool,
              costs: Decimal | None, settings: tuple[str, ...], as_json: bool) -> None:
    """Pénalités de retard, indemnité de 40 € et intérêts, avec le détail du calcul.

    Pour une facture de la base : relance penalties F2026-0001 --at 2026-06-30.
    En calculatrice : relance penalties --amount 10000 --due 2024-03-15 --paid 2024-09-30.
    """
    if invoice is None:
        _calculator(db_url, at, amount, due, paid, kind, rate, notice, creditor_private, costs,
                    settings, as_json)
        return
    if any(v is not None for v in (amount, due, paid, rate, notice, costs)):
        raise ValidationError("Donnez soit un numéro de facture, soit --amount/--due "
                              "(calculatrice), pas les deux.")
    if settings:
        raise ValidationError("--set ne s'applique qu'à la calculatrice ; pour une facture, "
                              "utilisez « relance settings set ».")
    from relance.services.penalties import penalties_of_invoice

    at = at or today()
    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        row, result, waived = penalties_of_invoice(conn, creditor, invoice, at)
    header = {"invoice": row.number, "client_ref": row.client_ref, "client_name": row.client_name,
              "amount": row.amount, "at": at, "waived": waived}
    _show(result, header, as_json)


def _calculator(db_url: str | None, at: date | None, amount: Decimal | None, due: date | None,
                paid: date | None, kind: str, rate: str | None, notice: date | None,
                creditor_private: bool, costs: Decimal | None, settings: tuple[str, ...],
                as_json: bool) -> None:
    if amount is None or due is None:
        raise ValidationError("Indiquez une facture de la base, ou --amount et --due "
                              "(calculatrice).")
    if (paid is None) == (at is None):
        raise ValidationError("Indiquez soit --paid (date du paiement), soit --at (encore dû à "
                              "cette date).")
    if amount < ZERO:
        raise ValidationError(f"Montant négatif : {format_money(amount)}.")
    if kind == "b2c" and notice is None:
        raise ValidationError("Pour un particulier, les intérêts ne courent qu'à compter de la "
                              "mise en demeure : indiquez --notice DATE.")
    if kind != "b2b" and rate is not None:
        raise ValidationError("--rate (taux contractuel) ne vaut que pour un client professionnel.")
    until = paid or at
    assert until is not None
    settlements = (Settlement(paid, amount, "paiement"),) if paid else ()
    result = law_call(
        compute_penalties, amount=amount, due=due, until=until, kind=kind,
        rates=_rates_table(db_url), settlements=settlements,
        contractual_rate=law_call(_rate, rate), notice_date=notice,
        creditor_private=creditor_private, extra_costs=costs or ZERO,
        conventions=_conventions(settings))
    header = {"amount": amount, "due": due, "paid": paid, "at": at, "kind": kind}
    _show(result, header, as_json)


def _rate(text: str | None) -> Decimal | None:
    from relance.law.rates import parse_rate

    if text is None:
        return None
    value = parse_rate(text, "taux contractuel")
    if value < 0:
        raise InvalidInputError(f"Taux contractuel négatif : {text}.")
    return value


def _show(result: PenaltyResult | NotComputable, header: dict[str, Any], as_json: bool) -> None:
    if isinstance(result, NotComputable):
        if as_json:
            emit_json({**header, "computable": False, "reason": result.reason,
                       "missing_half": str(result.missing_half) if result.missing_half else None})
        else:
            click.echo(f"Pénalités non calculables : {result.reason}")
        click.get_current_context().exit(2)
    if as_json:
        emit_json({**header, "computable": True, **result.to_json()})
        return
    if "invoice" in header:
        click.echo(f"Facture {header['invoice']} — {header['client_name']} "
                   f"({header['client_ref']}), {format_money(header['amount'])} TTC, échéance "
                   f"{format_date(result.due)}")
    else:
        click.echo(f"Créance de {format_money(header['amount'])} TTC, échéance "
                   f"{format_date(result.due)}")
    click.echo(f"Calcul au {format_date(result.until)}"
               + (f", intérêts à compter du {format_date(result.start)}" if result.start else ""))
    if result.periods:
        table(["Du", "Au", "Jours", "Base", "Taux", "Intérêts"],
              [(format_short_date(p.start), format_short_date(p.end), p.days,
                format_money(p.base), format_percent(p.rate), format_money(p.interest))
               for p in result.periods])
    label = "Intérêts au taux légal" if result.kind == "b2c" else (
        "Intérêts moratoires" if result.kind == "public" else "Pénalités de retard")
    click.echo(f"{label} : {format_money(result.interest)}")
    click.echo(f"Indemnité forfaitaire pour frais de recouvrement : "
               f"{format_money(result.indemnity)}")
    if result.extra_costs:
        click.echo(f"Frais justifiés complémentaires : {format_money(result.extra_costs)}")
    click.echo(f"Total réclamé hors principal (hors champ de la TVA) : "
               f"{format_money(result.total)}")
    click.echo(f"Principal restant dû : {format_money(result.principal_open)} ; "
               f"montant total exigible : {format_money(result.amount_due)}")
    if result.waived_interest or result.waived_indemnity or header.get("waived"):
        click.echo(f"Pénalités abandonnées : {format_money(result.waived_interest)} d'intérêts "
                   f"et {format_money(result.waived_indemnity)} d'indemnité (non réclamés).")
    for note in result.notes:
        click.echo(f"  · {note}")
    conv = result.conventions
    click.echo(f"Conventions : base {conv.day_count}, jour du paiement "
               f"{'compté' if conv.count_payment_day else 'non compté'}, arrondi "
               f"{conv.rounding}, plancher sur le taux par défaut "
               f"{'oui' if conv.floor_default_rate else 'non'}, mise en demeure : "
               f"{conv.notice_basis}.")
    if result.sources:
        click.echo("Sources : " + " ; ".join(result.sources))


# --- terms clause --------------------------------------------------------------------------


@cli.command("terms-clause")
@db_option
@creditor_option
@click.option("--kind", type=click.Choice(KINDS), default="b2b", show_default=True,
              help="Clientèle visée.")
@click.option("--terms", default=None,
              help="Délai de paiement (défaut : celui de la société créancière, sinon 30 jours).")
@click.option("--rate", default=None, help="Taux de pénalité contractuel en % (défaut : BCE+10).")
@click.option("--document", type=click.Choice(["cgv", "devis", "facture"]), default="cgv",
              show_default=True, help="Où la clause sera imprimée.")
@click.option("--discount", default=None, metavar="TAUX:JOURS",
              help="Escompte pour paiement anticipé, par ex. 2:10.")
@click.option("--sector", type=click.Choice(["transport", "perishable_food"]), default=None,
              help="Secteur à plafond particulier.")
@json_option
def terms_clause_cmd(db_url: str | None, creditor_ref: str | None, kind: str,
                     terms: str | None, rate: str | None, document: str,
                     discount: str | None, sector: str | None, as_json: bool) -> None:
    """Clause de conditions de paiement pour CGV, devis et factures."""
    from relance.law.clause import terms_clause
    from relance.law.terms import check_terms_caps, parse_terms

    if terms is None or rate is None:
        engine = _optional_engine(db_url)
        if engine is not None:
            with engine.connect() as conn:
                creditors = conn.execute(select(t.creditors.c.id)).all()
                if creditors:
                    creditor = resolve_creditor(conn, creditor_ref)
                    terms = terms or creditor.default_terms
                    if rate is None and creditor.penalty_rate is not None:
                        rate = str(creditor.penalty_rate)
    terms = terms or "30 jours"
    parsed = law_call(parse_terms, terms)
    disc: tuple[str, int] | None = None
    if discount:
        pct, _, days = discount.partition(":")
        if not days.strip().isdigit():
            raise ValidationError(f"Escompte « {discount} » : attendu TAUX:JOURS, par ex. 2:10.")
        disc = (pct.strip(), int(days))
    text = law_call(terms_clause, kind=kind, terms=parsed, contractual_rate=rate,
                    document=document, discount=disc)
    warnings = law_call(check_terms_caps, parsed, kind,
                        sector if kind == "b2b" else None)
    if as_json:
        emit_json({"kind": kind, "terms": terms, "document": document, "text": text,
                   "warnings": [w.message for w in warnings]})
        return
    click.echo(text)
    for w in warnings:
        click.echo(f"Attention : {w.message} ({w.source})", err=True)


# --- settings ------------------------------------------------------------------------------


@cli.group()
def settings() -> None:
    """Conventions de calcul de la société créancière (là où la loi laisse un choix)."""


@settings.command("list")
@db_option
@creditor_option
@json_option
def settings_list(db_url: str | None, creditor_ref: str | None, as_json: bool) -> None:
    """Affiche chaque réglage, sa valeur et son explication."""
    from relance.services.penalties import RUN_SETTINGS, conventions_for, run_settings

    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        current = conventions_for(conn, creditor.id).as_dict()
        running = run_settings(conn, creditor.id)
    rows = [{"name": s.name, "value": current[s.name], "default": s.default, "help": s.help}
            for s in SETTINGS]
    rows += [{"name": n, "value": running[n], "default": d, "help": h}
             for n, d, h in RUN_SETTINGS]
    if as_json:
        emit_json({"creditor": creditor.ref, "settings": rows})
        return
    for r in rows:
        value = str(r["value"]).lower()
        mark = "" if value == r["default"] else " (modifié)"
        click.echo(f"{r['name']} = {value}{mark}")
        click.echo(f"    {r['help']}")


@settings.command("set")
@db_option
@creditor_option
@click.argument("name")
@click.argument("value")
def settings_set(db_url: str | None, creditor_ref: str | None, name: str, value: str) -> None:
    """Change un réglage, par ex. « relance settings set day_count actual/actual »."""
    from relance.services.penalties import set_convention

    with bootstrap.database(db_url).begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        result = set_convention(conn, creditor.id, name, value)
    shown = result.as_dict().get(name)
    click.echo(f"Réglage {name} = {str(shown).lower() if shown is not None else value.strip()}"
               " enregistré.")


# --- waivers -------------------------------------------------------------------------------


@cli.group()
def waivers() -> None:
    """Abandon des pénalités et de l'indemnité pour un client ou une facture."""


@waivers.command("add")
@db_option
@creditor_option
@click.option("--client", "client_ref", default=None, help="Toutes les factures de ce client.")
@click.option("--invoice", "invoice_number", default=None, help="Cette facture seulement.")
@click.option("--date", "on", type=DATE, default=None, help="Date d'effet (défaut : aujourd'hui).")
@click.option("--reason", default="", help="Motif (conservé dans l'historique).")
def waivers_add(db_url: str | None, creditor_ref: str | None, client_ref: str | None,
                invoice_number: str | None, on: date | None, reason: str) -> None:
    """Renonce aux pénalités et à l'indemnité (geste commercial)."""
    from relance.services.penalties import invoice_by_number, waive

    if (client_ref is None) == (invoice_number is None):
        raise ValidationError("Indiquez soit --client, soit --invoice.")
    on = on or today()
    with bootstrap.database(db_url).begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        if client_ref is not None:
            client = client_by_ref(conn, creditor.id, client_ref)
            waiver_id = waive(conn, creditor.id, on=on, reason=reason, client_id=client.id)
            target = f"le client {client.ref}"
        else:
            assert invoice_number is not None
            inv = invoice_by_number(conn, creditor.id, invoice_number)
            waiver_id = waive(conn, creditor.id, on=on, reason=reason, invoice_id=inv.id)
            target = f"la facture {inv.number}"
    click.echo(f"Abandon n° {waiver_id} : pénalités et indemnité non réclamées pour {target} "
               f"à compter du {format_date(on)}.")


@waivers.command("list")
@db_option
@creditor_option
@json_option
def waivers_list(db_url: str | None, creditor_ref: str | None, as_json: bool) -> None:
    """Liste les abandons de pénalités, en vigueur ou révoqués."""
    from relance.services.penalties import waiver_rows

    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        rows = waiver_rows(conn, creditor.id)
    if as_json:
        emit_json({"waivers": [dict(r._mapping) for r in rows]})
        return
    table(["N°", "Client", "Facture", "Depuis", "Révoqué le", "Motif"],
          [(r.id, r.client_ref or "", r.invoice_number or "", format_short_date(r.waived_on),
            format_short_date(r.revoked_on) if r.revoked_on else "", r.reason) for r in rows])


@waivers.command("revoke")
@db_option
@creditor_option
@click.argument("waiver_id", type=int)
@click.option("--date", "on", type=DATE, default=None, help="Date d'effet (défaut : aujourd'hui).")
def waivers_revoke(db_url: str | None, creditor_ref: str | None, waiver_id: int,
                   on: date | None) -> None:
    """Met fin à un abandon de pénalités."""
    from relance.services.penalties import revoke_waiver

    on = on or today()
    with bootstrap.database(db_url).begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        revoke_waiver(conn, creditor.id, waiver_id, on)
    click.echo(f"Abandon n° {waiver_id} révoqué à compter du {format_date(on)}.")


# --- notices and prescription --------------------------------------------------------------


@cli.group()
def notices() -> None:
    """Mises en demeure envoyées hors de Relance (leurs dates font courir les intérêts)."""


@notices.command("record")
@db_option
@creditor_option
@click.argument("invoice")
@click.option("--sent", type=DATE, required=True, help="Date d'envoi.")
@click.option("--presented", type=DATE, default=None, help="Date de première présentation.")
@click.option("--received", type=DATE, default=None, help="Date de réception (AR signé).")
@click.option("--lrar", default="", help="Numéro de la lettre recommandée (LRAR).")
def notices_record(db_url: str | None, creditor_ref: str | None, invoice: str, sent: date,
                   presented: date | None, received: date | None, lrar: str) -> None:
    """Enregistre une mise en demeure et ses dates dans l'historique."""
    from relance.services.penalties import record_notice

    with bootstrap.database(db_url).begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        record_notice(conn, creditor.id, invoice, sent=sent, first_presented=presented,
                      received=received, lrar=lrar)
    click.echo(f"Mise en demeure de la facture {invoice} enregistrée (envoyée le "
               f"{format_date(sent)}).")


@cli.group()
def prescription() -> None:
    """Prescription des créances : date limite pour agir, alertes, interruptions."""


@prescription.command("list")
@db_option
@creditor_option
@click.option("--at", type=DATE, default=None, help="Situation à cette date.")
@click.option("--within", type=click.IntRange(0), default=None,
              help="Seulement les créances prescrites dans ce nombre de jours.")
@click.option("--client", "client_ref", default=None, help="Seulement ce client.")
@json_option
def prescription_list(db_url: str | None, creditor_ref: str | None, at: date | None,
                      within: int | None, client_ref: str | None, as_json: bool) -> None:
    """Date de prescription de chaque facture ouverte, les plus proches d'abord."""
    from relance.services.prescription import prescription_rows

    at = at or today()
    with bootstrap.database(db_url).connect() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        client_id = client_by_ref(conn, creditor.id, client_ref).id if client_ref else None
        rows = prescription_rows(conn, creditor.id, at, client_id=client_id)
    if within is not None:
        rows = [r for r in rows if r.status.days_left is not None
                and r.status.days_left <= within]
    if as_json:
        emit_json({"at": at, "invoices": [r.to_json() for r in rows]})
        return
    labels = {"ok": "", "warning": "ALERTE", "expired": "PRESCRITE", "suspended": "instance"}
    table(["Facture", "Client", "Reste dû", "Point de départ", "Prescription", "Jours", "État"],
          [(r.number, r.client_ref, format_money(r.open_amount),
            format_short_date(r.status.start),
            format_short_date(r.status.expires) if r.status.expires else "suspendue",
            "" if r.status.days_left is None else r.status.days_left,
            labels[r.status.state]) for r in rows])
    warned = [r for r in rows if r.status.state in ("warning", "expired")]
    for r in warned:
        click.echo(f"{r.number} : {r.status.message}")


@prescription.command("interrupt")
@db_option
@creditor_option
@click.argument("invoice")
@click.option("--kind", type=click.Choice(["acknowledgement", "payment_plan", "court_filing",
                                           "enforcement"]), required=True,
              help="Reconnaissance de dette, échéancier signé, demande en justice, exécution.")
@click.option("--date", "on", type=DATE, required=True, help="Date de l'acte.")
@click.option("--ends", type=DATE, default=None,
              help="Fin de l'instance (demande en justice), si elle est terminée.")
@click.option("--note", default="", help="Commentaire pour l'historique.")
def prescription_interrupt(db_url: str | None, creditor_ref: str | None, invoice: str,
                           kind: str, on: date, ends: date | None, note: str) -> None:
    """Enregistre un acte qui interrompt la prescription et affiche la nouvelle date."""
    from relance.services.prescription import record_interruption

    with bootstrap.database(db_url).begin() as conn:
        creditor = resolve_creditor(conn, creditor_ref)
        status = record_interruption(conn, creditor.id, invoice, kind, on, ends, note)
    click.echo(f"Interruption enregistrée pour la facture {invoice}. {status.message}")
