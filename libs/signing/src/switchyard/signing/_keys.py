"""Ed25519 signing keys: generation, encryption at rest (AES-256-GCM) and JWK form."""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE_BYTES = 12
_KEK_BYTES = 32


@dataclass(frozen=True, slots=True)
class KeyPair:
    """A signing key with its id; ``private`` is None for keys that can only verify.

    Attributes:
        kid: The key id published in JWT headers and the JWKS.
        public: The verifying half.
        private: The signing half, or None when it could not be decrypted.
    """

    kid: str
    public: Ed25519PublicKey
    private: Ed25519PrivateKey | None


def derive_kek(secret: bytes, *, info: bytes) -> bytes:
    """Derive a 32-byte key-encryption key from a secret (HKDF-SHA256).

    Args:
        secret: The input keying material (usually the principal key).
        info: The caller's HKDF label. Each service passes its own, so one principal key yields a
            different KEK per service; changing it orphans every key already stored.

    Returns:
        The AES-256 key.
    """
    return HKDF(algorithm=hashes.SHA256(), length=_KEK_BYTES, salt=None, info=info).derive(secret)


def normalize_kek(key: bytes, *, info: bytes) -> bytes:
    """Make any >= 32-byte secret an AES-256 key (HKDF with ``info`` when it is not exactly 32 bytes).

    Args:
        key: A configured key-encryption key.
        info: The caller's HKDF label, as for :func:`derive_kek`.

    Returns:
        ``key`` itself when it is 32 bytes, else its HKDF-SHA256 derivation.
    """
    if len(key) == _KEK_BYTES:
        return key
    return derive_kek(key, info=info)


def resolve_kek(configured: bytes | None, *, principal_key: bytes, info: bytes) -> bytes:
    """The key protecting a service's signing keys: configured, or derived from the principal key."""
    if configured:
        return normalize_kek(configured, info=info)
    return derive_kek(principal_key, info=info)


def generate() -> KeyPair:
    """A fresh Ed25519 key pair with a random kid."""
    private = Ed25519PrivateKey.generate()
    return KeyPair(kid=secrets.token_urlsafe(12), public=private.public_key(), private=private)


def public_bytes(key: Ed25519PublicKey) -> bytes:
    """The raw 32-byte public key."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def load_public(raw: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from its 32 raw bytes."""
    return Ed25519PublicKey.from_public_bytes(raw)


def encrypt_private(key: Ed25519PrivateKey, *, kek: bytes, kid: str) -> bytes:
    """AES-256-GCM encrypt the raw private key; the kid is bound as associated data.

    Args:
        key: The private key to seal.
        kek: The 32-byte key-encryption key.
        kid: The key's id; a blob only opens under the kid it was sealed with.

    Returns:
        ``nonce || ciphertext`` (12-byte random nonce, ciphertext with its GCM tag).
    """
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(kek).encrypt(nonce, raw, kid.encode())


def decrypt_private(blob: bytes, *, kek: bytes, kid: str) -> Ed25519PrivateKey:
    """Reverse :func:`encrypt_private`.

    Raises:
        cryptography.exceptions.InvalidTag: The KEK or kid is wrong, or the blob was tampered with.
    """
    nonce, ciphertext = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
    raw = AESGCM(kek).decrypt(nonce, ciphertext, kid.encode())
    return Ed25519PrivateKey.from_private_bytes(raw)


def try_decrypt_private(blob: bytes, *, kek: bytes, kid: str) -> Ed25519PrivateKey | None:
    """:func:`decrypt_private`, or None when the blob was sealed under another KEK."""
    try:
        return decrypt_private(blob, kek=kek, kid=kid)
    except (InvalidTag, ValueError):
        return None


def to_jwk(pair: KeyPair) -> dict[str, str]:
    """The public key as an OKP/Ed25519 JWK (RFC 8037), for a JWKS document."""
    x = base64.urlsafe_b64encode(public_bytes(pair.public)).rstrip(b"=").decode("ascii")
    return {"kid": pair.kid, "kty": "OKP", "crv": "Ed25519", "x": x, "alg": "EdDSA", "use": "sig"}
