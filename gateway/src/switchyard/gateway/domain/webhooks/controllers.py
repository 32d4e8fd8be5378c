"""``POST /api/webhooks/ingest/{provider}``: public, authenticated by the delivery's HMAC signature.

Not under an identity path, so it never bumps the auth epoch. Each provider's secret and org come from
the gateway settings; per-org secrets are a follow-up.
"""

from __future__ import annotations

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from switchyard.gateway.auth.deps import AnyRequest
from switchyard.gateway.config import Settings
from switchyard.gateway.domain.webhooks.intake import Endpoint, ingest
from switchyard.gateway.domain.webhooks.providers import PROVIDERS
from switchyard.gateway.domain.webhooks.schemas import WebhookAccepted
from switchyard.gateway.errors import GatewayError
from switchyard.gateway.request_id import request_id_of
from switchyard.gateway.state import Gateway


def endpoint_of(settings: Settings, provider: str) -> Endpoint:
    """The configured provider, or 404 (unknown, or its secret or org is not set)."""
    found = PROVIDERS.get(provider)
    if found is None:
        raise GatewayError(404, "unknown webhook provider")
    secret = getattr(settings, f"webhook_secret_{provider}")
    org_id: str = getattr(settings, f"webhook_org_{provider}")
    if secret is None or not secret.get_secret_value() or not org_id:
        raise GatewayError(404, "webhook provider not configured")
    return Endpoint(provider=found, secret=secret.get_secret_value().encode(), org_id=org_id)


class WebhooksController(Controller):
    """Tracker deliveries that queue agent work."""

    path = "/api/webhooks"
    tags = ["Webhooks"]

    @post(
        "/ingest/{provider:str}",
        status_code=200,
        operation_id="ingestWebhook",
        description="Ingests a tracker webhook for provider linear or github. Authenticated by HMAC-SHA256 over the raw body, hex: header linear-signature (or x-linear-signature) for Linear, x-hub-signature-256 (sha256=<hex>) for GitHub; missing or invalid is 401, an unknown or unconfigured provider 404. Answers at once 200 {ok: true, eventId, correlationId}; a duplicate delivery (same linear-delivery / x-github-delivery id, else the same body) is {ok: true, duplicate: true} and queues nothing. Linear Issue create and GitHub issues opened/labeled queue work for the issue (sessionId); other events are acknowledged with ignored: true. Malformed JSON is 400.",  # noqa: E501
    )
    async def ingest(
        self, provider: FromPath[str], request: AnyRequest, gateway: NamedDependency[Gateway]
    ) -> WebhookAccepted:
        """Verify a delivery and queue its work."""
        endpoint = endpoint_of(gateway.settings, provider)
        request_id = request_id_of(request.scope)
        outcome = await ingest(
            gateway=gateway,
            endpoint=endpoint,
            headers=request.headers,
            body=await request.body(),
            request_id=request_id,
        )
        if outcome.duplicate:
            return WebhookAccepted(ok=True, duplicate=True)
        return WebhookAccepted(
            ok=True,
            event_id=outcome.event_id,
            correlation_id=request_id,
            session_id=outcome.session_id or None,
            ignored=outcome.ignored,
        )


ROUTES = [WebhooksController]
