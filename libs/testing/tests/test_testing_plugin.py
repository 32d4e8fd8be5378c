"""The plugin's fixtures: SMTP sink, principal key, free ports and the stack URLs."""

from __future__ import annotations

import smtplib
import socket
from email.message import EmailMessage

import pytest
from switchyard.stack import StackUrls
from switchyard.testing import SmtpSink, free_port

pytestmark = pytest.mark.unit


def _send(sink: SmtpSink, *, to: str, subject: str, body: str) -> None:
    msg = EmailMessage()
    msg["From"] = "noreply@switchyard.test"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    with smtplib.SMTP(sink.host, sink.port, timeout=5) as client:
        client.send_message(msg)


async def test_smtp_sink_collects_and_waits_for_matching_mail(smtp_sink: SmtpSink) -> None:
    _send(smtp_sink, to="Ada@Example.test", subject="Verify your email", body="code 123456")
    _send(smtp_sink, to="bob@example.test", subject="Reset password", body="link")

    got = await smtp_sink.wait_for(to="ada@example.test", subject_contains="Verify", timeout=5)

    assert got["Subject"] == "Verify your email"
    assert "code 123456" in got.get_content()
    assert any(m["To"] == "bob@example.test" for m in smtp_sink.messages)


async def test_smtp_sink_wait_for_reports_what_it_saw(smtp_sink: SmtpSink) -> None:
    _send(smtp_sink, to="carol@example.test", subject="Welcome", body="hi")

    with pytest.raises(AssertionError, match=r"carol@example\.test"):
        await smtp_sink.wait_for(to="nobody@example.test", timeout=0.2)


def test_principal_key_is_32_random_bytes(principal_key: bytes) -> None:
    assert isinstance(principal_key, bytes)
    assert len(principal_key) == 32
    assert principal_key != bytes(32)


def test_free_port_is_bindable() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        assert sock.getsockname()[1] == port


def test_stack_url_fixtures_agree(
    stack_urls: StackUrls, database_url: str, redis_url: str, nats_url: str
) -> None:
    assert database_url == stack_urls.database_url
    assert database_url.startswith("postgresql://")
    assert redis_url.startswith("redis://")
    assert nats_url.startswith("nats://")
