"""Company registry lookups: the API Recherche d'entreprises (Sirene) and BODACC notices.

Two public, keyless sources (FRENCH_LAW.md §9.2 and §9.3), read over HTTP with httpx:

* the API Recherche d'entreprises says whether a SIREN exists, is active or ceased, and where
  its head office is;
* the BODACC Explore API v2.1 lists the company's notices: collective proceedings
  (sauvegarde, redressement, liquidation, plans, closures) and deregistrations (radiations).

A lookup never raises for a network or server problem: it answers "unknown" with a French
message, or the last known answer from the cache. Each source gets at most one request every
`min_interval` seconds, one retry after an HTTP 429 whose Retry-After is short, and the caller
is never blocked for more than `timeout + max_retry_wait` seconds.

The cache keeps the raw JSON answers ("ok" and "not_found", never "unknown"), so a parsing fix
also applies to answers fetched before it.

>>> classify("collective", "Jugement d'ouverture d'une procédure de redressement judiciaire")
'redressement'
>>> classify("collective", "Jugement de CLOTURE pour insuffisance d'actif")
'cloture'
>>> classify("Radiations", "")
'radiation'
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import queue
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from relance.adapters.database import aware
from relance.adapters.tables import registry_cache

log = logging.getLogger(__name__)

SIRENE_URL = "https://recherche-entreprises.api.gouv.fr"
BODACC_URL = "https://bodacc-datadila.opendatasoft.com"
USER_AGENT = "Relance/0.1 (+logiciel de relance clients)"
BODACC_PATH = "/api/explore/v2.1/catalog/datasets/annonces-commerciales/records"

SIRENE = "sirene"
BODACC = "bodacc"
SOURCE_LABELS = {SIRENE: "Annuaire des entreprises", BODACC: "BODACC"}

OK = "ok"
NOT_FOUND = "not_found"
UNKNOWN = "unknown"

OFFLINE_MESSAGE = "Mode hors ligne : registre non consulté, statut inconnu."

MAX_BODY_BYTES = 10_000_000   # a BODACC page of 100 notices is a few hundred kB
DEFAULT_RETRY_AFTER = 1.0     # seconds, when a 429 comes without a usable Retry-After

# INSEE "tranche d'effectif salarié" codes.
EMPLOYEE_BANDS = {
    "NN": "unité non employeuse",
    "00": "0 salarié",
    "01": "1 ou 2 salariés",
    "02": "3 à 5 salariés",
    "03": "6 à 9 salariés",
    "11": "10 à 19 salariés",
    "12": "20 à 49 salariés",
    "21": "50 à 99 salariés",
    "22": "100 à 199 salariés",
    "31": "200 à 249 salariés",
    "32": "250 à 499 salariés",
    "41": "500 à 999 salariés",
    "42": "1 000 à 1 999 salariés",
    "51": "2 000 à 4 999 salariés",
    "52": "5 000 à 9 999 salariés",
    "53": "10 000 salariés et plus",
}

NOTICE_KINDS = ("sauvegarde", "redressement", "liquidation", "radiation", "cloture", "plan",
                "other")
INSOLVENCY_KINDS = frozenset({"sauvegarde", "redressement", "liquidation", "plan"})

T = TypeVar("T")


# --- Values ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Company:
    """A legal unit as the API Recherche d'entreprises describes it."""

    siren: str
    name: str
    active: bool                # etat_administratif "A" (False: "C", ceased)
    created_on: date | None
    closed_on: date | None
    legal_form: str             # INSEE "catégorie juridique" code, e.g. "5710" (SAS)
    activity: str               # NAF code, e.g. "43.32A"
    employees: str              # INSEE band code, e.g. "11" (see EMPLOYEE_BANDS)
    head_office: str            # "12 RUE X, 75001 PARIS"
    head_office_siret: str
    head_office_active: bool    # siege.etat_administratif "A" (False: "F", closed)

    @property
    def employees_label(self) -> str:
        """The employee band in words, e.g. "10 à 19 salariés" ("" when not known)."""
        return EMPLOYEE_BANDS.get(self.employees, "")


@dataclass(frozen=True)
class Notice:
    """One BODACC notice about the company."""

    id: str
    published_on: date | None
    family: str                 # familleavis_lib, e.g. "Procédures collectives"
    kind: str                   # one of NOTICE_KINDS
    nature: str                 # jugement.nature, e.g. "Jugement d'ouverture d'une procédure…"
    judgment_date: date | None
    court: str
    administrator: str          # mandataire judiciaire / liquidateur, best effort, or ""
    url: str
    notice_type: str            # typeavis_lib, e.g. "Avis initial", "Avis d'annulation"

    @property
    def is_cancellation(self) -> bool:
        """Whether this notice is an "Avis d'annulation" (it cancels an earlier notice)."""
        return "annulation" in _fold(self.notice_type)

    @property
    def is_insolvency(self) -> bool:
        """Whether the notice is about a collective proceeding still running (not a closure)."""
        return self.kind in INSOLVENCY_KINDS


@dataclass(frozen=True)
class Lookup(Generic[T]):
    """The answer to one lookup: its status, its value, and where and when it comes from."""

    status: str                 # "ok" | "not_found" | "unknown"
    value: T
    fetched_at: datetime        # when the registry gave this answer (UTC)
    from_cache: bool
    message: str                # French, for the user; "" when there is nothing to say


CompanyLookup = Lookup[Company | None]
NoticesLookup = Lookup[tuple[Notice, ...]]


# --- Caches ---------------------------------------------------------------------------------


class Cache(Protocol):
    """Where raw registry answers are kept, by source ("sirene", "bodacc") and SIREN."""

    def get(self, source: str, key: str) -> tuple[datetime, str, Any] | None:
        """(fetched_at, status, payload) of the stored answer, or None."""
        ...

    def put(self, source: str, key: str, fetched_at: datetime, status: str,
            payload: Any) -> None:
        """Store (or replace) the answer for (source, key)."""
        ...


class MemoryCache:
    """A cache in a dict, for tests and one-off commands. Payloads are kept as JSON text."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], tuple[datetime, str, str]] = {}
        self._lock = threading.Lock()

    def get(self, source: str, key: str) -> tuple[datetime, str, Any] | None:
        with self._lock:
            entry = self._entries.get((source, key))
        if entry is None:
            return None
        fetched_at, status, text = entry
        return fetched_at, status, json.loads(text)

    def put(self, source: str, key: str, fetched_at: datetime, status: str,
            payload: Any) -> None:
        text = json.dumps(payload, ensure_ascii=False)
        with self._lock:
            self._entries[(source, key)] = (aware(fetched_at), status, text)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


class SqlCache:
    """The cache in the `registry_cache` table (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, source: str, key: str) -> tuple[datetime, str, Any] | None:
        t = registry_cache
        with self._engine.connect() as conn:
            row = conn.execute(
                select(t.c.fetched_at, t.c.status, t.c.payload)
                .where(t.c.source == source, t.c.key == key)
            ).first()
        if row is None:
            return None
        return aware(row.fetched_at), str(row.status), row.payload

    def put(self, source: str, key: str, fetched_at: datetime, status: str,
            payload: Any) -> None:
        t = registry_cache
        values = {"fetched_at": aware(fetched_at).astimezone(UTC), "status": status,
                  "payload": payload}
        for attempt in range(2):
            try:
                with self._engine.begin() as conn:
                    updated = conn.execute(
                        update(t).where(t.c.source == source, t.c.key == key).values(**values)
                    ).rowcount
                    if not updated:
                        conn.execute(insert(t).values(source=source, key=key, **values))
                return
            except IntegrityError:
                # Another writer inserted the same (source, key) first: update it instead.
                if attempt:
                    raise


# --- Parsing --------------------------------------------------------------------------------


class _Unexpected(Exception):
    """The registry answered JSON of an unexpected shape."""


def _fold(text: str) -> str:
    """Lower case, no accents, straight apostrophes: for keyword matching."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.replace("\u2019", "'").casefold()


def _text(value: object) -> str:
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else str(value)


_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_FR_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def parse_date(value: object) -> date | None:
    """An ISO (2026-03-02, or a timestamp) or dd/mm/yyyy date; None when absent or invalid.

    >>> parse_date("2026-03-02"), parse_date("02/03/2026"), parse_date("2 mars 2026")
    (datetime.date(2026, 3, 2), datetime.date(2026, 3, 2), None)
    """
    text = _text(value)
    try:
        if m := _ISO_DATE.match(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _FR_DATE.fullmatch(text):
            return date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError:
        return None
    return None


_PLAN_PHRASE = re.compile(r"plan de (?:redressement|sauvegarde)(?: judiciaire| acceleree)?")
_PLAN_WORD = re.compile(r"\bplan\b")


def classify(family: str, nature: str) -> str:
    """The kind of a BODACC notice, from its family and its judgment's nature (and family).

    Closures first (a closure of a liquidation is a closure), then liquidation, then an
    opening or conversion into redressement, then plans, then sauvegarde.
    """
    fam = _fold(family)
    if "radiation" in fam:
        return "radiation"
    text = _fold(nature)
    if "cloture" in text or "mettant fin a la procedure" in text:
        return "cloture"
    if "liquidation judiciaire" in text:
        return "liquidation"
    rest = _PLAN_PHRASE.sub(" ", text)
    if "redressement judiciaire" in rest:
        return "redressement"
    if _PLAN_WORD.search(text):
        return "plan"
    if "sauvegarde" in rest:
        return "sauvegarde"
    return "other"


_ROLE = re.compile(
    r"(?:mandataire judiciaire|liquidateur(?: judiciaire)?|administrateur judiciaire"
    r"|commissaire [àa] l'ex[ée]cution du plan)\s*(?:[:,-]\s*)?",
    re.IGNORECASE,
)
_ROLE_ORDER = ("mandataire", "liquidateur", "administrateur", "commissaire")
_ARTICLE_BEFORE = re.compile(r"\b(?:du|au|le|la|les|des|un|une|de|d'|l')\s*$", re.IGNORECASE)
_END = re.compile(
    r"\.\s+(?=[A-ZÀ-Ý][a-zà-ÿ])|;|\.\s*$|,?\s+(?:et\s+)?"
    r"(?:administrateur|mandataire|liquidateur|commissaire)\b",
    re.IGNORECASE,
)


def extract_administrator(text: str) -> str:
    """Best effort: who was appointed (mandataire judiciaire first, then liquidateur,
    administrateur judiciaire, commissaire à l'exécution du plan) in a judgment's text.

    >>> extract_administrator("désignant mandataire judiciaire : Maître Anne Roux, "
    ...     "3 rue Vauban, 21000 Dijon. Les créances sont à déclarer auprès du "
    ...     "mandataire judiciaire.")
    'Maître Anne Roux, 3 rue Vauban, 21000 Dijon'
    """
    text = text.replace("\u2019", "'")
    found: dict[str, str] = {}
    for match in _ROLE.finditer(text):
        role = match.group(0).split()[0].lower()
        if role in found or _ARTICLE_BEFORE.search(text, 0, match.start()):
            continue
        rest = text[match.end():]
        end = _END.search(rest)
        who = (rest[: end.start()] if end else rest)[:200].strip(" ,.:-")
        if who:
            found[role] = who
    return next((found[r] for r in _ROLE_ORDER if r in found), "")


def _head_office(siege: Mapping[str, Any]) -> str:
    address = _text(siege.get("adresse"))
    postcode = _text(siege.get("code_postal"))
    town = _text(siege.get("libelle_commune"))
    if not address:
        return f"{postcode} {town}".strip()
    # The API builds "adresse" as "<street> <postcode> <town>": put a comma before the postcode.
    if postcode and (m := re.match(rf"(.+?),?\s+({re.escape(postcode)}\b.*)$", address)):
        return f"{m[1]}, {m[2]}"
    return address


def parse_company(siren: str, payload: Any) -> tuple[str, Company | None]:
    """("ok", company) or ("not_found", None) from a /search answer; _Unexpected otherwise."""
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise _Unexpected("no results list")
    for result in payload["results"]:
        if isinstance(result, dict) and _text(result.get("siren")) == siren:
            return OK, _company(result)
    return NOT_FOUND, None


def _company(result: Mapping[str, Any]) -> Company:
    siege = result.get("siege")
    if not isinstance(siege, dict):
        siege = {}
    return Company(
        siren=_text(result.get("siren")),
        name=_text(result.get("nom_complet")) or _text(result.get("nom_raison_sociale")),
        active=_text(result.get("etat_administratif")) == "A",
        created_on=parse_date(result.get("date_creation")),
        closed_on=parse_date(result.get("date_fermeture")),
        legal_form=_text(result.get("nature_juridique")),
        activity=_text(result.get("activite_principale")),
        employees=_text(result.get("tranche_effectif_salarie")),
        head_office=_head_office(siege),
        head_office_siret=_text(siege.get("siret")),
        head_office_active=_text(siege.get("etat_administratif")) == "A",
    )


def _registers(value: object) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [re.sub(r"\D", "", _text(item)) for item in items if item is not None]


def _judgment(value: object) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip():
        try:
            decoded = json.loads(value)
        except ValueError:
            return {}
        if isinstance(decoded, dict):
            return decoded
    return {}


def parse_notices(siren: str, payload: Any) -> tuple[str, tuple[Notice, ...]]:
    """("ok", notices, newest first) from a BODACC records answer; _Unexpected otherwise.

    Records whose `registre` does not hold the SIREN are left out.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise _Unexpected("no results list")
    notices = [
        _notice(record)
        for record in payload["results"]
        if isinstance(record, dict) and siren in _registers(record.get("registre"))
    ]
    notices.sort(key=lambda n: n.published_on or date.min, reverse=True)
    return OK, tuple(notices)


def _notice(record: Mapping[str, Any]) -> Notice:
    judgment = _judgment(record.get("jugement"))
    nature = _text(judgment.get("nature"))
    family = _text(record.get("familleavis_lib")) or _text(record.get("familleavis"))
    kind = classify(f"{_text(record.get('familleavis'))} {family}",
                    f"{_text(judgment.get('famille'))} {nature}")
    return Notice(
        id=_text(record.get("id")),
        published_on=parse_date(record.get("dateparution")),
        family=family,
        kind=kind,
        nature=nature,
        judgment_date=parse_date(judgment.get("date")),
        court=_text(record.get("tribunal")),
        administrator=extract_administrator(_text(judgment.get("complementJugement"))),
        url=_text(record.get("url_complete")),
        notice_type=_text(record.get("typeavis_lib")),
    )


# --- HTTP -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fetched:
    payload: Any = None
    reason: str = ""            # French, "injoignable (délai dépassé)"; "" when payload is set


class _Abort(Exception):
    """An attempt gave up; its argument is the French reason."""


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or HTTP date); None if unreadable."""
    if value is None:
        return DEFAULT_RETRY_AFTER
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _paris() -> tzinfo:
    try:
        return ZoneInfo("Europe/Paris")
    except ZoneInfoNotFoundError:  # no time zone database: UTC dates are close enough
        return UTC


def _day(moment: datetime) -> str:
    return aware(moment).astimezone(_paris()).strftime("%d/%m/%Y")


class RegistryClient:
    """Looks companies up in the API Recherche d'entreprises and the BODACC."""

    def __init__(
        self,
        *,
        sirene_url: str = SIRENE_URL,
        bodacc_url: str = BODACC_URL,
        cache: Cache | None = None,
        timeout: float = 5.0,
        max_age: timedelta = timedelta(days=7),
        min_interval: float = 1 / 7,
        max_retry_wait: float = 5.0,
        user_agent: str = USER_AGENT,
        transport: httpx.BaseTransport | None = None,
        offline: bool = False,
    ) -> None:
        self.sirene_url = sirene_url.rstrip("/")
        self.bodacc_url = bodacc_url.rstrip("/")
        self.cache = cache
        self.timeout = timeout
        self.max_age = max_age
        self.min_interval = min_interval
        self.max_retry_wait = max_retry_wait
        self.offline = offline
        self._http = httpx.Client(
            headers={"User-Agent": user_agent, "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
            follow_redirects=True,
        )
        self._lock = threading.Lock()
        self._next_at: dict[str, float] = {}   # per source: monotonic time of the next slot

    # Context manager and closing.

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # Lookups.

    def company(self, siren: str) -> CompanyLookup:
        """The company with this SIREN, from the API Recherche d'entreprises."""
        return self._lookup(SIRENE, siren, None, parse_company, self._fetch_company)

    def notices(self, siren: str) -> NoticesLookup:
        """The BODACC notices about this SIREN, newest first (at most the 100 newest)."""
        return self._lookup(BODACC, siren, (), parse_notices, self._fetch_notices)

    def _fetch_company(self, siren: str) -> _Fetched:
        return self._get(SIRENE, f"{self.sirene_url}/search",
                         {"q": siren, "page": "1", "per_page": "1"})

    def _fetch_notices(self, siren: str) -> _Fetched:
        return self._get(BODACC, f"{self.bodacc_url}{BODACC_PATH}", {
            "where": f'registre like "{siren}"',
            "order_by": "dateparution desc",
            "limit": "100",
        })

    def _lookup(
        self,
        source: str,
        siren: str,
        empty: T,
        parse: Callable[[str, Any], tuple[str, T]],
        fetch: Callable[[str], _Fetched],
    ) -> Lookup[T]:
        now = datetime.now(UTC)
        label = SOURCE_LABELS[source]
        key = re.sub(r"[\s.]", "", siren or "")
        if not re.fullmatch(r"\d{9}", key):
            return Lookup(UNKNOWN, empty, now, False,
                          f"SIREN invalide : « {siren} » (9 chiffres attendus), "
                          f"{label} non consulté.")
        if self.offline:
            return Lookup(UNKNOWN, empty, now, False, OFFLINE_MESSAGE)

        cached: tuple[datetime, str, T] | None = None
        entry = self._cache_get(source, key)
        if entry is not None:
            fetched_at, _status, payload = entry
            try:
                status, value = parse(key, payload)
                cached = (aware(fetched_at), status, value)
            except (_Unexpected, KeyError, TypeError, ValueError, AttributeError):
                log.warning("unreadable %s cache entry for %s, ignored", source, key)
        if cached is not None and now - cached[0] < self.max_age:
            return Lookup(cached[1], cached[2], cached[0], True,
                          _found_message(source, key, cached[1]))

        fetched = fetch(key)
        if not fetched.reason:
            try:
                status, value = parse(key, fetched.payload)
            except (_Unexpected, KeyError, TypeError, ValueError, AttributeError):
                fetched = _Fetched(reason="a renvoyé une réponse inattendue")
            else:
                self._cache_put(source, key, now, status, fetched.payload)
                return Lookup(status, value, now, False, _found_message(source, key, status))

        if cached is not None:
            return Lookup(cached[1], cached[2], cached[0], True,
                          f"{label} {fetched.reason} : réponse du {_day(cached[0])} "
                          "conservée en cache.")
        return Lookup(UNKNOWN, empty, now, False, f"{label} {fetched.reason} : statut inconnu.")

    def _cache_get(self, source: str, key: str) -> tuple[datetime, str, Any] | None:
        if self.cache is None:
            return None
        try:
            return self.cache.get(source, key)
        except Exception:  # a broken cache must not stop lookups
            log.exception("registry cache read failed (%s, %s)", source, key)
            return None

    def _cache_put(self, source: str, key: str, fetched_at: datetime, status: str,
                   payload: Any) -> None:
        if self.cache is None:
            return
        try:
            self.cache.put(source, key, fetched_at, status, payload)
        except Exception:  # a broken cache must not stop lookups
            log.exception("registry cache write failed (%s, %s)", source, key)

    # HTTP with rate limit, one retry after a short 429, and an overall deadline.

    def _get(self, source: str, url: str, params: dict[str, str]) -> _Fetched:
        deadline = time.monotonic() + self.timeout + self.max_retry_wait
        for attempt in range(2):
            self._throttle(source, deadline)
            budget = min(self.timeout, deadline - time.monotonic())
            if budget <= 0:
                return _Fetched(reason="injoignable (délai dépassé)")
            try:
                status, headers, body = self._attempt(source, url, params, budget)
            except _Abort as abort:
                return _Fetched(reason=str(abort))
            if status == 429:
                wait = _retry_after(headers.get("retry-after"))
                if (attempt == 0 and wait is not None and wait <= self.max_retry_wait
                        and time.monotonic() + wait < deadline):
                    log.info("%s: HTTP 429, retrying in %.1f s", source, wait)
                    time.sleep(wait)
                    continue
                later = f" ; réessayer dans {round(wait)} s" if wait is not None else ""
                return _Fetched(reason=f"saturé (trop de requêtes{later})")
            if status >= 500:
                return _Fetched(reason=f"indisponible (erreur HTTP {status})")
            if status != 200:
                return _Fetched(reason=f"a refusé la demande (HTTP {status})")
            try:
                return _Fetched(payload=json.loads(body))
            except ValueError:
                return _Fetched(reason="a renvoyé une réponse illisible (JSON invalide)")
        return _Fetched(reason="saturé (trop de requêtes)")  # pragma: no cover

    def _throttle(self, source: str, deadline: float) -> None:
        """Wait for this source's next slot (at most until the deadline), and take it."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next_at.get(source, now))
            self._next_at[source] = start + self.min_interval
        wait = min(start, deadline) - now
        if wait > 0:
            time.sleep(wait)

    def _done(self, source: str) -> None:
        """Space the next request from the end of this one too (network jitter)."""
        with self._lock:
            self._next_at[source] = max(self._next_at.get(source, 0.0),
                                        time.monotonic() + self.min_interval)

    def _attempt(self, source: str, url: str, params: dict[str, str],
                 budget: float) -> tuple[int, httpx.Headers, bytes]:
        """One GET in a worker thread: the caller waits at most `budget` seconds."""
        box: queue.Queue[tuple[int, httpx.Headers, bytes] | _Abort] = queue.Queue(maxsize=1)
        stop_at = time.monotonic() + budget

        def run() -> None:
            outcome: tuple[int, httpx.Headers, bytes] | _Abort
            try:
                outcome = self._request(url, params, budget, stop_at)
            except _Abort as abort:
                outcome = abort
            except (httpx.TimeoutException, TimeoutError):
                outcome = _Abort("injoignable (délai dépassé)")
            except (httpx.HTTPError, httpx.InvalidURL, OSError, RuntimeError) as exc:
                log.info("%s: %s: %s", source, type(exc).__name__, exc)
                outcome = _Abort("injoignable (connexion impossible)")
            except Exception as exc:  # never let a worker die silently
                log.exception("%s: unexpected error", source)
                outcome = _Abort(f"injoignable ({type(exc).__name__})")
            self._done(source)
            box.put(outcome)

        threading.Thread(target=run, name=f"relance-registry-{source}", daemon=True).start()
        try:
            outcome = box.get(timeout=budget)
        except queue.Empty:
            raise _Abort("injoignable (délai dépassé)") from None
        if isinstance(outcome, _Abort):
            raise outcome
        return outcome

    def _request(self, url: str, params: dict[str, str], budget: float,
                 stop_at: float) -> tuple[int, httpx.Headers, bytes]:
        with self._http.stream("GET", url, params=params,
                               timeout=httpx.Timeout(budget)) as response:
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise _Abort("a renvoyé une réponse trop volumineuse")
                if time.monotonic() > stop_at:
                    raise _Abort("injoignable (délai dépassé)")
                chunks.append(chunk)
            return response.status_code, response.headers, b"".join(chunks)


def _found_message(source: str, siren: str, status: str) -> str:
    if status == NOT_FOUND:
        return (f"SIREN {siren} absent de l'annuaire des entreprises "
                "(entreprise inconnue ou non diffusible).")
    return ""


def client_from_env(cache: Cache | None = None,
                    environ: Mapping[str, str] | None = None) -> RegistryClient:
    """A client configured by RELANCE_SIRENE_URL, RELANCE_BODACC_URL and
    RELANCE_REGISTRY_OFFLINE (1: no network access, every lookup answers "unknown")."""
    env = os.environ if environ is None else environ
    offline = env.get("RELANCE_REGISTRY_OFFLINE", "").strip().lower() in {
        "1", "true", "yes", "oui", "on"}
    return RegistryClient(
        sirene_url=env.get("RELANCE_SIRENE_URL", "").strip() or SIRENE_URL,
        bodacc_url=env.get("RELANCE_BODACC_URL", "").strip() or BODACC_URL,
        cache=cache,
        offline=offline,
    )
