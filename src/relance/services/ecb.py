"""The ECB main refinancing rate from the ECB Data Portal, to check and complete the table.

Only the ECB column can be fetched: the legal interest rates are published by arrêté in the
JORF, so a missing half-year is still added by the user with `relance rates add`. Nothing
here writes to the database.

>>> csv_text = "KEY,TIME_PERIOD,OBS_VALUE\\nx,2025-06-11,2.15\\nx,2024-12-18,3.15\\n"
>>> in_force_on(parse_series(csv_text), date(2025, 7, 1))
Decimal('2.15')
"""

from __future__ import annotations

import csv
import io
import urllib.error
import urllib.request
from bisect import bisect_right
from datetime import date
from decimal import Decimal, InvalidOperation

from relance.i18n import format_percent
from relance.law.halfyear import HalfYear
from relance.law.rates import RateTable

SERIES = "FM/D.U2.EUR.4F.KR.MRR_FR.LEV"
DEFAULT_URL = (f"https://data-api.ecb.europa.eu/service/data/{SERIES}"
               "?format=csvdata&startPeriod=2014-12-01")
SOURCE = f"https://data.ecb.europa.eu/data/datasets/FM/{SERIES.removeprefix('FM/')}"


class EcbUnavailable(Exception):
    """The portal could not be reached or answered something unreadable (French message)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


Series = list[tuple[date, Decimal]]


def fetch_mro(url: str | None = None, timeout: float = 10.0) -> Series:
    """Download and parse the series; EcbUnavailable when offline or unreadable."""
    target = url or DEFAULT_URL
    try:
        with urllib.request.urlopen(target, timeout=timeout) as response:
            text = response.read().decode("utf-8")
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise EcbUnavailable(f"ECB Data Portal injoignable ({target} : {reason}).") from None
    return parse_series(text)


def parse_series(text: str) -> Series:
    """(date, rate) pairs from the portal's CSV (columns TIME_PERIOD and OBS_VALUE), sorted."""
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"TIME_PERIOD", "OBS_VALUE"} <= set(reader.fieldnames):
        raise EcbUnavailable("Réponse de la BCE illisible : colonnes TIME_PERIOD et OBS_VALUE "
                             "attendues.")
    out: Series = []
    for row in reader:
        if not row["OBS_VALUE"]:
            continue
        try:
            out.append((date.fromisoformat(row["TIME_PERIOD"][:10]), Decimal(row["OBS_VALUE"])))
        except (ValueError, InvalidOperation):
            raise EcbUnavailable(f"Réponse de la BCE illisible : ligne {row!r}.") from None
    if not out:
        raise EcbUnavailable("La BCE n'a renvoyé aucune observation.")
    return sorted(out)


def in_force_on(series: Series, day: date) -> Decimal | None:
    """The last published value on or before `day`."""
    pos = bisect_right(series, (day, Decimal("Infinity")))
    return series[pos - 1][1] if pos else None


def compare(table: RateTable, series: Series) -> list[str]:
    """French report: each half-year's ECB rate against the table, and what to add."""
    lines: list[str] = []
    half = HalfYear(2015, 1)
    last_obs = series[-1][0]
    while half.start <= last_obs:
        fetched = in_force_on(series, half.start)
        entry = table.get(half)
        if fetched is None:
            pass
        elif entry is None:
            lines.append(
                f"{half} : taux BCE au {half.start:%d/%m/%Y} = {format_percent(fetched)}, "
                "absent de la table. Ajoutez le semestre avec les taux légaux du JORF : "
                f"relance rates add {half} --ecb {fetched} --legal-private … --legal-other … "
                f"--source {SOURCE}")
        elif entry.ecb != fetched:
            lines.append(f"{half} : la table indique {format_percent(entry.ecb)}, la BCE publie "
                         f"{format_percent(fetched)} : vérifiez et corrigez avec « relance rates "
                         f"add {half} … --replace ».")
        half = half.next()
    if not lines:
        lines.append("La table des taux BCE est à jour et conforme à la série de la BCE.")
    lines.append("Aucune modification n'a été faite.")
    return lines
