"""This replica's CommandStreams: registration in Redis, NATS routing, and delivery of pending commands.

Opening a stream registers it (``agents:stream:{server}`` = ``<replica>:<stream>``, its TTL refreshed
while open by one hub-wide task in batched script calls), tells every other holder of the same server to
close (``agents.disconnect.{server}`` carrying the new stream id), subscribes to ``agents.cmd.{server}``
and then sends every pending command of the server oldest first. Subscribing before loading means a
command committed meanwhile is either loaded or announced; a per-stream set of sent ids drops the
duplicate.

A command can only report on the stream it was sent on (the agent drops results it cannot send). So
when a stream ends, the commands it delivered that are still dispatched/running become ``failed``
(``agent disconnected mid-command``); when a stream opens, so does every dispatched/running command of
the server, which covers a replica that died before it could clean up. Pending commands stay pending
and go out on the next stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import nats.aio.client
from agent.v1 import agent_pb2
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from switchyard.agents.domain.agent.service import AgentIdentity, AgentSideService
from switchyard.agents.domain.commands.models import CommandView
from switchyard.agents.live import RedisLive
from switchyard.agents.routing import DISCONNECT_PREFIX, NatsCommandBus, cmd_subject
from switchyard.agents.rpc import _mapping as m
from switchyard.obs import get_logger

log = get_logger(__name__)

STREAM_TTL_SECONDS = 30
REFRESH_SECONDS = 10.0
# Registrations refreshed per Redis script call.
REFRESH_BATCH = 500


class StreamSession:
    """One open CommandStream: what to send next, and whether it was told to close."""

    def __init__(self, agent: AgentIdentity, replica_id: str) -> None:
        self.agent = agent
        self.stream_id = uuid.uuid4().hex
        self.holder = f"{replica_id}:{self.stream_id}"
        self.queue: asyncio.Queue[agent_pb2.Command | None] = asyncio.Queue()
        self.sent: set[str] = set()
        self.closed = False
        self.reason = ""

    def send(self, view: CommandView) -> None:
        """Queue a command for the agent, once per stream."""
        if self.closed or view.id in self.sent:
            return
        self.sent.add(view.id)
        self.queue.put_nowait(m.agent_command(view))

    def close(self, reason: str) -> None:
        """End the stream after what is already queued."""
        if not self.closed:
            self.closed, self.reason = True, reason
            self.queue.put_nowait(None)


class StreamHub:
    """Every CommandStream this replica holds, by server."""

    def __init__(
        self,
        *,
        nc: nats.aio.client.Client,
        live: RedisLive,
        bus: NatsCommandBus,
        agents: AgentSideService,
        on_forced_disconnect: Callable[[str], None],
        on_attach: Callable[[str], None] = lambda _: None,
        on_detach: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.replica_id = uuid.uuid4().hex[:12]
        self._nc = nc
        self._live = live
        self._bus = bus
        self._agents = agents
        self._on_forced = on_forced_disconnect
        self._on_attach, self._on_detach = on_attach, on_detach
        self._sessions: dict[str, StreamSession] = {}
        self._ending: set[asyncio.Task[None]] = set()
        self._subscription: Subscription | None = None
        self._refresher: asyncio.Task[None] | None = None

    @property
    def streams(self) -> dict[str, str]:
        """server id -> stream id of every stream held here."""
        return {sid: session.stream_id for sid, session in self._sessions.items()}

    async def start(self) -> None:
        """Listen for disconnect requests addressed to any server (flushed: interest is known at once)."""
        self._subscription = await self._nc.subscribe(f"{DISCONNECT_PREFIX}.*", cb=self._on_disconnect)
        await self._nc.flush()
        self._refresher = asyncio.create_task(self._refresh_forever(), name="agents-stream-refresh")

    async def stop(self) -> None:
        """Close every stream and stop listening."""
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
            self._refresher = None
        for session in list(self._sessions.values()):
            session.close("agents replica stopping")
        await asyncio.sleep(0)  # let the closed streams' handlers reach their clean-up
        if self._ending:
            await asyncio.wait(set(self._ending), timeout=5)
        if self._subscription is not None:
            subscription, self._subscription = self._subscription, None
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()

    async def _on_disconnect(self, msg: Msg) -> None:
        server_id = msg.subject[len(DISCONNECT_PREFIX) + 1 :]
        keep = msg.data.decode("utf-8", "replace")
        if not keep:
            # Forced (revocation, delete, operator): the next call must re-check the credentials.
            self._on_forced(server_id)
        session = self._sessions.get(server_id)
        if session is not None and session.stream_id != keep:
            session.close("replaced by a newer stream" if keep else "disconnected by the control plane")

    async def _deliver(self, session: StreamSession, command_id: str) -> None:
        try:
            view = await self._agents.deliverable(agent=session.agent, command_id=command_id)
        except Exception:
            # Still pending in PostgreSQL: the agent's next stream delivers it.
            log.warning("announced command not loaded", command_id=command_id[:64], exc_info=True)
            return
        if view is not None:
            session.send(view)

    async def refresh(self) -> None:
        """Extend the registration of every open stream; close those another stream took over."""
        sessions = [session for session in self._sessions.values() if not session.closed]
        for start in range(0, len(sessions), REFRESH_BATCH):
            batch = sessions[start : start + REFRESH_BATCH]
            holders = [(session.agent.server_id, session.holder) for session in batch]
            try:
                ours = await self._live.refresh_streams(holders, STREAM_TTL_SECONDS)
            except Exception:
                log.warning("stream registrations not refreshed", streams=len(batch), exc_info=True)
                continue
            for session, kept in zip(batch, ours, strict=True):
                if not kept:
                    session.close("replaced by a newer stream")

    async def _refresh_forever(self) -> None:
        # One task and one script call per REFRESH_BATCH streams, instead of a task and a
        # Redis call per stream: 10,000 idle streams cost 20 round trips every 10 s.
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            await self.refresh()

    async def _abandon(self, session: StreamSession) -> None:
        # The commands this stream delivered that never reported are failed, unless a newer stream holds
        # the server (its opening already failed them, and it may have re-sent a still-pending one).
        server_id = session.agent.server_id
        try:
            if session.sent and await self._live.holds_stream(server_id, session.holder):
                await self._agents.abandon(agent=session.agent, command_ids=session.sent)
        except Exception:
            # They stay dispatched/running until the agent's next stream opens and fails them.
            log.warning("in-flight commands not failed at stream end", server_id=server_id, exc_info=True)

    @asynccontextmanager
    async def attach(self, agent: AgentIdentity) -> AsyncIterator[StreamSession]:
        """Hold the agent's stream while the context is open."""
        session = StreamSession(agent, self.replica_id)
        server_id = agent.server_id
        older = self._sessions.get(server_id)
        self._sessions[server_id] = session
        if older is not None:
            older.close("replaced by a newer stream")
        subscription: Subscription | None = None
        self._on_attach(server_id)
        try:
            await self._live.register_stream(server_id, session.holder, STREAM_TTL_SECONDS)
            await self._bus.disconnect(server_id, keep_stream=session.stream_id)
            # Whatever an earlier stream left dispatched/running can no longer report (its replica may
            # have died before it could say so): fail it before this stream takes new work.
            await self._agents.abandon(agent=agent)

            async def on_announce(msg: Msg) -> None:
                await self._deliver(session, msg.data.decode("utf-8", "replace"))

            subscription = await self._nc.subscribe(cmd_subject(server_id), cb=on_announce)
            await self._nc.flush()
            for view in await self._agents.pending(agent=agent):
                session.send(view)
            log.info("command stream opened", server_id=server_id, stream_id=session.stream_id)
            yield session
        finally:
            self._on_detach(server_id)
            session.close(session.reason or "stream ended")
            if self._sessions.get(server_id) is session:
                del self._sessions[server_id]
            # The handler is being cancelled (the agent went away); a second cancellation must not cut
            # the clean-up short, or the registration would linger until its TTL and the in-flight
            # commands until the next stream. So it runs in its own task, shielded.
            ending = asyncio.create_task(self._ended(session, subscription), name=f"agents-end-{server_id}")
            self._ending.add(ending)
            ending.add_done_callback(self._ending.discard)
            await asyncio.shield(ending)

    async def _ended(self, session: StreamSession, subscription: Subscription | None) -> None:
        server_id = session.agent.server_id
        if subscription is not None:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
        await self._abandon(session)
        with contextlib.suppress(Exception):
            await self._live.release_stream(server_id, session.holder)
        log.info("command stream closed", server_id=server_id, reason=session.reason)
