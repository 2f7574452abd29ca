"""The FastAPI application: pages, the REST API, static files, errors in French, no traceback.

    app = create_app(bootstrap.database(url))      # then: uvicorn.run(app, …)
"""

from __future__ import annotations

import logging
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from relance.domain.errors import NotFoundError, RelanceError
from relance.entrypoints.web.deps import (
    CsrfFailed,
    Forbidden,
    LoginRequired,
    NotFound,
    render,
    set_flash,
)
from relance.entrypoints.web.templating import templates

log = logging.getLogger("relance.web")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; "
                                "style-src 'self'; script-src 'self'; frame-ancestors 'none'"),
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(request: Request, status: int, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    return render(request, "error.html", status_code=status, status=status, message=message)


def create_app(engine: Engine, *, cookie_secure: bool | None = None,
               on: date | None = None) -> FastAPI:
    """The application on a database; `cookie_secure` forces the Secure cookie flag (by default
    it is set when the request came over HTTPS); `on` pins the working date (the demo works on
    its calendar's last day), otherwise it is the clock's."""
    app = FastAPI(title="Relance API", version="1", openapi_url="/api/v1/openapi.json",
                  docs_url="/api/v1/docs", redoc_url=None,
                  description="API REST de Relance : clients, factures, règlements, "
                              "historique, promesses, litiges, runs et rapports.")
    app.state.engine = engine
    app.state.templates = templates()
    app.state.cookie_secure = cookie_secure
    app.state.today = (lambda: on) if on else date.today
    static = Path(str(resources.files("relance.entrypoints.web") / "static"))
    app.mount("/static", StaticFiles(directory=static), name="static")
    _handlers(app)

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    from relance.entrypoints.web import (
        api,
        pages_admin,
        pages_auth,
        pages_clients,
        pages_dashboard,
        pages_work,
    )

    for module in (pages_auth, api, pages_dashboard, pages_clients, pages_work, pages_admin):
        app.include_router(module.router)
    return app


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": "Authentification requise (session ou jeton)."},
                                status_code=401, headers={"WWW-Authenticate": "Bearer"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/connexion?suite={quote(target)}", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return _error(request, 403, exc.message)

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, exc: CsrfFailed) -> Response:
        return _error(request, 403, "Jeton CSRF absent ou invalide : rechargez la page et "
                                    "recommencez.")

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return _error(request, 404, exc.message)

    @app.exception_handler(NotFoundError)
    async def unknown(request: Request, exc: NotFoundError) -> Response:
        return _error(request, 404, exc.message)

    @app.exception_handler(RelanceError)
    async def bad_input(request: Request, exc: RelanceError) -> Response:
        referer = request.headers.get("referer", "")
        if (not _is_api(request) and request.method == "POST" and referer
                and referer.startswith(str(request.base_url))):
            response = RedirectResponse(referer, status_code=303)
            set_flash(response, exc.message, "error")
            return response
        return _error(request, 400, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'requête'} : {french(e)}"
            for e in exc.errors())
        if _is_api(request):
            return JSONResponse({"detail": f"Requête invalide : {problems}",
                                 "errors": jsonable(exc.errors())}, status_code=422)
        return _error(request, 422, f"Formulaire invalide : {problems}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {404: "Page introuvable.", 405: "Méthode non autorisée."}
        return _error(request, exc.status_code,
                      messages.get(exc.status_code, str(exc.detail)))

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Response:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return _error(request, 500, "Erreur interne : l'opération n'a pas été faite. "
                                    "L'administrateur trouvera le détail dans le journal.")


# Pydantic's messages in French, by error type (others keep pydantic's own words).
FRENCH_ERRORS = {
    "missing": "valeur obligatoire",
    "int_parsing": "nombre entier attendu",
    "int_type": "nombre entier attendu",
    "decimal_parsing": "nombre attendu",
    "bool_parsing": "oui/non attendu (true/false)",
    "date_parsing": "date attendue (AAAA-MM-JJ)",
    "date_from_datetime_parsing": "date attendue (AAAA-MM-JJ)",
    "string_too_long": "texte trop long",
    "json_invalid": "JSON invalide",
    "model_attributes_type": "objet JSON attendu",
    "dict_type": "objet JSON attendu",
    "list_type": "liste attendue",
    "extra_forbidden": "champ inconnu",
}


def french(error: Any) -> str:
    """One validation error in French (bounds keep their figure)."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind in ("less_than_equal", "less_than"):
        return f"au plus {ctx.get('le', ctx.get('lt'))}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"au moins {ctx.get('ge', ctx.get('gt'))}"
    if kind == "value_error":  # our validators already speak French
        return str(error.get("msg", "")).removeprefix("Value error, ")
    return FRENCH_ERRORS.get(kind, str(error.get("msg", "")))


def jsonable(errors: Any) -> Any:
    """Validation errors without their raw input objects (which may not be JSON)."""
    return [{"loc": list(e.get("loc", ())), "msg": french(e), "type": e.get("type", "")}
            for e in errors]
