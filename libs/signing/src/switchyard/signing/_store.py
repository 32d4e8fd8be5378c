"""Signing keys in a service's own ``signing_keys`` table: load them, create one when none can sign."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, LargeBinary, Text, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.signing._keys import (
    KeyPair,
    encrypt_private,
    generate,
    load_public,
    public_bytes,
    try_decrypt_private,
)


class SigningKeyColumns:
    """Mixin with the columns of a service's ``signing_keys`` table; the service owns table and schema.

    ``class SigningKey(SigningKeyColumns, Base): __tablename__ = "signing_keys"`` declares the table in
    the service's metadata (and so its schema); create it through the service's migrations.

    Attributes:
        kid: The key id (primary key).
        public_key: The raw 32-byte Ed25519 public key.
        private_key_enc: :func:`~switchyard.signing.encrypt_private` output (nonce || AES-256-GCM).
        is_active: False retires the key: it neither signs nor verifies any more.
        created_at: When the key was created; the newest active key signs.
    """

    kid: Mapped[str] = mapped_column(Text, primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    private_key_enc: Mapped[bytes] = mapped_column(LargeBinary)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


async def load_keys(session: AsyncSession, *, model: type[SigningKeyColumns], kek: bytes) -> list[KeyPair]:
    """Every active key, newest first; the private half is None when ``kek`` cannot open it.

    Args:
        session: A session on the service's database.
        model: The service's mapped class (a :class:`SigningKeyColumns` subclass).
        kek: The key-encryption key.

    Returns:
        The key pairs, newest first.
    """
    rows = await session.scalars(select(model).where(model.is_active).order_by(model.created_at.desc()))
    return [
        KeyPair(
            kid=row.kid,
            public=load_public(row.public_key),
            private=try_decrypt_private(row.private_key_enc, kek=kek, kid=row.kid),
        )
        for row in rows
    ]


async def ensure_signing_key(
    session: AsyncSession, *, model: type[SigningKeyColumns], kek: bytes, now: datetime
) -> bool:
    """Create a signing key unless an active one can be decrypted with ``kek``.

    Keys sealed under another KEK (a changed principal key) stay published for verification while a
    new key takes over signing, so tokens already issued keep working and nothing needs manual repair.
    Callers that may start concurrently serialise this themselves (an advisory lock in the same
    transaction), or each replica would add its own key.

    Args:
        session: A session inside the caller's transaction.
        model: The service's mapped class (a :class:`SigningKeyColumns` subclass).
        kek: The key-encryption key.
        now: The new key's ``created_at``.

    Returns:
        True when a key was created.
    """
    if any(pair.private is not None for pair in await load_keys(session, model=model, kek=kek)):
        return False
    pair = generate()
    assert pair.private is not None
    await session.execute(
        insert(model).values(
            kid=pair.kid,
            public_key=public_bytes(pair.public),
            private_key_enc=encrypt_private(pair.private, kek=kek, kid=pair.kid),
            is_active=True,
            created_at=now,
        )
    )
    return True
