"""The web application's guard: sign-in, sessions, CSRF, roles on every route, companies apart."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text, update

from relance.adapters import tables as t
from relance.entrypoints.web.deps import SESSION_COOKIE
from relance.services.users import LOGIN_MAX_FAILURES, now
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
