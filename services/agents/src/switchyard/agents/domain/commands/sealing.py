"""Sealed command secrets: AES-256-GCM bound to the command (org, server, id), opened only for delivery."""

from __future__ import annotations

import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE_BYTES = 12
# Versioned; the ids make a blob copied to another command fail to open.
_AAD_PREFIX = "switchyard-agents/command-secret/v1"


def _aad(org_id: str, server_id: str, command_id: str) -> bytes:
    return "|".join((_AAD_PREFIX, org_id, server_id, command_id)).encode()


def seal(secret: dict[str, Any], *, kek: bytes, org_id: str, server_id: str, command_id: str) -> bytes:
    """``nonce || ciphertext`` of the JSON object."""
    nonce = os.urandom(_NONCE_BYTES)
    plain = json.dumps(secret, separators=(",", ":")).encode()
    return nonce + AESGCM(kek).encrypt(nonce, plain, _aad(org_id, server_id, command_id))


def open_sealed(
    blob: bytes, *, kek: bytes, org_id: str, server_id: str, command_id: str
) -> dict[str, Any] | None:
    """Reverse :func:`seal`; None when it does not open (another key or command, or tampered with)."""
    nonce, ciphertext = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
    try:
        plain = AESGCM(kek).decrypt(nonce, ciphertext, _aad(org_id, server_id, command_id))
    except (InvalidTag, ValueError):
        return None
    value = json.loads(plain)
    return value if isinstance(value, dict) else None
