"""Reminder e-mails through a real SMTP server on loopback (aiosmtpd), and the file outbox."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from relance.documents.email import (
    FileTransport,
    PermanentFailure,
    SmtpTransport,
    TemporaryFailure,
    build_email,
    message_id_for,
)
from relance.documents.render import environment, render, sample_context

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Handler:
    """Keeps what it receives; answers DATA (and RCPT) with the given replies."""

    def __init__(self, data_reply: str = "250 OK", rcpt_reply: str | None = None) -> None:
        self.data_reply, self.rcpt_reply = data_reply, rcpt_reply
        self.envelopes: list[Any] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply.startswith("250"):
            self.envelopes.append(envelope)
        return self.data_reply


@contextmanager
def serve(handler: Handler) -> Iterator[tuple[Handler, int]]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def smtp() -> Iterator[tuple[Handler, int]]:
    with serve(Handler()) as running:
        yield running


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


def reminder(message_id: str = "<action-17@relance.local>") -> EmailMessage:
    env, ctx = environment(), sample_context()
    return build_email(
        sender="compta@atelier-durand.example", sender_name="Atelier Durand (comptabilité)",
        to="paul.martin@garage-martin.example", reply_to="claire.durand@atelier-durand.example",
        subject=render(env, "relance_courtoise", "subject", ctx),
        text=render(env, "relance_courtoise", "email.txt", ctx),
        html=render(env, "relance_courtoise", "email.html", ctx),
        message_id=message_id,
        attachments=[("Relance F2025-0412.pdf", "application/pdf", PDF)],
    )


def test_a_reminder_arrives_whole_through_smtp(smtp: tuple[Handler, int]) -> None:
    handler, port = smtp
    msg = reminder()
    SmtpTransport("127.0.0.1", port, security="none", timeout=10).send(msg)

    [envelope] = handler.envelopes
    assert envelope.mail_from == "compta@atelier-durand.example"
    assert envelope.rcpt_tos == ["paul.martin@garage-martin.example"]
    got = message_from_bytes(envelope.content, policy=policy.default)
    assert got["From"].addresses[0].display_name == "Atelier Durand (comptabilité)"
    assert got["From"].addresses[0].addr_spec == "compta@atelier-durand.example"
    assert got["To"] == "paul.martin@garage-martin.example"
    assert got["Reply-To"] == "claire.durand@atelier-durand.example"
    assert plain(got["Subject"]) == ("Factures F2025-0412, F2025-0468 échues : 3 734,56 € "
                                     "restant à régler – Atelier Durand")
    assert got["Message-ID"] == "<action-17@relance.local>"
    assert got["Date"] is not None

    assert got.get_content_type() == "multipart/mixed"
    text = got.get_body(preferencelist=("plain",))
    html = got.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert "Total restant à régler : 3 734,56 €" in plain(text.get_content())
    assert "1 234,56 €" in plain(html.get_content())
    assert "<table" in html.get_content()

    [attachment] = list(got.iter_attachments())
    assert attachment.get_filename() == "Relance F2025-0412.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == PDF


def test_a_550_reply_is_a_permanent_failure() -> None:
    with serve(Handler(data_reply="550 5.7.1 Message refusé")) as (_, port):
        with pytest.raises(PermanentFailure) as caught:
            SmtpTransport("127.0.0.1", port, security="none", timeout=10).send(reminder())
        assert caught.value.code == 550
        assert "550" in caught.value.message and "définitif" in caught.value.message


def test_a_451_reply_is_a_temporary_failure() -> None:
    with serve(Handler(data_reply="451 4.3.0 Réessayez plus tard")) as (handler, port):
        with pytest.raises(TemporaryFailure) as caught:
            SmtpTransport("127.0.0.1", port, security="none", timeout=10).send(reminder())
        assert caught.value.code == 451
        assert not handler.envelopes


def test_a_refused_recipient_is_a_permanent_failure() -> None:
    with serve(Handler(rcpt_reply="550 5.1.1 Destinataire inconnu")) as (_, port):
        with pytest.raises(PermanentFailure) as caught:
            SmtpTransport("127.0.0.1", port, security="none", timeout=10).send(reminder())
        assert caught.value.code == 550
        assert "paul.martin@garage-martin.example" in caught.value.message


def test_a_server_that_does_not_answer_is_a_temporary_failure() -> None:
    transport = SmtpTransport("127.0.0.1", free_port(), security="none", timeout=5)
    with pytest.raises(TemporaryFailure) as caught:
        transport.send(reminder())
    assert caught.value.code is None
    assert "injoignable" in caught.value.message
    assert transport.already_sent("<action-17@relance.local>") is None


def test_the_file_outbox_writes_a_message_once(tmp_path: Path) -> None:
    outbox = FileTransport(tmp_path / "outbox")
    message_id = message_id_for("action-17", "relance.local")
    assert outbox.already_sent(message_id) is False

    outbox.send(reminder(message_id))
    assert outbox.already_sent(message_id) is True
    [written] = list((tmp_path / "outbox").iterdir())
    assert written.name == "action-17@relance.local.eml"
    first = written.read_bytes()
    got = message_from_bytes(first, policy=policy.default)
    assert got["Message-ID"] == message_id
    [attachment] = list(got.iter_attachments())
    assert attachment.get_content() == PDF

    outbox.send(reminder(message_id))  # a second run: the first file stays as it was
    assert [p.name for p in (tmp_path / "outbox").iterdir()] == [written.name]
    assert written.read_bytes() == first


def test_message_ids_are_stable_and_safe() -> None:
    assert message_id_for("client 42/étape 3", "relance.local") == \
        message_id_for("client 42/étape 3", "relance.local")
    assert message_id_for("a/b", "relance.local") != message_id_for("a-b", "relance.local")
    with pytest.raises(ValueError):
        message_id_for("x", "bad domain")
