"""Business days and deadlines; the holidays are an argument (see adapters/calendar_fr.py).

Jours ouvrés are Monday-Friday, jours ouvrables Monday-Saturday, holidays excepted. A
deadline counts from the day after its start and, if it ends on a Saturday, Sunday or
holiday, moves to the next working day (art. 641 and 642 CPC).

>>> may = frozenset({date(2025, 5, 1), date(2025, 5, 8), date(2025, 5, 29)})
>>> deadline(date(2025, 4, 23), "8 jours", may)  # 1 May, a holiday: moved to 2 May
datetime.date(2025, 5, 2)
>>> deadline(date(2025, 4, 30), "15 jours ouvrés", may)
datetime.date(2025, 5, 23)
>>> parse_delay("10 jours ouvrables")
Delay(length=10, unit='ouvrables')
>>> deadline(date(2025, 3, 3), "8 jours francs", may)  # 8 full days, 4 to 11 March
datetime.date(2025, 3, 12)
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
import re
import unicodedata
from collections.abc import Collection
from typing import Literal, NamedTuple

from relance.law.errors import InvalidInputError

date = dt.date
Unit = Literal["calendaires", "ouvres", "ouvrables", "francs", "mois"]
ONE_DAY = dt.timedelta(days=1)
_DELAY = re.compile(
    r"^\s*(\d{1,4})\s*(jours?|j|mois|semaines?)\s*(ouvres?|ouvrables?|calendaires?|francs?)?\s*$")


class Delay(NamedTuple):
    """A number of days (calendar, ouvrés, ouvrables) or months."""

    length: int
    unit: Unit


def is_business_day(day: dt.date, holidays: Collection[dt.date], unit: str = "ouvres") -> bool:
    """Jour ouvré (Mon-Fri) or ouvrable (Mon-Sat), and not a holiday."""
    if unit not in ("ouvres", "ouvrables"):
        raise InvalidInputError(f"Unité inconnue : « {unit} » (ouvres ou ouvrables).")
    last_weekday = 5 if unit == "ouvrables" else 4
    return day.weekday() <= last_weekday and day not in holidays


def next_business_day(day: dt.date, holidays: Collection[dt.date], unit: str = "ouvres") -> dt.date:
    """`day` itself if it is a business day, else the next one."""
    while not is_business_day(day, holidays, unit):
        day += ONE_DAY
    return day


def add_business_days(day: dt.date, count: int, holidays: Collection[dt.date],
                      unit: str = "ouvres") -> dt.date:
    """The `count`-th business day after `day` (`day` itself is not counted)."""
    if count < 0:
        raise InvalidInputError(f"Nombre de jours négatif : {count}.")
    while count:
        day += ONE_DAY
        count -= is_business_day(day, holidays, unit)
    return day


def business_days_between(start: dt.date, end: dt.date, holidays: Collection[dt.date],
                          unit: str = "ouvres") -> int:
    """Business days d with start < d ≤ end."""
    days = (start + dt.timedelta(days=i) for i in range(1, (end - start).days + 1))
    return sum(1 for d in days if is_business_day(d, holidays, unit))


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day `months` later, or the last day of a shorter month (art. 641 CPC)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, _cal.monthrange(year, month + 1)[1]))


def parse_delay(text: str) -> Delay:
    """Read "8 jours", "15 jours ouvrés", "10 jours ouvrables", "2 semaines", "1 mois"."""
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    match = _DELAY.match(plain)
    if match is None:
        raise InvalidInputError(f"Délai illisible : « {text} » (par exemple « 8 jours », "
                                "« 15 jours ouvrés », « 1 mois »).")
    count, word, kind = int(match.group(1)), match.group(2), (match.group(3) or "").rstrip("s")
    if word == "mois" or word.startswith("semaine"):
        if kind not in ("", "calendaire"):  # "1 mois ouvrés" is not a delay the law knows
            raise InvalidInputError(f"Délai illisible : « {text} » (les mois et les semaines "
                                    "se comptent en jours calendaires).")
        return Delay(count, "mois") if word == "mois" else Delay(count * 7, "calendaires")
    units: dict[str, Unit] = {"ouvre": "ouvres", "ouvrable": "ouvrables", "franc": "francs"}
    return Delay(count, units.get(kind, "calendaires"))


def deadline(start: dt.date, delay: str | Delay, holidays: Collection[dt.date]) -> dt.date:
    """Last day of a delay running from `start`, moved off weekends and holidays."""
    spec = parse_delay(delay) if isinstance(delay, str) else delay
    if spec.unit == "mois":
        end = add_months(start, spec.length)
    elif spec.unit == "calendaires":
        end = start + dt.timedelta(days=spec.length)
    elif spec.unit == "francs":  # neither the starting day nor the last day counts
        end = start + dt.timedelta(days=spec.length + 1)
    else:
        end = add_business_days(start, spec.length, holidays, spec.unit)
    return next_business_day(end, holidays, "ouvres")
