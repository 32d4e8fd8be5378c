"""Runtime JWTs of the workers service: their claims and the verifier built on ``tokens.JwtVerifier``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from switchyard.gateway.auth.tokens import FetchJwks, JwtVerifier

# The workers service's runtime JWTs (issue 3 decision): fixed here so a token can be told from an
# identity access token before its signature is checked.
RUNTIME_TOKEN_ISSUER = "switchyard-workers"
RUNTIME_TOKEN_AUDIENCE = "switchyard-worker"
# The Donmai daemon looks for exactly this text in a 401 body to refresh instead of re-registering.
RUNTIME_TOKEN_EXPIRED = "Runtime token expired"
INVALID_RUNTIME_TOKEN = "invalid runtime token"
RUNTIME_TOKEN_REQUIRED = "a worker runtime token is required"
REGISTRATION_TOKEN_REQUIRED = "a registration token (rsk_live_) is required"
ORG_KEY_PREFIX = "rsk_live_"


@dataclass(frozen=True, slots=True)
class WorkerClaims:
    """The verified claims of a runtime JWT."""

    worker_id: str
    org_id: str
    project_ids: tuple[str, ...]
    registration_id: str
    scopes: tuple[str, ...]
    token_id: str
    expires_at: float


def worker_claims(claims: dict[str, Any]) -> WorkerClaims:
    """Map runtime JWT claims; ``proj`` is ``"*"`` or a list of project ids."""
    proj = claims.get("proj", "*")
    if proj == "*":
        projects: tuple[str, ...] = ("*",)
    elif isinstance(proj, list):
        projects = tuple(str(p) for p in proj)
    else:
        raise ValueError("proj must be '*' or a list")
    scope = claims.get("scope") or []
    if not isinstance(scope, list):
        raise ValueError("scope must be a list")
    return WorkerClaims(
        worker_id=str(claims["sub"]),
        org_id=str(claims["org"]),
        project_ids=projects,
        registration_id=str(claims.get("reg", "")),
        scopes=tuple(str(s) for s in scope),
        token_id=str(claims["jti"]),
        expires_at=float(claims["exp"]),
    )


def runtime_token_verifier(fetch: FetchJwks, *, min_refresh_seconds: float) -> JwtVerifier[WorkerClaims]:
    """A verifier of the workers service's runtime JWTs."""
    return JwtVerifier(
        fetch,
        min_refresh_seconds=min_refresh_seconds,
        parse=worker_claims,
        issuer=RUNTIME_TOKEN_ISSUER,
        audience=RUNTIME_TOKEN_AUDIENCE,
    )
