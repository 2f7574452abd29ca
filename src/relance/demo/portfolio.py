"""A deterministic, realistic receivables portfolio, streamed as import rows.

Clients have behaviours (punctual, forgetful, chronically late, disputing, in difficulty,
insolvent) that decide when and how they pay. The same seed always gives the same portfolio,
and rows are generated lazily so that a million invoices need little memory.

>>> spec = PortfolioSpec(clients=3, invoices=6, start=date(2025, 1, 1), end=date(2026, 6, 30))
>>> p = Portfolio(spec)
>>> [c["client_ref"] for c in p.clients()]
['CL000001', 'CL000002', 'CL000003']
>>> sum(1 for _ in p.invoices()) == 6
True
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from stdnum import luhn

BEHAVIOURS = (
    # name, French label, weight (per thousand)
    ("punctual", "ponctuel", 400),
    ("forgetful", "distrait", 250),
    ("chronic_late", "retardataire chronique", 150),
    ("disputing", "conteste ses factures", 80),
    ("difficulty", "en difficulté financière", 80),
    ("insolvent", "insolvable", 40),
)
BEHAVIOUR_LABELS = {name: label for name, label, _ in BEHAVIOURS}

_PREFIXES = ("Atelier", "Boulangerie", "Garage", "Transports", "Cabinet", "Imprimerie",
             "Menuiserie", "Pharmacie", "Librairie", "Agence", "Hôtel", "Restaurant",
             "Plomberie", "Électricité", "Fromagerie", "Studio", "Laboratoire", "Domaine")
_NAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
          "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David",
          "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier")
_FIRST = ("Camille", "Léa", "Hugo", "Louis", "Chloé", "Manon", "Lucas", "Jules", "Inès",
          "Sarah", "Nathan", "Emma", "Paul", "Alice", "Gabriel", "Zoé")
_FORMS = ("SARL", "SAS", "SASU", "EURL", "SA", "SCI")
_CITIES = (("75011", "Paris"), ("69003", "Lyon"), ("13006", "Marseille"), ("31000", "Toulouse"),
           ("33000", "Bordeaux"), ("59000", "Lille"), ("44000", "Nantes"), ("67000", "Strasbourg"),
           ("35000", "Rennes"), ("34000", "Montpellier"), ("06000", "Nice"), ("21000", "Dijon"))
_STREETS = ("rue de la République", "avenue Jean Jaurès", "boulevard Victor Hugo",
            "rue du Général de Gaulle", "place de la Mairie", "rue des Écoles",
            "quai des Chartrons")
_TERMS = ((30, "30 jours"), (45, "45 jours"), (60, "60 jours"))


@dataclass(frozen=True)
class PortfolioSpec:
    """Size, calendar and seed of a portfolio."""

    clients: int = 200
    invoices: int = 3000
    start: date = date(2025, 1, 1)
    end: date = date(2026, 6, 30)
    seed: int = 20260630


@dataclass(frozen=True)
class _ClientPlan:
    ref: str
    kind: str
    behaviour: str
    terms_days: int
    terms: str
    insolvent_from: date | None


class Portfolio:
    """Streams the clients, invoices and payments of a portfolio."""

    def __init__(self, spec: PortfolioSpec) -> None:
        self.spec = spec
        self._plans = [self._plan(i) for i in range(spec.clients)]

    def _rng(self, *salt: object) -> random.Random:
        return random.Random(f"{self.spec.seed}:{':'.join(map(str, salt))}")

    def _plan(self, index: int) -> _ClientPlan:
        rng = self._rng("client", index)
        behaviour = rng.choices([b[0] for b in BEHAVIOURS], [b[2] for b in BEHAVIOURS])[0]
        kind = rng.choices(["b2b", "b2c", "public"], [80, 12, 8])[0]
        days, terms = rng.choice(_TERMS) if kind != "b2c" else (0, "à réception")
        if kind == "public":
            days, terms = 30, "30 jours"
        span = (self.spec.end - self.spec.start).days
        insolvent_from = (self.spec.start + timedelta(days=rng.randint(span // 3, span))
                          if behaviour == "insolvent" else None)
        return _ClientPlan(f"CL{index + 1:06d}", kind, behaviour, days, terms, insolvent_from)

    def behaviour_counts(self) -> dict[str, int]:
        """How many clients have each behaviour."""
        counts = {name: 0 for name, _, _ in BEHAVIOURS}
        for plan in self._plans:
            counts[plan.behaviour] += 1
        return counts

    def clients(self) -> Iterator[dict[str, str]]:
        """Client rows in the `relance import clients` format."""
        for index, plan in enumerate(self._plans):
            rng = self._rng("identity", index)
            postal_code, city = rng.choice(_CITIES)
            address = f"{rng.randint(1, 120)} {rng.choice(_STREETS)}"
            siren = vat = ""
            if plan.kind == "b2c":
                name = f"{rng.choice(_FIRST)} {rng.choice(_NAMES)}"
                domain = "example.org"
            elif plan.kind == "public":
                name = f"Mairie de {city}" if rng.randint(0, 1) else f"Centre hospitalier de {city}"
                domain = "example.gouv.fr"
                siren = _siren(rng)
            else:
                name = f"{rng.choice(_PREFIXES)} {rng.choice(_NAMES)} {rng.choice(_FORMS)}"
                domain = "example.com"
                siren = _siren(rng)
                vat = f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"
            slug = plan.ref.lower()
            yield {
                "client_ref": plan.ref, "name": name, "kind": plan.kind, "siren": siren,
                "vat": vat, "email": f"compta.{slug}@{domain}",
                "phone": f"0{rng.randint(1, 5)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
                         f"{rng.randint(10, 99)} {rng.randint(10, 99)}",
                "address": address, "postal_code": postal_code, "city": city, "country": "FR",
            }

    def invoices(self) -> Iterator[dict[str, str]]:
        """Invoice rows (issue dates spread over the calendar, in order)."""
        span = (self.spec.end - self.spec.start).days
        total = self.spec.invoices
        rng = self._rng("invoices")
        for n in range(total):
            plan = self._plans[rng.randrange(len(self._plans))]
            issue = self.spec.start + timedelta(days=(n * span) // max(total, 1))
            cents = _amount_cents(rng, plan.kind)
            excl = cents * 100 // 120
            yield {
                "number": f"F{issue.year}-{n + 1:07d}", "client_ref": plan.ref,
                "issue_date": issue.isoformat(),
                "due_date": (issue + timedelta(days=plan.terms_days)).isoformat(),
                "amount": _cents_text(cents), "amount_excl_tax": _cents_text(excl),
                "currency": "EUR", "terms": plan.terms,
            }

    def payments(self) -> Iterator[dict[str, str]]:
        """Payment rows, each dated by its client's behaviour; none after the calendar's end."""
        rows: list[tuple[date, int, dict[str, str]]] = []
        plans = {p.ref: p for p in self._plans}
        for n, invoice in enumerate(self.invoices()):
            plan = plans[invoice["client_ref"]]
            rng = self._rng("pay", n)
            due = date.fromisoformat(invoice["due_date"])
            cents = int(Decimal(invoice["amount"]) * 100)
            for paid_on, part in _settlements(rng, plan, due, cents):
                if paid_on > self.spec.end:
                    continue
                named = rng.randint(0, 9) < 7  # most transfers quote the invoice number
                rows.append((paid_on, n, {
                    "date": paid_on.isoformat(), "amount": _cents_text(part),
                    "client_ref": plan.ref,
                    "invoice_number": invoice["number"] if named else "",
                    "reference": f"VIR-{n + 1:07d}-{paid_on:%m%d}",
                    "method": "virement" if rng.randint(0, 4) else "chèque",
                }))
        rows.sort(key=lambda r: (r[0], r[1]))
        for _, _, row in rows:
            yield row

    def write_csv(self, folder: Path) -> dict[str, Path]:
        """Write clients.csv, invoices.csv and payments.csv; return their paths."""
        folder.mkdir(parents=True, exist_ok=True)
        paths = {}
        for kind, rows in (("clients", self.clients()), ("invoices", self.invoices()),
                           ("payments", self.payments())):
            path = folder / f"{kind}.csv"
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer: csv.DictWriter[str] | None = None
                for row in rows:
                    if writer is None:
                        writer = csv.DictWriter(handle, fieldnames=list(row))
                        writer.writeheader()
                    writer.writerow(row)
            paths[kind] = path
        return paths


def _siren(rng: random.Random) -> str:
    base = f"{rng.randint(10_000_000, 99_999_999)}"
    return base + luhn.calc_check_digit(base)


def _amount_cents(rng: random.Random, kind: str) -> int:
    if kind == "b2c":
        return rng.randint(4_000, 150_000)
    tier = rng.choices((0, 1, 2), (60, 32, 8))[0]
    low, high = ((15_000, 200_000), (200_000, 1_500_000), (1_500_000, 9_000_000))[tier]
    return rng.randint(low, high)


def _cents_text(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _settlements(
    rng: random.Random, plan: _ClientPlan, due: date, cents: int
) -> list[tuple[date, int]]:
    """When and how much a client pays for one invoice, by behaviour."""
    b = plan.behaviour
    if b == "punctual":
        return [(due - timedelta(days=rng.randint(0, 5)), cents)]
    if b == "forgetful":
        return [(due + timedelta(days=rng.randint(3, 25)), cents)]
    if b == "chronic_late":
        return [(due + timedelta(days=rng.randint(30, 95)), cents)]
    if b == "disputing":
        if rng.randint(0, 3) == 0:
            return []  # contested: left unpaid
        return [(due + timedelta(days=rng.randint(10, 60)), cents)]
    if b == "difficulty":
        first = cents * rng.randint(20, 60) // 100
        return [(due + timedelta(days=rng.randint(20, 50)), first),
                (due + timedelta(days=rng.randint(80, 200)), cents - first)]
    # insolvent: pays late until it stops paying altogether
    if plan.insolvent_from is not None and due >= plan.insolvent_from - timedelta(days=30):
        return []
    return [(due + timedelta(days=rng.randint(20, 70)), cents)]
