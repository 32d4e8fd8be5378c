"""Ed25519 token-signing keys shared by every service that signs tokens (no business rules).

Key generation, AES-256-GCM encryption of private keys at rest under a key-encryption key (KEK),
JWK export, and the database key store over each service's own ``signing_keys`` table. Issuers,
claims and the KEK's HKDF label stay in the services.
"""

from switchyard.signing._keys import (
    KeyPair,
    decrypt_private,
    derive_kek,
    encrypt_private,
    generate,
    load_public,
    normalize_kek,
    public_bytes,
    resolve_kek,
    to_jwk,
    try_decrypt_private,
)
from switchyard.signing._store import SigningKeyColumns, ensure_signing_key, load_keys

__all__ = [
    "KeyPair",
    "SigningKeyColumns",
    "decrypt_private",
    "derive_kek",
    "encrypt_private",
    "ensure_signing_key",
    "generate",
    "load_keys",
    "load_public",
    "normalize_kek",
    "public_bytes",
    "resolve_kek",
    "to_jwk",
    "try_decrypt_private",
]
