"""Answer of ``POST /api/webhooks/ingest/{provider}`` (Rensei §7)."""

from __future__ import annotations

from switchyard.gateway.schema import CamelStruct


class WebhookAccepted(CamelStruct, omit_defaults=True):
    """``{ok: true, eventId, correlationId}``; ``{ok: true, duplicate: true}`` for a redelivery.

    ``sessionId`` names the queued session; ``ignored: true`` marks an event that means no work.
    """

    ok: bool
    event_id: str | None = None
    correlation_id: str | None = None
    session_id: str | None = None
    duplicate: bool = False
    ignored: bool = False
