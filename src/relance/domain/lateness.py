"""Lateness bands shared by the aged balance and the D441-6 payment-terms table: not yet
late, 1 to 30, 31 to 60, 61 to 90, and more than 90 days past the due date.

>>> [band(d) for d in (-3, 0, 1, 30, 31, 60, 61, 90, 91, 500)]
[0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
>>> band_starts(date(2026, 6, 30))
(datetime.date(2026, 5, 31), datetime.date(2026, 5, 1), datetime.date(2026, 4, 1))
"""

from __future__ import annotations

from datetime import date, timedelta

BAND_LIMITS = (30, 60, 90)  # the last day late of bands 1, 2 and 3; band 4 has no limit


def band(days_late: int) -> int:
    """0 when not late (due today or later), else 1 to 4."""
    if days_late <= 0:
        return 0
    for index, limit in enumerate(BAND_LIMITS, start=1):
        if days_late <= limit:
            return index
    return len(BAND_LIMITS) + 1


def band_starts(at: date) -> tuple[date, ...]:
    """The due dates at `at` below which an invoice is beyond 30, 60 and 90 days late (for
    set-wise SQL: compare due dates, no date arithmetic in the query)."""
    return tuple(at - timedelta(days=limit) for limit in BAND_LIMITS)
