"""Local verification of EdDSA JWTs against a JWKS: identity access tokens, workers runtime tokens.

The keys are fetched at startup and again when a token names an unknown ``kid`` (a rotation), but at
most every ``min_refresh_seconds`` so a stream of forged kids cannot turn into a stream of RPCs. A failed
fetch (identity not up yet: the gateway may well start first) is retried after ``FAILED_FETCH_RETRY_SECONDS``
instead, so valid tokens are not refused for the whole throttle window.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import jwt
from switchyard.obs import get_logger

_log = get_logger(__name__)

FAILED_FETCH_RETRY_SECONDS = 1.0
# Verified tokens remembered by their exact text: an EdDSA verify costs more than the rest of the
# gateway's own work on a request. Revocation is not cached (it is checked in Redis every time).
VERIFIED_CACHE_SIZE = 10_000

# Any GetJwksResponse (identity's, workers'): ``keys`` of OKP JWKs, optional ``issuer``/``audience``.
FetchJwks = Callable[[], Awaitable[Any]]


class _Expiring(Protocol):
    @property
    def expires_at(self) -> float: ...


C = TypeVar("C", bound=_Expiring)


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """The verified claims the gateway uses from an access token."""

    user_id: str
    token_id: str
    expires_at: float


class InvalidToken(Exception):
    """The token is malformed, forged, expired or not the kind the verifier accepts."""


class TokenExpired(InvalidToken):
    """The token was valid but its ``exp`` has passed (callers may say so, e.g. "Runtime token expired")."""


def access_claims(claims: dict[str, Any]) -> AccessClaims:
    """Identity's access tokens: ``typ=access``; anything else is refused."""
    if claims.get("typ") != "access":
        raise InvalidToken("not an access token")
    return AccessClaims(
        user_id=str(claims["sub"]), token_id=str(claims["jti"]), expires_at=float(claims["exp"])
    )


class JwtVerifier(Generic[C]):
    """Verifies EdDSA JWTs with a service's public keys and maps their claims with ``parse``.

    Args:
        fetch: Fetches the current JWKS from the issuing service.
        min_refresh_seconds: Smallest interval between two fetches triggered by unknown kids.
        parse: Turns the verified claims into the caller's claims type (raises InvalidToken to refuse).
        issuer: Required ``iss``; empty = the JWKS response's ``issuer`` (if it has one).
        audience: Required ``aud``; empty = the JWKS response's ``audience`` (if it has one).
    """

    def __init__(
        self,
        fetch: FetchJwks,
        *,
        min_refresh_seconds: float,
        parse: Callable[[dict[str, Any]], C],
        issuer: str = "",
        audience: str = "",
    ) -> None:
        self._fetch = fetch
        self._min_refresh = min_refresh_seconds
        self._parse = parse
        self._fixed_issuer, self._fixed_audience = issuer, audience
        self._keys: dict[str, jwt.PyJWK] = {}
        self._issuer = issuer
        self._audience = audience
        self._next_fetch_at = float("-inf")
        self._verified: dict[str, C] = {}
        self._lock = asyncio.Lock()

    async def refresh(self) -> bool:
        """Fetch the JWKS now; False (and the old keys kept) when the issuer cannot answer."""
        async with self._lock:
            try:
                response = await self._fetch()
            except Exception as exc:
                self._next_fetch_at = time.monotonic() + FAILED_FETCH_RETRY_SECONDS
                _log.warning("jwks fetch failed", error=type(exc).__name__)
                return False
            self._next_fetch_at = time.monotonic() + self._min_refresh
            keys: dict[str, jwt.PyJWK] = {}
            for key in response.keys:
                data = {"kty": key.kty, "crv": key.crv, "x": key.x, "kid": key.kid, "alg": key.alg or "EdDSA"}
                try:
                    keys[key.kid] = jwt.PyJWK(data)
                except jwt.PyJWTError:
                    _log.warning("unusable jwk skipped", kid=key.kid)
            if keys.keys() != self._keys.keys():
                # A retired key must stop verifying tokens at once, cached or not.
                self._verified.clear()
            self._keys = keys
            self._issuer = self._fixed_issuer or str(getattr(response, "issuer", ""))
            self._audience = self._fixed_audience or str(getattr(response, "audience", ""))
            return True

    async def _key_for(self, kid: str) -> jwt.PyJWK:
        key = self._keys.get(kid)
        if key is None and time.monotonic() >= self._next_fetch_at:
            await self.refresh()
            key = self._keys.get(kid)
        if key is None:
            raise InvalidToken("unknown key id")
        return key

    async def verify(self, token: str) -> C:
        """Return the claims of a valid token.

        Raises:
            TokenExpired: A genuine token past its ``exp``.
            InvalidToken: Bad signature, wrong issuer/audience, or refused by ``parse``.
        """
        cached = self._verified.get(token)
        if cached is not None:
            if cached.expires_at > time.time():
                return cached
            del self._verified[token]
            raise TokenExpired("token expired")
        claims = await self._verify_signature(token)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            # Dicts keep insertion order: drop the oldest entry.
            del self._verified[next(iter(self._verified))]
        self._verified[token] = claims
        return claims

    async def _verify_signature(self, token: str) -> C:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("malformed token") from exc
        key = await self._key_for(str(header.get("kid", "")))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["EdDSA"],
                audience=self._audience or None,
                issuer=self._issuer or None,
                options={"require": ["exp", "sub", "jti"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpired("token expired") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken("invalid token") from exc
        try:
            return self._parse(claims)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidToken("malformed claims") from exc


class TokenVerifier(JwtVerifier[AccessClaims]):
    """Verifies identity's access tokens (issuer and audience come with identity's JWKS).

    Args:
        fetch: Fetches the current JWKS from identity.
        min_refresh_seconds: Smallest interval between two fetches triggered by unknown kids.
    """

    def __init__(self, fetch: FetchJwks, *, min_refresh_seconds: float) -> None:
        super().__init__(fetch, min_refresh_seconds=min_refresh_seconds, parse=access_claims)
