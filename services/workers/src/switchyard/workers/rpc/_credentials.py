"""Credential RPCs: pb <-> domain only. Values go in (store) and out (snapshot), never into metadata."""

from __future__ import annotations

from collections.abc import AsyncIterator

from switchyard.grpckit.principal import get_principal
from switchyard.workers.domain.credentials.models import KEEP_ALIVE, READY, CredentialInfo, WatchFrame
from switchyard.workers.rpc._base import Context, ServicerBase, ts
from switchyard.workers.v1 import workers_pb2 as pb
from switchyard.workers.v1 import workers_service_pb2 as svc

_FRAME_TYPES = {READY: svc.WATCH_FRAME_TYPE_READY, KEEP_ALIVE: svc.WATCH_FRAME_TYPE_KEEP_ALIVE}


def credential(info: CredentialInfo) -> pb.Credential:
    """A credential's metadata."""
    return pb.Credential(
        id=info.id,
        org_id=info.org_id,
        project_id=info.project_id,
        env_name=info.env_name,
        name=info.name,
        kind=info.kind,
        created_at=ts(info.created_at),
        updated_at=ts(info.updated_at),
        rotated_at=ts(info.rotated_at),
    )


def watch_frame(frame: WatchFrame) -> svc.WatchCredentialRotationsResponse:
    """One stream frame."""
    notice = frame.rotation
    if notice is None:
        return svc.WatchCredentialRotationsResponse(type=_FRAME_TYPES[frame.type])
    rotation = pb.CredentialRotation(
        org_id=notice.org_id, kind=notice.kind, rotated_at=ts(notice.rotated_at), session_id=frame.session_id
    )
    return svc.WatchCredentialRotationsResponse(type=svc.WATCH_FRAME_TYPE_ROTATION, rotation=rotation)


class CredentialsRpc(ServicerBase):
    """StoreCredential, ListCredentials, DeleteCredential, SnapshotCredentials, RotateCredentials and
    WatchCredentialRotations."""

    async def StoreCredential(
        self, request: svc.StoreCredentialRequest, context: Context
    ) -> svc.StoreCredentialResponse:
        """Create or replace a credential."""
        info, rotated = await self._s.credentials.store(
            principal=get_principal(),
            org_id=request.org_id,
            name=request.name,
            value=request.value,
            kind=request.kind,
            project_id=request.project_id,
            env_name=request.env_name,
        )
        return svc.StoreCredentialResponse(credential=credential(info), rotated=rotated)

    async def ListCredentials(
        self, request: svc.ListCredentialsRequest, context: Context
    ) -> svc.ListCredentialsResponse:
        """The org's credential metadata."""
        infos = await self._s.credentials.list_credentials(
            principal=get_principal(),
            org_id=request.org_id,
            project_id=request.project_id if request.HasField("project_id") else None,
            env_name=request.env_name,
        )
        return svc.ListCredentialsResponse(credentials=[credential(info) for info in infos])

    async def DeleteCredential(
        self, request: svc.DeleteCredentialRequest, context: Context
    ) -> svc.DeleteCredentialResponse:
        """Remove a credential."""
        await self._s.credentials.delete(principal=get_principal(), credential_id=request.credential_id)
        return svc.DeleteCredentialResponse(deleted=True)

    async def SnapshotCredentials(
        self, request: svc.SnapshotCredentialsRequest, context: Context
    ) -> svc.SnapshotCredentialsResponse:
        """The environment for a daemon's agents."""
        snapshot = await self._s.credentials.snapshot(
            principal=get_principal(),
            org_id=request.org_id,
            project_id=request.project_id,
            env_name=request.env_name,
            session_id=request.session_id,
        )
        return svc.SnapshotCredentialsResponse(env=snapshot.env, refresh_until=ts(snapshot.refresh_until))

    async def RotateCredentials(
        self, request: svc.RotateCredentialsRequest, context: Context
    ) -> svc.RotateCredentialsResponse:
        """Stamp a kind as rotated and fan it out."""
        rotation = await self._s.rotations.rotate(
            principal=get_principal(), org_id=request.org_id, kind=request.kind
        )
        return svc.RotateCredentialsResponse(
            ok=True,
            kind=rotation.kind,
            session_count=rotation.session_count,
            rotated_at=ts(rotation.rotated_at),
        )

    async def WatchCredentialRotations(
        self, request: svc.WatchCredentialRotationsRequest, context: Context
    ) -> AsyncIterator[svc.WatchCredentialRotationsResponse]:
        """Frames until the caller cancels."""
        async for frame in self._s.rotations.watch(principal=get_principal(), session_id=request.session_id):
            yield watch_frame(frame)
