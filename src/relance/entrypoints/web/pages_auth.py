"""Signing in and out, and choosing the company to work on."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection

from relance.entrypoints.web.deps import (
    SESSION_COOKIE,
    CsrfFailed,
    account,
    client_address,
    connection,
    creditors_of,
    render,
)
from relance.services.users import (
    SESSION_HOURS,
    AuthError,
    audit,
    close_session,
    open_session,
    session_of,
)
from relance.services.users import authenticate as check_password

router = APIRouter()
LOGIN_CSRF_COOKIE = "relance_login_csrf"


def _secure(request: Request) -> bool:
    forced = request.app.state.cookie_secure
    return bool(forced) if forced is not None else request.url.scheme == "https"


def _safe_next(target: str) -> str:
    """Only a path of this site (never //host or a full URL) after signing in."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.get("/connexion")
def login_form(request: Request, suite: str = "/", conn: Connection = Depends(connection)
               ) -> Response:
    """The sign-in page (with a double-submit CSRF token: there is no session yet)."""
    if session_of(conn, request.cookies.get(SESSION_COOKIE, "")):
        return RedirectResponse(_safe_next(suite), status_code=303)
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", csrf=token, suite=_safe_next(suite), error="")
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=_secure(request), path="/connexion")
    return response


@router.post("/connexion")
def login(request: Request, username: str = Form(..., alias="identifiant"),
          password: str = Form(..., alias="mot_de_passe"), csrf_token: str = Form(""),
          suite: str = Form("/"), conn: Connection = Depends(connection)) -> Response:
    """Check the password (rate-limited), open a session, go where the user was going."""
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not (expected and csrf_token and secrets.compare_digest(expected, csrf_token)):
        raise CsrfFailed()
    try:
        user = check_password(conn, username, password, client_address(request))
    except AuthError as exc:
        conn.commit()  # the failed attempt counts towards the limit
        return render(request, "login.html", status_code=401, csrf=csrf_token,
                      suite=_safe_next(suite), error=exc.message, username=username)
    session = open_session(conn, user.id)
    audit(conn, user, "connexion", address=client_address(request))
    conn.commit()
    response = RedirectResponse(_safe_next(suite), status_code=303)
    response.set_cookie(SESSION_COOKIE, session.token, max_age=SESSION_HOURS * 3600,
                        httponly=True, samesite="lax", secure=_secure(request), path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/connexion")
    return response


@router.post("/deconnexion")
def logout(request: Request, who: Any = Depends(account)) -> Response:
    """End the session."""
    user, _, conn = who
    close_session(conn, request.cookies.get(SESSION_COOKIE, ""))
    audit(conn, user, "deconnexion", address=client_address(request))
    conn.commit()
    response = RedirectResponse("/connexion", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/")
def home(request: Request, who: Any = Depends(account)) -> Response:
    """The only company's dashboard, or the list of the companies served."""
    user, csrf, conn = who
    companies = creditors_of(conn, user)
    if len(companies) == 1:
        return RedirectResponse(f"/c/{quote(companies[0].ref, safe='')}/", status_code=303)
    return render(request, "choose.html", csrf=csrf, chooser=companies, who=user)
