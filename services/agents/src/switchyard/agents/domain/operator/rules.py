"""Pure rules of the operator actions: patch validation and inversion, install URLs, the deploy-net table."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from switchyard.agents.domain.operator.models import (
    REENROLL,
    AppRef,
    DwaarPatch,
    NetworkMember,
    NetworkTable,
)
from switchyard.grpckit.errors import InvalidArgument

# What the agent's DWAAR_CONFIG_PATCH handler accepts (the real agent's allow-list).
BLOCKS = ("analytics", "log_level", "rate_limit_default")
ACTIONS = ("upsert", "remove")
VALUE_MAX_BYTES = 4096
REVISIONS_DEFAULT = 20
REVISIONS_MAX = 100
URL_MAX = 2048
# Containers on deploy-net that belong to the platform itself, not to an app.
PLATFORM_PREFIXES = ("dwaar", "permanu-", "switchyard-")
REDACTED = "redacted"


def dwaar_patch(*, block: str, action: str, value: str) -> DwaarPatch:
    """A patch the agent will accept: an allow-listed block, upsert|remove, a one-line value for upsert."""
    if block not in BLOCKS:
        raise InvalidArgument(f"block must be one of: {', '.join(BLOCKS)}")
    if action not in ACTIONS:
        raise InvalidArgument("action must be upsert or remove")
    if action == "remove":
        return DwaarPatch(block=block, action=action)
    text = value.strip()
    if not text:
        raise InvalidArgument("value is required for upsert")
    if len(text.encode()) > VALUE_MAX_BYTES:
        raise InvalidArgument(f"value must be at most {VALUE_MAX_BYTES} bytes")
    if any(ch in text for ch in "\0\r\n"):
        raise InvalidArgument("value must be a single line")
    return DwaarPatch(block=block, action=action, value=text)


def inverse_of(patch: DwaarPatch, reply: Mapping[str, Any]) -> tuple[DwaarPatch | None, str]:
    """The patch that restores the block as it was before ``patch``, from the agent's reply.

    The reply's ``prev`` is the block's previous body; ``prev_present`` (sent by the reference agent)
    says whether the block existed. Without it an empty ``prev`` means the block was absent.

    Returns:
        (the inverse, "") or (None, why the revision cannot be inverted).
    """
    prev = reply.get("prev")
    if not isinstance(prev, str):
        return None, "the agent's reply has no previous block body"
    present = reply.get("prev_present")
    existed = present if isinstance(present, bool) else bool(prev.strip())
    if not existed:
        return DwaarPatch(block=patch.block, action="remove"), ""
    body = prev.strip()
    if not body:
        return None, "the previous block was empty, which a patch cannot write back"
    if "\n" in body or "\r" in body:
        return None, "the previous block spanned several lines, which a patch cannot write back"
    if len(body.encode()) > VALUE_MAX_BYTES:
        return None, f"the previous block is longer than {VALUE_MAX_BYTES} bytes"
    return DwaarPatch(block=patch.block, action="upsert", value=body), ""


def revision_limit(limit: int) -> int:
    """0 means 20; otherwise 1..100."""
    if limit == 0:
        return REVISIONS_DEFAULT
    if not 1 <= limit <= REVISIONS_MAX:
        raise InvalidArgument(f"limit must be between 1 and {REVISIONS_MAX}")
    return limit


def revision_id(value: str) -> str:
    """A non-empty revision id."""
    if not value.strip():
        raise InvalidArgument("revision_id is required")
    return value.strip()


def installer_url(value: str) -> str:
    """The install-script URL the gateway serves: absolute http(s), no query, no fragment."""
    text = value.strip()
    parts = urlsplit(text)
    if (
        not text
        or len(text) > URL_MAX
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or any(ch.isspace() or ord(ch) < 32 for ch in text)
    ):
        raise InvalidArgument("installer_url must be an absolute http(s) URL without a query")
    return text


def install_url(installer: str, *, token: str, server_id: str) -> str:
    """The one-shot installer URL; previous_server_id makes registration relink the server's row."""
    return f"{installer}?token={quote(token, safe='')}&previous_server_id={quote(server_id, safe='')}"


def paste_command(url: str) -> str:
    """What an operator pastes into the server's shell (the same run the agent does for REENROLL)."""
    return f"curl -fsSL {shlex.quote(url)} | PERMANU_FORCE_REENROLL=1 sh"


def _without_token(url: str) -> str:
    parts = urlsplit(url)
    query = "&".join(
        f"token={REDACTED}" if pair.split("=", 1)[0] == "token" else pair
        for pair in parts.query.split("&")
        if pair
    )
    return parts._replace(query=query).geturl()


def redacted_payload(type: int, payload: dict[str, Any]) -> dict[str, Any]:
    """A command payload as readers see it: a REENROLL's install token is a credential, so it is hidden."""
    url = payload.get("install_url")
    if type != REENROLL or not isinstance(url, str):
        return payload
    return {**payload, "install_url": _without_token(url)}


def _text(entry: Mapping[str, Any], key: str) -> str:
    value = entry.get(key, "")
    return value if isinstance(value, str) else ""


def _member(entry: Mapping[str, Any], apps: Mapping[str, AppRef]) -> NetworkMember:
    cid, name = _text(entry, "container_id"), _text(entry, "container_name")
    app = apps.get(name) or apps.get(cid)
    platform = name.startswith(PLATFORM_PREFIXES)
    return NetworkMember(
        container_id=cid,
        container_name=name,
        ipv4_address=_text(entry, "ipv4_address"),
        mac_address=_text(entry, "mac_address"),
        app=app,
        unexpected_on_deploy_net=app is None and not platform,
    )


def network_table(reply: Mapping[str, Any], apps: Mapping[str, AppRef], *, command_id: str) -> NetworkTable:
    """The agent's NETWORK_INSPECT reply joined with the app mapping, sorted by container name."""
    entries = reply.get("containers")
    members = [
        _member(entry, apps)
        for entry in (entries if isinstance(entries, list) else [])
        if isinstance(entry, dict)
    ]
    return NetworkTable(
        network_id=_text(reply, "network_id"),
        network_name=_text(reply, "network_name"),
        driver=_text(reply, "driver"),
        command_id=command_id,
        containers=sorted(members, key=lambda m: (m.container_name, m.container_id)),
        error=_text(reply, "error"),
    )
