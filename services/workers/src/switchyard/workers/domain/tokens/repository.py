"""Persistence of the runtime-JWT signing keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard import signing
from switchyard.workers.db.models import SigningKey


async def ensure_signing_key(session: AsyncSession, *, kek: bytes, now: datetime) -> bool:
    """Create a signing key unless an active one can be decrypted with ``kek``; True when created.

    Keys sealed under another KEK (a changed principal key) stay published for verification while a
    new key takes over signing, so live runtime tokens keep working.
    """
    # Replicas starting together must agree on one key, else each signs with one the others never load.
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('workers.signing_keys'))"))
    return await signing.ensure_signing_key(session, model=SigningKey, kek=kek, now=now)


async def load_keys(session: AsyncSession, *, kek: bytes) -> list[signing.KeyPair]:
    """Every active key, newest first; the private half is None when ``kek`` cannot open it."""
    return await signing.load_keys(session, model=SigningKey, kek=kek)
