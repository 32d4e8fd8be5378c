"""Env var RPCs: values go in (put, update) and out only through RevealEnvVar."""

from __future__ import annotations

from switchyard.deploy.domain.envvars.models import EnvVarInput
from switchyard.deploy.rpc import _mapping as m
from switchyard.deploy.rpc._context import Base, Context
from switchyard.deploy.v1 import deploy_service_pb2 as svc
from switchyard.grpckit.principal import get_principal


class EnvVarRpc(Base):
    """ListEnvVars, PutEnvVars, UpdateEnvVar, DeleteEnvVar, RevealEnvVar, CloneEnvVars."""

    async def ListEnvVars(self, request: svc.ListEnvVarsRequest, context: Context) -> svc.ListEnvVarsResponse:
        """Masked variables."""
        views = await self._s.env_vars.list(
            principal=get_principal(), app_id=request.app_id, environment=request.environment
        )
        return svc.ListEnvVarsResponse(env_vars=[m.env_var(v) for v in views])

    async def PutEnvVars(self, request: svc.PutEnvVarsRequest, context: Context) -> svc.PutEnvVarsResponse:
        """Bulk set (and replace)."""
        result = await self._s.env_vars.put(
            principal=get_principal(),
            app_id=request.app_id,
            environment=request.environment,
            inputs=[EnvVarInput(key=v.key, value=v.value) for v in request.vars],
            replace=request.replace,
        )
        return svc.PutEnvVarsResponse(
            env_vars=[m.env_var(v) for v in result.env_vars], removed_keys=list(result.removed_keys)
        )

    async def UpdateEnvVar(
        self, request: svc.UpdateEnvVarRequest, context: Context
    ) -> svc.UpdateEnvVarResponse:
        """Replace one existing value."""
        view = await self._s.env_vars.update(
            principal=get_principal(),
            app_id=request.app_id,
            environment=request.environment,
            key=request.key,
            value=request.value,
        )
        return svc.UpdateEnvVarResponse(env_var=m.env_var(view))

    async def DeleteEnvVar(
        self, request: svc.DeleteEnvVarRequest, context: Context
    ) -> svc.DeleteEnvVarResponse:
        """Remove one variable."""
        await self._s.env_vars.delete(
            principal=get_principal(), app_id=request.app_id, environment=request.environment, key=request.key
        )
        return svc.DeleteEnvVarResponse(deleted=True)

    async def RevealEnvVar(
        self, request: svc.RevealEnvVarRequest, context: Context
    ) -> svc.RevealEnvVarResponse:
        """One plaintext value, audited."""
        value = await self._s.env_vars.reveal(
            principal=get_principal(),
            app_id=request.app_id,
            environment=request.environment,
            key=request.key,
            reason=request.reason,
        )
        return svc.RevealEnvVarResponse(key=request.key, value=value)

    async def CloneEnvVars(
        self, request: svc.CloneEnvVarsRequest, context: Context
    ) -> svc.CloneEnvVarsResponse:
        """Copy one environment's variables to another."""
        result = await self._s.env_vars.clone(
            principal=get_principal(),
            app_id=request.app_id,
            source=request.from_environment,
            target=request.to_environment,
            overwrite=request.overwrite,
        )
        return svc.CloneEnvVarsResponse(
            copied_keys=list(result.copied_keys), skipped_keys=list(result.skipped_keys)
        )
