"""``/api/version``."""

from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency
from switchyard.gateway.domain.system.schemas import Version
from switchyard.gateway.state import Gateway


@get(
    "/api/version",
    operation_id="GetVersion",
    tags=["System"],
    description="Returns the current version and copyright information.",
)
async def version(gateway: NamedDependency[Gateway]) -> Version:
    """The API version (also in every ``X-API-Version`` header)."""
    return Version(version=gateway.settings.api_version, copyright=gateway.settings.copyright)


ROUTES = [version]
