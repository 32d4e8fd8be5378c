"""The domain services a servicer delegates to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import grpc
from switchyard.identity.domain.apikeys.org_keys import OrgKeyService
from switchyard.identity.domain.apikeys.service import ApiKeyService
from switchyard.identity.domain.auth.service import AuthService
from switchyard.identity.domain.context import Deps
from switchyard.identity.domain.m2m.service import M2mClientService
from switchyard.identity.domain.messages.service import MessageService
from switchyard.identity.domain.tenants.service import TenantService
from switchyard.identity.domain.tokens.service import TokenService
from switchyard.identity.domain.users.service import UserService

Context = grpc.aio.ServicerContext[Any, Any]


@dataclass(frozen=True, slots=True)
class Services:
    """One instance of each domain service, built from the same ``Deps``."""

    auth: AuthService
    users: UserService
    tenants: TenantService
    messages: MessageService
    api_keys: ApiKeyService
    org_keys: OrgKeyService
    tokens: TokenService
    m2m: M2mClientService

    @classmethod
    def build(cls, deps: Deps) -> Services:
        """Wire every service to ``deps``."""
        return cls(
            auth=AuthService(deps),
            users=UserService(deps),
            tenants=TenantService(deps),
            messages=MessageService(deps),
            api_keys=ApiKeyService(deps),
            org_keys=OrgKeyService(deps),
            tokens=TokenService(deps),
            m2m=M2mClientService(deps),
        )


class ServicerBase:
    """Holds the services; each mixin maps its RPCs onto them."""

    def __init__(self, services: Services) -> None:
        self._s = services
