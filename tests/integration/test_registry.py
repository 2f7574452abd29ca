"""Registry lookups (API Recherche d'entreprises and BODACC) against a real HTTP server on
loopback that serves recorded answers (tests/fixtures/registry/) and logs what it receives."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine, func, select

from relance.adapters import tables as t
from relance.adapters.registry import (
    BODACC_PATH,
    OFFLINE_MESSAGE,
    USER_AGENT,
    MemoryCache,
    RegistryClient,
    SqlCache,
    classify,
    client_from_env,
    extract_administrator,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "registry"

ACTIVE = "530530419"       # MENUISERIE DUVAL ET FILS, Lyon
CLOSED = "749008934"       # BOULANGERIE LES BLÉS D'OR, ceased 2025-09-30
TROUBLED = "362275869"     # ATELIERS MÉCANIQUES DU VAL DE LOIRE: redressement, liquidation
UNKNOWN_SIREN = "928720317"
MISMATCH = "925988156"     # the server answers with another company

SIRENE_ROUTES = {ACTIVE: "sirene_active.json", CLOSED: "sirene_closed.json",
                 MISMATCH: "sirene_active.json"}
BODACC_ROUTES = {TROUBLED: "bodacc_proceedings.json", ACTIVE: "bodacc_quiet.json"}


@dataclass
class Seen:
    """One request as the fake server received it."""

    path: str
    query: dict[str, list[str]]
    user_agent: str
    at: float                                   # time.monotonic() on arrival


@dataclass
class Scripted:
    """A canned answer served before the routes, in order."""

    status: int
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0                           # before the status line
    drip: float = 0.0                            # between body bytes


class FakeRegistry(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[Seen] = []
        self.script: list[Scripted] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def answer(self, path: str, query: dict[str, list[str]]) -> Scripted:
        with self.lock:
            if self.script:
                return self.script.pop(0)
        if path == "/search":
            name = SIRENE_ROUTES.get(query["q"][0], "sirene_empty.json")
        elif path == BODACC_PATH:
            siren = re.sub(r"\D", "", query["where"][0])
            name = BODACC_ROUTES.get(siren, "bodacc_empty.json")
        else:
            return Scripted(404, b'{"error": "not found"}')
        return Scripted(200, (FIXTURES / name).read_bytes(),
                        {"Content-Type": "application/json; charset=utf-8"})


class _Handler(BaseHTTPRequestHandler):
    server: FakeRegistry

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        with self.server.lock:
            self.server.seen.append(Seen(parts.path, query, self.headers.get("User-Agent", ""),
                                         time.monotonic()))
        reply = self.server.answer(parts.path, query)
        try:
            time.sleep(reply.delay)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if reply.drip:
                for i in range(len(reply.body)):
                    self.wfile.write(reply.body[i:i + 1])
                    self.wfile.flush()
                    time.sleep(reply.drip)
            else:
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[FakeRegistry]:
    srv = FakeRegistry()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def make_client(url: str, **kwargs: object) -> RegistryClient:
    options: dict[str, object] = {"cache": MemoryCache(), "timeout": 0.5,
                                  "max_retry_wait": 0.3, "min_interval": 0.0}
    options.update(kwargs)
    return RegistryClient(sirene_url=url, bodacc_url=url, **options)  # type: ignore[arg-type]


@pytest.fixture
def client(server: FakeRegistry) -> Iterator[RegistryClient]:
    with make_client(server.url) as c:
        yield c


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --- API Recherche d'entreprises ------------------------------------------------------------


def test_active_company(client: RegistryClient, server: FakeRegistry) -> None:
    found = client.company(ACTIVE)

    assert found.status == "ok" and not found.from_cache and found.message == ""
    company = found.value
    assert company is not None
    assert company.siren == ACTIVE
    assert company.name == "MENUISERIE DUVAL ET FILS"
    assert company.active and company.closed_on is None
    assert company.created_on == date(2011, 3, 14)
    assert (company.legal_form, company.activity, company.employees) == ("5710", "43.32A", "11")
    assert company.employees_label == "10 à 19 salariés"
    assert company.head_office == "12 RUE DES TANNEURS, 69007 LYON"
    assert company.head_office_siret == "53053041900015"
    assert company.head_office_active
    assert found.fetched_at.tzinfo is not None

    [request] = server.seen
    assert request.path == "/search"
    assert request.query == {"q": [ACTIVE], "page": ["1"], "per_page": ["1"]}
    assert request.user_agent == USER_AGENT


def test_closed_company(client: RegistryClient) -> None:
    found = client.company("749 008 934")

    assert found.status == "ok"
    company = found.value
    assert company is not None
    assert company.name == "BOULANGERIE LES BLÉS D'OR"
    assert not company.active
    assert company.closed_on == date(2025, 9, 30)
    assert not company.head_office_active
    assert company.employees == "" and company.employees_label == ""
    assert company.head_office == "3 PLACE DU MARTROI, 45000 ORLEANS"


@pytest.mark.parametrize("siren", [UNKNOWN_SIREN, MISMATCH])
def test_company_not_found(client: RegistryClient, siren: str) -> None:
    found = client.company(siren)

    assert found.status == "not_found" and found.value is None
    assert siren in found.message and "non diffusible" in found.message


def test_invalid_siren_is_not_looked_up(client: RegistryClient, server: FakeRegistry) -> None:
    found = client.company("12345")

    assert found.status == "unknown" and "SIREN invalide" in found.message
    assert server.seen == []


# --- BODACC ---------------------------------------------------------------------------------


def test_notices_parsed_and_classified(client: RegistryClient, server: FakeRegistry) -> None:
    found = client.notices(TROUBLED)

    assert found.status == "ok"
    notices = {n.id: n for n in found.value}
    assert "A202600480413" not in notices          # registre of another SIREN
    assert [n.published_on for n in found.value] == sorted(
        (n.published_on for n in found.value), reverse=True)

    opening = notices["A202600480412"]
    assert opening.kind == "redressement" and opening.is_insolvency
    assert opening.family == "Procédures collectives"
    assert opening.nature == "Jugement d'ouverture d'une procédure de redressement judiciaire"
    assert opening.judgment_date == date(2026, 3, 2)
    assert opening.published_on == date(2026, 3, 10)
    assert opening.court == "TRIBUNAL DE COMMERCE D'ORLEANS"
    assert opening.administrator == "Maître Claire Fontaine, 8 rue des Carmes, 45000 Orléans"
    assert opening.url.endswith("q.id=id:A202600480412")
    assert opening.notice_type == "Avis initial" and not opening.is_cancellation

    cancelled = notices["A202600520655"]
    assert cancelled.notice_type == "Avis d'annulation" and cancelled.is_cancellation
    assert cancelled.kind == "redressement"           # kept as published, nothing undone

    liquidation = notices["A202600901523"]
    assert liquidation.kind == "liquidation"
    assert liquidation.judgment_date == date(2026, 5, 5)   # given as 05/05/2026
    assert liquidation.administrator == "Maître Claire Fontaine, 8 rue des Carmes, 45000 Orléans"

    malformed = notices["A202601181876"]
    assert (malformed.nature, malformed.judgment_date, malformed.kind) == ("", None, "other")
    assert malformed.administrator == ""

    radiation = notices["A202601242114"]                  # registre given as a plain string
    assert radiation.kind == "radiation" and radiation.family == "Radiations"
    assert radiation.judgment_date is None

    assert notices["A201900673307"].kind == "other"

    [request] = server.seen
    assert request.path == BODACC_PATH
    assert request.query == {"where": [f'registre like "{TROUBLED}"'],
                             "order_by": ["dateparution desc"], "limit": ["100"]}
    assert request.user_agent == USER_AGENT


def test_no_notices(client: RegistryClient) -> None:
    found = client.notices(UNKNOWN_SIREN)
    assert (found.status, found.value, found.message) == ("ok", (), "")
    quiet = client.notices(ACTIVE)
    assert [n.kind for n in quiet.value] == ["other"]
    assert quiet.value[0].family == "Dépôts des comptes"


@pytest.mark.parametrize(("family", "nature", "kind"), [
    ("Procédures collectives", "Jugement d'ouverture d'une procédure de sauvegarde", "sauvegarde"),
    ("collective", "Jugement d'ouverture d'une procédure de SAUVEGARDE ACCÉLÉRÉE", "sauvegarde"),
    ("collective", "Jugement d'ouverture d'une procédure de redressement judiciaire",
     "redressement"),
    ("collective", "Jugement de conversion en redressement judiciaire de la procédure de "
     "sauvegarde", "redressement"),
    ("collective", "Jugement prononçant la résolution du plan de sauvegarde et ouvrant une "
     "procédure de redressement judiciaire", "redressement"),
    ("collective", "Jugement d'ouverture de liquidation judiciaire simplifiée", "liquidation"),
    ("collective", "Jugement arrêtant le plan de redressement", "plan"),
    ("collective", "Jugement modifiant le plan de cession", "plan"),
    ("collective", "Jugement de clôture pour insuffisance d'actif", "cloture"),
    ("collective", "Jugement de Clôture de la liquidation judiciaire pour extinction du passif",
     "cloture"),
    ("Radiations", "", "radiation"),
    ("modification", "", "other"),
    ("collective", "Jugement d'homologation de l'accord de conciliation", "other"),
])
def test_classify(family: str, nature: str, kind: str) -> None:
    assert classify(family, nature) == kind


def test_extract_administrator() -> None:
    text = ("Jugement prononçant la liquidation judiciaire, désignant liquidateur SELARL "
            "Mandatum, 2 place Bellecour 69002 Lyon ; fixe la date de cessation des paiements")
    assert extract_administrator(text) == "SELARL Mandatum, 2 place Bellecour 69002 Lyon"
    assert extract_administrator("Les créances sont à déclarer auprès du mandataire "
                                 "judiciaire.") == ""
    assert extract_administrator("") == ""


# --- Failures, rate limits ------------------------------------------------------------------


def test_429_short_retry_after_retries_once(client: RegistryClient,
                                            server: FakeRegistry) -> None:
    server.script.append(Scripted(429, b'{"message": "Too Many Requests"}',
                                  {"Retry-After": "0"}))

    found = client.company(ACTIVE)

    assert found.status == "ok" and found.value is not None
    assert len(server.seen) == 2


def test_429_long_retry_after_is_unknown(client: RegistryClient, server: FakeRegistry) -> None:
    server.script.append(Scripted(429, b"{}", {"Retry-After": "120"}))

    started = time.monotonic()
    found = client.company(ACTIVE)

    assert time.monotonic() - started < 0.5
    assert found.status == "unknown" and found.value is None
    assert found.message == ("Annuaire des entreprises saturé (trop de requêtes ; réessayer "
                             "dans 120 s) : statut inconnu.")
    assert len(server.seen) == 1


def test_429_twice_is_unknown(client: RegistryClient, server: FakeRegistry) -> None:
    server.script += [Scripted(429, headers={"Retry-After": "0"}),
                      Scripted(429, headers={"Retry-After": "0"})]

    found = client.notices(TROUBLED)

    assert found.status == "unknown" and found.value == ()
    assert found.message.startswith("BODACC saturé")
    assert len(server.seen) == 2


def test_server_down_is_unknown() -> None:
    with make_client(closed_port_url(), timeout=0.5) as down:
        started = time.monotonic()
        found = down.company(ACTIVE)
        notices = down.notices(ACTIVE)
        elapsed = time.monotonic() - started

    assert elapsed < 1.0
    assert found.status == "unknown" and found.value is None and not found.from_cache
    assert found.message == ("Annuaire des entreprises injoignable (connexion impossible) : "
                             "statut inconnu.")
    assert notices.status == "unknown" and notices.value == ()
    assert notices.message == "BODACC injoignable (connexion impossible) : statut inconnu."


def test_server_error_is_unknown_and_not_cached(client: RegistryClient,
                                                server: FakeRegistry) -> None:
    server.script.append(Scripted(500, b"<html>Internal Server Error</html>"))

    found = client.company(ACTIVE)

    assert found.status == "unknown"
    assert found.message == ("Annuaire des entreprises indisponible (erreur HTTP 500) : "
                             "statut inconnu.")
    assert client.cache is not None and client.cache.get("sirene", ACTIVE) is None
    assert client.company(ACTIVE).status == "ok"         # asked again, not cached
    assert len(server.seen) == 2


def test_invalid_json_is_unknown(client: RegistryClient, server: FakeRegistry) -> None:
    server.script.append(Scripted(200, b"<html>maintenance</html>"))

    found = client.notices(TROUBLED)

    assert found.status == "unknown"
    assert "JSON invalide" in found.message


def test_slow_server_is_unknown_within_the_timeout(server: FakeRegistry) -> None:
    server.script.append(Scripted(200, b"{}", delay=0.6))
    with make_client(server.url, timeout=0.2, max_retry_wait=0.1) as c:
        started = time.monotonic()
        found = c.company(ACTIVE)
        elapsed = time.monotonic() - started

    assert elapsed < 0.3 + 0.1
    assert found.status == "unknown"
    assert found.message == ("Annuaire des entreprises injoignable (délai dépassé) : "
                             "statut inconnu.")


def test_dripping_body_stops_at_the_deadline(server: FakeRegistry) -> None:
    body = (FIXTURES / "sirene_active.json").read_bytes()
    server.script.append(Scripted(200, body, drip=0.02))     # ~90 s for the whole body
    with make_client(server.url, timeout=0.2, max_retry_wait=0.1) as c:
        started = time.monotonic()
        found = c.company(ACTIVE)
        elapsed = time.monotonic() - started

    assert elapsed < 0.3 + 0.1
    assert found.status == "unknown" and "délai dépassé" in found.message


def test_rate_limit_spaces_requests(server: FakeRegistry) -> None:
    with make_client(server.url, min_interval=0.2, cache=None) as c:
        c.company(ACTIVE)
        c.company(CLOSED)
        c.notices(ACTIVE)            # another source: its own pace

    first, second, other = server.seen
    assert first.path == second.path == "/search" and other.path == BODACC_PATH
    assert second.at - first.at >= 0.2
    assert other.at - second.at < 0.2


# --- Cache ----------------------------------------------------------------------------------


def test_fresh_cache_answers_without_a_request(client: RegistryClient,
                                               server: FakeRegistry) -> None:
    first = client.company(ACTIVE)
    second = client.company(ACTIVE)
    client.notices(TROUBLED)
    again = client.notices(TROUBLED)

    assert len(server.seen) == 2
    assert not first.from_cache and second.from_cache
    assert second.value == first.value and second.fetched_at == first.fetched_at
    assert again.from_cache and len(again.value) == 6
    # The raw answer is kept, so later parsing fixes apply to it.
    assert client.cache is not None
    cached = client.cache.get("sirene", ACTIVE)
    assert cached is not None and cached[1] == "ok"
    assert cached[2] == json.loads((FIXTURES / "sirene_active.json").read_text("utf-8"))


def test_not_found_is_cached(client: RegistryClient, server: FakeRegistry) -> None:
    client.company(UNKNOWN_SIREN)
    again = client.company(UNKNOWN_SIREN)

    assert again.status == "not_found" and again.from_cache
    assert len(server.seen) == 1


def test_stale_cache_is_served_when_the_registry_is_down(server: FakeRegistry) -> None:
    cache = MemoryCache()
    payload = json.loads((FIXTURES / "sirene_active.json").read_text("utf-8"))
    old = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    cache.put("sirene", ACTIVE, old, "ok", payload)

    with make_client(closed_port_url(), cache=cache) as down:
        found = down.company(ACTIVE)

    assert found.status == "ok" and found.from_cache and found.fetched_at == old
    assert found.value is not None and found.value.name == "MENUISERIE DUVAL ET FILS"
    assert found.message == ("Annuaire des entreprises injoignable (connexion impossible) : "
                             "réponse du 02/03/2026 conservée en cache.")


def test_stale_cache_is_refreshed_when_the_registry_answers(server: FakeRegistry) -> None:
    cache = MemoryCache()
    cache.put("sirene", ACTIVE, datetime.now(UTC) - timedelta(days=8), "not_found",
              {"results": [], "total_results": 0})

    with make_client(server.url, cache=cache) as c:
        found = c.company(ACTIVE)

    assert found.status == "ok" and not found.from_cache
    assert len(server.seen) == 1
    entry = cache.get("sirene", ACTIVE)
    assert entry is not None and entry[1] == "ok"


def test_sql_cache_round_trip(engine: Engine) -> None:
    cache = SqlCache(engine)
    assert cache.get("sirene", ACTIVE) is None
    at = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
    payload = json.loads((FIXTURES / "bodacc_proceedings.json").read_text("utf-8"))

    cache.put("bodacc", TROUBLED, at, "ok", payload)
    cache.put("sirene", TROUBLED, at, "not_found", {"results": []})
    later = at + timedelta(days=9)
    cache.put("bodacc", TROUBLED, later, "ok", {"total_count": 0, "results": []})

    entry = cache.get("bodacc", TROUBLED)
    assert entry is not None
    fetched_at, status, stored = entry
    assert fetched_at == later and fetched_at.tzinfo is not None
    assert (status, stored) == ("ok", {"total_count": 0, "results": []})
    assert cache.get("sirene", TROUBLED) == (at, "not_found", {"results": []})
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.registry_cache)).scalar() == 2


def test_sql_cache_behind_the_client(engine: Engine, server: FakeRegistry) -> None:
    with make_client(server.url, cache=SqlCache(engine)) as c:
        first = c.notices(TROUBLED)
        second = c.notices(TROUBLED)

    assert not first.from_cache and second.from_cache
    assert second.value == first.value
    assert second.fetched_at == first.fetched_at
    assert len(server.seen) == 1


# --- Settings -------------------------------------------------------------------------------


def test_client_from_env(server: FakeRegistry, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELANCE_SIRENE_URL", server.url)
    monkeypatch.setenv("RELANCE_BODACC_URL", server.url + "/")
    monkeypatch.delenv("RELANCE_REGISTRY_OFFLINE", raising=False)

    with client_from_env() as c:
        assert c.company(ACTIVE).status == "ok"
        assert c.notices(TROUBLED).status == "ok"

    assert [s.path for s in server.seen] == ["/search", BODACC_PATH]


def test_offline_mode_makes_no_request(server: FakeRegistry,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELANCE_SIRENE_URL", server.url)
    monkeypatch.setenv("RELANCE_BODACC_URL", server.url)
    monkeypatch.setenv("RELANCE_REGISTRY_OFFLINE", "1")
    cache = MemoryCache()

    with client_from_env(cache=cache) as c:
        found = c.company(ACTIVE)
        notices = c.notices(TROUBLED)

    assert (found.status, found.value, found.message) == ("unknown", None, OFFLINE_MESSAGE)
    assert (notices.status, notices.value) == ("unknown", ())
    assert found.message == "Mode hors ligne : registre non consulté, statut inconnu."
    assert server.seen == [] and len(cache) == 0
