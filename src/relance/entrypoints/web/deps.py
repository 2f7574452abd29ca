"""Who is asking, for which company, with which right: the guard every route goes through.

Every page lives under `/c/{creditor_ref}/…` and every API call under
`/api/v1/creditors/{creditor_ref}/…`; `page(right)` and `api(right)` check the session (or the
API token), the role's right, the grant of that company to the user (a company not granted is
answered 404, as if it did not exist) and, for every write, the CSRF token.

A route handler then gets a `Ctx`: the connection (reads need nothing more; a write calls
`ctx.commit()`), the user, the creditor row, and helpers to render, audit and redirect.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import Connection, select

from relance.adapters import tables as t
from relance.services.users import User, audit, session_of, token_user

SESSION_COOKIE = "relance_session"
FLASH_COOKIE = "relance_flash"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class LoginRequired(Exception):
    """No live session: pages redirect to the sign-in page, the API answers 401."""


class Forbidden(Exception):
    """Signed in, but the role does not allow this (403)."""

    def __init__(self, message: str = "Accès refusé : votre rôle ne permet pas cette action."
                 ) -> None:
        super().__init__(message)
        self.message = message


class NotFound(Exception):
    """Unknown, or not granted to this user: the same answer (404), so nothing leaks."""

    def __init__(self, message: str = "Page introuvable.") -> None:
        super().__init__(message)
        self.message = message


class CsrfFailed(Exception):
    """A write without the session's CSRF token (403)."""


def connection(request: Request) -> Iterator[Connection]:
    """One connection per request; what was not committed is rolled back at the end."""
    with request.app.state.engine.connect() as conn:
        yield conn


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


async def sent_csrf(request: Request) -> str:
    """The CSRF token a write carries: the X-CSRF-Token header or the form's csrf_token."""
    if request.method not in UNSAFE:
        return ""
    header = request.headers.get("x-csrf-token", "")
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if "form" in content_type:
        form = await request.form()
        value = form.get("csrf_token", "")
        return value if isinstance(value, str) else ""
    return ""


@dataclass
class Ctx:
    """A request that passed the guard."""

    request: Request
    conn: Connection
    user: User
    creditor: Any
    csrf: str
    via_token: bool = False
    flashes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def today(self) -> date:
        """The working date: the clock's, or the one the server was started on."""
        return self.request.app.state.today()  # type: ignore[no-any-return]

    @property
    def base(self) -> str:
        """The URL prefix of this company's pages."""
        return f"/c/{quote(self.creditor.ref, safe='')}"

    def commit(self) -> None:
        self.conn.commit()

    def audit(self, action: str, target: str = "", **detail: Any) -> None:
        """Record the write (committed with it by the next `commit`)."""
        audit(self.conn, self.user, action, creditor_id=self.creditor.id, target=target,
              detail=detail, address=client_address(self.request))

    def render(self, template: str, status_code: int = 200, **data: Any) -> HTMLResponse:
        return render(self.request, template, status_code=status_code, ctx=self, **data)

    def redirect(self, path: str, message: str = "", level: str = "ok") -> RedirectResponse:
        """After a write: back to a page of this company, with a message shown once."""
        response = RedirectResponse(self.base + path, status_code=303)
        if message:
            set_flash(response, message, level)
        return response


def set_flash(response: Any, message: str, level: str = "ok") -> None:
    response.set_cookie(FLASH_COOKIE, quote(f"{level}|{message}"), max_age=60, httponly=True,
                        samesite="lax", path="/")


def creditors_of(conn: Connection, user: User) -> list[Any]:
    """The companies granted to the user, by name."""
    if not user.creditor_ids:
        return []
    return list(conn.execute(select(t.creditors.c.id, t.creditors.c.ref,
                                    t.creditors.c.legal_name)
                             .where(t.creditors.c.id.in_(sorted(user.creditor_ids)))
                             .order_by(t.creditors.c.legal_name)))


def render(request: Request, template: str, *, status_code: int = 200, ctx: Ctx | None = None,
           **data: Any) -> HTMLResponse:
    """A page: the template with the user, the company, the CSRF token and the message."""
    from urllib.parse import unquote

    flash = request.cookies.get(FLASH_COOKIE, "")
    level, _, message = unquote(flash).partition("|") if flash else ("", "", "")
    context = {"ctx": ctx, "user": ctx.user if ctx else None,
               "creditor": ctx.creditor if ctx else None, "base": ctx.base if ctx else "",
               "csrf": ctx.csrf if ctx else data.pop("csrf", ""),
               "companies": creditors_of(ctx.conn, ctx.user) if ctx else [],
               "flash": (level, message) if message else None, **data}
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, template, context, status_code=status_code)
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def own_client(ctx: Ctx, client_id: int) -> Any:
    """A client of this company, or 404 (another company's client answers as unknown)."""
    row = ctx.conn.execute(select(t.clients).where(
        t.clients.c.id == client_id, t.clients.c.creditor_id == ctx.creditor.id)).first()
    if row is None:
        raise NotFound("Client introuvable.")
    return row


def _creditor(conn: Connection, user: User, ref: str) -> Any:
    row = conn.execute(select(t.creditors).where(t.creditors.c.ref == ref)).one_or_none()
    if row is None or not user.serves(row.id):
        raise NotFound("Société inconnue.")
    return row


def signed_in(request: Request, conn: Connection) -> tuple[User, str]:
    """The session's user and CSRF token, or LoginRequired."""
    found = session_of(conn, request.cookies.get(SESSION_COOKIE, ""))
    if found is None:
        raise LoginRequired()
    return found


def _check_csrf(request: Request, expected: str, sent: str) -> None:
    if request.method in UNSAFE and not (sent and secrets.compare_digest(sent, expected)):
        raise CsrfFailed()


def page(right: str) -> Callable[..., Ctx]:
    """The guard of a company page needing `right` (read, work, bad_payers, admin)."""

    def guard(request: Request, creditor_ref: str, conn: Connection = Depends(connection),
              csrf: str = Depends(sent_csrf)) -> Ctx:
        user, expected = signed_in(request, conn)
        _check_csrf(request, expected, csrf)
        creditor = _creditor(conn, user, creditor_ref)
        if not user.can(right):
            raise Forbidden()
        return Ctx(request, conn, user, creditor, expected)

    guard.relance_right = right  # type: ignore[attr-defined]
    return guard


def account(request: Request, conn: Connection = Depends(connection),
            csrf: str = Depends(sent_csrf)) -> tuple[User, str, Connection]:
    """The guard of the pages outside any company (the company chooser, signing out)."""
    user, expected = signed_in(request, conn)
    _check_csrf(request, expected, csrf)
    return user, expected, conn


account.relance_right = "read"  # type: ignore[attr-defined]


def api(right: str) -> Callable[..., Ctx]:
    """The guard of an API call: a Bearer token, or the browser session with its CSRF header
    for writes; then the right and the company as for pages."""

    def guard(request: Request, creditor_ref: str, conn: Connection = Depends(connection),
              csrf: str = Depends(sent_csrf)) -> Ctx:
        header = request.headers.get("authorization", "")
        via_token = header.lower().startswith("bearer ")
        if via_token:
            user = token_user(conn, header[7:].strip())
            conn.commit()
            if user is None:
                raise LoginRequired()
            expected = ""
        else:
            user, expected = signed_in(request, conn)
            _check_csrf(request, expected, csrf)
        creditor = _creditor(conn, user, creditor_ref)
        if not user.can(right):
            raise Forbidden()
        return Ctx(request, conn, user, creditor, expected, via_token=via_token)

    guard.relance_right = right  # type: ignore[attr-defined]
    return guard
