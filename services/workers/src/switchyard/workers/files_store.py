"""The Redis side of file reservations.

Keys: ``workers:files:{org}:{repo}:{path}`` (string ``{sessionId}|{reservedAtMs}``, SET with a TTL, taken only
when free or already the session's) and ``workers:files-held:{session}`` (set of those keys, for release-all).
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis
from switchyard.workers.domain.ports import FileHold
from switchyard.workers.store import KEYS

_RESERVE = """
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, string.len(ARGV[2]) + 1) ~= ARGV[2] .. '|' then return v end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
redis.call('SADD', KEYS[2], KEYS[1])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return false
"""

_RELEASE = """
redis.call('SREM', KEYS[2], KEYS[1])
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. '|' then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def file_key(scope: tuple[str, str], path: str) -> str:
    """The reservation key of one path in an org's repository."""
    org, repo = scope
    return KEYS.key("files", org, repo, path)


def held_key(session_id: str) -> str:
    """The set of a session's reservation keys."""
    return KEYS.key("files-held", session_id)


def _dec(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _hold(path: str, value: Any) -> FileHold:
    session_id, _, at = _dec(value).rpartition("|")
    return FileHold(file_path=path, session_id=session_id, reserved_at_ms=int(at or 0))


class RedisFileLocks:
    """File reservations as Redis strings with a TTL."""

    def __init__(self, redis: Redis) -> None:
        self._r = redis
        self._reserve = redis.register_script(_RESERVE)
        self._release = redis.register_script(_RELEASE)

    async def reserve(
        self, scope: tuple[str, str], session_id: str, paths: list[str], *, now_ms: int, ttl_seconds: int
    ) -> tuple[list[str], list[FileHold]]:
        """One atomic script call per path."""
        reserved: list[str] = []
        conflicts: list[FileHold] = []
        value = f"{session_id}|{now_ms}"
        for path in paths:
            keys = [file_key(scope, path), held_key(session_id)]
            holder = await self._reserve(keys=keys, args=[value, session_id, ttl_seconds])
            if holder is None:
                reserved.append(path)
            else:
                conflicts.append(_hold(path, holder))
        return reserved, conflicts

    async def release(self, scope: tuple[str, str], session_id: str, paths: list[str]) -> int:
        """Delete the keys the session holds."""
        return await self._release_keys(session_id, [file_key(scope, path) for path in paths])

    async def release_all(self, session_id: str) -> int:
        """Release every key in the session's set, then drop the set."""
        keys = [_dec(k) for k in await self._r.smembers(held_key(session_id))]
        released = await self._release_keys(session_id, keys)
        await self._r.delete(held_key(session_id))
        return released

    async def _release_keys(self, session_id: str, keys: list[str]) -> int:
        released = 0
        for key in keys:
            released += int(await self._release(keys=[key, held_key(session_id)], args=[session_id]))
        return released

    async def holders(self, scope: tuple[str, str], session_id: str, paths: list[str]) -> list[FileHold]:
        """GET every path; the ones another session holds."""
        if not paths:
            return []
        values = await self._r.mget([file_key(scope, path) for path in paths])
        holds = [_hold(path, value) for path, value in zip(paths, values, strict=True) if value]
        return [hold for hold in holds if hold.session_id != session_id]
