"""Gateway edges against the real stack: bad input, headers, CORS, rate limits, readiness, OpenAPI."""

from __future__ import annotations

import uuid

import pytest
from switchyard.gateway.config import Settings
from switchyard.testing import free_port

pytestmark = pytest.mark.integration

EXPECTED_OPERATIONS = {
    ("POST", "/api/auth/register"): "Register",
    ("POST", "/api/auth/login"): "Login",
    ("POST", "/api/auth/refresh"): "RefreshToken",
    ("POST", "/api/auth/verify-email"): "VerifyEmail",
    ("POST", "/api/auth/resend-verification"): "ResendVerification",
    ("POST", "/api/auth/forgot-password"): "ForgotPassword",
    ("POST", "/api/auth/reset-password"): "ResetPassword",
    ("GET", "/api/auth/me"): "GetMe",
    ("POST", "/api/auth/logout"): "Logout",
    ("POST", "/api/auth/change-password"): "ChangePassword",
    ("POST", "/api/auth/accept-invitation"): "AcceptInvitation",
    ("GET", "/api/tenant/members"): "ListMembers",
    ("POST", "/api/tenant/members/invite"): "InviteMember",
    ("DELETE", "/api/tenant/members/{userId}"): "RemoveMember",
    ("PATCH", "/api/tenant/members/{userId}/role"): "ChangeMemberRole",
    ("POST", "/api/tenant/members/{userId}/transfer-ownership"): "TransferOwnership",
    ("GET", "/api/messages"): "ListMessages",
    ("GET", "/api/messages/unread-count"): "GetUnreadCount",
    ("PATCH", "/api/messages/{messageId}/read"): "MarkMessageRead",
    ("GET", "/api/admin/api-keys"): "ListApiKeys",
    ("POST", "/api/admin/api-keys"): "CreateApiKey",
    ("DELETE", "/api/admin/api-keys/{keyId}"): "DeleteApiKey",
    ("GET", "/api/org/{orgId}/keys"): "ListOrgKeys",
    ("POST", "/api/org/{orgId}/keys"): "CreateOrgKey",
    ("DELETE", "/api/org/{orgId}/keys/{keyId}"): "RevokeOrgKey",
    ("GET", "/api/admin/m2m-clients"): "ListM2mClients",
    ("POST", "/api/admin/m2m-clients"): "CreateM2mClient",
    ("DELETE", "/api/admin/m2m-clients/{clientId}"): "RevokeM2mClient",
    ("POST", "/api/oauth/token"): "IssueOAuthToken",
    ("GET", "/api/oauth/whoami"): "OAuthWhoAmI",
    ("POST", "/v1/daemon/register"): "daemonRegister",
    ("POST", "/v1/daemon/heartbeat"): "daemonHeartbeat",
    ("POST", "/api/workers/register"): "workersRegister",
    ("POST", "/api/workers/{id}/heartbeat"): "workerHeartbeat",
    ("POST", "/api/workers/{id}/refresh-token"): "workerRefreshToken",
    ("DELETE", "/api/workers/{id}"): "workerDeregister",
    ("GET", "/api/workers/{id}/poll"): "workerPoll",
    ("POST", "/api/sessions"): "createSession",
    ("GET", "/api/sessions/{id}/status"): "getSessionStatus",
    ("POST", "/api/sessions/{id}/status"): "updateSessionStatus",
    ("POST", "/api/sessions/{id}/nack"): "nackSession",
    ("POST", "/api/sessions/{id}/activity"): "postSessionActivity",
    ("POST", "/api/sessions/{id}/completion"): "postSessionCompletion",
    ("POST", "/api/sessions/{id}/progress"): "postSessionProgress",
    ("POST", "/api/sessions/{id}/lock-refresh"): "refreshSessionLock",
    ("POST", "/api/sessions/{id}/inbox"): "postSessionInboxMessage",
    ("POST", "/api/sessions/{id}/inbox/ack"): "ackSessionInbox",
    ("POST", "/api/sessions/{id}/transfer-ownership"): "transferSessionOwnership",
    ("POST", "/api/sessions/{id}/files/reserve"): "reserveSessionFiles",
    ("POST", "/api/sessions/{id}/files/release"): "releaseSessionFiles",
    ("POST", "/api/sessions/{id}/files/release-all"): "releaseAllSessionFiles",
    ("GET", "/api/sessions/{id}/files/check-conflicts"): "checkSessionFileConflicts",
    ("POST", "/api/sessions/{id}/tool-error"): "reportSessionToolError",
    ("POST", "/api/sessions/{id}/security-scan"): "postSessionSecurityScan",
    ("POST", "/api/sessions/{id}/external-urls"): "postSessionExternalUrls",
    ("POST", "/api/sessions/{id}/token-delta"): "postSessionTokenDelta",
    ("GET", "/api/daemon/sessions/{id}"): "getDaemonSessionDetail",
    ("POST", "/api/daemon/mutations"): "enqueueDaemonMutation",
    ("GET", "/api/daemon/mutations"): "listDaemonMutations",
    ("DELETE", "/api/daemon/mutations/{id}"): "cancelDaemonMutation",
    ("POST", "/api/sessions/{id}/routing-select"): "routingSelect",
    ("POST", "/api/sessions/{id}/routing-feedback"): "postRoutingFeedback",
    ("GET", "/api/public/routing-metrics"): "getRoutingMetrics",
    ("POST", "/api/sessions/{id}/recovery-packet"): "postRecoveryPacket",
    ("GET", "/api/sessions/{id}/recovery-packet"): "getRecoveryPacket",
    ("GET", "/api/sessions/{id}/recovery-chain"): "getRecoveryChain",
    ("POST", "/api/daemon/credentials"): "storeDaemonCredential",
    ("GET", "/api/daemon/credentials"): "listDaemonCredentials",
    ("DELETE", "/api/daemon/credentials/{id}"): "deleteDaemonCredential",
    ("POST", "/api/daemon/credentials/snapshot"): "credentialSnapshot",
    ("POST", "/api/daemon/credentials/rotate"): "credentialRotate",
    ("GET", "/api/daemon/credentials/rotate-stream"): "credentialRotateStream",
    ("POST", "/api/webhooks/ingest/{provider}"): "ingestWebhook",
    ("GET", "/api/public/stats"): "getPublicStats",
    ("GET", "/api/public/sessions"): "listPublicSessions",
    ("GET", "/api/public/sessions/{hash}"): "getPublicSession",
    ("POST", "/api/public/sessions/{hash}/prompt"): "sendPrompt",
    ("POST", "/api/public/sessions/{hash}/stop"): "stopSession",
    ("GET", "/api/public/sessions/{hash}/activities"): "listPublicSessionActivitiesAfter",
    ("GET", "/api/public/session-activities"): "listPublicSessionActivities",
    ("GET", "/api/public/phase-metrics"): "getPublicPhaseMetrics",
    ("POST", "/api/servers/install-token"): "createServerInstallToken",
    ("POST", "/api/servers/install-token/refresh"): "refreshServerInstallToken",
    ("POST", "/api/servers/{serverId}/revoke-tokens"): "revokeServerTokens",
    ("GET", "/api/agent/install.sh"): "getAgentInstallScript",
    ("GET", "/api/agent/agent.tar.gz"): "getAgentBundle",
    ("POST", "/api/agent/register"): "registerAgent",
    ("POST", "/api/agent/refresh"): "refreshAgentToken",
    ("POST", "/api/agent/recover"): "recoverAgent",
    ("GET", "/api/servers"): "ListServers",
    ("GET", "/api/servers/{serverId}"): "GetServer",
    ("DELETE", "/api/servers/{serverId}"): "DeleteServer",
    ("GET", "/api/servers/{serverId}/status"): "GetServerStatus",
    ("POST", "/api/servers/{serverId}/ping"): "PingServer",
    ("POST", "/api/servers/{serverId}/restart-agent"): "RestartAgent",
    ("GET", "/api/servers/{serverId}/agent-logs"): "GetAgentLogs",
    ("POST", "/api/servers/{serverId}/disconnect"): "DisconnectServer",
    ("GET", "/api/servers/{serverId}/commands"): "ListServerCommands",
    ("POST", "/api/servers/{serverId}/commands"): "IssueServerCommand",
    ("GET", "/api/servers/{serverId}/commands/queue"): "GetServerCommandQueue",
    ("POST", "/api/servers/{serverId}/commands/drain"): "DrainServerCommandQueue",
    ("POST", "/api/servers/{serverId}/reenroll"): "ReenrollServer",
    ("POST", "/api/servers/{serverId}/dwaar/config"): "PatchDwaarConfig",
    ("GET", "/api/servers/{serverId}/dwaar/revisions"): "ListDwaarConfigRevisions",
    ("POST", "/api/servers/{serverId}/dwaar/rollback"): "RollbackDwaarConfig",
    ("GET", "/api/servers/{serverId}/network"): "GetServerNetwork",
    ("GET", "/api/commands/{commandId}"): "GetCommand",
    ("POST", "/api/commands/{commandId}/cancel"): "CancelCommand",
    ("POST", "/api/projects"): "createProject",
    ("GET", "/api/projects"): "listProjects",
    ("GET", "/api/projects/{projectId}"): "getProject",
    ("PATCH", "/api/projects/{projectId}"): "updateProject",
    ("DELETE", "/api/projects/{projectId}"): "deleteProject",
    ("POST", "/api/apps"): "createApp",
    ("GET", "/api/apps"): "listApps",
    ("GET", "/api/apps/{appId}"): "getApp",
    ("PATCH", "/api/apps/{appId}"): "updateApp",
    ("DELETE", "/api/apps/{appId}"): "deleteApp",
    ("GET", "/api/apps/{appId}/environments"): "listEnvironments",
    ("POST", "/api/apps/{appId}/environments"): "createEnvironment",
    ("DELETE", "/api/apps/{appId}/environments/{envName}"): "deleteEnvironment",
    ("GET", "/api/apps/{appId}/env"): "listEnvVars",
    ("PUT", "/api/apps/{appId}/env"): "putEnvVars",
    ("POST", "/api/apps/{appId}/env/clone"): "cloneEnvVars",
    ("PATCH", "/api/apps/{appId}/env/{key}"): "updateEnvVar",
    ("DELETE", "/api/apps/{appId}/env/{key}"): "deleteEnvVar",
    ("POST", "/api/apps/{appId}/env/{key}/reveal"): "revealEnvVar",
    ("GET", "/api/servers/{serverId}/placement"): "getServerPlacement",
    ("PUT", "/api/servers/{serverId}/labels"): "setServerLabels",
    ("POST", "/api/servers/{serverId}/cordon"): "cordonServer",
    ("POST", "/api/servers/{serverId}/uncordon"): "uncordonServer",
    ("POST", "/api/servers/{serverId}/drain"): "drainServer",
    ("POST", "/api/servers/{serverId}/undrain"): "undrainServer",
    ("POST", "/api/servers/{serverId}/pool"): "assignServerPool",
    ("POST", "/api/pools"): "createPool",
    ("GET", "/api/pools"): "listPools",
    ("DELETE", "/api/pools/{poolId}"): "deletePool",
    ("GET", "/api/changes"): "listChanges",
    ("POST", "/api/apps/{appId}/deployments"): "createDeployment",
    ("GET", "/api/apps/{appId}/deployments"): "listDeployments",
    ("PUT", "/api/apps/{appId}/environments/{envName}/approval"): "setEnvironmentApproval",
    ("GET", "/api/deployments/{deploymentId}"): "getDeployment",
    ("GET", "/api/deployments/{deploymentId}/events"): "deploymentEvents",
    ("POST", "/api/deployments/{deploymentId}/cancel"): "cancelDeployment",
    ("POST", "/api/deployments/{deploymentId}/rollback"): "rollbackDeployment",
    ("POST", "/api/deployments/{deploymentId}/approve"): "approveDeployment",
    ("POST", "/api/deployments/{deploymentId}/reject"): "rejectDeployment",
    ("POST", "/api/apps/{appId}/hooks"): "createDeployHook",
    ("GET", "/api/apps/{appId}/hooks"): "listDeployHooks",
    ("DELETE", "/api/apps/{appId}/hooks/{hookId}"): "deleteDeployHook",
    ("POST", "/api/hooks/{token}"): "triggerDeployHook",
    ("GET", "/api/apps/{appId}/domains"): "listDomains",
    ("POST", "/api/apps/{appId}/domains"): "createDomain",
    ("GET", "/api/apps/{appId}/domains/{domainId}"): "getDomain",
    ("DELETE", "/api/apps/{appId}/domains/{domainId}"): "deleteDomain",
    ("POST", "/api/servers/{serverId}/dwaar/reconcile"): "ReconcileDwaar",
    ("GET", "/api/servers/{serverId}/routes/diff"): "GetRouteDiff",
    ("GET", "/health"): "Health",
    ("GET", "/readyz"): "Ready",
    ("GET", "/api/version"): "GetVersion",
    ("POST", "/api/{projectId}/envelope"): "sentryEnvelope",
    ("POST", "/api/{projectId}/store"): "sentryStore",
    ("POST", "/api/errors/ingest"): "ingestError",
    ("POST", "/api/errors/dsns"): "createDsn",
    ("GET", "/api/errors/dsns"): "listDsns",
    ("DELETE", "/api/errors/dsns/{dsnId}"): "deleteDsn",
    ("GET", "/api/errors/groups"): "listErrorGroups",
    ("GET", "/api/errors/groups/{groupId}"): "getErrorGroup",
    ("GET", "/api/errors/groups/{groupId}/events"): "listErrorEvents",
    ("PATCH", "/api/errors/groups/{groupId}"): "updateErrorGroup",
    ("POST", "/api/errors/groups/{groupId}/resolve"): "resolveErrorGroup",
    ("POST", "/api/errors/groups/{groupId}/ignore"): "ignoreErrorGroup",
    ("POST", "/api/errors/sourcemaps"): "uploadSourceMap",
    ("GET", "/api/errors/sourcemaps"): "listSourceMaps",
    ("DELETE", "/api/errors/sourcemaps/{sourceMapId}"): "deleteSourceMap",
}


async def test_bad_json_missing_fields_and_wrong_types_are_400_naming_the_field(api) -> None:
    malformed = await api.client.post(
        "/api/auth/login", content=b'{"email": ', headers={"Content-Type": "application/json"}
    )
    assert (malformed.status_code, malformed.json()) == (400, {"error": "invalid JSON body"})
    missing = await api.client.post("/api/auth/login", json={"email": "a@example.com"})
    assert (missing.status_code, missing.json()) == (400, {"error": "password is required"})
    empty = await api.client.post("/api/auth/reset-password", json={"token": "t", "newPassword": ""})
    assert (empty.status_code, empty.json()) == (400, {"error": "newPassword is required"})
    wrong = await api.client.post("/api/auth/login", json={"email": 42, "password": "x"})
    assert (wrong.status_code, wrong.json()) == (400, {"error": "email must be a string"})
    not_object = await api.client.post("/api/auth/login", json=["a"])
    assert (not_object.status_code, not_object.json()) == (
        400,
        {"error": "request body must be a JSON object"},
    )
    too_big = await api.client.post(
        "/api/auth/login", content=b" " * (2 * 1024 * 1024), headers={"Content-Type": "application/json"}
    )
    assert too_big.status_code == 413
    assert set(too_big.json()) == {"error"}


async def test_unknown_fields_are_ignored(api) -> None:
    session = await api.register("extra")
    response = await api.client.post(
        "/api/auth/login", json={"email": session.email, "password": api.PASSWORD, "rememberMe": True}
    )
    assert response.status_code == 200


async def test_every_response_carries_request_id_and_api_version(api) -> None:
    ok = await api.client.get("/health", headers={"X-Request-ID": "trace-123.A_b"})
    assert (ok.status_code, ok.json()) == (200, {"status": "ok"})
    assert ok.headers["X-Request-ID"] == "trace-123.A_b"
    assert ok.headers["X-API-Version"] == "1.00"

    for response in (
        await api.client.get("/api/auth/me"),
        await api.client.get("/no/such/route"),
        await api.client.delete("/health"),
        await api.client.post("/api/auth/login", json={}),
    ):
        assert response.headers["X-API-Version"] == "1.00"
        assert 8 <= len(response.headers["X-Request-ID"]) <= 128
        assert set(response.json()) == {"error"}
    assert (await api.client.get("/no/such/route")).json() == {"error": "not found"}

    hostile = await api.client.get("/health", headers={"X-Request-ID": "x" * 129})
    assert hostile.headers["X-Request-ID"] != "x" * 129
    injected = await api.client.get("/health", headers={"X-Request-ID": "a b<script>"})
    assert injected.headers["X-Request-ID"].isalnum()


async def test_cors_allows_the_tenant_header_and_exposes_ours(api) -> None:
    preflight = await api.client.options(
        "/api/auth/me",
        headers={
            "Origin": "http://app.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "Authorization, X-Tenant-ID",
        },
    )
    assert preflight.status_code in (200, 204)
    allowed = preflight.headers["Access-Control-Allow-Headers"].lower()
    assert {"authorization", "content-type", "x-tenant-id"} <= {h.strip() for h in allowed.split(",")}
    actual = await api.client.get("/health", headers={"Origin": "http://app.example"})
    exposed = {h.strip().lower() for h in actual.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"x-request-id", "x-api-version"} <= exposed


async def test_auth_routes_are_rate_limited_per_client_ip(
    identity_addr, redis_url, principal_key, serve_gateway
) -> None:
    settings = Settings(
        identity_addr=identity_addr,
        redis_url=redis_url,
        principal_key=principal_key,
        trust_proxy=True,
        auth_rate_limit_per_minute=3,
    )
    ip = f"198.51.100.{uuid.uuid4().int % 250}-{uuid.uuid4().hex[:6]}"
    body = {"email": f"nobody-{uuid.uuid4().hex[:8]}@example.com", "password": "whatever-123"}
    async with serve_gateway(settings) as client:
        allowed = 0
        limited = None
        # A minute boundary may reset the window once, so give it room for two windows.
        for _ in range(2 * 3 + 1):
            response = await client.post("/api/auth/login", json=body, headers={"X-Forwarded-For": ip})
            if response.status_code == 429:
                limited = response
                break
            allowed += 1
        assert limited is not None
        assert limited.json() == {"error": "too many requests"}
        assert 1 <= int(limited.headers["Retry-After"]) <= 61
        assert allowed >= 3
        other = await client.post("/api/auth/login", json=body, headers={"X-Forwarded-For": ip + "-other"})
        assert other.status_code != 429


async def test_readyz_follows_identity_health(api, redis_url, principal_key, serve_gateway) -> None:
    ready = await api.client.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ok"})
    dead = Settings(
        identity_addr=f"127.0.0.1:{free_port()}", redis_url=redis_url, principal_key=principal_key
    )
    async with serve_gateway(dead) as client:
        down = await client.get("/readyz")
        assert (down.status_code, down.json()) == (503, {"error": "identity unavailable"})
        # An API key needs identity to resolve it; with identity down the caller learns it is temporary.
        keyed = await client.get("/api/tenant/members", headers={"Authorization": "Bearer lsk_whatever"})
        assert (keyed.status_code, keyed.json()) == (503, {"error": "service unavailable"})


async def test_version_route(api) -> None:
    response = await api.client.get("/api/version")
    assert response.status_code == 200
    assert response.json()["version"] == "1.00"
    assert isinstance(response.json()["copyright"], str)


async def test_openapi_lists_every_route_with_its_seed_description(api) -> None:
    document = (await api.client.get("/api/docs/openapi.json")).json()
    found = {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert {key: op["operationId"] for key, op in found.items()} == EXPECTED_OPERATIONS
    assert all(op.get("description") for op in found.values())
    assert found[("POST", "/api/auth/login")]["description"] == (
        "Authenticates a user with email and password. Returns JWT access and refresh tokens. "
        "Account is locked for 15 minutes after 5 consecutive failed attempts."
    )
    assert found[("DELETE", "/api/admin/api-keys/{keyId}")]["description"] == (
        "Soft-deletes an API key. The key immediately stops working for authentication. "
        "This cannot be undone."
    )
    page = await api.client.get("/api/docs")
    assert page.status_code == 200
    assert "text/html" in page.headers["Content-Type"]
