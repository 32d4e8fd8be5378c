"""Env var values at rest: AES-256-GCM under the service key, bound to org, app, environment and key."""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE_BYTES = 12
# Versioned, so a future format can coexist; the ids make a blob copied to another row fail to open.
_AAD_PREFIX = "switchyard-deploy/env-var/v1"


def _aad(org_id: str, app_id: str, environment_id: str, key: str) -> bytes:
    return "|".join((_AAD_PREFIX, org_id, app_id, environment_id, key)).encode()


def seal(value: str, *, kek: bytes, org_id: str, app_id: str, environment_id: str, key: str) -> bytes:
    """``nonce || ciphertext`` of ``value``; it opens only for the same org, app, environment and key."""
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(kek).encrypt(nonce, value.encode(), _aad(org_id, app_id, environment_id, key))


def open_sealed(
    blob: bytes, *, kek: bytes, org_id: str, app_id: str, environment_id: str, key: str
) -> str | None:
    """Reverse :func:`seal`; None when the blob does not open (wrong key or row, or tampered with)."""
    nonce, ciphertext = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
    try:
        plain = AESGCM(kek).decrypt(nonce, ciphertext, _aad(org_id, app_id, environment_id, key))
    except (InvalidTag, ValueError):
        return None
    return plain.decode()
