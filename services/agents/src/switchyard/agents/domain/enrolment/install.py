"""Install tokens: minting for an org admin, and refreshing from a signed predecessor."""

from __future__ import annotations

from datetime import UTC, datetime

from switchyard.agents.domain.enrolment import rules, tokens
from switchyard.agents.domain.enrolment.context import EnrolmentDeps
from switchyard.agents.domain.enrolment.models import IssuedInstallToken
from switchyard.grpckit.errors import TooManyRequests, Unauthenticated
from switchyard.grpckit.principal import Principal

TOKEN_USED = "install token already used"
TOO_OLD = "install token too old to refresh"
REFRESH_LIMITED = "install token refresh limit reached (10 per 24 h); try again later"


def _issued(token: str, claims: tokens.InstallClaims) -> IssuedInstallToken:
    return IssuedInstallToken(token=token, expires_at=datetime.fromtimestamp(claims.exp, tz=UTC))


class InstallTokens:
    """Stateless HMAC install tokens; only refresh counting touches a store."""

    def __init__(self, deps: EnrolmentDeps) -> None:
        self._d = deps

    def _now(self) -> int:
        return int(self._d.clock().timestamp())

    async def create(self, *, principal: Principal, name: str, ttl_seconds: int) -> IssuedInstallToken:
        """Mint a token for the caller's org (org admin or owner)."""
        operator = rules.require_admin(principal, action="minting an install token")
        server_name = rules.optional_text(name, field="name")
        ttl = rules.install_ttl(ttl_seconds, default=self._d.install_token_ttl_seconds)
        token, claims = tokens.mint(
            key=self._d.install_token_key,
            org=operator.org_id,
            op=operator.operator_id,
            name=server_name,
            iat=self._now(),
            ttl_seconds=ttl,
        )
        return _issued(token, claims)

    async def check(self, *, token: str) -> IssuedInstallToken:
        """Verify a token without spending it (the installer is served only for a usable one).

        Raises:
            Unauthenticated: Forged, malformed, expired or already used.
        """
        rules.required_secret(token, field="token")
        claims = tokens.verify(token, key=self._d.install_token_key, now=self._now())
        if await self._d.limits.claimed(claims.nonce):
            raise Unauthenticated(TOKEN_USED)
        return _issued(token, claims)

    async def refresh(self, *, token: str) -> IssuedInstallToken:
        """Mint a successor of a validly signed token (expired or not, but not older than 30 days).

        Raises:
            Unauthenticated: Forged, malformed, or expired more than 30 days ago.
            TooManyRequests: The operator refreshed 10 tokens in the current 24 h window.
        """
        rules.required_secret(token, field="token")
        claims = tokens.verify_signature(token, key=self._d.install_token_key)
        now = self._now()
        if now - claims.exp > rules.REFRESH_HORIZON_SECONDS:
            raise Unauthenticated(TOO_OLD)
        hit = await self._d.limits.hit(
            "install-refresh", claims.op or claims.org, window_seconds=rules.INSTALL_REFRESH_WINDOW
        )
        if hit.count > rules.INSTALL_REFRESH_LIMIT:
            raise TooManyRequests(REFRESH_LIMITED, retry_after=hit.retry_after)
        successor, fresh = tokens.mint(
            key=self._d.install_token_key,
            org=claims.org,
            op=claims.op,
            name=claims.name,
            iat=now,
            ttl_seconds=rules.clamp_ttl(claims.ttl_seconds),
        )
        return _issued(successor, fresh)
