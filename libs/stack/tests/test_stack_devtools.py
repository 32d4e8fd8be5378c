"""``just up`` helpers: the secrets file and the local mail sink."""

from __future__ import annotations

import smtplib
import stat
from email.message import EmailMessage
from pathlib import Path

import pytest
from switchyard.stack._mailsink import MailDirSink
from switchyard.stack._secrets import load_or_create_secrets

pytestmark = pytest.mark.integration


def test_secrets_are_generated_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / ".data" / "secrets.json"

    first = load_or_create_secrets(path)
    second = load_or_create_secrets(path)

    assert first == second
    assert len(bytes.fromhex(first.principal_key)) == 32
    assert len(first.root_password) >= 16
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.root_password not in repr(first)
    assert first.principal_key not in repr(first)


def test_secrets_file_is_tightened_and_completed(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    path.write_text('{"root_email": "ops@example.test"}')
    path.chmod(0o644)

    got = load_or_create_secrets(path)

    assert got.root_email == "ops@example.test"
    assert got.root_password
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_mail_sink_writes_each_message_to_a_file(tmp_path: Path) -> None:
    sink = MailDirSink(tmp_path / "mail")
    sink.start()
    try:
        msg = EmailMessage()
        msg["From"] = "no-reply@switchyard.local"
        msg["To"] = "dev@example.test"
        msg["Subject"] = "Verify your email"
        msg.set_content("token abc")
        with smtplib.SMTP(sink.host, sink.port, timeout=5) as client:
            client.send_message(msg)
    finally:
        sink.stop()

    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 1
    text = files[0].read_text()
    assert "Subject: Verify your email" in text
    assert "token abc" in text
