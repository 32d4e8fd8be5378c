"""The workers service as the gateway sees it: one method per RPC.

Each method signs the caller's principal into the metadata, forwards the request id and sets the
deadline, so handlers never build stubs or metadata themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from switchyard.gateway.clients._base import ServiceClient
from switchyard.grpckit.client import call_metadata
from switchyard.grpckit.principal import SERVICE, Principal
from switchyard.workers.v1 import workers_service_pb2 as pb
from switchyard.workers.v1 import workers_service_pb2_grpc as pb_grpc

if TYPE_CHECKING:
    import grpc


class WorkersClient(ServiceClient):
    """Async client of ``switchyard.workers.v1.WorkersService``.

    Args:
        channel: A channel to workers (round robin over its replicas).
        signer: Signs the principal of each call.
        timeout: Deadline of each call, in seconds.
    """

    stub_type = pb_grpc.WorkersServiceStub

    async def get_jwks(self, *, request_id: str) -> pb.GetJwksResponse:
        """Public keys, issuer and audience of runtime JWTs (the gateway's own service principal)."""
        result: pb.GetJwksResponse = await self._call(
            "GetJwks", pb.GetJwksRequest(), Principal(kind=SERVICE, request_id=request_id)
        )
        return result

    async def register_worker(
        self, principal: Principal, request: pb.RegisterWorkerRequest
    ) -> pb.RegisterWorkerResponse:
        """Register a daemon host (ORG_KEY principal holding ``worker:register``)."""
        result: pb.RegisterWorkerResponse = await self._call("RegisterWorker", request, principal)
        return result

    async def refresh_runtime_token(
        self, principal: Principal, *, worker_id: str
    ) -> pb.RefreshRuntimeTokenResponse:
        """A new runtime JWT for the same worker id."""
        request = pb.RefreshRuntimeTokenRequest(worker_id=worker_id)
        result: pb.RefreshRuntimeTokenResponse = await self._call("RefreshRuntimeToken", request, principal)
        return result

    async def heartbeat(self, principal: Principal, request: pb.HeartbeatRequest) -> pb.HeartbeatResponse:
        """One beat: refreshes the worker's presence."""
        result: pb.HeartbeatResponse = await self._call("Heartbeat", request, principal)
        return result

    async def deregister_worker(self, principal: Principal, *, worker_id: str) -> pb.DeregisterWorkerResponse:
        """Remove a worker; its claimed-but-unstarted sessions go back to the queue."""
        request = pb.DeregisterWorkerRequest(worker_id=worker_id)
        result: pb.DeregisterWorkerResponse = await self._call("DeregisterWorker", request, principal)
        return result

    async def create_session(
        self, principal: Principal, request: pb.CreateSessionRequest
    ) -> pb.CreateSessionResponse:
        """Queue work for an issue."""
        result: pb.CreateSessionResponse = await self._call("CreateSession", request, principal)
        return result

    async def poll_work(self, principal: Principal, *, worker_id: str) -> pb.PollWorkResponse:
        """Pre-claim queued work and fetch inbox messages for the calling worker."""
        request = pb.PollWorkRequest(worker_id=worker_id)
        result: pb.PollWorkResponse = await self._call("PollWork", request, principal)
        return result

    async def nack_session(
        self, principal: Principal, *, session_id: str, worker_id: str, reason: str
    ) -> pb.NackSessionResponse:
        """Give a claimed session back to the queue."""
        request = pb.NackSessionRequest(session_id=session_id, worker_id=worker_id, reason=reason)
        result: pb.NackSessionResponse = await self._call("NackSession", request, principal)
        return result

    async def get_session_status(
        self, principal: Principal, *, session_id: str
    ) -> pb.GetSessionStatusResponse:
        """A session's state."""
        request = pb.GetSessionStatusRequest(session_id=session_id)
        result: pb.GetSessionStatusResponse = await self._call("GetSessionStatus", request, principal)
        return result

    async def update_session_status(
        self, principal: Principal, request: pb.UpdateSessionStatusRequest
    ) -> pb.UpdateSessionStatusResponse:
        """Move a session through the FSM."""
        result: pb.UpdateSessionStatusResponse = await self._call("UpdateSessionStatus", request, principal)
        return result

    async def post_activity(
        self, principal: Principal, request: pb.PostActivityRequest
    ) -> pb.PostActivityResponse:
        """Record one agent activity."""
        result: pb.PostActivityResponse = await self._call("PostActivity", request, principal)
        return result

    async def post_completion(
        self, principal: Principal, request: pb.PostCompletionRequest
    ) -> pb.PostCompletionResponse:
        """Record a session's summary."""
        result: pb.PostCompletionResponse = await self._call("PostCompletion", request, principal)
        return result

    async def post_progress(
        self, principal: Principal, request: pb.PostProgressRequest
    ) -> pb.PostProgressResponse:
        """Record a progress milestone."""
        result: pb.PostProgressResponse = await self._call("PostProgress", request, principal)
        return result

    async def refresh_lock(
        self, principal: Principal, *, session_id: str, worker_id: str, issue_id: str
    ) -> pb.RefreshLockResponse:
        """Extend the issue lock of a session the worker holds."""
        request = pb.RefreshLockRequest(session_id=session_id, worker_id=worker_id, issue_id=issue_id)
        result: pb.RefreshLockResponse = await self._call("RefreshLock", request, principal)
        return result

    async def get_queued_session(
        self, principal: Principal, *, session_id: str
    ) -> pb.GetQueuedSessionResponse:
        """Queued work for cloud runners; NOT_FOUND once claimed."""
        request = pb.GetQueuedSessionRequest(session_id=session_id)
        result: pb.GetQueuedSessionResponse = await self._call("GetQueuedSession", request, principal)
        return result

    async def post_inbox_message(
        self, principal: Principal, request: pb.PostInboxMessageRequest
    ) -> pb.PostInboxMessageResponse:
        """Queue a message in a session's inbox lane."""
        result: pb.PostInboxMessageResponse = await self._call("PostInboxMessage", request, principal)
        return result

    async def ack_inbox_message(
        self, principal: Principal, request: pb.AckInboxMessageRequest
    ) -> pb.AckInboxMessageResponse:
        """XACK an inbox message for the worker holding the session."""
        result: pb.AckInboxMessageResponse = await self._call("AckInboxMessage", request, principal)
        return result

    async def transfer_session_ownership(
        self, principal: Principal, request: pb.TransferSessionOwnershipRequest
    ) -> pb.TransferSessionOwnershipResponse:
        """``TransferSessionOwnership``."""
        result: pb.TransferSessionOwnershipResponse = await self._call(
            "TransferSessionOwnership", request, principal
        )
        return result

    async def reserve_files(
        self, principal: Principal, request: pb.ReserveFilesRequest
    ) -> pb.ReserveFilesResponse:
        """``ReserveFiles``."""
        result: pb.ReserveFilesResponse = await self._call("ReserveFiles", request, principal)
        return result

    async def release_files(
        self, principal: Principal, request: pb.ReleaseFilesRequest
    ) -> pb.ReleaseFilesResponse:
        """``ReleaseFiles``."""
        result: pb.ReleaseFilesResponse = await self._call("ReleaseFiles", request, principal)
        return result

    async def release_all_files(
        self, principal: Principal, request: pb.ReleaseAllFilesRequest
    ) -> pb.ReleaseAllFilesResponse:
        """``ReleaseAllFiles``."""
        result: pb.ReleaseAllFilesResponse = await self._call("ReleaseAllFiles", request, principal)
        return result

    async def check_file_conflicts(
        self, principal: Principal, request: pb.CheckFileConflictsRequest
    ) -> pb.CheckFileConflictsResponse:
        """``CheckFileConflicts``."""
        result: pb.CheckFileConflictsResponse = await self._call("CheckFileConflicts", request, principal)
        return result

    async def record_session_report(
        self, principal: Principal, request: pb.RecordSessionReportRequest
    ) -> pb.RecordSessionReportResponse:
        """``RecordSessionReport``: a tool error, security scan, external URLs or token deltas."""
        result: pb.RecordSessionReportResponse = await self._call("RecordSessionReport", request, principal)
        return result

    async def get_public_stats(self, principal: Principal) -> pb.GetPublicStatsResponse:
        """``GetPublicStats``: the caller's org's fleet and session figures."""
        result: pb.GetPublicStatsResponse = await self._call(
            "GetPublicStats", pb.GetPublicStatsRequest(), principal
        )
        return result

    async def list_public_sessions(
        self, principal: Principal, request: pb.ListPublicSessionsRequest
    ) -> pb.ListPublicSessionsResponse:
        """``ListPublicSessions``: one page of the org's sessions, newest first."""
        result: pb.ListPublicSessionsResponse = await self._call("ListPublicSessions", request, principal)
        return result

    async def get_public_session(
        self, principal: Principal, *, session_ref: str
    ) -> pb.GetPublicSessionResponse:
        """``GetPublicSession``: one session by raw id or either public hash."""
        request = pb.GetPublicSessionRequest(session_ref=session_ref)
        result: pb.GetPublicSessionResponse = await self._call("GetPublicSession", request, principal)
        return result

    async def send_session_prompt(
        self, principal: Principal, *, session_ref: str, prompt: str
    ) -> pb.SendSessionPromptResponse:
        """``SendSessionPrompt``: re-queue, re-prioritise or direct a session with a new prompt."""
        request = pb.SendSessionPromptRequest(session_ref=session_ref, prompt=prompt)
        result: pb.SendSessionPromptResponse = await self._call("SendSessionPrompt", request, principal)
        return result

    async def stop_public_session(
        self, principal: Principal, *, session_ref: str
    ) -> pb.StopPublicSessionResponse:
        """``StopPublicSession``: stop a session (idempotent once terminal)."""
        request = pb.StopPublicSessionRequest(session_ref=session_ref)
        result: pb.StopPublicSessionResponse = await self._call("StopPublicSession", request, principal)
        return result

    async def list_session_activities(
        self, principal: Principal, request: pb.ListSessionActivitiesRequest
    ) -> pb.ListSessionActivitiesResponse:
        """``ListSessionActivities``: a session's activities after a cursor, oldest first."""
        result: pb.ListSessionActivitiesResponse = await self._call(
            "ListSessionActivities", request, principal
        )
        return result

    async def get_phase_metrics(
        self, principal: Principal, request: pb.GetPhaseMetricsRequest
    ) -> pb.GetPhaseMetricsResponse:
        """``GetPhaseMetrics``: per-phase aggregates of the org's sessions."""
        result: pb.GetPhaseMetricsResponse = await self._call("GetPhaseMetrics", request, principal)
        return result

    async def select_routing_provider(
        self, principal: Principal, request: pb.SelectRoutingProviderRequest
    ) -> pb.SelectRoutingProviderResponse:
        """``SelectRoutingProvider``: Thompson-sampling provider choice for a session's work."""
        result: pb.SelectRoutingProviderResponse = await self._call(
            "SelectRoutingProvider", request, principal
        )
        return result

    async def record_routing_feedback(
        self, principal: Principal, request: pb.RecordRoutingFeedbackRequest
    ) -> pb.RecordRoutingFeedbackResponse:
        """``RecordRoutingFeedback``: one observed reward for a provider."""
        result: pb.RecordRoutingFeedbackResponse = await self._call(
            "RecordRoutingFeedback", request, principal
        )
        return result

    async def get_routing_metrics(
        self, principal: Principal, *, limit: int, cursor: str
    ) -> pb.GetRoutingMetricsResponse:
        """``GetRoutingMetrics``: the org's posteriors and a page of decisions."""
        request = pb.GetRoutingMetricsRequest(limit=limit, cursor=cursor)
        result: pb.GetRoutingMetricsResponse = await self._call("GetRoutingMetrics", request, principal)
        return result

    async def create_recovery_packet(
        self, principal: Principal, request: pb.CreateRecoveryPacketRequest
    ) -> pb.CreateRecoveryPacketResponse:
        """``CreateRecoveryPacket``: save a session's crash context."""
        result: pb.CreateRecoveryPacketResponse = await self._call("CreateRecoveryPacket", request, principal)
        return result

    async def get_recovery_packet(
        self, principal: Principal, *, session_id: str, resume: bool
    ) -> pb.GetRecoveryPacketResponse:
        """``GetRecoveryPacket``: the newest unconsumed packet, consumed when ``resume``."""
        request = pb.GetRecoveryPacketRequest(session_id=session_id, resume=resume)
        result: pb.GetRecoveryPacketResponse = await self._call("GetRecoveryPacket", request, principal)
        return result

    async def get_recovery_chain(
        self, principal: Principal, *, session_id: str
    ) -> pb.GetRecoveryChainResponse:
        """``GetRecoveryChain``: the session's packets, newest first."""
        request = pb.GetRecoveryChainRequest(session_id=session_id)
        result: pb.GetRecoveryChainResponse = await self._call("GetRecoveryChain", request, principal)
        return result

    async def store_credential(
        self, principal: Principal, request: pb.StoreCredentialRequest
    ) -> pb.StoreCredentialResponse:
        """``StoreCredential``: create or replace (rotate) a credential."""
        result: pb.StoreCredentialResponse = await self._call("StoreCredential", request, principal)
        return result

    async def list_credentials(
        self, principal: Principal, request: pb.ListCredentialsRequest
    ) -> pb.ListCredentialsResponse:
        """``ListCredentials``: metadata only."""
        result: pb.ListCredentialsResponse = await self._call("ListCredentials", request, principal)
        return result

    async def delete_credential(
        self, principal: Principal, *, credential_id: str
    ) -> pb.DeleteCredentialResponse:
        """``DeleteCredential``."""
        request = pb.DeleteCredentialRequest(credential_id=credential_id)
        result: pb.DeleteCredentialResponse = await self._call("DeleteCredential", request, principal)
        return result

    async def snapshot_credentials(
        self, principal: Principal, request: pb.SnapshotCredentialsRequest
    ) -> pb.SnapshotCredentialsResponse:
        """``SnapshotCredentials``: the environment for a daemon's agents."""
        result: pb.SnapshotCredentialsResponse = await self._call("SnapshotCredentials", request, principal)
        return result

    async def rotate_credentials(
        self, principal: Principal, *, org_id: str, kind: str
    ) -> pb.RotateCredentialsResponse:
        """``RotateCredentials``: stamp a kind as rotated and fan it out."""
        request = pb.RotateCredentialsRequest(org_id=org_id, kind=kind)
        result: pb.RotateCredentialsResponse = await self._call("RotateCredentials", request, principal)
        return result

    def watch_credential_rotations(
        self, principal: Principal, *, session_id: str, max_seconds: float
    ) -> grpc.aio.UnaryStreamCall[Any, pb.WatchCredentialRotationsResponse]:
        """``WatchCredentialRotations``: the open call; the caller reads it and must cancel it when done.

        Its deadline is ``max_seconds``, not the unary timeout: the stream is meant to stay open, and the
        SSE client reconnects when it ends.
        """
        metadata = call_metadata(self._signer.sign(principal), principal.request_id)
        request = pb.WatchCredentialRotationsRequest(session_id=session_id)
        call: grpc.aio.UnaryStreamCall[Any, pb.WatchCredentialRotationsResponse] = (
            self._stub.WatchCredentialRotations(request, metadata=metadata, timeout=max_seconds)
        )
        return call
