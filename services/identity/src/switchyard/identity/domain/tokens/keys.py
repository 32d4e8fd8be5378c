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

_KEK_INFO = b"switchyard-identity/signing-key-encryption/v1"
_NONCE_BYTES = 12


@dataclass(frozen=True, slots=True)
class KeyPair:
    """A signing key with its id; ``private`` is None for keys that can only verify."""

    kid: str
    public: Ed25519PublicKey
    private: Ed25519PrivateKey | None


def derive_kek(principal_key: bytes) -> bytes:
    """Derive a 32-byte key-encryption key from the principal key (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEK_INFO).derive(principal_key)


def normalize_kek(key: bytes) -> bytes:
    """Make any >= 32-byte secret an AES-256 key (HKDF when it is not exactly 32 bytes)."""
    if len(key) == 32:
        return key
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEK_INFO).derive(key)


def generate() -> KeyPair:
    """A fresh Ed25519 key pair with a random kid."""
    private = Ed25519PrivateKey.generate()
    return KeyPair(kid=secrets.token_urlsafe(12), public=private.public_key(), private=private)


def public_bytes(key: Ed25519PublicKey) -> bytes:
    """The raw 32-byte public key."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def encrypt_private(key: Ed25519PrivateKey, *, kek: bytes, kid: str) -> bytes:
    """AES-256-GCM encrypt the raw private key; the kid is bound as associated data."""
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(kek).encrypt(nonce, raw, kid.encode())


def decrypt_private(blob: bytes, *, kek: bytes, kid: str) -> Ed25519PrivateKey:
    """Reverse ``encrypt_private``; raises when the KEK is wrong or the blob was tampered with."""
    nonce, ciphertext = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
    raw = AESGCM(kek).decrypt(nonce, ciphertext, kid.encode())
    return Ed25519PrivateKey.from_private_bytes(raw)


def try_decrypt_private(blob: bytes, *, kek: bytes, kid: str) -> Ed25519PrivateKey | None:
    """``decrypt_private``, or None when the blob was sealed under another KEK."""
    try:
        return decrypt_private(blob, kek=kek, kid=kid)
    except (InvalidTag, ValueError):
        return None


def load_public(raw: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from its 32 raw bytes."""
    return Ed25519PublicKey.from_public_bytes(raw)


def to_jwk(pair: KeyPair) -> dict[str, str]:
    """The public key as an OKP/Ed25519 JWK."""
    x = base64.urlsafe_b64encode(public_bytes(pair.public)).rstrip(b"=").decode("ascii")
    return {"kid": pair.kid, "kty": "OKP", "crv": "Ed25519", "x": x, "alg": "EdDSA", "use": "sig"}
