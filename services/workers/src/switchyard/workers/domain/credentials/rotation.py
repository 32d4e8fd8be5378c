"""Rotation fan-out: stamp a kind as rotated, tell every live watcher of the org on any replica, count them.

A watcher is one open WatchCredentialRotations stream. Its replica delivers rotations to it from the
replica's single NATS subscription (the ``RotationFeed``); the Redis ``WatcherRegistry`` makes it countable
from every replica, with an expiry it renews while open, so a replica that dies leaves no ghost behind.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

from switchyard.grpckit.errors import NotFound
from switchyard.grpckit.principal import Principal
from switchyard.obs import get_logger
from switchyard.workers.domain.common import to_ms
from switchyard.workers.domain.context import Deps
from switchyard.workers.domain.credentials import repository as repo
from switchyard.workers.domain.credentials import rules
from switchyard.workers.domain.credentials.models import KEEP_ALIVE, READY, ROTATION, Rotation, WatchFrame
from switchyard.workers.domain.credentials.service import rotation_msg_id
from switchyard.workers.domain.events import CredentialsRotated

log = get_logger(__name__)


class RotationService:
    """RotateCredentials and WatchCredentialRotations."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def rotate(self, *, principal: Principal, org_id: str, kind: str) -> Rotation:
        """Stamp ``rotated_at`` on the org's credentials of ``kind`` and fan the rotation out."""
        rules.require_rotator(principal)
        org = rules.same_org(principal, org_id)
        kind = rules.kind_of(kind)
        now = self._d.clock()
        who, whom = rules.actor(principal)
        event = CredentialsRotated.of(org_id=org, kind=kind, rotated_at=now, actor_kind=who, actor_id=whom)
        msg_id = rotation_msg_id()
        async with self._d.sessions() as s, s.begin():
            if not await repo.stamp_rotation(s, org_id=org, kind=kind, at=now):
                raise NotFound("credential kind not configured")
            self._d.rotations.stage(s, event, msg_id=msg_id)
        await self._d.rotations.announce(event, msg_id=msg_id)
        count = await self._d.watchers.count(org, now_ms=to_ms(self._d.clock()))
        log.info("credentials rotated", org_id=org, kind=kind, session_count=count)
        return Rotation(kind=kind, session_count=count, rotated_at=now)

    async def watch(self, *, principal: Principal, session_id: str) -> AsyncIterator[WatchFrame]:
        """Frames for one subscriber of the caller's org until the caller goes away.

        Yields ``ready`` once the watcher can receive rotations and counts as live, then a ``rotation`` per
        rotation of the org and a ``keep-alive`` whenever ``watch_keepalive_seconds`` pass quietly.
        """
        org = rules.require_reader(principal)
        session = rules.optional_session(session_id)
        watcher = f"wch_{uuid.uuid4().hex}"
        policy = self._d.policy
        async with self._d.rotations.subscribe(org) as inbox:
            try:
                await self._touch(org, watcher)
                yield WatchFrame(type=READY, session_id=session)
                loop_time = time.monotonic
                keepalive_at = loop_time() + policy.watch_keepalive_seconds
                refresh_at = loop_time() + policy.watch_refresh_seconds
                while True:
                    notice = await inbox.next(max(0.0, min(keepalive_at, refresh_at) - loop_time()))
                    if notice is not None:
                        yield WatchFrame(type=ROTATION, rotation=notice, session_id=session)
                    if loop_time() >= refresh_at:
                        await self._touch(org, watcher)
                        refresh_at = loop_time() + policy.watch_refresh_seconds
                    if loop_time() >= keepalive_at:
                        yield WatchFrame(type=KEEP_ALIVE, session_id=session)
                        keepalive_at = loop_time() + policy.watch_keepalive_seconds
            finally:
                # Shielded: the stream usually ends by cancellation, which must not skip the cleanup.
                await asyncio.shield(self._d.watchers.remove(org, watcher))

    async def _touch(self, org: str, watcher: str) -> None:
        expires = to_ms(self._d.clock()) + int(self._d.policy.watch_ttl_seconds * 1000)
        await self._d.watchers.touch(org, watcher, expires_at_ms=expires)
