"""Web commands: `serve`, `users`, `tokens`, `audit` (registered by entrypoints/cli.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

import click
from sqlalchemy import select

from relance import bootstrap
from relance.adapters import tables as t
from relance.adapters.repository import resolve_creditor
from relance.domain.errors import RelanceError
from relance.entrypoints.cli import DATE, cli, db_option, emit_json, json_option, table
from relance.i18n import format_short_date


def serve_app(engine: Any, host: str, port: int, on: date | None = None,
              cookie_secure: bool | None = None) -> None:
    """Serve the web application until interrupted."""
    import uvicorn

    from relance.entrypoints.web.app import create_app

    app = create_app(engine, on=on, cookie_secure=cookie_secure)
    uvicorn.run(app, host=host, port=port, log_level="warning")


@cli.command("serve")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Adresse d'écoute.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True,
              help="Port d'écoute.")
@click.option("--date", "on", type=DATE, default=None,
              help="Date de travail de l'application (défaut : aujourd'hui).")
@click.option("--secure-cookies/--no-secure-cookies", default=None,
              help="Cookies « Secure » (défaut : oui derrière HTTPS).")
def serve(db_url: str | None, host: str, port: int, on: date | None,
          secure_cookies: bool | None) -> None:
    """L'application web et l'API REST (/api/v1, schéma OpenAPI sur /api/v1/openapi.json)."""
    engine = bootstrap.database(db_url)
    with engine.connect() as conn:
        if conn.execute(select(t.users.c.id).limit(1)).first() is None:
            click.echo("Aucun utilisateur : créez le premier administrateur avec "
                       "« relance users add NOM --role admin --creditor RÉF ».", err=True)
    click.echo(f"Relance sur http://{host}:{port}/ (Ctrl+C pour arrêter)")
    serve_app(engine, host, port, on, secure_cookies)


@cli.group()
def users() -> None:
    """Utilisateurs de l'application web et de l'API."""


def _password(value: str | None) -> str:
    if value:
        return value
    return str(click.prompt("Mot de passe", hide_input=True, confirmation_prompt=True))


@users.command("add")
@db_option
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "collector", "readonly"]), default="admin",
              show_default=True, help="Rôle : admin, collector (recouvrement), readonly.")
@click.option("--name", "full_name", default="", help="Nom affiché.")
@click.option("--creditor", "creditors", multiple=True,
              help="Société créancière servie (réf.), répétable ; défaut : la seule de la base.")
@click.option("--password", default=None, envvar="RELANCE_NEW_PASSWORD",
              help="Mot de passe (sinon demandé ; ou RELANCE_NEW_PASSWORD).")
def users_add(db_url: str | None, username: str, role: str, full_name: str,
              creditors: tuple[str, ...], password: str | None) -> None:
    """Crée un utilisateur (le premier : --role admin)."""
    from relance.services.users import add_user

    with bootstrap.database(db_url).begin() as conn:
        ids = [resolve_creditor(conn, ref).id for ref in creditors] or [
            resolve_creditor(conn, None).id]
        add_user(conn, username, _password(password), role, full_name=full_name,
                 creditor_ids=ids)
    click.echo(f"Utilisateur « {username} » créé ({role}).")


@users.command("list")
@db_option
@json_option
def users_list(db_url: str | None, as_json: bool) -> None:
    """Liste les utilisateurs, leur rôle et leurs sociétés."""
    with bootstrap.database(db_url).connect() as conn:
        refs = {r.id: r.ref for r in conn.execute(select(t.creditors.c.id, t.creditors.c.ref))}
        grants: dict[int, list[str]] = {}
        for g in conn.execute(select(t.user_creditors)):
            grants.setdefault(g.user_id, []).append(refs[g.creditor_id])
        rows = [{"username": u.username, "full_name": u.full_name, "role": u.role,
                 "active": u.active, "creditors": sorted(grants.get(u.id, []))}
                for u in conn.execute(select(t.users).order_by(t.users.c.username))]
    if as_json:
        emit_json({"users": rows})
        return
    table(["Identifiant", "Nom", "Rôle", "Actif", "Sociétés"],
          [(r["username"], r["full_name"], r["role"], "oui" if r["active"] else "non",
            ", ".join(r["creditors"])) for r in rows])


@users.command("grant")
@db_option
@click.argument("username")
@click.argument("creditor_refs", nargs=-1, required=True)
@click.option("--revoke", is_flag=True, help="Retire l'accès au lieu de le donner.")
def users_grant(db_url: str | None, username: str, creditor_refs: tuple[str, ...],
                revoke: bool) -> None:
    """Donne (ou retire) l'accès d'un utilisateur à des sociétés."""
    from relance.services import users as service

    with bootstrap.database(db_url).begin() as conn:
        user = service.user_by_name(conn, username)
        ids = [resolve_creditor(conn, ref).id for ref in creditor_refs]
        (service.revoke if revoke else service.grant)(conn, user.id, ids)
    click.echo(f"Accès {'retiré' if revoke else 'donné'} : {username} → "
               f"{', '.join(creditor_refs)}.")


@users.command("set")
@db_option
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "collector", "readonly"]), default=None,
              help="Nouveau rôle.")
@click.option("--password", "new_password", is_flag=True, help="Change le mot de passe.")
@click.option("--disable/--enable", default=None, help="Désactive ou réactive le compte.")
def users_set(db_url: str | None, username: str, role: str | None, new_password: bool,
              disable: bool | None) -> None:
    """Change le rôle, le mot de passe ou l'état d'un utilisateur."""
    from relance.services import users as service

    with bootstrap.database(db_url).begin() as conn:
        user = service.user_by_name(conn, username)
        if role or disable is not None:
            service.set_role(conn, user.id, role or user.role,
                             active=user.active if disable is None else not disable)
        if new_password:
            service.set_password(conn, user.id, _password(None))
    click.echo(f"Utilisateur « {username} » mis à jour.")


@cli.group()
def tokens() -> None:
    """Jetons d'accès à l'API REST."""


@tokens.command("create")
@db_option
@click.argument("username")
@click.option("--name", default="", help="À quoi sert le jeton.")
def tokens_create(db_url: str | None, username: str, name: str) -> None:
    """Crée un jeton d'API (affiché une seule fois)."""
    from relance.services import users as service

    with bootstrap.database(db_url).begin() as conn:
        user = service.user_by_name(conn, username)
        token = service.create_token(conn, user.id, name)
    click.echo("Jeton créé ; il ne sera plus affiché :")
    click.echo(token)


@tokens.command("list")
@db_option
@click.argument("username")
def tokens_list(db_url: str | None, username: str) -> None:
    """Liste les jetons d'un utilisateur."""
    from relance.services import users as service

    with bootstrap.database(db_url).connect() as conn:
        user = service.user_by_name(conn, username)
        rows = list(conn.execute(select(t.api_tokens).where(
            t.api_tokens.c.user_id == user.id).order_by(t.api_tokens.c.id)))
    table(["N°", "Nom", "Créé le", "Dernier usage", "Révoqué le"],
          [(r.id, r.name, format_short_date(r.created_at.date()),
            format_short_date(r.last_used_at.date()) if r.last_used_at else "",
            format_short_date(r.revoked_at.date()) if r.revoked_at else "") for r in rows])


@tokens.command("revoke")
@db_option
@click.argument("username")
@click.argument("token_id", type=int)
def tokens_revoke(db_url: str | None, username: str, token_id: int) -> None:
    """Révoque un jeton."""
    from relance.services import users as service

    with bootstrap.database(db_url).begin() as conn:
        service.revoke_token(conn, service.user_by_name(conn, username).id, token_id)
    click.echo(f"Jeton {token_id} révoqué.")


@cli.command("audit")
@db_option
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@json_option
def audit_cmd(db_url: str | None, limit: int, as_json: bool) -> None:
    """Journal d'audit : qui a fait quoi dans l'application web et l'API."""
    from relance.services.users import audit_rows

    with bootstrap.database(db_url).connect() as conn:
        rows = audit_rows(conn, None, limit)
    if as_json:
        emit_json({"entries": [{"at": r.at, "username": r.username, "action": r.action,
                                "target": r.target, "detail": r.detail} for r in rows]})
        return
    if not rows:
        raise RelanceError("Journal d'audit vide.")
    table(["Quand", "Qui", "Action", "Objet"],
          [(r.at.strftime("%d/%m/%Y %H:%M"), r.username, r.action, r.target) for r in rows])
