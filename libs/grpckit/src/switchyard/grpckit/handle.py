"""What ``start()`` of every service returns: the gRPC server plus the resources to release on stop."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from switchyard.grpckit.server import RunningServer
from switchyard.obs import get_logger

log = get_logger(__name__)

Closer = Callable[[], Awaitable[None]]


async def close_all(closers: Sequence[Closer], *, service: str) -> None:
    """Run every closer in order; one failing is logged and does not skip the rest."""
    for closer in closers:
        try:
            await closer()
        except Exception:
            log.exception("shutdown step failed", service=service)


@dataclass(kw_only=True)
class ServiceHandle:
    """A started service. Services subclass it (``kw_only``) to expose what their tests need.

    Attributes:
        running: The gRPC server.
        closers: Releases its resources, in the order to run them (newest resource first).
    """

    running: RunningServer
    closers: list[Closer] = field(default_factory=list, repr=False)

    @property
    def address(self) -> str:
        """``host:port`` to dial."""
        return self.running.address

    @property
    def port(self) -> int:
        """The bound port."""
        return self.running.port

    async def close(self) -> None:
        """Stop background work and close pools (after the server stopped); runs once."""
        closers, self.closers = self.closers, []
        await close_all(closers, service=self.running.name)

    async def stop(self, grace: float = 5.0) -> None:
        """Graceful stop: health NOT_SERVING, drain calls for ``grace`` seconds, then close."""
        await self.running.stop(grace)
        await self.close()


__all__ = ["Closer", "ServiceHandle", "close_all"]
