"""Request ids: echo a sane incoming ``X-Request-ID`` or mint one, and stamp every response.

The id and the API version are added in a ``before_send`` hook, which Litestar runs for every response
it sends (handlers, exception handlers, 404/405 from the router), so no response can miss them.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from litestar.types import Message, Scope

REQUEST_ID_HEADER = "X-Request-ID"
API_VERSION_HEADER = "X-API-Version"
_SANE = re.compile(r"[A-Za-z0-9._-]{1,128}")
_SCOPE_KEY = "switchyard_request_id"


def sanitize_request_id(value: str | None) -> str:
    """Return ``value`` when it is a sane request id, else a fresh one.

    Args:
        value: The incoming ``X-Request-ID`` header, if any.

    Returns:
        At most 128 characters of ``[A-Za-z0-9._-]``; anything else is replaced so a caller cannot
        inject text into our logs or the downstream metadata.
    """
    if value is not None and _SANE.fullmatch(value):
        return value
    return uuid.uuid4().hex


def request_id_of(scope: Scope) -> str:
    """The request id of ``scope``, computed once and remembered in the scope."""
    cached = scope.get(_SCOPE_KEY)
    if isinstance(cached, str):
        return cached
    incoming: str | None = None
    for name, value in scope.get("headers", ()):
        if name.lower() == b"x-request-id":
            incoming = value.decode("latin-1")
            break
    request_id = sanitize_request_id(incoming)
    scope[_SCOPE_KEY] = request_id  # type: ignore[literal-required]
    return request_id


def make_before_send(api_version: str) -> Callable[[Message, Scope], Awaitable[None]]:
    """Build the hook that adds ``X-Request-ID`` and ``X-API-Version`` to every response start."""
    version = api_version.encode("latin-1")

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers: list[Any] = [
            (name, value)
            for name, value in message.get("headers", ())
            if name.lower() not in (b"x-request-id", b"x-api-version")
        ]
        headers.append((b"x-request-id", request_id_of(scope).encode("latin-1")))
        headers.append((b"x-api-version", version))
        message["headers"] = headers

    return before_send
