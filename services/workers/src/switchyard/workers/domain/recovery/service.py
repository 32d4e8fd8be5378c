"""CreateRecoveryPacket, GetRecoveryPacket and GetRecoveryChain."""

from __future__ import annotations

import uuid
from typing import Any

from switchyard.grpckit.errors import NotFound
from switchyard.grpckit.principal import Principal
from switchyard.workers.db.models import RecoveryPacket
from switchyard.workers.domain.context import Deps
from switchyard.workers.domain.recovery import repository as repo
from switchyard.workers.domain.recovery.models import PacketView, parse
from switchyard.workers.domain.sessions.access import org_session

NO_PACKET = "no recovery packet"


class RecoveryService:
    """Recovery packets of a session: members read; admins, owners and org keys write and resume."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def create(self, *, principal: Principal, session_id: str, body: dict[str, Any]) -> PacketView:
        """Store a packet; it joins the given chain, else the session's latest chain, else a new one."""
        new = parse(body)
        now = self._d.clock()
        async with self._d.sessions() as s, s.begin():
            # The session row lock serialises posts, so two first packets cannot start two chains.
            row = await org_session(s, principal=principal, session_id=session_id, write=True, lock=True)
            chain_id = new.recovery_chain_id or await repo.latest_chain_id(s, row.id) or str(uuid.uuid4())
            packet = RecoveryPacket(
                id=str(uuid.uuid4()),
                org_id=row.org_id,
                session_id=row.id,
                agent_id=new.agent_id,
                tier=new.tier,
                recovery_chain_id=chain_id,
                token_estimate=new.token_estimate,
                packet_data=new.packet_data,
                created_at=now,
                consumed_at=None,
            )
            s.add(packet)
        return repo.to_view(packet)

    async def get(self, *, principal: Principal, session_id: str, resume: bool) -> PacketView:
        """The newest unconsumed packet; ``resume`` consumes it (exactly one concurrent resume gets it)."""
        if resume:
            async with self._d.sessions() as s, s.begin():
                row = await org_session(s, principal=principal, session_id=session_id, write=True)
                packet = await repo.consume_newest(s, row.id, now=self._d.clock())
        else:
            async with self._d.reads() as s:
                row = await org_session(s, principal=principal, session_id=session_id, write=False)
                packet = await repo.newest_unconsumed(s, row.id)
        if packet is None:
            raise NotFound(NO_PACKET)
        return repo.to_view(packet)

    async def chain(self, *, principal: Principal, session_id: str) -> tuple[int, list[PacketView]]:
        """How many packets the session has, and the newest 100, newest first."""
        async with self._d.reads() as s:
            row = await org_session(s, principal=principal, session_id=session_id, write=False)
            total, rows = await repo.chain(s, row.id)
        return total, [repo.to_view(r) for r in rows]
