"""Token signing keys (Ed25519), the private half encrypted at rest."""

from __future__ import annotations

from switchyard.identity.db.base import Base
from switchyard.signing import SigningKeyColumns


class SigningKey(SigningKeyColumns, Base):
    """An Ed25519 key pair; ``private_key_enc`` is AES-256-GCM (nonce || ciphertext)."""

    __tablename__ = "signing_keys"
