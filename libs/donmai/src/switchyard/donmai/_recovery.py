"""Credentials over the daemon's life: boot, 401/404 recovery, proactive refresh, fan-out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import httpx
from switchyard.donmai._allowlist import Allowlist
from switchyard.donmai._api import REASON_NOT_FOUND, Orchestrator, json_object
from switchyard.donmai._credentials import (
    Credentials,
    CredentialStore,
    ProtocolError,
    from_registration,
    parse_instant,
    refreshed,
)
from switchyard.donmai._timing import Sleep
from switchyard.donmai._wire import register_body

log = logging.getLogger("switchyard.donmai")

REASON_PROACTIVE = "proactive-refresh"
Reregistered = Callable[[str, Credentials], Awaitable[None]]


class RecoveryFailed(Exception):
    """Neither a refresh nor a re-registration produced credentials (the status code says why)."""

    def __init__(self, step: str, status_code: int) -> None:
        """Record which call failed and how."""
        super().__init__(f"{step} answered HTTP {status_code}")
        self.step = step
        self.status_code = status_code


class CredentialManager:
    """Holds the current credentials; every caller reads :attr:`current` per request (the fan-out).

    Recovery is single-flight: callers pass the :attr:`generation` their failing request used, and a
    caller that lost the race gets the credentials the winner obtained instead of recovering twice.
    """

    def __init__(
        self,
        api: Orchestrator,
        store: CredentialStore,
        allowlist: Allowlist,
        *,
        clock: Callable[[], float],
        sleep: Sleep,
        on_reregistered: Reregistered | None = None,
    ) -> None:
        """Wire the manager; nothing is loaded until :meth:`boot`."""
        self.api = api
        self.store = store
        self.allowlist = allowlist
        self.clock = clock
        self.sleep = sleep
        self.on_reregistered = on_reregistered
        self._current: Credentials | None = None
        self.generation = 0
        self.registrations = 0
        self.refreshes = 0
        self._lock = asyncio.Lock()

    @property
    def current(self) -> Credentials:
        """The credentials in force.

        Raises:
            RuntimeError: Before :meth:`boot`.
        """
        if self._current is None:
            raise RuntimeError("the daemon has not booted")
        return self._current

    def _install(self, credentials: Credentials) -> Credentials:
        self._current = credentials
        self.generation += 1
        self.store.save(credentials)
        return credentials

    async def boot(self) -> Credentials:
        """Use the cached ``daemon.jwt`` when there is one, else register."""
        cached = self.store.load()
        if cached is not None:
            self._current = cached
            self.generation += 1
            return cached
        return await self.register()

    async def register(self) -> Credentials:
        """``POST /api/workers/register`` and cache the result.

        Raises:
            RecoveryFailed: The orchestrator refused the registration.
        """
        response = await self.api.register(register_body(self.api.config, self.allowlist))
        if not response.is_success:
            raise RecoveryFailed("register", response.status_code)
        self.registrations += 1
        return self._install(from_registration(json_object(response), now=self.clock()))

    async def recover(self, reason: str, *, seen_generation: int) -> Credentials:
        """Recover after a 401/404: refresh unless the worker is gone, re-register when refresh cannot help.

        Args:
            reason: ``runtime-token-expired``, ``unauthorized``, ``worker-not-found`` or a proactive refresh.
            seen_generation: :attr:`generation` of the credentials the failing request carried.

        Raises:
            RecoveryFailed: Refresh failed for another reason, or re-registration failed.
        """
        async with self._lock:
            if self.generation != seen_generation:
                return self.current
            log.info("donmai credential recovery", extra={"reason": reason})
            if reason != REASON_NOT_FOUND:
                response = await self.api.refresh_token(self.current.worker_id)
                if response.is_success:
                    self.refreshes += 1
                    body = json_object(response)
                    return self._install(refreshed(self.current, body, now=self.clock()))
                if response.status_code not in (404, 405):
                    raise RecoveryFailed("refresh-token", response.status_code)
            old_worker_id = self.current.worker_id
            credentials = await self.register()
        if self.on_reregistered is not None:
            await self.on_reregistered(old_worker_id, credentials)
        return credentials

    async def refresh(self) -> Credentials:
        """Refresh the runtime token now (what the proactive refresher does before expiry).

        Raises:
            RecoveryFailed: The orchestrator refused both the refresh and a re-registration.
        """
        return await self.recover(REASON_PROACTIVE, seen_generation=self.generation)

    def refresh_delay(self) -> float | None:
        """Seconds until the proactive refresh is due, or None when the expiry is unknown.

        Due ``refresh_margin`` before expiry, or at half life for tokens shorter than twice the margin.
        """
        credentials = self.current
        expires = credentials.expires_at
        if expires is None:
            return None
        obtained = parse_instant(credentials.cached_at)
        margin = self.api.config.timings.refresh_margin
        if obtained is not None and expires > obtained:
            margin = min(margin, (expires - obtained) / 2)
        return max(expires - margin - self.clock(), 0.0)

    async def run_refresher(self) -> None:
        """Refresh before expiry, forever (cancel to stop); failures retry after the first backoff step."""
        while True:
            delay = self.refresh_delay()
            if delay is None:
                # No expiry known: look again after a heartbeat's worth of time (credentials may change).
                await self.sleep(float(self.current.heartbeat_seconds))
                continue
            await self.sleep(delay)
            try:
                await self.refresh()
            except (RecoveryFailed, ProtocolError, httpx.HTTPError) as failure:
                log.warning("donmai proactive refresh failed: %s", failure)
                await self.sleep(max(self.api.config.timings.retry.base_delay, 0.01))
