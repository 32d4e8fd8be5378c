"""With Redis unreachable, enqueue still commits and heartbeats fall back to PostgreSQL: nothing is lost."""

from __future__ import annotations

import grpc
import pytest
from switchyard.grpckit.principal import METADATA_KEY, PrincipalSigner
from switchyard.mutations.config import Settings
from switchyard.mutations.server import start
from switchyard.mutations.v1 import mutations_pb2 as pb
from switchyard.mutations.v1 import mutations_service_pb2 as svc
from switchyard.mutations.v1 import mutations_service_pb2_grpc as svc_grpc
from switchyard.testing import free_port

pytestmark = pytest.mark.integration


async def test_mutations_survive_a_redis_outage(
    mutations, mutations_server, mutations_settings: Settings
) -> None:
    dead = mutations_settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    server = await start(dead, port=0)
    signer = PrincipalSigner(mutations_settings.principal_key)
    org = mutations.new_org()
    host = await mutations.new_host(org)
    try:
        async with grpc.aio.insecure_channel(server.address) as channel:
            stub = svc_grpc.MutationsServiceStub(channel)
            queued = await stub.EnqueueMutation(
                svc.EnqueueMutationRequest(
                    worker_host_id=host, op="project.remove", params=mutations.params({"id": "p"})
                ),
                metadata=((METADATA_KEY, signer.sign(mutations.owner(org))),),
                timeout=15,
            )
            beat = await stub.DeliverOnHeartbeat(
                svc.DeliverOnHeartbeatRequest(worker_host_id=host),
                metadata=((METADATA_KEY, signer.sign(mutations.worker(org, host))),),
                timeout=15,
            )
    finally:
        await server.stop(grace=1)
    assert [m.id for m in beat.pending_mutations] == [queued.mutation.id]
    [stored] = await mutations.history(org, host)
    assert stored.status == pb.MUTATION_STATUS_DELIVERED
