"""The Redis side of the domain ports: worker presence, org work queues and issue locks.

Keys (all under ``workers:``): ``worker:{id}`` (hash, TTL renewed by each beat), ``worker:{id}:sessions``
(set), ``worker:{id}:mutations`` (set of open mutation ids, see ``mutation_flags``), ``live-workers:{org}``
(sorted set of the org's worker ids scored by presence expiry, epoch ms), ``queue:{org}`` (sorted set),
``issue-lock:{org}:{issue}`` (string = holding session id, TTL) and
``issue-pending:{org}:{issue}`` (sorted set of parked work).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from redis.asyncio import Redis
from switchyard.db.redis import KeySpace
from switchyard.workers.domain.common import from_ms, to_ms
from switchyard.workers.domain.ports import Beat, BeatOutcome, Presence, WorkerLoad

KEYS = KeySpace("workers")

# One round trip: refuse unknown workers, apply the beat, renew both TTLs, re-score the worker in its
# org's live index (ARGV[3] prefix, ARGV[4] expiry ms, ARGV[5] worker id), count the org's queue and say
# whether any mutation is open for the worker.
_BEAT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0} end
if #ARGV > 5 then redis.call('HSET', KEYS[1], unpack(ARGV, 6)) end
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[1])
local org = redis.call('HGET', KEYS[1], 'org')
redis.call('ZADD', ARGV[3] .. org, ARGV[4], ARGV[5])
redis.call('EXPIRE', ARGV[3] .. org, ARGV[1])
return {redis.call('ZCARD', ARGV[2] .. org), redis.call('SCARD', KEYS[3])}
"""

# Take the lock when free, extend it when ours; 0 when another session holds it.
_ACQUIRE = """
local holder = redis.call('GET', KEYS[1])
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 1
end
if holder == ARGV[1] then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def _dec(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _text(raw: Mapping[Any, Any], name: str) -> str:
    return _dec(raw.get(name.encode(), b""))


def _list(raw: Mapping[Any, Any], name: str) -> tuple[str, ...]:
    value = raw.get(name.encode())
    return tuple(json.loads(value)) if value else ()


def _presence(worker_id: str, raw: Mapping[Any, Any]) -> Presence:
    beat = _text(raw, "last_beat_ms")
    return Presence(
        id=worker_id,
        org_id=_text(raw, "org"),
        hostname=_text(raw, "hostname"),
        capacity=int(_text(raw, "capacity") or 0),
        version=_text(raw, "version"),
        machine_id=_text(raw, "machine_id"),
        region=_text(raw, "region"),
        capabilities=_list(raw, "capabilities"),
        all_projects=_text(raw, "all_projects") == "1",
        project_ids=_list(raw, "projects"),
        key_project_ids=_list(raw, "key_projects"),
        status=_text(raw, "status"),
        active_count=int(_text(raw, "active") or 0),
        registration_key_id=_text(raw, "reg"),
        registered_at=from_ms(int(_text(raw, "registered_ms") or 0)),
        last_heartbeat_at=from_ms(int(beat)) if beat else None,
    )


def _beat_fields(beat: Beat) -> dict[str, str]:
    fields = {"last_beat_ms": str(to_ms(beat.at)), "active": str(beat.active_count)}
    optional = {
        "status": beat.status,
        "hostname": beat.hostname,
        "region": beat.region,
        "version": beat.version,
        "allowlist_hash": beat.allowlist_hash,
        "admission_mode": beat.project_admission_mode,
    }
    fields.update({k: v for k, v in optional.items() if v})
    if beat.max_sessions:
        fields["capacity"] = str(beat.max_sessions)
    if beat.capabilities:
        fields["capabilities"] = json.dumps(list(beat.capabilities))
    if beat.load_cpu is not None:
        fields["load_cpu"] = repr(beat.load_cpu)
    if beat.load_memory is not None:
        fields["load_memory"] = repr(beat.load_memory)
    if beat.projects is not None:
        fields["all_projects"] = "1" if beat.projects[0] else "0"
        fields["projects"] = json.dumps(list(beat.projects[1]))
    return fields


class RedisFleet:
    """``Fleet`` on Redis hashes with a TTL."""

    def __init__(self, redis: Redis) -> None:
        self._r = redis
        self._beat = redis.register_script(_BEAT)

    async def put(self, worker: Presence, *, ttl_seconds: int) -> None:
        """Store a freshly registered worker."""
        key = KEYS.key("worker", worker.id)
        mapping: dict[str | bytes, str | bytes] = {
            "org": worker.org_id,
            "hostname": worker.hostname,
            "capacity": str(worker.capacity),
            "version": worker.version,
            "machine_id": worker.machine_id,
            "region": worker.region,
            "capabilities": json.dumps(list(worker.capabilities)),
            "all_projects": "1" if worker.all_projects else "0",
            "projects": json.dumps(list(worker.project_ids)),
            "key_projects": json.dumps(list(worker.key_project_ids)),
            "status": worker.status,
            "active": str(worker.active_count),
            "reg": worker.registration_key_id,
            "registered_ms": str(to_ms(worker.registered_at)),
        }
        live = KEYS.key("live-workers", worker.org_id)
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=mapping)  # type: ignore[arg-type]
            pipe.expire(key, ttl_seconds)
            pipe.zadd(live, {worker.id: to_ms(worker.registered_at) + ttl_seconds * 1000})
            pipe.expire(live, ttl_seconds)
            await pipe.execute()

    async def beat(self, worker_id: str, beat: Beat, *, ttl_seconds: int) -> BeatOutcome | None:
        """Apply a beat; the org's queue length and open mutations, or None when the worker is unknown."""
        pairs = [item for pair in _beat_fields(beat).items() for item in pair]
        keys = [
            KEYS.key("worker", worker_id),
            KEYS.key("worker", worker_id, "sessions"),
            KEYS.key("worker", worker_id, "mutations"),
        ]
        expiry = to_ms(beat.at) + ttl_seconds * 1000
        prefixes = [KEYS.key("queue", ""), KEYS.key("live-workers", "")]
        queued, open_mutations = await self._beat(
            keys=keys, args=[ttl_seconds, *prefixes, expiry, worker_id, *pairs]
        )
        if int(queued) < 0:
            return None
        return BeatOutcome(pending_work_count=int(queued), mutations_pending=int(open_mutations) > 0)

    async def get(self, worker_id: str) -> Presence | None:
        """A live worker, or None."""
        raw = await self._r.hgetall(KEYS.key("worker", worker_id))
        return _presence(worker_id, raw) if raw else None

    async def delete(self, worker_id: str) -> None:
        """Forget a worker, its session set and its place in the org's live index."""
        org = await self._r.hget(KEYS.key("worker", worker_id), "org")
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.delete(KEYS.key("worker", worker_id), KEYS.key("worker", worker_id, "sessions"))
            if org:
                pipe.zrem(KEYS.key("live-workers", _dec(org)), worker_id)
            await pipe.execute()

    async def held(self, worker_id: str) -> set[str]:
        """Sessions the worker holds."""
        members = await self._r.smembers(KEYS.key("worker", worker_id, "sessions"))
        return {_dec(m) for m in members}

    async def hold(self, worker_id: str, session_ids: list[str], *, ttl_seconds: int) -> None:
        """Add sessions to the worker's set (it lives as long as the worker)."""
        key = KEYS.key("worker", worker_id, "sessions")
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.sadd(key, *session_ids)
            pipe.expire(key, ttl_seconds)
            await pipe.execute()

    async def let_go(self, worker_id: str, session_id: str) -> None:
        """Remove one session from the worker's set."""
        await self._r.srem(KEYS.key("worker", worker_id, "sessions"), session_id)

    async def live(self, org_id: str, *, now: datetime) -> list[WorkerLoad]:
        """The org's unexpired workers with capacity, reported activity and held sessions."""
        key = KEYS.key("live-workers", org_id)
        # Expired members are pruned on read, so the index never needs a sweeper.
        await self._r.zremrangebyscore(key, "-inf", to_ms(now))
        ids = [_dec(member) for member in await self._r.zrange(key, 0, -1)]
        if not ids:
            return []
        async with self._r.pipeline(transaction=False) as pipe:
            for worker_id in ids:
                pipe.hmget(KEYS.key("worker", worker_id), ["capacity", "active"])
                pipe.scard(KEYS.key("worker", worker_id, "sessions"))
            replies: list[Any] = await pipe.execute()
        loads = []
        for worker_id, (capacity, active), held in zip(ids, replies[::2], replies[1::2], strict=True):
            if capacity is None:  # the hash expired before the index noticed
                continue
            loads.append(WorkerLoad(worker_id, int(_dec(capacity)), int(_dec(active or b"0")), int(held)))
        return loads


class RedisQueue:
    """``WorkQueue`` on one sorted set per org."""

    def __init__(self, redis: Redis) -> None:
        self._r = redis

    async def push(self, org_id: str, items: dict[str, float]) -> None:
        """Queue session ids with their scores."""
        if items:
            await self._r.zadd(KEYS.key("queue", org_id), dict(items))

    async def pop(self, org_id: str, count: int) -> list[tuple[str, float]]:
        """Pop up to ``count`` lowest-score items."""
        popped: list[Any] = await self._r.zpopmin(KEYS.key("queue", org_id), count)
        return [(_dec(member), float(score)) for member, score in popped]

    async def remove(self, org_id: str, session_id: str) -> None:
        """Drop a session from the queue."""
        await self._r.zrem(KEYS.key("queue", org_id), session_id)

    async def present(self, org_id: str, session_ids: list[str]) -> set[str]:
        """Which of these sessions are queued (one ZMSCORE)."""
        if not session_ids:
            return set()
        scores = await self._r.zmscore(KEYS.key("queue", org_id), session_ids)
        return {sid for sid, score in zip(session_ids, scores, strict=True) if score is not None}

    async def depth(self, org_id: str) -> int:
        """How many items wait in the org's queue."""
        return int(await self._r.zcard(KEYS.key("queue", org_id)))


class RedisLocks:
    """``IssueLocks``: one holder per issue, later work parked in a sorted set."""

    def __init__(self, redis: Redis) -> None:
        self._r = redis
        self._acquire = redis.register_script(_ACQUIRE)
        self._release = redis.register_script(_RELEASE)

    async def acquire(self, org_id: str, issue_id: str, session_id: str, *, ttl_seconds: int) -> bool:
        """Take the lock when free or already ours."""
        key = KEYS.key("issue-lock", org_id, issue_id)
        return bool(await self._acquire(keys=[key], args=[session_id, ttl_seconds]))

    async def refresh(self, org_id: str, issue_id: str, session_id: str, *, ttl_seconds: int) -> bool:
        """Extend when ours, take when free; False when another session holds it."""
        return await self.acquire(org_id, issue_id, session_id, ttl_seconds=ttl_seconds)

    async def release(self, org_id: str, issue_id: str, session_id: str) -> bool:
        """Release only when ``session_id`` holds the lock."""
        key = KEYS.key("issue-lock", org_id, issue_id)
        return bool(await self._release(keys=[key], args=[session_id]))

    async def park(self, org_id: str, issue_id: str, session_id: str, score: float) -> None:
        """Park work for a locked issue."""
        await self._r.zadd(KEYS.key("issue-pending", org_id, issue_id), {session_id: score})

    async def unpark(self, org_id: str, issue_id: str) -> tuple[str, float] | None:
        """The issue's next parked work, if any."""
        popped: list[Any] = await self._r.zpopmin(KEYS.key("issue-pending", org_id, issue_id), 1)
        if not popped:
            return None
        member, score = popped[0]
        return _dec(member), float(score)

    async def parked(self, org_id: str, issue_id: str, session_id: str) -> bool:
        """Whether the session is parked behind the issue's lock."""
        score = await self._r.zscore(KEYS.key("issue-pending", org_id, issue_id), session_id)
        return score is not None
