"""The domain services a servicer delegates to, and pb <-> domain helpers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import grpc
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from google.protobuf.struct_pb2 import Struct
from google.protobuf.timestamp_pb2 import Timestamp
from switchyard.workers.domain.context import Deps
from switchyard.workers.domain.credentials.rotation import RotationService
from switchyard.workers.domain.credentials.service import CredentialService
from switchyard.workers.domain.fleet.mutation_tracking import MutationTrackingService
from switchyard.workers.domain.fleet.service import FleetService
from switchyard.workers.domain.public.control import PublicControlService
from switchyard.workers.domain.public.service import PublicReadService
from switchyard.workers.domain.recovery.service import RecoveryService
from switchyard.workers.domain.routing.service import RoutingService
from switchyard.workers.domain.sessions.extra_reports import ExtraReportService
from switchyard.workers.domain.sessions.files import FileService
from switchyard.workers.domain.sessions.inbox import InboxService
from switchyard.workers.domain.sessions.lifecycle import LifecycleService
from switchyard.workers.domain.sessions.reports import ReportService
from switchyard.workers.domain.sessions.service import SessionService
from switchyard.workers.domain.sessions.transfer import TransferService

Context = grpc.aio.ServicerContext[Any, Any]


@dataclass(frozen=True, slots=True)
class Services:
    """One instance of each domain service, built from the same ``Deps``."""

    fleet: FleetService
    sessions: SessionService
    lifecycle: LifecycleService
    reports: ReportService
    inbox: InboxService
    files: FileService
    transfers: TransferService
    extra_reports: ExtraReportService
    mutation_tracking: MutationTrackingService
    public: PublicReadService
    public_control: PublicControlService
    routing: RoutingService
    recovery: RecoveryService
    credentials: CredentialService
    rotations: RotationService

    @classmethod
    def build(cls, deps: Deps) -> Services:
        """Wire every service to ``deps``."""
        return cls(
            fleet=FleetService(deps),
            sessions=SessionService(deps),
            lifecycle=LifecycleService(deps),
            reports=ReportService(deps),
            inbox=InboxService(deps),
            files=FileService(deps),
            transfers=TransferService(deps),
            extra_reports=ExtraReportService(deps),
            mutation_tracking=MutationTrackingService(deps),
            public=PublicReadService(deps),
            public_control=PublicControlService(deps),
            routing=RoutingService(deps),
            recovery=RecoveryService(deps),
            credentials=CredentialService(deps),
            rotations=RotationService(deps),
        )


class ServicerBase:
    """Holds the services; each mixin maps its RPCs onto them."""

    def __init__(self, services: Services) -> None:
        self._s = services


def ts(value: datetime | None) -> Timestamp | None:
    """A protobuf Timestamp, or None (field left unset)."""
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def from_ts(message: Message, name: str) -> datetime | None:
    """A set Timestamp field as an aware datetime, else None."""
    if not message.HasField(name):
        return None
    stamp: Timestamp = getattr(message, name)
    return stamp.ToDatetime().replace(tzinfo=UTC)


def struct(value: dict[str, Any]) -> Struct:
    """A Struct from a JSON-like dict."""
    out = Struct()
    out.update(value)
    return out


def from_struct(value: Struct) -> dict[str, Any]:
    """A JSON-like dict from a Struct."""
    return MessageToDict(value)
