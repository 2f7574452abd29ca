"""Payment-terms clause for CGV, quotes and invoices, so that penalties are enforceable.

>>> text = terms_clause(kind="b2b", terms="30 jours")
>>> "40 €" in text and "10 points" in text and "Aucun escompte" in text
True
>>> b2c = terms_clause(kind="b2c", terms="à réception", document="facture").splitlines()
>>> b2c[0]  # doctest: +ELLIPSIS
"La présente facture est payable à réception de la facture. Aucun escompte n'est accordé ..."
>>> "40 €" in b2c[1], "intérêt légal à compter de la mise en demeure" in b2c[1]
(False, True)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from relance.law.errors import InvalidInputError
from relance.law.penalty_model import fr_number
from relance.law.rates import parse_rate
from relance.law.rules import load_rules
from relance.law.terms import PaymentTerms, parse_terms

_SUBJECT = {
    "cgv": "Les factures sont payables",
    "devis": "Les factures émises au titre du présent devis sont payables",
    "facture": "La présente facture est payable",
}


def terms_clause(
    *,
    kind: str = "b2b",
    terms: PaymentTerms | str = "30 jours",
    contractual_rate: Decimal | str | None = None,
    document: str = "cgv",
    discount: tuple[Decimal | str, int] | None = None,
    due_date: dt.date | None = None,
    eom_method: str = "days_then_eom",
) -> str:
    """French clause: terms, escompte, penalty rate, 40 € indemnity (B2B and public buyers).

    `contractual_rate` is a B2B rate: consumers owe the legal rate, public buyers R2192-31's.
    """
    if document not in _SUBJECT:
        raise InvalidInputError(f"Document inconnu : « {document} » (cgv, devis ou facture).")
    parsed = parse_terms(terms, eom_method=eom_method) if isinstance(terms, str) else terms
    lines = [f"{_SUBJECT[document]} {parsed.describe_fr()}. {_discount(discount)}"]
    if due_date is not None and document == "facture":
        lines.append(f"Date d'échéance : {due_date:%d/%m/%Y}.")
    if kind == "b2b":
        lines += [_b2b_rate(contractual_rate), _indemnity(
            "Tout professionnel en situation de retard de paiement est de plein droit débiteur, "
            "à l'égard du créancier, d'une indemnité forfaitaire pour frais de recouvrement",
            "articles L441-10 et D441-5 du Code de commerce")]
    elif kind == "public":
        lines += [_public_rate(), _indemnity(
            "Le retard de paiement ouvre droit, de plein droit, à une indemnité forfaitaire pour "
            "frais de recouvrement", "Code de la commande publique, articles R2192-31 et suivants")]
    elif kind == "b2c":
        lines.append("En cas de retard de paiement, les sommes dues portent intérêt au taux de "
                     "l'intérêt légal à compter de la mise en demeure de payer (articles 1231-6 "
                     "et 1344-1 du Code civil).")
    else:
        raise InvalidInputError(f"Type de client inconnu : « {kind} » (b2b, b2c ou public).")
    return "\n".join(lines)


def _discount(discount: tuple[Decimal | str, int] | None) -> str:
    """The escompte sentence (a mandatory mention, even when there is none)."""
    if discount is None:
        return "Aucun escompte n'est accordé pour paiement anticipé."
    rate, days = _positive(discount[0], "taux d'escompte"), discount[1]
    if days < 1:
        raise InvalidInputError(f"Délai d'escompte invalide : {days} jours.")
    return f"Escompte de {_fr(rate)} % en cas de paiement sous {days} jours."


def _b2b_rate(contractual_rate: Decimal | str | None) -> str:
    """Penalty sentence of L441-10, with the default or the agreed rate."""
    rules = load_rules().penalties
    if contractual_rate is None:
        rate = ("au taux d'intérêt appliqué par la Banque centrale européenne à son opération "
                f"de refinancement la plus récente, majoré de {_fr(rules.b2b_margin)} points de "
                "pourcentage (taux en vigueur au 1er janvier pour le premier semestre et au "
                "1er juillet pour le second)")
    else:
        value = _positive(contractual_rate, "taux contractuel")
        rate = (f"au taux annuel de {_fr(value)} %, sans pouvoir être inférieur à trois "
                "fois le taux de l'intérêt légal")
    return ("En cas de retard de paiement, des pénalités de retard sont exigibles de plein "
            "droit, sans qu'un rappel soit nécessaire, dès le jour suivant la date de règlement "
            f"figurant sur la facture, {rate}. Elles sont calculées sur le montant toutes taxes "
            "comprises restant dû, au prorata du nombre de jours de retard (article L441-10 du "
            "Code de commerce).")


def _public_rate() -> str:
    """Moratory interest sentence of R2192-31."""
    margin = load_rules().penalties.public_margin
    return ("Le dépassement du délai de paiement fait courir de plein droit des intérêts "
            "moratoires au taux appliqué par la Banque centrale européenne à ses opérations "
            "principales de refinancement en vigueur au premier jour du semestre au cours duquel "
            f"les intérêts ont commencé à courir, majoré de {_fr(margin)} points de "
            "pourcentage.")


def _indemnity(sentence: str, reference: str) -> str:
    """The 40 € indemnity sentence; the amount itself must be written, not just the decree."""
    amount = _fr(load_rules().penalties.indemnity).replace(",00", "")
    return (f"{sentence} de {amount} € ({reference})."
            " Lorsque les frais de recouvrement exposés sont supérieurs à ce montant, une "
            "indemnisation complémentaire peut être demandée sur justification.")


def _positive(value: Decimal | str, name: str) -> Decimal:
    """A rate read exactly; zero or negative rates make no sense in a clause."""
    rate = parse_rate(value, name)
    if rate <= 0:
        raise InvalidInputError(f"Le {name} doit être positif : « {value} ».")
    return rate


def _fr(value: Decimal) -> str:
    """A rate or amount in French notation, never in exponent form ("1E+1" is "10")."""
    return fr_number(Decimal(format(value, "f")))
