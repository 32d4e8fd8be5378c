"""Credential values at rest: AES-256-GCM under the service KEK, bound to the credential's org and id."""

from __future__ import annotations

import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE_BYTES = 12
# Versioned and distinct from the signing keys' associated data (their kid), so a blob of one kind can never
# be opened as the other even though both use the same KEK.
_AAD_PREFIX = "switchyard-workers/credential/v1"


def _aad(org_id: str, credential_id: str) -> bytes:
    return f"{_AAD_PREFIX}|{org_id}|{credential_id}".encode()


def seal(value: str, *, kek: bytes, org_id: str, credential_id: str) -> bytes:
    """``nonce || ciphertext`` of ``value``; it opens only for the same org and credential id."""
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(kek).encrypt(nonce, value.encode(), _aad(org_id, credential_id))


def open_sealed(blob: bytes, *, kek: bytes, org_id: str, credential_id: str) -> str:
    """Reverse :func:`seal`.

    Raises:
        cryptography.exceptions.InvalidTag: Wrong KEK, org or id, or the blob was tampered with.
    """
    nonce, ciphertext = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
    return AESGCM(kek).decrypt(nonce, ciphertext, _aad(org_id, credential_id)).decode()
