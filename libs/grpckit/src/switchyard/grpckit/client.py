"""Channels to other services: one channel, round-robin over every replica, traced, kept alive."""

from __future__ import annotations

import ipaddress
import socket

import grpc
import grpc.aio
from opentelemetry.instrumentation.grpc import aio_client_interceptors
from switchyard.grpckit.principal import METADATA_KEY, REQUEST_ID_KEY
from switchyard.obs import tracing_enabled

CHANNEL_OPTIONS: tuple[tuple[str, int | str], ...] = (
    ("grpc.lb_policy_name", "round_robin"),
    # Detect a dead replica on an idle connection instead of waiting for the next call's deadline.
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
)

_SCHEMES = ("dns:", "ipv4:", "ipv6:", "unix:", "unix-abstract:", "vsock:")


def _split(address: str) -> tuple[str, int]:
    address = address.strip()
    if address.startswith("["):
        host, _, rest = address[1:].partition("]")
        port_text = rest.removeprefix(":")
    else:
        host, _, port_text = address.rpartition(":")
    if not host or not port_text.isdigit():
        raise ValueError(f"gRPC address {address!r} is not host:port")
    return host, int(port_text)


def _ip_version(host: str) -> int | None:
    try:
        return ipaddress.ip_address(host).version
    except ValueError:
        return None


def _resolve_ipv4(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, family=socket.AF_INET, type=socket.SOCK_STREAM)
    return sorted({f"{info[4][0]}:{port}" for info in infos})


def channel_target(targets: str) -> str:
    """Turn ``"h1:p1,h2:p2"`` into a gRPC target URI naming every address.

    IP literals become one ``ipv4:``/``ipv6:`` list. A single host name becomes ``dns:///host:port``
    (re-resolved by gRPC, so every address behind the name is used). Several host names are
    resolved to IPv4 once, here, because gRPC's ``dns:`` scheme takes only one name. A value that
    already starts with a scheme is returned unchanged.

    Raises:
        ValueError: An address is malformed, or IPv4 and IPv6 literals are mixed.
    """
    text = targets.strip()
    if text.startswith(_SCHEMES):
        return text
    addresses = [_split(part) for part in text.split(",") if part.strip()]
    if not addresses:
        raise ValueError("no gRPC address given")
    versions = {_ip_version(host) for host, _ in addresses}
    if versions == {4}:
        return "ipv4:" + ",".join(f"{host}:{port}" for host, port in addresses)
    if versions == {6}:
        return "ipv6:" + ",".join(f"[{host}]:{port}" for host, port in addresses)
    if len(addresses) == 1:
        host, port = addresses[0]
        return f"dns:///{host}:{port}"
    if 6 in versions:
        raise ValueError(f"cannot mix IPv6 literals with other addresses in {targets!r}")
    resolved: list[str] = []
    for host, port in addresses:
        resolved.extend(_resolve_ipv4(host, port))
    return "ipv4:" + ",".join(dict.fromkeys(resolved))


def create_channel(targets: str, *, tracing: bool | None = None) -> grpc.aio.Channel:
    """Open one insecure channel that spreads calls round-robin over every address in ``targets``.

    Args:
        targets: ``"host:port"`` or ``"h1:p1,h2:p2"`` (e.g. ``GATEWAY_IDENTITY_ADDR``).
        tracing: Install the OpenTelemetry client interceptors; by default only when this process
            records spans (``switchyard.obs.tracing_enabled()``), since they cost on every call.

    Returns:
        The channel, with keepalive (and tracing interceptors, see above). Close it with
        ``await channel.close()``; give every call a ``timeout``.
    """
    traced = tracing_enabled() if tracing is None else tracing
    return grpc.aio.insecure_channel(
        channel_target(targets),
        options=CHANNEL_OPTIONS,
        interceptors=aio_client_interceptors() if traced else None,  # type: ignore[no-untyped-call]
    )


def call_metadata(principal_token: str, request_id: str) -> tuple[tuple[str, str], ...]:
    """The metadata a gateway call carries: the signed principal and the request id.

    Empty values are left out (no principal means anonymous to the service).
    """
    pairs = ((METADATA_KEY, principal_token), (REQUEST_ID_KEY, request_id))
    return tuple((key, value) for key, value in pairs if value)


__all__ = ["CHANNEL_OPTIONS", "call_metadata", "channel_target", "create_channel"]
