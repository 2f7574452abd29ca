"""French credit-control law, pure: rates as data, penalties, terms, prescription, calendar.

Nothing here reads the clock, the database, the network or the settings: dates, rate
tables and conventions are arguments. Messages meant for users are in French.

>>> from datetime import date
>>> from relance.domain.money import money
>>> compute_penalties(amount=money("2500"), due=date(2025, 11, 20), until=date(2026, 2, 10),
...                   kind="b2b", rates=load_shipped_rates()).total
Decimal('108.24')
"""

from relance.law.batch import InvoiceInput, PenaltyTotals, compute_many
from relance.law.conventions import SETTINGS, Conventions
from relance.law.errors import InvalidInputError, LawError, MissingRateError, TermsError
from relance.law.halfyear import HalfYear
from relance.law.penalties import (
    NotComputable,
    NoticeDates,
    PenaltyResult,
    Period,
    Settlement,
    compute_penalties,
    penalty_or_reason,
)
from relance.law.rates import RateEntry, RateTable, load_shipped_rates

__all__ = [
    "SETTINGS", "Conventions", "HalfYear", "InvalidInputError", "InvoiceInput", "LawError",
    "MissingRateError", "NotComputable", "NoticeDates", "PenaltyResult", "PenaltyTotals",
    "Period", "RateEntry", "RateTable", "Settlement", "TermsError", "compute_many",
    "compute_penalties", "load_shipped_rates", "penalty_or_reason",
]
