r"""E-mails for reminders: building the MIME message, and two transports (SMTP, a folder).

>>> msg = build_email(sender="compta@atelier-durand.example", sender_name="Atelier Durand",
...                   to="paul.martin@garage-martin.example",
...                   reply_to="compta@atelier-durand.example",
...                   subject="Facture F2025-0412 échue : 2 500,00 € restant à régler",
...                   text="Bonjour,", html="<p>Bonjour,</p>",
...                   message_id=message_id_for("action-17", "atelier-durand.example"),
...                   attachments=[("relance.pdf", "application/pdf", b"%PDF-1.7")])
>>> msg["Message-ID"]
'<action-17@atelier-durand.example>'
>>> msg.get_content_type(), [p.get_content_type() for p in msg.iter_parts()]
('multipart/mixed', ['multipart/alternative', 'application/pdf'])
>>> from email import message_from_bytes, policy
>>> message_from_bytes(msg.as_bytes(), policy=policy.default)["Subject"]
'Facture F2025-0412 échue : 2 500,00 € restant à régler'

The Message-ID is chosen by the caller from a stable key (one per action), so that a run that
stops half-way and starts again can ask the transport whether it already sent that message.
"""

from __future__ import annotations

import hashlib
import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Sequence
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol

SECURITIES = ("starttls", "ssl", "none")
_LOCAL_OK = re.compile(r"[^A-Za-z0-9._+=-]")
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
_FILE_OK = re.compile(r"[^A-Za-z0-9._+=@-]")


def message_id_for(key: str, domain: str) -> str:
    """`<key@domain>`, deterministic; unsafe characters replaced and a short hash added then.

    >>> message_id_for("action-17", "relance.local")
    '<action-17@relance.local>'
    >>> message_id_for("client 42/étape 3", "relance.local")
    '<client-42-tape-3.b552b61f9756@relance.local>'
    """
    if not key:
        raise ValueError("clé de Message-ID vide")
    if not _DOMAIN.fullmatch(domain):
        raise ValueError(f"domaine de Message-ID invalide : {domain!r}")
    local = re.sub(r"-{2,}", "-", _LOCAL_OK.sub("-", key))
    local = re.sub(r"\.{2,}", ".", local).strip(".-") or "m"
    if local != key:
        local += "." + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
    return f"<{local}@{domain}>"


def build_email(*, sender: str, sender_name: str, to: str, reply_to: str, subject: str,
                text: str, html: str, message_id: str,
                attachments: Sequence[tuple[str, str, bytes]] = (),
                date: datetime | None = None) -> EmailMessage:
    """Text and HTML alternatives, then the attachments (file name, MIME type, bytes)."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = Address(display_name=sender_name, addr_spec=sender)
    msg["To"] = to
    msg["Reply-To"] = reply_to
    msg["Subject"] = " ".join(subject.split())
    msg["Date"] = format_datetime(date or datetime.now().astimezone())
    msg["Message-ID"] = message_id
    # quoted-printable: 7-bit safe even on a server that does not announce 8BITMIME
    msg.set_content(text, charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    for filename, mime_type, data in attachments:
        maintype, _, subtype = mime_type.partition("/")
        if not subtype:
            raise ValueError(f"type MIME invalide pour {filename!r} : {mime_type!r}")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


class DeliveryFailure(Exception):
    """A message that was not delivered: `.message` in French, `.code` the SMTP code if any."""

    def __init__(self, message: str, code: int | None = None) -> None:
        self.message = message
        self.code = code
        super().__init__(message)


class TemporaryFailure(DeliveryFailure):
    """Try again later (SMTP 4xx, server unreachable, connection cut)."""


class PermanentFailure(DeliveryFailure):
    """Retrying will not help (SMTP 5xx, recipient refused, bad configuration)."""


class Transport(Protocol):
    """Where reminders go: an SMTP server, or a folder of .eml files."""

    def send(self, msg: EmailMessage) -> None:
        """Deliver `msg`, or raise TemporaryFailure / PermanentFailure."""

    def already_sent(self, message_id: str) -> bool | None:
        """Whether `message_id` was already delivered; None when the transport cannot tell."""


def _file_name(message_id: str) -> str:
    """A safe file name for a Message-ID: `<a/b@x>` -> `a_b@x.eml`."""
    core = _FILE_OK.sub("_", message_id.strip().strip("<>")).lstrip(".")
    if not core:
        raise PermanentFailure("Message-ID vide : impossible de nommer le fichier .eml.")
    return core + ".eml"


class FileTransport:
    """Writes each message once as `<message id>.eml` in a folder (an outbox, or for tests)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path_for(self, message_id: str) -> Path:
        """The file that holds (or will hold) `message_id`."""
        return self.folder / _file_name(message_id)

    def send(self, msg: EmailMessage) -> None:
        """Write the message atomically; a message already written is left as it is."""
        message_id = msg["Message-ID"]
        if not message_id:
            raise PermanentFailure("Le message n'a pas de Message-ID.")
        target = self.path_for(str(message_id))
        if target.exists():
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".eml")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(msg.as_bytes(policy=policy.SMTP))
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise TemporaryFailure(f"Écriture impossible dans {self.folder} : {exc}") from exc

    def already_sent(self, message_id: str) -> bool:
        """True when the .eml file exists."""
        return self.path_for(message_id).exists()


class SmtpTransport:
    """Sends through an SMTP server; SMTP errors become Temporary or Permanent failures."""

    def __init__(self, host: str, port: int, *, security: str = "starttls",
                 username: str | None = None, password: str | None = None,
                 timeout: float = 30) -> None:
        if security not in SECURITIES:
            raise ValueError(f"sécurité SMTP inconnue : {security!r} "
                             "(attendu : starttls, ssl ou none)")
        self.host, self.port, self.security = host, port, security
        self.username, self.password, self.timeout = username, password, timeout

    def send(self, msg: EmailMessage) -> None:
        """One connection per message: simple, and a broken connection loses one message."""
        try:
            with self._connect() as smtp:
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            raise _refused(exc) from exc
        except smtplib.SMTPResponseException as exc:
            raise _by_code(exc.smtp_code, _text(exc.smtp_error)) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentFailure(f"Le serveur SMTP {self.host} ne permet pas cette opération "
                                   f"({exc}) : vérifiez la sécurité choisie.") from exc
        except ssl.SSLCertVerificationError as exc:
            raise PermanentFailure(f"Certificat du serveur SMTP {self.host} refusé : "
                                   f"{exc.verify_message}.") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TemporaryFailure(f"Serveur SMTP {self.host}:{self.port} injoignable ou "
                                   f"connexion interrompue : {exc}") from exc

    def already_sent(self, message_id: str) -> None:
        """SMTP keeps no record the sender can query."""
        return None

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                    context=ssl.create_default_context())
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
        except BaseException:
            smtp.close()
            raise
        return smtp


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _by_code(code: int, detail: str) -> DeliveryFailure:
    """4xx: temporary; 5xx (and anything unexpected): permanent."""
    if 400 <= code < 500:
        return TemporaryFailure(f"Refus temporaire du serveur SMTP ({code} {detail}) : "
                                "nouvel essai plus tard.", code)
    return PermanentFailure(f"Refus définitif du serveur SMTP ({code} {detail}).", code)


def _refused(exc: smtplib.SMTPRecipientsRefused) -> DeliveryFailure:
    """Every recipient refused: permanent unless all refusals are 4xx (mailbox busy...)."""
    refusals = {rcpt: (code, _text(text)) for rcpt, (code, text) in exc.recipients.items()}
    detail = ", ".join(f"{rcpt} ({code} {text})" for rcpt, (code, text) in refusals.items())
    codes = [code for code, _ in refusals.values()]
    if codes and all(400 <= code < 500 for code in codes):
        return TemporaryFailure(f"Destinataire refusé temporairement : {detail}.", codes[0])
    code = next((c for c in codes if c >= 500), codes[0] if codes else None)
    return PermanentFailure(f"Destinataire refusé : {detail}.", code)
