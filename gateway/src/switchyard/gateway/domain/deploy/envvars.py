"""``/api/apps/{appId}/env``: env vars per environment (``?environment=``, default ``production``).

Values go in (PUT, PATCH) and come out only through ``reveal``; every listing is masked.
"""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post, put
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from switchyard.deploy.v1 import deploy_service_pb2 as pb
from switchyard.gateway.auth.deps import TENANT
from switchyard.gateway.domain.deploy import schemas as s
from switchyard.gateway.domain.deploy.projects import SECURITY, TAGS
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import Principal

PRODUCTION = "production"


class EnvVarsController(Controller):
    """Env vars of an app of the caller's org."""

    path = "/api/apps/{appId:str}/env"
    tags = TAGS
    security = SECURITY
    dependencies = TENANT

    @get(
        "/",
        operation_id="listEnvVars",
        description="List app-level environment variables of one environment (`environment`, default `production`), masked: each has `key`, `masked: true`, `updatedBy` and times, never the value or its length.",  # noqa: E501
    )
    async def list_vars(
        self,
        appId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        environment: FromQuery[str] = PRODUCTION,
    ) -> s.EnvVarList:
        """Masked variables."""
        request = pb.ListEnvVarsRequest(app_id=appId, environment=environment)
        response = await gateway.deploy.list_env_vars(principal, request)
        return s.EnvVarList(environment=environment, vars=[s.env_var(v) for v in response.env_vars])

    @put(
        "/",
        operation_id="putEnvVars",
        description="Create multiple environment variables at once, in one transaction: `vars` is an object {KEY: value} or a list of {key, value}; with `replace: true` every key not listed is removed. Keys match ^[A-Za-z_][A-Za-z0-9_]{0,255}$, values are at most 64 KiB, at most 500 variables per environment. Values are encrypted at rest and never returned. The whole body is bounded by the gateway's request limit (`GATEWAY_MAX_BODY_BYTES`, 1 MiB by default; larger is 413): load bigger sets in several PUTs without `replace`. Requires org admin or owner.",  # noqa: E501
    )
    async def put_vars(
        self,
        appId: FromPath[str],
        data: JSONBody[s.EnvVarsPut],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        environment: FromQuery[str] = PRODUCTION,
    ) -> s.EnvVarList:
        """Bulk set."""
        request = pb.PutEnvVarsRequest(
            app_id=appId, environment=environment, vars=s.env_inputs(data), replace=data.replace
        )
        response = await gateway.deploy.put_env_vars(principal, request)
        return s.EnvVarList(
            environment=environment,
            vars=[s.env_var(v) for v in response.env_vars],
            removed_keys=list(response.removed_keys),
        )

    @post(
        "/clone",
        status_code=200,
        operation_id="cloneEnvVars",
        description="Clone environment variables from another environment of the app: every variable of `from` is copied to `to`; keys `to` already has are kept unless `overwrite`. Answers the copied and skipped keys. Requires org admin or owner.",  # noqa: E501
    )
    async def clone(
        self,
        appId: FromPath[str],
        data: JSONBody[s.CloneRequest],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.Cloned:
        """Copy one environment's variables to another."""
        request = pb.CloneEnvVarsRequest(
            app_id=appId, from_environment=data.source, to_environment=data.to, overwrite=data.overwrite
        )
        response = await gateway.deploy.clone_env_vars(principal, request)
        return s.Cloned(copied_keys=list(response.copied_keys), skipped_keys=list(response.skipped_keys))

    @patch(
        "/{key:str}",
        operation_id="updateEnvVar",
        description="Update an app-level environment variable's value (404 when the key is not set in the environment). Requires org admin or owner.",  # noqa: E501
    )
    async def update(
        self,
        appId: FromPath[str],
        key: FromPath[str],
        data: JSONBody[s.EnvVarUpdate],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        environment: FromQuery[str] = PRODUCTION,
    ) -> s.EnvVarEnvelope:
        """Replace one value."""
        request = pb.UpdateEnvVarRequest(app_id=appId, environment=environment, key=key, value=data.value)
        response = await gateway.deploy.update_env_var(principal, request)
        return s.EnvVarEnvelope(var=s.env_var(response.env_var))

    @delete(
        "/{key:str}",
        status_code=200,
        operation_id="deleteEnvVar",
        description="Delete an app-level environment variable by key. Requires org admin or owner.",
    )
    async def remove(
        self,
        appId: FromPath[str],
        key: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        environment: FromQuery[str] = PRODUCTION,
    ) -> s.Deleted:
        """Remove one variable."""
        request = pb.DeleteEnvVarRequest(app_id=appId, environment=environment, key=key)
        response = await gateway.deploy.delete_env_var(principal, request)
        return s.Deleted(deleted=response.deleted)

    @post(
        "/{key:str}/reveal",
        status_code=200,
        cache_control=CacheControlHeader(no_store=True),
        operation_id="revealEnvVar",
        description="Reveal the plaintext value of an env var (audited). Requires org admin or owner and a `reason` (1..500 characters); the reveal is recorded with who, when, key and reason (never the value), appears in the change feed as `env.reveal`, and is published as an event.",  # noqa: E501
    )
    async def reveal(
        self,
        appId: FromPath[str],
        key: FromPath[str],
        data: JSONBody[s.RevealRequest],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        environment: FromQuery[str] = PRODUCTION,
    ) -> s.Revealed:
        """One plaintext value."""
        request = pb.RevealEnvVarRequest(app_id=appId, environment=environment, key=key, reason=data.reason)
        response = await gateway.deploy.reveal_env_var(principal, request)
        return s.Revealed(key=response.key, value=response.value)
