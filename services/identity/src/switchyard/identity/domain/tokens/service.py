"""Publishing the public signing keys."""

from __future__ import annotations

from dataclasses import dataclass

from switchyard.grpckit.principal import Principal
from switchyard.identity.domain.context import Deps, require_service
from switchyard.identity.domain.tokens.issuer import AUDIENCE, ISSUER
from switchyard.signing import to_jwk


@dataclass(frozen=True, slots=True)
class Jwks:
    """The public keys plus the issuer and audience every access token carries."""

    keys: list[dict[str, str]]
    issuer: str
    audience: str


class TokenService:
    """GetJwks."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    def jwks(self, *, principal: Principal) -> Jwks:
        """The keys that may have signed a live access token; services only."""
        require_service(principal)
        return Jwks(keys=[to_jwk(k) for k in self._d.tokens.keys], issuer=ISSUER, audience=AUDIENCE)
