"""Persistence of the runtime-JWT signing keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.workers.db.models import SigningKey
from switchyard.workers.domain.tokens import keys


async def ensure_signing_key(session: AsyncSession, *, kek: bytes, now: datetime) -> bool:
    """Create a signing key unless an active one can be decrypted with ``kek``; True when created.

    Keys sealed under another KEK (a changed principal key) stay published for verification while a
    new key takes over signing, so live runtime tokens keep working.
    """
    # Replicas starting together must agree on one key, else each signs with one the others never load.
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('workers.signing_keys'))"))
    if any(pair.private is not None for pair in await load_keys(session, kek=kek)):
        return False
    pair = keys.generate()
    assert pair.private is not None
    session.add(
        SigningKey(
            kid=pair.kid,
            public_key=keys.public_bytes(pair.public),
            private_key_enc=keys.encrypt_private(pair.private, kek=kek, kid=pair.kid),
            is_active=True,
            created_at=now,
        )
    )
    await session.flush()
    return True


async def load_keys(session: AsyncSession, *, kek: bytes) -> list[keys.KeyPair]:
    """Every active key, newest first; the private half is None when ``kek`` cannot open it."""
    rows = await session.scalars(
        select(SigningKey).where(SigningKey.is_active).order_by(SigningKey.created_at.desc())
    )
    return [
        keys.KeyPair(
            kid=row.kid,
            public=keys.load_public(row.public_key),
            private=keys.try_decrypt_private(row.private_key_enc, kek=kek, kid=row.kid),
        )
        for row in rows
    ]
