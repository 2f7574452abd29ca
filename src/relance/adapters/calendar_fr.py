"""French public holidays from the `holidays` package, for the pure calendar functions.

>>> from datetime import date
>>> days = french_holidays([2024])
>>> date(2024, 5, 20) in days, date(2024, 3, 29) in days
(True, False)
>>> date(2024, 3, 29) in french_holidays([2024], alsace_moselle=True)  # Good Friday
True
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache

import holidays

ALSACE_MOSELLE = "57"  # Moselle; Bas-Rhin and Haut-Rhin share the same two extra days


def french_holidays(years: Iterable[int], *, alsace_moselle: bool = False) -> frozenset[date]:
    """Public holidays of metropolitan France for `years` (Alsace-Moselle days optional)."""
    return _cached(tuple(sorted(set(years))), alsace_moselle)


def holiday_names(years: Iterable[int], *, alsace_moselle: bool = False) -> dict[date, str]:
    """Holidays with their French names, for display."""
    calendar = holidays.country_holidays("FR", years=sorted(set(years)), language="fr",
                               subdiv=ALSACE_MOSELLE if alsace_moselle else None)
    return dict(sorted(calendar.items()))


@lru_cache(maxsize=64)
def _cached(years: tuple[int, ...], alsace_moselle: bool) -> frozenset[date]:
    """Build once per (years, region)."""
    return frozenset(holiday_names(years, alsace_moselle=alsace_moselle))
