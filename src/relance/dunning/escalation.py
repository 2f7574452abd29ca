"""What to do after an unanswered formal notice: escalation options, best first, with sources.

>>> from decimal import Decimal
>>> [o.code for o in recommend_escalation(Decimal("5000.00"), "b2b")]
['small_claims', 'payment_order', 'collection_agency']
>>> [o.code for o in recommend_escalation(Decimal("5000.01"), "b2b")]
['payment_order', 'collection_agency', 'lawyer']
>>> hard_up = recommend_escalation(Decimal("800"), "b2c", late_cause="financial_difficulty")
>>> [o.code for o in hard_up]
['payment_plan', 'small_claims', 'payment_order', 'collection_agency']
>>> [o.code for o in recommend_escalation(Decimal("12000"), "public")]
['business_mediator', 'lawyer']
>>> [o.code for o in recommend_escalation(Decimal("3000"), "b2b", disputed=True)]
['business_mediator', 'lawyer']

These are recommendations for a person to choose from, never actions taken automatically.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from relance.dunning.scenario import CLIENT_KINDS, LATE_CAUSES
from relance.i18n import format_money

ESCALATION_CODES = ("small_claims", "payment_order", "collection_agency", "lawyer",
                    "business_mediator", "payment_plan")

# Procédure simplifiée de recouvrement des petites créances: claims up to 5 000 €, principal
# and interest included, since 1 January 2020 (4 000 € before). Not yet in law/data/rules.toml.
SMALL_CLAIMS_CAP = Decimal("5000.00")
SMALL_CLAIMS_SOURCE = (
    "Code des procédures civiles d'exécution, art. L125-1 et R125-1 à R125-8 ; plafond de "
    "5 000 € depuis le 1er janvier 2020 "
    "(https://acta.fr/actualites/la-procedure-simplifiee-de-recouvrement-des-petites-creances)")
PAYMENT_ORDER_SOURCE = (
    "Code de procédure civile, art. 1405 à 1425 (https://infogreffe.fr/guide-des-formalites/"
    "fond--referes--requetes/injonction-de-payer/demande-en-injonction-de-payer)")
COLLECTION_AGENCY_SOURCE = (
    "Code des procédures civiles d'exécution, art. L111-8 et R124-1 à R124-7 "
    "(https://kohenavocats.fr/?p=73039)")
LAWYER_SOURCE = (
    "Code de procédure civile : action au fond ; opposition à une injonction de payer dans le "
    "mois de sa signification (https://myinfogreffe.fr/procedure-injonction-de-payer/)")
MEDIATOR_SOURCE = (
    "Médiateur des entreprises (ministère de l'Économie), gratuit, litiges entre entreprises et "
    "avec les acheteurs publics (http://iblog.redlink.fr/?p=4502)")
PAYMENT_PLAN_SOURCE = (
    "Accord amiable entre les parties ; à défaut, le juge peut accorder des délais de paiement "
    "jusqu'à deux ans (Code civil, art. 1343-5, à vérifier sur Légifrance)")


@dataclass(frozen=True)
class EscalationOption:
    """One way forward: a code, a French label, why it fits this claim, and its legal basis."""

    code: str
    label: str
    why: str
    source: str


def recommend_escalation(amount: Decimal, kind: str, *, disputed: bool = False,
                         late_cause: str | None = None) -> list[EscalationOption]:
    """Options for an unpaid claim of `amount` (principal and interest), best first."""
    if kind not in CLIENT_KINDS:
        raise ValueError(f"Type de client « {kind} » inconnu ; attendu : "
                         f"{', '.join(CLIENT_KINDS)}.")
    if late_cause is not None and late_cause not in LATE_CAUSES:
        raise ValueError(f"Cause de retard « {late_cause} » inconnue ; attendu : "
                         f"{', '.join(LATE_CAUSES)}.")
    if amount < 0:
        raise ValueError(f"Montant négatif ({format_money(amount)}) : rien à recouvrer.")
    if amount == 0:
        return []
    disputed = disputed or late_cause == "dispute"
    options: list[EscalationOption] = []
    if late_cause == "financial_difficulty" and not disputed:
        options.append(_payment_plan())
    if kind == "public" or (disputed and kind == "b2b"):
        options.append(_mediator(kind, disputed))
    if disputed or kind == "public":
        options.append(_lawyer(amount, kind, disputed))
        return options
    if amount <= SMALL_CLAIMS_CAP:
        options.append(_small_claims(amount))
    options.append(_payment_order(kind))
    options.append(_collection_agency(kind))
    if amount > SMALL_CLAIMS_CAP:
        options.append(_lawyer(amount, kind, disputed))
    return options


def _payment_plan() -> EscalationOption:
    return EscalationOption(
        "payment_plan", "Proposer un échéancier",
        "Le client traverse des difficultés financières : un échéancier réaliste, proposé avant "
        "toute procédure, préserve la relation et a plus de chances d'aboutir qu'une action "
        "en justice.", PAYMENT_PLAN_SOURCE)


def _mediator(kind: str, disputed: bool) -> EscalationOption:
    why = ("Client du secteur public : saisir d'abord le Médiateur des entreprises, gratuit, "
           "qui traite les retards de paiement des acheteurs publics."
           if kind == "public" else
           "La créance est contestée entre professionnels : le Médiateur des entreprises, "
           "gratuit, peut aider à trouver un accord avant toute action en justice.")
    if kind == "public" and disputed:
        why += " La créance étant contestée, la médiation est d'autant plus indiquée."
    return EscalationOption("business_mediator", "Saisir le Médiateur des entreprises", why,
                            MEDIATOR_SOURCE)


def _small_claims(amount: Decimal) -> EscalationOption:
    return EscalationOption(
        "small_claims", "Procédure simplifiée de recouvrement des petites créances",
        f"{format_money(amount)} ne dépasse pas {format_money(SMALL_CLAIMS_CAP)} (principal et "
        "intérêts) : un commissaire de justice invite le débiteur à un accord dans le mois et "
        "délivre un titre exécutoire s'il accepte. Ses frais restent à votre charge.",
        SMALL_CLAIMS_SOURCE)


def _payment_order(kind: str) -> EscalationOption:
    court = ("le président du tribunal de commerce (ou du tribunal des activités économiques)"
             if kind == "b2b" else "le tribunal judiciaire")
    return EscalationOption(
        "payment_order", "Demander une injonction de payer",
        "La créance n'est pas contestée : une requête à " + court + " du domicile du débiteur, "
        "avec les factures et la mise en demeure, permet d'obtenir une ordonnance sans audience.",
        PAYMENT_ORDER_SOURCE)


def _collection_agency(kind: str) -> EscalationOption:
    costs = ("Sa rémunération reste à votre charge : aucun frais de recouvrement ne peut être "
             "réclamé au particulier sans titre exécutoire."
             if kind == "b2c" else
             "Sa rémunération reste à votre charge ; seule l'indemnité forfaitaire de 40 € par "
             "facture (et une indemnité complémentaire justifiée) peut être demandée au débiteur.")
    return EscalationOption(
        "collection_agency", "Confier le dossier à un cabinet de recouvrement amiable",
        "Un cabinet mandaté par écrit relance le débiteur à l'amiable, sans procédure. " + costs,
        COLLECTION_AGENCY_SOURCE)


def _lawyer(amount: Decimal, kind: str, disputed: bool) -> EscalationOption:
    if disputed:
        why = ("La créance est contestée : une injonction de payer serait frappée d'opposition ; "
               "un avocat évalue le litige et, s'il le faut, engage une action au fond.")
    elif kind == "public":
        why = ("Si la médiation échoue, un avocat saisit le juge compétent : les règles de "
               "recouvrement contre une personne publique sont particulières.")
    else:
        why = (f"Montant élevé ({format_money(amount)}, au-delà de "
               f"{format_money(SMALL_CLAIMS_CAP)}) : un avocat sécurise la procédure, notamment "
               "en cas d'opposition à l'injonction de payer.")
    return EscalationOption("lawyer", "Consulter un avocat", why, LAWYER_SOURCE)
