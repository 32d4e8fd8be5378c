"""Redis client and key prefixes against the real Redis/Valkey."""

from __future__ import annotations

import uuid

import pytest
from switchyard.db.redis import KeySpace, create_redis


@pytest.mark.unit
def test_keyspace_joins_parts_under_the_prefix() -> None:
    assert KeySpace("identity").key("session", 42) == "identity:session:42"
    assert KeySpace("gw").key() == "gw"


@pytest.mark.unit
@pytest.mark.parametrize("prefix", ["", "identity:"])
def test_keyspace_refuses_bad_prefixes(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        KeySpace(prefix)


@pytest.mark.integration
async def test_redis_round_trips_bytes(redis_url: str) -> None:
    client = create_redis(redis_url)
    key = KeySpace("libtest").key("bytes", uuid.uuid4().hex)
    try:
        await client.set(key, b"\x00\xffraw", ex=60)
        assert await client.get(key) == b"\x00\xffraw"
    finally:
        await client.delete(key)
        await client.aclose()
