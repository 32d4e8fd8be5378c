"""Outgoing mail over SMTP (aiosmtplib). Bodies carry tokens, so only recipients and subjects are logged."""

from __future__ import annotations

from collections.abc import Sequence
from email.message import EmailMessage

import aiosmtplib
from switchyard.identity.domain.ports import Mail
from switchyard.obs import get_logger

log = get_logger(__name__)

SEND_TIMEOUT_SECONDS = 10.0


class SmtpMailer:
    """Sends mail to an SMTP relay; a failed send is logged and dropped, never raised to the caller."""

    def __init__(self, *, host: str, port: int, sender: str) -> None:
        self._host = host
        self._port = port
        self._sender = sender

    async def send_all(self, mails: Sequence[Mail]) -> None:
        """Send each mail in turn."""
        for mail in mails:
            await self._send(mail)

    async def _send(self, mail: Mail) -> None:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message.set_content(mail.body)
        try:
            await aiosmtplib.send(
                message, hostname=self._host, port=self._port, timeout=SEND_TIMEOUT_SECONDS, start_tls=False
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            # The exception text may echo the message; log its type only.
            log.warning("mail send failed", to=mail.to, subject=mail.subject, error=type(exc).__name__)
