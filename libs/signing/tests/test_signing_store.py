"""The key store against the real PostgreSQL: keys round-trip, and a changed KEK adds a signing key."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase
from switchyard import signing
from switchyard.db.base import make_metadata
from switchyard.db.engine import create_engine, create_session_factory

pytestmark = pytest.mark.integration

_INFO = b"switchyard-test/signing-key-encryption/v1"
_SCHEMA = f"signing_{uuid.uuid4().hex[:10]}"


class _Base(DeclarativeBase):
    metadata = make_metadata(_SCHEMA)


class _SigningKey(signing.SigningKeyColumns, _Base):
    __tablename__ = "signing_keys"


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url, pool_size=2)
    async with engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{_SCHEMA}"'))
        await conn.run_sync(_Base.metadata.create_all)
    yield create_session_factory(engine)
    async with engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{_SCHEMA}" CASCADE'))
    await engine.dispose()


async def test_keys_round_trip_through_the_database(sessions: async_sessionmaker[AsyncSession]) -> None:
    kek = signing.derive_kek(b"k" * 32, info=_INFO)
    now = datetime.now(UTC)
    async with sessions() as s, s.begin():
        assert await signing.ensure_signing_key(s, model=_SigningKey, kek=kek, now=now)
    async with sessions() as s, s.begin():
        assert not await signing.ensure_signing_key(s, model=_SigningKey, kek=kek, now=now)
    async with sessions() as s:
        [pair] = await signing.load_keys(s, model=_SigningKey, kek=kek)
        stored = await s.scalar(select(_SigningKey.private_key_enc))
    assert pair.private is not None
    assert signing.public_bytes(pair.private.public_key()) == signing.public_bytes(pair.public)
    # The private half is stored sealed, never raw.
    raw = pair.private.private_bytes_raw()
    assert isinstance(stored, bytes)
    assert raw not in stored


async def test_a_new_kek_adds_a_signing_key_and_keeps_the_old_one_for_verification(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    old_kek = signing.derive_kek(b"old" * 11, info=_INFO)
    new_kek = signing.derive_kek(b"new" * 11, info=_INFO)
    then = datetime.now(UTC)
    async with sessions() as s, s.begin():
        await signing.ensure_signing_key(s, model=_SigningKey, kek=old_kek, now=then)
    async with sessions() as s, s.begin():
        assert await signing.ensure_signing_key(
            s, model=_SigningKey, kek=new_kek, now=then + timedelta(seconds=1)
        )
    async with sessions() as s:
        newest, oldest = await signing.load_keys(s, model=_SigningKey, kek=new_kek)
    assert newest.private is not None
    assert oldest.private is None
    assert newest.kid != oldest.kid


async def test_retired_keys_are_not_loaded(sessions: async_sessionmaker[AsyncSession]) -> None:
    kek = signing.derive_kek(b"k" * 32, info=_INFO)
    async with sessions() as s, s.begin():
        await signing.ensure_signing_key(s, model=_SigningKey, kek=kek, now=datetime.now(UTC))
        await s.execute(update(_SigningKey).values(is_active=False))
    async with sessions() as s:
        assert await signing.load_keys(s, model=_SigningKey, kek=kek) == []
