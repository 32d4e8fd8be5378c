"""An SMTP sink on loopback that collects every message it receives."""

from __future__ import annotations

import asyncio
import email.policy
import threading
import time
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from typing import Any

from aiosmtpd.controller import Controller


class _Collector:
    """aiosmtpd handler: parse each message and hand it to the sink."""

    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        data = raw if isinstance(raw, bytes) else str(raw).encode()
        message = BytesParser(policy=email.policy.default).parsebytes(data)
        if not isinstance(message, EmailMessage):  # pragma: no cover - policy.default always yields one
            return "554 unparseable message"
        self._sink.record(message, list(envelope.rcpt_tos))
        return "250 OK"


def _recipients(message: EmailMessage, envelope_to: list[str]) -> set[str]:
    headers = [str(value) for key in ("To", "Cc") for value in message.get_all(key, [])]
    found = {addr.lower() for _, addr in getaddresses(headers) if addr}
    return found | {addr.lower() for addr in envelope_to}


class SmtpSink:
    """aiosmtpd server on ``host``/``port`` that keeps every received message in ``messages``.

    Attributes:
        host: Loopback address the server listens on.
        port: TCP port the server listens on.
        messages: Every message received so far, oldest first.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int) -> None:
        self.host = host
        self.port = port
        self.messages: list[EmailMessage] = []
        self._envelopes: list[set[str]] = []
        self._lock = threading.Lock()
        self._controller = Controller(_Collector(self), hostname=host, port=port)

    def start(self) -> None:
        """Start the server thread."""
        self._controller.start()

    def stop(self) -> None:
        """Stop the server thread."""
        self._controller.stop()

    def record(self, message: EmailMessage, envelope_to: list[str]) -> None:
        """Store one received message (called from the server thread)."""
        with self._lock:
            self.messages.append(message)
            self._envelopes.append(_recipients(message, envelope_to))

    def find(self, *, to: str, subject_contains: str = "") -> EmailMessage | None:
        """Return the newest message for ``to`` whose subject contains ``subject_contains``."""
        wanted = to.lower()
        with self._lock:
            pairs = list(zip(self.messages, self._envelopes, strict=True))
        for message, recipients in pairs[::-1]:
            if wanted in recipients and subject_contains in str(message.get("Subject", "")):
                return message
        return None

    async def wait_for(self, *, to: str, subject_contains: str = "", timeout: float = 10.0) -> EmailMessage:  # noqa: ASYNC109 - the plumbing contract names it
        """Wait until a message for ``to`` with a matching subject arrives.

        Args:
            to: Recipient address (envelope, To or Cc), case-insensitive.
            subject_contains: Substring the Subject header must contain.
            timeout: Seconds to wait.

        Returns:
            The newest matching message.

        Raises:
            AssertionError: Nothing matched in time; the message lists what did arrive.
        """
        deadline = time.monotonic() + timeout
        while True:
            found = self.find(to=to, subject_contains=subject_contains)
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.05)
        with self._lock:
            seen = [
                f"to={sorted(rcpt)} subject={msg.get('Subject', '')!r}"
                for msg, rcpt in zip(self.messages, self._envelopes, strict=True)
            ]
        raise AssertionError(
            f"no mail to {to!r} with subject containing {subject_contains!r} within {timeout}s; "
            f"received {len(seen)}: {seen}"
        )
