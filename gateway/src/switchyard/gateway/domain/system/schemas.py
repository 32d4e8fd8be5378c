"""Bodies of the system routes."""

from __future__ import annotations

from switchyard.gateway.schema import CamelStruct


class Version(CamelStruct):
    """``GET /api/version``."""

    version: str
    copyright: str
