"""OAuth2 client-credentials (M2M) tokens: EdDSA JWTs signed by identity with the keys of its JWKS.

They are verified locally like access tokens (same JWKS, ``typ: "m2m"``); the verifier is built once in
the app's lifespan, beside the access-token and runtime-token verifiers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from switchyard.gateway.auth.tokens import FetchJwks, InvalidToken, JwtVerifier

M2M_TYP = "m2m"


@dataclass(frozen=True, slots=True)
class M2mClaims:
    """The verified claims of an M2M token."""

    client_id: str
    org_id: str
    scopes: tuple[str, ...]
    token_id: str
    expires_at: float


def m2m_claims(claims: dict[str, Any]) -> M2mClaims:
    """Accept only ``typ: "m2m"`` tokens that name an org and a list of scopes."""
    scopes = claims.get("scopes")
    if claims.get("typ") != M2M_TYP or not claims.get("org_id") or not isinstance(scopes, list):
        raise InvalidToken("not an M2M token")
    return M2mClaims(
        client_id=str(claims["sub"]),
        org_id=str(claims["org_id"]),
        scopes=tuple(str(scope) for scope in scopes),
        token_id=str(claims["jti"]),
        expires_at=float(claims["exp"]),
    )


def m2m_token_verifier(fetch: FetchJwks, *, min_refresh_seconds: float) -> JwtVerifier[M2mClaims]:
    """A verifier of M2M tokens against identity's JWKS."""
    return JwtVerifier(fetch, min_refresh_seconds=min_refresh_seconds, parse=m2m_claims)
