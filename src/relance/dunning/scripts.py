r"""Phone scripts for dunning calls, in French, fitting the step's tone.

>>> from datetime import date
>>> from decimal import Decimal
>>> text = call_script(tone="courteous", client_name="Garage Martin SARL",
...                    contact_name="M. Martin", invoices=[("F1", date(2026, 3, 16),
...                    Decimal("1200.00"))], total_open=Decimal("1200.00"), penalties=None,
...                    creditor_name="Atelier Durand", step_label="Appel de courtoisie")
>>> print(text.splitlines()[0])
Script d'appel : Appel de courtoisie (ton courtois)
>>> "- F1, échue le 16 mars 2026 : 1 200,00 €" in text.replace("\u202f", " ").replace("\xa0", " ")
True

A script says what the next lawful step is and nothing more: no pressure, no threat, no
contact with third parties (art. 222-16 and 312-1 C. pén.; DGCCRF practices).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from relance.dunning.scenario import CLIENT_KINDS, TONE_LABELS, TONES
from relance.i18n import format_date, format_money
from relance.law.rules import load_rules

_PROFESSIONALS = ("b2b", "public")


def call_script(*, tone: str, client_name: str, contact_name: str | None,
                invoices: Sequence[tuple[str, date, Decimal]], total_open: Decimal,
                penalties: Decimal | None, creditor_name: str, step_label: str,
                kind: str | None = None) -> str:
    """A short call script; the 40 € indemnity is mentioned only when `kind` is b2b or public."""
    if tone not in TONES:
        raise ValueError(f"Ton « {tone} » inconnu ; attendu : {', '.join(TONES)}.")
    if kind is not None and kind not in CLIENT_KINDS:
        raise ValueError(f"Type de client « {kind} » inconnu ; attendu : "
                         f"{', '.join(CLIENT_KINDS)}.")
    who = contact_name or f"la personne chargée du règlement des factures de {client_name}"
    lines = [
        f"Script d'appel : {step_label} (ton {TONE_LABELS[tone]})",
        f"Client : {client_name}" + (f", interlocuteur : {contact_name}" if contact_name else ""),
        "",
        "1. Présentation",
        f"« Bonjour, pourrais-je parler à {who} ? Je suis [votre prénom], de la société "
        f"{creditor_name}. »",
        "Vérifiez que vous parlez à la bonne personne avant d'évoquer les factures. Sur un "
        "répondeur ou avec un tiers, laissez seulement votre nom, celui de la société "
        f"{creditor_name} et un numéro de rappel, sans parler des sommes dues.",
        "",
        "2. Factures concernées",
        *(f"- {number}, échue le {format_date(due)} : {format_money(amount)}"
          for number, due, amount in invoices),
        f"Total restant dû : {format_money(total_open)}",
    ]
    if penalties:
        lines.append(f"{_penalties_name(kind)} à ce jour : {format_money(penalties)}")
    lines += ["", "3. Ce que vous dites", *_pitch(tone, total_open, penalties, kind, invoices)]
    lines += ["", "4. Questions à poser", *_questions(tone, total_open)]
    lines += ["", "5. Selon la réponse", *_answers(), "", "6. Ton", *_manner(tone)]
    return "\n".join(lines) + "\n"


def _pitch(tone: str, total: Decimal, penalties: Decimal | None, kind: str | None,
           invoices: Sequence[tuple[str, date, Decimal]]) -> list[str]:
    """The core of the call, by tone."""
    amount = format_money(total)
    if tone == "courteous":
        return [f"« Je vous appelle au sujet de notre facturation : {amount} restent à régler. "
                "Avez-vous bien reçu nos factures ? Il s'agit peut-être d'un simple oubli. »",
                "« À quelle date pensez-vous pouvoir procéder au règlement ? »"]
    indemnity = _indemnity(kind, len(invoices))
    if tone == "firm":
        said = [f"« Nous vous avons déjà adressé des rappels au sujet de ces factures, restés "
                f"sans règlement. Le total dû s'élève à {amount}. J'ai besoin aujourd'hui d'une "
                "date de règlement ferme et du montant que vous réglerez à cette date. »"]
        if penalties:
            said.append(f"« Je vous rappelle que des {_penalties_name(kind).lower()} courent "
                        f"depuis l'échéance : {format_money(penalties)} à ce jour. »")
        if indemnity:
            said.append(f"« S'y ajoute l'{indemnity}. »")
        return said
    said = [f"« Malgré nos relances, {amount} restent impayés. Sans règlement ou accord de "
            "paiement de votre part, nous vous adresserons une mise en demeure par lettre "
            "recommandée avec accusé de réception ; si elle reste sans effet, nous pourrons "
            "engager une procédure de recouvrement, par exemple une injonction de payer. »"]
    if kind in _PROFESSIONALS:
        said.append(f"« La mise en demeure réclamera les {_penalties_name(kind).lower()}"
                    + (f" et l'{indemnity}" if indemnity else "") + ". »")
    elif kind == "b2c":
        said.append("« À compter de la mise en demeure, la somme due portera intérêts au taux "
                    "légal. »")
    said.append("« Un règlement ou une proposition de paiement de votre part nous permettrait "
                "d'éviter ces démarches. »")
    return said


def _questions(tone: str, total: Decimal) -> list[str]:
    """What to ask and note, whatever the tone."""
    questions = [
        "- « Qu'est-ce qui explique ce retard ? » (oubli, contestation, difficultés de "
        "trésorerie, circuit de validation interne) : notez la cause.",
        "- « À quelle date le règlement sera-t-il effectué ? » : notez la date promise.",
        f"- « Pour quel montant : la totalité ({format_money(total)}) ou une partie ? » : "
        "notez le montant promis.",
        "- « Par quel moyen : virement, chèque, carte ? »",
    ]
    if tone != "courteous":
        questions.append("- « Qui valide le paiement chez vous, et comment puis-je le joindre ? »")
    return questions


def _answers() -> list[str]:
    return [
        "- Contestation : notez le motif et les factures concernées ; les relances sont "
        "suspendues le temps de régler le litige.",
        "- Difficultés financières : proposez un échéancier plutôt qu'une procédure.",
        "- Promesse : confirmez la date et le montant par courriel à la fin de l'appel.",
    ]


def _manner(tone: str) -> list[str]:
    manner = {
        "courteous": "Cordial et sans reproche : le but est de garder une bonne relation.",
        "firm": "Calme et posé, même si l'interlocuteur s'énerve ; appuyez-vous sur les "
                "factures et les dates.",
        "formal": "Factuel et courtois : annoncez seulement l'étape légale suivante, sans "
                  "menace ni pression.",
    }[tone]
    return [manner, "Si l'interlocuteur devient agressif, mettez fin poliment à l'appel et "
            "notez-le. Ne contactez jamais ses proches, ses voisins ou son employeur."]


def _penalties_name(kind: str | None) -> str:
    """What late charges are called for this kind of debtor."""
    return {"b2b": "Pénalités de retard", "public": "Intérêts moratoires",
            "b2c": "Intérêts au taux légal"}.get(kind or "", "Intérêts de retard")


def _indemnity(kind: str | None, count: int) -> str:
    """The 40 € fixed indemnity (per invoice), owed by professional debtors only (D441-5)."""
    if kind not in _PROFESSIONALS or count == 0:
        return ""
    unit = load_rules().penalties.indemnity
    text = f"indemnité forfaitaire pour frais de recouvrement de {format_money(unit)} par facture"
    if count > 1:
        text += f", soit {format_money(unit * count)}"
    return text
