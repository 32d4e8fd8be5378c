"""Container health probe for Docker and Compose healthchecks.

Usage::

    python healthcheck.py grpc HOST:PORT [SERVICE]   # grpc.health.v1 Check must answer SERVING
    python healthcheck.py http URL                   # GET must answer 2xx

Our images carry neither curl nor grpc_health_probe, so healthchecks run this script with the image's own
Python. The gRPC form speaks the same grpc.health.v1 protocol as Kubernetes' native gRPC probes, so compose
and the cluster judge a service by the same signal. Exit status 0 means healthy, 1 unhealthy, 2 bad usage.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 3.0
USAGE = "usage: healthcheck.py grpc HOST:PORT [SERVICE] | healthcheck.py http URL"


def check_grpc(target: str, service: str = "") -> bool:
    """Ask a gRPC server's health service whether ``service`` ("" = the whole server) is SERVING.

    Args:
        target: ``host:port`` of the server.
        service: Health service name; empty asks about the server as a whole.

    Returns:
        True when the server answers SERVING within the timeout.
    """
    # Imported here so the HTTP form also works in images that do not ship grpc.
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=TIMEOUT_SECONDS)
        except grpc.RpcError as exc:
            print(f"unhealthy: {target} answered {exc.code().name}", file=sys.stderr)
            return False
    serving: bool = reply.status == health_pb2.HealthCheckResponse.SERVING
    if not serving:
        print(f"unhealthy: {target} is {health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)}")
    return serving


def check_http(url: str) -> bool:
    """GET ``url`` and report whether it answered 2xx.

    Args:
        url: An ``http://`` or ``https://`` URL.

    Returns:
        True for a 2xx answer within the timeout.

    Raises:
        ValueError: The URL is not http(s); urllib would otherwise also open file:// URLs.
    """
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url}")
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (scheme checked)
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError) as exc:
        print(f"unhealthy: {url} unreachable ({exc})", file=sys.stderr)
        return False
    if not 200 <= status < 300:
        print(f"unhealthy: {url} answered {status}", file=sys.stderr)
        return False
    return True


def main(argv: list[str]) -> int:
    """Run one probe from command-line arguments and return the process exit status."""
    match argv:
        case ["grpc", target]:
            return 0 if check_grpc(target) else 1
        case ["grpc", target, service]:
            return 0 if check_grpc(target, service) else 1
        case ["http", url] if url.startswith(("http://", "https://")):
            return 0 if check_http(url) else 1
        case _:
            print(USAGE, file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
