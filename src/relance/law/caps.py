"""Whether an invoice's due date lies beyond the legal payment-term caps (a warning, not an
error: the invoice stays valid, but the creditor should know its terms are unlawful).

>>> from datetime import date
>>> latest_lawful_due(date(2026, 1, 10), "b2b")  # end of January + 45 days
datetime.date(2026, 3, 17)
>>> beyond_cap(date(2026, 1, 10), date(2026, 4, 15), "b2b") is not None
True
>>> beyond_cap(date(2026, 1, 10), date(2026, 4, 15), "b2c") is None
True
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from relance.law.rules import load_rules
from relance.law.terms import PaymentTerms


@lru_cache(maxsize=8192)
def latest_lawful_due(issue: dt.date, kind: str) -> dt.date | None:
    """The latest due date the caps allow for an invoice issued on `issue` (None: no cap).

    B2B: 60 days from issue, or 45 days end of month under either reading (L441-10 I).
    Public buyers: the 30-day délai global of the State and local authorities (R2192-10).
    Consumers: no statutory cap.
    """
    rules = load_rules().terms
    if kind == "b2b":
        eom = rules.b2b_max_eom_days
        return max(issue + dt.timedelta(days=rules.b2b_max_days),
                   PaymentTerms("days_then_eom", eom).due_date(issue),
                   PaymentTerms("eom_then_days", eom).due_date(issue))
    if kind == "public":
        return issue + dt.timedelta(days=rules.public_authority_max_days)
    return None


def beyond_cap(issue: dt.date, due: dt.date, kind: str) -> str | None:
    """A French warning when `due` exceeds the cap for `kind`, else None."""
    latest = latest_lawful_due(issue, kind)
    if latest is None or due <= latest:
        return None
    rules = load_rules().terms
    if kind == "public":
        return (f"échéance à {(due - issue).days} jours, au-delà du délai global de paiement "
                f"de {rules.public_authority_max_days} jours ({rules.public_source})")
    return (f"échéance à {(due - issue).days} jours, au-delà du plafond légal "
            f"({rules.b2b_max_days} jours date de facture ou {rules.b2b_max_eom_days} jours fin "
            f"de mois ; {rules.b2b_source})")
