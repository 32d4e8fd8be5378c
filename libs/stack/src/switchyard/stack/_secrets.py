"""``.data/secrets.json`` (mode 0600): the dev principal key and root owner, generated once."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

DEFAULT_ROOT_EMAIL = "admin@switchyard.local"


@dataclass(frozen=True, slots=True)
class DevSecrets:
    """Secrets ``just up`` hands to the services.

    Attributes:
        principal_key: Hex of 32 random bytes (``SWITCHYARD_PRINCIPAL_KEY``).
        root_email: Root tenant owner's email (``IDENTITY_ROOT_EMAIL``).
        root_password: Root tenant owner's password (``IDENTITY_ROOT_PASSWORD``).
    """

    principal_key: str
    root_email: str
    root_password: str

    def __repr__(self) -> str:
        # Never let a stray log line or traceback print the secrets themselves.
        return f"DevSecrets(root_email={self.root_email!r}, principal_key=***, root_password=***)"


def _generate() -> DevSecrets:
    return DevSecrets(
        principal_key=secrets.token_hex(32),
        root_email=DEFAULT_ROOT_EMAIL,
        root_password=secrets.token_urlsafe(18),
    )


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        # The mode given to open() only applies to new files; an existing one is tightened here.
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)


def load_or_create_secrets(path: Path) -> DevSecrets:
    """Return the secrets kept in ``path``, creating the file (mode 0600) on first use.

    Args:
        path: Usually ``.data/secrets.json``.

    Returns:
        The stored secrets; keys missing from an older file are generated and saved.
    """
    stored: dict[str, str] = json.loads(path.read_text()) if path.is_file() else {}
    fresh = asdict(_generate())
    merged = {key: str(stored.get(key) or fresh[key]) for key in fresh}
    if merged != stored:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_private(path, json.dumps(merged, indent=2) + "\n")
    return DevSecrets(**merged)
