"""A local SMTP server for ``just up`` that writes every message to ``.data/mail/*.eml``."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from switchyard.stack._proc import LOOPBACK, free_port


class _WriteToDir:
    def __init__(self, directory: Path) -> None:
        self._dir = directory

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        data = raw if isinstance(raw, bytes) else str(raw).encode()
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        (self._dir / name).write_bytes(data)
        return "250 OK"


class MailDirSink:
    """SMTP on a free loopback port; each received message becomes one ``.eml`` file.

    Attributes:
        host: Address it listens on.
        port: Port it listens on.
        directory: Where messages are written.
    """

    def __init__(self, directory: Path) -> None:
        self.host = LOOPBACK
        self.port = free_port()
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._controller = Controller(_WriteToDir(directory), hostname=self.host, port=self.port)

    def start(self) -> None:
        """Start serving in a background thread."""
        self._controller.start()

    def stop(self) -> None:
        """Stop serving."""
        self._controller.stop()
