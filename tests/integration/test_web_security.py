"""The web application's guard: sign-in, sessions, CSRF, roles on every route, companies apart."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text, update

from relance.adapters import tables as t
from relance.entrypoints.web.deps import SESSION_COOKIE
from relance.services.users import (
    LOGIN_MAX_FAILURES,
    LOGIN_MAX_FAILURES_PER_ADDRESS,
    AuthError,
    now,
)
from tests.conftest import WEB_PASSWORD, app_routes, csrf_of


def test_a_page_asks_for_sign_in_and_brings_the_user_back_where_they_were_going(web):
    browser = web.client()
    answer = browser.get("/c/ACME/?vue=x")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/connexion?suite=/c/ACME/%3Fvue%3Dx"
    form = browser.get(answer.headers["location"])
    assert "Connexion" in form.text and 'value="/c/ACME/?vue=x"' in form.text
    signed = browser.post("/connexion", data={
        "identifiant": "collector", "mot_de_passe": WEB_PASSWORD,
        "csrf_token": csrf_of(form.text), "suite": "/c/ACME/?vue=x"})
    assert signed.status_code == 303 and signed.headers["location"] == "/c/ACME/?vue=x"
    cookie = signed.headers["set-cookie"]
    assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()


def test_the_password_is_stored_as_an_argon2_hash_only(web):
    with web.engine.connect() as conn:
        stored = conn.execute(select(t.users.c.password_hash)).scalars().all()
    assert all(h.startswith("$argon2id$") and WEB_PASSWORD not in h for h in stored)


def test_a_wrong_password_is_refused_in_french_and_repeated_failures_are_rate_limited(web):
    browser = web.client()
    for _ in range(LOGIN_MAX_FAILURES):
        token = csrf_of(browser.get("/connexion").text)
        answer = browser.post("/connexion", data={"identifiant": "admin", "mot_de_passe": "non",
                                                  "csrf_token": token})
        assert answer.status_code == 401
        assert "Identifiant ou mot de passe incorrect" in answer.text
    token = csrf_of(browser.get("/connexion").text)
    blocked = browser.post("/connexion", data={"identifiant": "admin",
                                               "mot_de_passe": WEB_PASSWORD,
                                               "csrf_token": token})
    assert blocked.status_code == 401 and "Trop de tentatives" in blocked.text
    # Another user is not locked out by someone else's failures.
    assert web.client("collector").get("/c/ACME/").status_code != 303


def test_the_sign_in_form_itself_needs_its_csrf_token(web):
    browser = web.client()
    browser.get("/connexion")
    answer = browser.post("/connexion", data={"identifiant": "admin",
                                              "mot_de_passe": WEB_PASSWORD, "csrf_token": "x"})
    assert answer.status_code == 403 and "CSRF" in answer.text


def test_an_expired_session_sends_back_to_the_sign_in_page(web):
    browser = web.client("admin")
    assert browser.get("/").status_code == 303
    assert browser.get("/").headers["location"] == "/c/ACME/"
    with web.engine.begin() as conn:
        conn.execute(update(t.web_sessions).values(expires_at=now() - timedelta(minutes=1)))
    answer = browser.get("/")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/connexion")


def test_signing_out_ends_the_session_on_the_server(web):
    browser = web.client("admin")
    cookie = browser.cookies.get(SESSION_COOKIE)
    token = csrf_of(browser.get("/c/ACME/", follow_redirects=True).text)
    assert browser.post("/deconnexion", data={"csrf_token": token}).status_code == 303
    replay = web.client()
    replay.cookies.set(SESSION_COOKIE, cookie)
    assert replay.get("/").headers["location"].startswith("/connexion")
    with web.engine.connect() as conn:
        assert conn.execute(text("select count(*) from web_sessions")).scalar_one() == 0


def test_signing_out_without_the_csrf_token_is_refused(web):
    browser = web.client("admin")
    assert browser.post("/deconnexion", data={}).status_code == 403
    assert browser.get("/").status_code == 303  # still signed in


def test_a_company_not_granted_is_answered_as_if_it_did_not_exist(web):
    browser = web.client("beta")
    assert browser.get("/").headers["location"] == "/c/BETA/"
    answer = browser.get("/c/ACME/")
    assert answer.status_code == 404 and "Société inconnue" in answer.text
    assert browser.get("/c/NOPE/").status_code == 404


def test_every_route_goes_through_a_guard_with_a_right(web):
    open_routes = {"/connexion", "/api/v1/openapi.json", "/api/v1/docs",
                   "/api/v1/docs/oauth2-redirect"}
    unguarded, guarded = [], []
    for path, route in app_routes(web.app.routes):
        if path in open_routes:
            continue
        rights = [getattr(d.call, "relance_right", None) for d in route.dependant.dependencies]
        (guarded if any(rights) else unguarded).append(path)
    assert unguarded == []
    # The walk really reaches the pages and the API (FastAPI nests included routers).
    assert {"/", "/c/{creditor_ref}/", "/api/v1/creditors/{creditor_ref}/clients"} <= set(guarded)
    assert len(guarded) > 40


def test_pages_carry_security_headers_and_no_traceback_on_errors(web):
    answer = web.client("admin").get("/c/ACME/nowhere")
    assert answer.status_code == 404
    assert answer.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    assert "Traceback" not in answer.text and "Introuvable" in answer.text


# --- sign-in limits, under attack ---------------------------------------------------------------


class _SlowHasher:
    """The real hasher, whose checks wait until every attempt of the test is either checking
    its password or refused: the worst interleaving of parallel sign-ins, made certain."""

    def __init__(self, real: Any, attempts: int) -> None:
        self.real, self.attempts, self.checks, self.refused = real, attempts, 0, 0
        self.lock, self.go = threading.Lock(), threading.Event()

    def settled(self) -> bool:
        with self.lock:
            return self.checks + self.refused == self.attempts

    def verify(self, stored: str, password: str) -> bool:
        with self.lock:
            self.checks += 1
        self.go.wait(timeout=20)
        return self.real.verify(stored, password)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_parallel_wrong_passwords_cannot_outrun_the_rate_limit(web, monkeypatch):
    from relance.services import users

    attempts = LOGIN_MAX_FAILURES + 4
    slow = _SlowHasher(users._hasher, attempts)
    monkeypatch.setattr(users, "_hasher", slow)
    answers: list[str] = []

    def attempt(n: int) -> None:
        with web.engine.connect() as conn:
            try:
                users.authenticate(conn, "admin", f"faux-{n}", "198.51.100.7")
            except users.RateLimited:
                with slow.lock:
                    slow.refused += 1
                answers.append("limited")
            except users.AuthError:
                answers.append("wrong")
            conn.commit()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while not slow.settled() and time.monotonic() < deadline:
        time.sleep(0.01)
    slow.go.set()
    for thread in threads:
        thread.join()
    assert slow.checks <= LOGIN_MAX_FAILURES  # never more password checks than the limit
    assert answers.count("limited") == attempts - slow.checks
    with web.engine.connect() as conn:
        recorded = conn.execute(select(t.login_attempts.c.success)).scalars().all()
    assert recorded == [False] * attempts


def test_one_address_trying_many_usernames_is_limited(web):
    from relance.services.users import RateLimited, authenticate

    with web.engine.connect() as conn:
        for n in range(LOGIN_MAX_FAILURES_PER_ADDRESS):
            with pytest.raises(AuthError):
                authenticate(conn, f"essai{n}", "mauvais-mot-de-passe", "203.0.113.9")
        with pytest.raises(RateLimited):
            authenticate(conn, "collector", WEB_PASSWORD, "203.0.113.9")
        assert authenticate(conn, "collector", WEB_PASSWORD, "203.0.113.10").username \
            == "collector"
        conn.commit()


def test_spaces_around_the_username_neither_dodge_the_limit_nor_block_the_user(web):
    from relance.services.users import RateLimited, authenticate

    with web.engine.connect() as conn:
        assert authenticate(conn, "  admin ", WEB_PASSWORD).username == "admin"
        for variant in (" admin", "admin ", "\u00a0admin", "admin\t", " admin "):
            with pytest.raises(AuthError) as refused:
                authenticate(conn, variant, "mauvais-mot-de-passe")
            assert not isinstance(refused.value, RateLimited)
        with pytest.raises(RateLimited):
            authenticate(conn, "admin", WEB_PASSWORD)
        with pytest.raises(AuthError):
            authenticate(conn, "Admin", WEB_PASSWORD)  # case is kept
        with pytest.raises(AuthError):  # longer than the column: refused, not a crash
            authenticate(conn, "collector" + "x" * 300, WEB_PASSWORD)
        conn.commit()


def test_a_successful_sign_in_is_recorded_as_such(web):
    with web.engine.connect() as conn:
        recorded = conn.execute(select(t.login_attempts.c.username, t.login_attempts.c.success)
                                ).all()
    assert recorded == []
    web.client("readonly")
    with web.engine.connect() as conn:
        recorded = conn.execute(select(t.login_attempts.c.username, t.login_attempts.c.success)
                                ).all()
    assert [tuple(r) for r in recorded] == [("readonly", True)]


def test_a_new_password_or_disabling_ends_sessions_and_revokes_api_tokens(web):
    from relance.services.users import set_password, set_role, token_user, user_by_name

    browser = web.client("collector")
    first, second = web.token("collector"), web.token("readonly")
    with web.engine.begin() as conn:
        set_password(conn, user_by_name(conn, "collector").id, "un-tout-nouveau-secret")
    assert browser.get("/").headers["location"].startswith("/connexion")
    with web.engine.begin() as conn:
        assert token_user(conn, first) is None
        assert conn.execute(select(t.api_tokens.c.revoked_at).where(
            t.api_tokens.c.user_id == user_by_name(conn, "collector").id)).scalar_one()
        readonly = user_by_name(conn, "readonly").id
        set_role(conn, readonly, "readonly", active=False)
        set_role(conn, readonly, "readonly", active=True)  # enabled again: the token stays dead
        assert token_user(conn, second) is None


def test_validation_errors_are_explained_in_french(web):
    api = web.client()
    headers = {"Authorization": f"Bearer {web.token('admin')}"}
    answer = api.get("/api/v1/creditors/ACME/clients?per_page=100000", headers=headers)
    assert answer.status_code == 422
    assert answer.json()["detail"] == "Requête invalide : per_page : au plus 500"
    wrong = api.get("/api/v1/creditors/ACME/clients?page=abc", headers=headers)
    assert wrong.json()["detail"] == "Requête invalide : page : nombre entier attendu"
