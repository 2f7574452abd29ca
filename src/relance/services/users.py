"""Users, roles, grants, sessions, API tokens, sign-in rate limit and the audit log.

Passwords are argon2 hashes; session cookies and API tokens are random secrets of which only
the SHA-256 is stored, so a copy of the database opens no account.

    >>> ROLES["collector"].can("work"), ROLES["readonly"].can("work")
    (True, False)
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, and_, delete, func, insert, select, update

from relance.adapters import tables as t
from relance.adapters.database import aware
from relance.domain.errors import NotFoundError, RelanceError


@dataclass(frozen=True)
class Role:
    """What a role may do: `read` (everything but the bad-payer file), `work` (the day's
    collection work, payments, imports, runs), `bad_payers` (see the file), `admin` (settings,
    scenarios, users)."""

    name: str
    label: str
    rights: frozenset[str]

    def can(self, right: str) -> bool:
        return right in self.rights


ROLES: dict[str, Role] = {
    "admin": Role("admin", "Administrateur", frozenset({"read", "work", "bad_payers", "admin"})),
    "collector": Role("collector", "Chargé de recouvrement",
                      frozenset({"read", "work", "bad_payers"})),
    "readonly": Role("readonly", "Lecture seule", frozenset({"read"})),
}

SESSION_HOURS = 12
LOGIN_WINDOW = timedelta(minutes=15)
LOGIN_MAX_FAILURES = 5
LOGIN_MAX_FAILURES_PER_ADDRESS = 20  # from one address, whatever the usernames tried
USERNAME_LENGTH = 120  # the users.username and login_attempts.username columns
MIN_PASSWORD = 10

_hasher = PasswordHasher()


class AuthError(RelanceError):
    """Sign-in refused (the message never says whether the user exists)."""

    default_message = "Identifiant ou mot de passe incorrect."


class RateLimited(AuthError):
    """Too many failed sign-ins for this user, or from this address, in the window."""

    default_message = ("Trop de tentatives de connexion échouées : réessayez dans 15 minutes.")


@dataclass(frozen=True)
class User:
    """A signed-in user and the creditor companies granted to them."""

    id: int
    username: str
    full_name: str
    role: Role
    creditor_ids: frozenset[int]

    def can(self, right: str) -> bool:
        return self.role.can(right)

    def serves(self, creditor_id: int) -> bool:
        return creditor_id in self.creditor_ids


def now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalize_username(username: str) -> str:
    """A username as stored and looked up: case kept, surrounding spaces dropped."""
    return username.strip()


def hash_password(password: str) -> str:
    """The argon2 hash of a password long enough to be one."""
    if len(password) < MIN_PASSWORD:
        raise RelanceError(f"Mot de passe trop court : {MIN_PASSWORD} caractères au moins.")
    return _hasher.hash(password)


def add_user(conn: Connection, username: str, password: str, role: str, *,
             full_name: str = "", creditor_ids: Sequence[int] = ()) -> int:
    """Create a user with a role and grants; the username must be new."""
    if role not in ROLES:
        raise RelanceError(f"Rôle inconnu : « {role} » (attendu : {', '.join(ROLES)}).")
    username = normalize_username(username)
    if not username:
        raise RelanceError("Identifiant vide.")
    if len(username) > USERNAME_LENGTH:
        raise RelanceError(f"Identifiant trop long : {USERNAME_LENGTH} caractères au plus.")
    if conn.execute(select(t.users.c.id).where(t.users.c.username == username)).first():
        raise RelanceError(f"L'utilisateur « {username} » existe déjà.")
    key = conn.execute(insert(t.users).values(
        username=username, full_name=full_name, password_hash=hash_password(password),
        role=role)).inserted_primary_key
    assert key is not None
    user_id = int(key[0])
    grant(conn, user_id, creditor_ids)
    return user_id


def grant(conn: Connection, user_id: int, creditor_ids: Sequence[int]) -> None:
    """Give a user access to creditor companies (those already granted are kept)."""
    have = set(granted(conn, user_id))
    for creditor_id in creditor_ids:
        if creditor_id not in have:
            conn.execute(insert(t.user_creditors).values(user_id=user_id,
                                                         creditor_id=creditor_id))


def revoke(conn: Connection, user_id: int, creditor_ids: Sequence[int]) -> None:
    """Withdraw access to creditor companies."""
    conn.execute(delete(t.user_creditors).where(t.user_creditors.c.user_id == user_id,
                                                t.user_creditors.c.creditor_id.in_(creditor_ids)))


def granted(conn: Connection, user_id: int) -> list[int]:
    """The creditor ids a user serves."""
    return [r[0] for r in conn.execute(select(t.user_creditors.c.creditor_id).where(
        t.user_creditors.c.user_id == user_id).order_by(t.user_creditors.c.creditor_id))]


def user_by_name(conn: Connection, username: str) -> Any:
    row = conn.execute(select(t.users).where(
        t.users.c.username == normalize_username(username))).one_or_none()
    if row is None:
        raise NotFoundError(f"Utilisateur inconnu : « {username} ».")
    return row


def load_user(conn: Connection, user_id: int) -> User | None:
    """The active user with this id, with its grants."""
    row = conn.execute(select(t.users).where(t.users.c.id == user_id,
                                             t.users.c.active.is_(True))).one_or_none()
    if row is None:
        return None
    return User(row.id, row.username, row.full_name, ROLES[row.role],
                frozenset(granted(conn, row.id)))


def _lock_out(conn: Connection, user_id: int) -> None:
    """End the user's sessions and revoke their API tokens not revoked yet."""
    conn.execute(delete(t.web_sessions).where(t.web_sessions.c.user_id == user_id))
    conn.execute(update(t.api_tokens).where(t.api_tokens.c.user_id == user_id,
                                            t.api_tokens.c.revoked_at.is_(None))
                 .values(revoked_at=now()))


def set_password(conn: Connection, user_id: int, password: str) -> None:
    """Change a password, end the user's sessions and revoke their API tokens."""
    conn.execute(update(t.users).where(t.users.c.id == user_id).values(
        password_hash=hash_password(password)))
    _lock_out(conn, user_id)


def set_role(conn: Connection, user_id: int, role: str, active: bool = True) -> None:
    """Change a user's role; disabling them also ends their sessions and API tokens."""
    if role not in ROLES:
        raise RelanceError(f"Rôle inconnu : « {role} » (attendu : {', '.join(ROLES)}).")
    conn.execute(update(t.users).where(t.users.c.id == user_id).values(role=role, active=active))
    if not active:
        _lock_out(conn, user_id)


def _failures(conn: Connection, attempt_id: int, since: datetime, *where: Any) -> int:
    """Failed (or still pending) sign-ins since a time, other than this attempt."""
    a = t.login_attempts
    return int(conn.execute(select(func.count()).select_from(a).where(
        *where, a.c.success.is_(False), a.c.at > since, a.c.id != attempt_id)).scalar_one())


def _check_password(conn: Connection, username: str, password: str) -> Any:
    """The active user row if the password is right, else None (same time either way)."""
    row = conn.execute(select(t.users).where(t.users.c.username == username,
                                             t.users.c.active.is_(True))).one_or_none()
    if row is None:
        _hasher.hash(password)  # same time whether the user exists or not
        return None
    try:
        return row if _hasher.verify(row.password_hash, password) else None
    except (VerificationError, InvalidHashError):
        return None


def authenticate(conn: Connection, username: str, password: str, address: str = "",
                 at: datetime | None = None) -> User:
    """The user if the password is right. The attempt is recorded as a failure and committed
    first (so parallel attempts count against each other), then the limits are checked:
    LOGIN_MAX_FAILURES for the username and LOGIN_MAX_FAILURES_PER_ADDRESS for the address in
    LOGIN_WINDOW; a right password marks the attempt a success in the caller's transaction."""
    at, a = at or now(), t.login_attempts
    username, address = normalize_username(username), address[:64]
    recorded = username[:USERNAME_LENGTH]  # longer names match no user, but are counted
    key = conn.execute(insert(a).values(username=recorded, address=address, at=at,
                                        success=False)).inserted_primary_key
    assert key is not None
    attempt_id = int(key[0])
    conn.commit()
    since = at - LOGIN_WINDOW
    if (_failures(conn, attempt_id, since, a.c.username == recorded) >= LOGIN_MAX_FAILURES
            or (address and _failures(conn, attempt_id, since, a.c.address == address)
                >= LOGIN_MAX_FAILURES_PER_ADDRESS)):
        raise RateLimited()
    row = _check_password(conn, username, password)
    if row is None:
        raise AuthError()
    conn.execute(update(a).where(a.c.id == attempt_id).values(success=True))
    if _hasher.check_needs_rehash(row.password_hash):
        conn.execute(update(t.users).where(t.users.c.id == row.id).values(
            password_hash=_hasher.hash(password)))
    user = load_user(conn, row.id)
    assert user is not None
    return user


@dataclass(frozen=True)
class Session:
    """A browser session: the cookie secret (given once), the CSRF token, the user."""

    token: str
    csrf_token: str
    user_id: int
    expires_at: datetime


def open_session(conn: Connection, user_id: int, at: datetime | None = None,
                 hours: int = SESSION_HOURS) -> Session:
    """A new session for a signed-in user."""
    at = at or now()
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = at + timedelta(hours=hours)
    conn.execute(delete(t.web_sessions).where(t.web_sessions.c.expires_at < at))
    conn.execute(insert(t.web_sessions).values(token_hash=_digest(token), user_id=user_id,
                                               csrf_token=csrf, created_at=at, expires_at=expires))
    return Session(token, csrf, user_id, expires)


def session_of(conn: Connection, token: str, at: datetime | None = None
               ) -> tuple[User, str] | None:
    """The user and CSRF token of a live session, or None (unknown or expired)."""
    if not token:
        return None
    row = conn.execute(select(t.web_sessions).where(
        t.web_sessions.c.token_hash == _digest(token))).one_or_none()
    if row is None or aware(row.expires_at) <= (at or now()):
        return None
    user = load_user(conn, row.user_id)
    return None if user is None else (user, row.csrf_token)


def close_session(conn: Connection, token: str) -> None:
    conn.execute(delete(t.web_sessions).where(t.web_sessions.c.token_hash == _digest(token)))


def create_token(conn: Connection, user_id: int, name: str = "") -> str:
    """A new API token for a user; returned once, only its hash is kept."""
    token = "rl_" + secrets.token_urlsafe(32)
    conn.execute(insert(t.api_tokens).values(user_id=user_id, name=name,
                                             token_hash=_digest(token), created_at=now()))
    return token


def revoke_token(conn: Connection, user_id: int, token_id: int) -> None:
    done = conn.execute(update(t.api_tokens).where(
        t.api_tokens.c.id == token_id, t.api_tokens.c.user_id == user_id,
        t.api_tokens.c.revoked_at.is_(None)).values(revoked_at=now()))
    if not done.rowcount:
        raise NotFoundError(f"Jeton inconnu : {token_id}.")


def token_user(conn: Connection, token: str) -> User | None:
    """The user of a valid, unrevoked API token."""
    if not token:
        return None
    row = conn.execute(select(t.api_tokens).where(
        t.api_tokens.c.token_hash == _digest(token),
        t.api_tokens.c.revoked_at.is_(None))).one_or_none()
    if row is None:
        return None
    conn.execute(update(t.api_tokens).where(t.api_tokens.c.id == row.id).values(
        last_used_at=now()))
    return load_user(conn, row.user_id)


def audit(conn: Connection, user: User | None, action: str, *, creditor_id: int | None = None,
          target: str = "", detail: dict[str, Any] | None = None, address: str = "") -> None:
    """Record who did what (every write of the web application and the API)."""
    conn.execute(insert(t.audit_log).values(
        at=now(), user_id=user.id if user else None, username=user.username if user else "",
        creditor_id=creditor_id, action=action, target=target[:200], detail=detail or {},
        address=address[:64]))


def audit_rows(conn: Connection, creditor_ids: Sequence[int] | None, limit: int = 200
               ) -> list[Any]:
    """The latest audit entries, for the creditors given (None: all, for an admin's CLI)."""
    query = select(t.audit_log).order_by(t.audit_log.c.id.desc()).limit(limit)
    if creditor_ids is not None:
        query = query.where(and_(t.audit_log.c.creditor_id.in_(creditor_ids)))
    return list(conn.execute(query))
