"""The orchestrator's worker-protocol endpoints, one method each; no policy lives here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx
from switchyard.donmai._config import DaemonConfig

REASON_EXPIRED = "runtime-token-expired"
REASON_UNAUTHORIZED = "unauthorized"
REASON_NOT_FOUND = "worker-not-found"


def recovery_reason(response: httpx.Response) -> str | None:
    """Why a heartbeat or poll answer calls for credential recovery, or None when it does not.

    404 means the worker is gone; 401 is an expired token when the body says so, else unauthorized.
    """
    if response.status_code == 404:
        return REASON_NOT_FOUND
    if response.status_code == 401:
        return REASON_EXPIRED if "runtime token expired" in response.text.lower() else REASON_UNAUTHORIZED
    return None


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is empty or not one."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _segment(value: str) -> str:
    return quote(value, safe="")


class Orchestrator:
    """HTTP calls to the orchestrator; callers pick the bearer (runtime JWT or registration token)."""

    def __init__(self, http: httpx.AsyncClient, config: DaemonConfig) -> None:
        """Wrap a client; requests use absolute URLs under ``config.orchestrator_url``."""
        self.http = http
        self.config = config

    async def _send(
        self,
        method: str,
        path: str,
        *,
        bearer: str,
        time_limit: float,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {bearer}", "User-Agent": self.config.user_agent}
        return await self.http.request(
            method,
            f"{self.config.base_url}{path}",
            json=None if body is None else dict(body),
            params=params,
            headers=headers,
            timeout=time_limit,
        )

    async def register(self, body: Mapping[str, Any]) -> httpx.Response:
        """``POST /api/workers/register`` with the registration token as Bearer."""
        return await self._send(
            "POST",
            "/api/workers/register",
            bearer=self.config.registration_token,
            time_limit=self.config.timings.register_timeout,
            body=body,
        )

    async def refresh_token(self, worker_id: str) -> httpx.Response:
        """``POST /api/workers/{id}/refresh-token`` with the registration token (what the Go daemon sends)."""
        return await self._send(
            "POST",
            f"/api/workers/{_segment(worker_id)}/refresh-token",
            bearer=self.config.registration_token,
            time_limit=self.config.timings.register_timeout,
            body={},
        )

    async def heartbeat(self, worker_id: str, token: str, body: Mapping[str, Any]) -> httpx.Response:
        """``POST /api/workers/{id}/heartbeat`` (5 s timeout)."""
        return await self._send(
            "POST",
            f"/api/workers/{_segment(worker_id)}/heartbeat",
            bearer=token,
            time_limit=self.config.timings.heartbeat_timeout,
            body=body,
        )

    async def poll(self, worker_id: str, token: str) -> httpx.Response:
        """``GET /api/workers/{id}/poll`` (30 s timeout)."""
        return await self._send(
            "GET",
            f"/api/workers/{_segment(worker_id)}/poll",
            bearer=token,
            time_limit=self.config.timings.poll_timeout,
        )

    async def deregister(self, worker_id: str, token: str) -> httpx.Response:
        """``DELETE /api/workers/{id}``."""
        return await self._send(
            "DELETE",
            f"/api/workers/{_segment(worker_id)}",
            bearer=token,
            time_limit=self.config.timings.request_timeout,
        )

    async def session_post(
        self, session_id: str, action: str, token: str, body: Mapping[str, Any]
    ) -> httpx.Response:
        """``POST /api/sessions/{id}/<action>`` (nack, status, activity, completion, lock-refresh, ...)."""
        return await self._send(
            "POST",
            f"/api/sessions/{_segment(session_id)}/{action}",
            bearer=token,
            time_limit=self.config.timings.request_timeout,
            body=body,
        )
