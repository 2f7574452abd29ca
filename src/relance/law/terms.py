"""Payment terms: read common French wordings, compute the due date, flag legal caps.

>>> t = parse_terms("45 jours fin de mois")
>>> t.due_date(date(2024, 1, 15))
datetime.date(2024, 2, 29)
>>> parse_terms("45 jours fin de mois", eom_method="eom_then_days").due_date(date(2024, 1, 15))
datetime.date(2024, 3, 16)
>>> parse_terms("30 jours fin de mois le 10").due_date(date(2024, 1, 15))
datetime.date(2024, 3, 10)
>>> [w.code for w in check_terms_caps(parse_terms("90 jours"), "b2b")]
['b2b_cap']
>>> parse_terms("quand vous voulez")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
relance.law.errors.TermsError: Conditions de paiement illisibles : « quand vous voulez ». ...
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from relance.law.errors import InvalidInputError, TermsError
from relance.law.rules import load_rules

date = dt.date
TermsKind = Literal["net", "days_then_eom", "eom_then_days", "on_receipt", "cash"]
EXAMPLES = ("« 30 jours », « 45 jours fin de mois », « 60 jours date de facture », "
            "« à réception », « comptant », « 30 jours fin de mois le 10 »")
_FILLER = {"a", "au", "aux", "de", "des", "du", "d", "la", "l", "paiement", "reglement",
           "payable", "payables", "net", "nets", "nette", "date", "facture", "factures",
           "emission", "compter", "sous", "dans", "delai", "sa", "leur", "votre"}
_MAX_DAYS = 365


@dataclass(frozen=True)
class PaymentTerms:
    """A payment term: kind, number of days, and an optional day of the following month."""

    kind: TermsKind
    days: int = 0
    day_of_month: int | None = None
    text: str = ""

    def due_date(self, issue: dt.date) -> dt.date:
        """The due date of an invoice issued on `issue`."""
        if self.kind in ("on_receipt", "cash"):
            return issue
        if self.kind == "net":
            return issue + dt.timedelta(days=self.days)
        if self.kind == "days_then_eom":
            due = end_of_month(issue + dt.timedelta(days=self.days))
        else:
            due = end_of_month(issue) + dt.timedelta(days=self.days)
        return due if self.day_of_month is None else day_of_next_month(due, self.day_of_month)

    def describe_fr(self) -> str:
        """The term in French, stating the end-of-month method explicitly."""
        if self.kind == "on_receipt":
            return "à réception de la facture"
        if self.kind == "cash":
            return "comptant, à la date d'émission de la facture"
        if self.kind == "net":
            return f"à {self.days} jours à compter de la date d'émission de la facture"
        if self.days == 0:
            text = "fin de mois, soit le dernier jour du mois d'émission de la facture"
        elif self.kind == "days_then_eom":
            text = (f"à {self.days} jours fin de mois, soit le dernier jour du mois au cours "
                    f"duquel expire un délai de {self.days} jours à compter de la date "
                    "d'émission de la facture")
        else:
            text = (f"à {self.days} jours fin de mois, soit {self.days} jours après la fin du "
                    "mois d'émission de la facture")
        if self.day_of_month is not None:
            text += f", payable le {self.day_of_month} du mois suivant"
        return text


def end_of_month(day: dt.date) -> dt.date:
    """Last day of the month of `day`."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def day_of_next_month(day: dt.date, dom: int) -> dt.date:
    """Day `dom` of the month after `day` (the last day if the month is shorter)."""
    nxt = end_of_month(day) + dt.timedelta(days=1)
    return nxt.replace(day=min(dom, calendar.monthrange(nxt.year, nxt.month)[1]))


def _tokens(text: str) -> list[str]:
    """Lower-case, accents removed, key phrases folded, filler words dropped."""
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    plain = " ".join(plain.split())  # one space between words, so the phrases below match
    plain = re.sub(r"fin (de |du )?mois|\bfdm\b|\bf\.?d\.?m\.?", " fdm ", plain)
    plain = re.sub(r"\ble (\d{1,2})\b", r" dom \1 ", plain)
    plain = re.sub(r"(\d+)\s*(jours?|j)\b", r"\1 j ", plain)
    words = re.sub(r"[^a-z0-9]+", " ", plain).split()
    return ["j" if w in ("jour", "jours") else w for w in words if w not in _FILLER]


def parse_terms(text: str, *, eom_method: str = "days_then_eom") -> PaymentTerms:
    """Read French payment terms; TermsError (French) when the wording is not understood."""
    if eom_method not in ("days_then_eom", "eom_then_days"):
        raise InvalidInputError(f"Méthode fin de mois inconnue : « {eom_method} ».")
    words = _tokens(text)
    shape = " ".join("N" if w.isdigit() else w for w in words)
    nums = [int(w) for w in words if w.isdigit()]
    kinds: dict[str, Callable[[], PaymentTerms]] = {
        "reception": lambda: PaymentTerms("on_receipt", text=text),
        "comptant": lambda: PaymentTerms("cash", text=text),
        "N j": lambda: PaymentTerms("net", nums[0], text=text),
        "N": lambda: PaymentTerms("net", nums[0], text=text),
        "N j fdm": lambda: PaymentTerms(eom_method, nums[0], text=text),  # type: ignore[arg-type]
        "N j fdm dom N": lambda: PaymentTerms(eom_method, nums[0], nums[1], text),  # type: ignore[arg-type]
        "fdm N j": lambda: PaymentTerms("eom_then_days", nums[0], text=text),
        "fdm": lambda: PaymentTerms("days_then_eom", 0, text=text),
        "fdm dom N": lambda: PaymentTerms("days_then_eom", 0, nums[0], text),
    }
    build = kinds.get(shape)
    if build is None:
        raise TermsError(f"Conditions de paiement illisibles : « {text} ». "
                         f"Exemples acceptés : {EXAMPLES}.")
    terms = build()
    if terms.days > _MAX_DAYS or (terms.day_of_month is not None
                                  and not 1 <= terms.day_of_month <= 31):
        raise TermsError(f"Conditions de paiement invraisemblables : « {text} ».")
    return terms


@dataclass(frozen=True)
class TermsWarning:
    """A term beyond a legal cap: a value to show, not an error."""

    code: str
    message: str
    limit_days: int
    max_days: int
    source: str


def max_delay(terms: PaymentTerms) -> int:
    """Longest delay in days from the invoice date, over every issue day of 2023-2024."""
    first = dt.date(2023, 1, 1)
    return max((terms.due_date(d) - d).days
               for d in (first + dt.timedelta(days=i) for i in range(731)))


def _b2b_allowed(terms: PaymentTerms) -> Callable[[dt.date], dt.date]:
    """Latest lawful due date for an issue date: 60 days, or 45 days end of month."""
    rules = load_rules().terms
    net = dt.timedelta(days=rules.b2b_max_days)
    if terms.kind not in ("days_then_eom", "eom_then_days"):
        return lambda issue: issue + net
    eom = PaymentTerms(terms.kind, rules.b2b_max_eom_days)
    return lambda issue: max(issue + net, eom.due_date(issue))


def check_terms_caps(terms: PaymentTerms, kind: str, sector: str | None = None, *,
                     periodic: bool = False) -> list[TermsWarning]:
    """Warnings for terms beyond the legal caps (B2B, transport, food, public buyers)."""
    rules = load_rules().terms
    worst = max_delay(terms)
    said = terms.text or terms.describe_fr()
    if kind == "b2c":
        return []
    if kind == "public":
        caps = {None: rules.public_authority_max_days, "authority": rules.public_authority_max_days,
                "health": rules.public_health_max_days,
                "public_company": rules.public_company_max_days}
        if sector not in caps:
            raise InvalidInputError(f"Acheteur public inconnu : « {sector} » "
                                    "(authority, health ou public_company).")
        return _over("public_cap", said, worst, caps[sector], rules.public_source,
                     "délai global de paiement de l'acheteur public")
    if kind != "b2b":
        raise InvalidInputError(f"Type de débiteur inconnu : « {kind} » (b2b, b2c ou public).")
    warnings: list[TermsWarning] = []
    if sector == "transport":
        warnings += _over("transport_cap", said, worst, rules.transport_max_days,
                          rules.transport_source, "plafond du transport")
    elif sector == "perishable_food":
        warnings += _over("perishable_cap", said, worst, rules.perishable_max_days,
                          rules.perishable_source, "plafond des denrées périssables")
    elif sector is not None:
        raise InvalidInputError(f"Secteur inconnu : « {sector} » (transport ou perishable_food).")
    if periodic:
        warnings += _over("periodic_cap", said, worst, rules.periodic_max_days,
                          rules.periodic_source, "plafond des factures périodiques")
    allowed = _b2b_allowed(terms)
    first = dt.date(2023, 1, 1)
    if any(terms.due_date(d) > allowed(d) for d in (first + dt.timedelta(days=i)
                                                     for i in range(731))):
        warnings.append(TermsWarning(
            "b2b_cap",
            f"Délai « {said} » : jusqu'à {worst} jours après la facture, au-delà du plafond "
            f"légal ({rules.b2b_max_days} jours à compter de la date d'émission de la facture "
            f"ou {rules.b2b_max_eom_days} jours fin de mois).",
            rules.b2b_max_days, worst, rules.b2b_source))
    return warnings


def _over(code: str, said: str, worst: int, limit: int, source: str,
          what: str) -> list[TermsWarning]:
    """One warning if `worst` exceeds `limit` days."""
    if worst <= limit:
        return []
    return [TermsWarning(code, f"Délai « {said} » : jusqu'à {worst} jours après la facture, "
                         f"au-delà du {what} ({limit} jours).", limit, worst, source)]
