"""Read models and rules of apps and environments."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from switchyard.grpckit.errors import InvalidArgument

PRODUCTION = "production"
DEFAULT_PORT = 3000
DEFAULT_HEALTH_CHECK_PATH = "/"
PATH_MAX = 512
COMMAND_MAX = 4096
ENVIRONMENT_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


@dataclass(frozen=True, slots=True)
class AppView:
    """An app as stored."""

    id: str
    org_id: str
    project_id: str
    name: str
    slug: str
    server_id: str
    port: int
    health_check_path: str
    start_command: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class AppPatch:
    """The fields an update sets (None = unchanged)."""

    name: str | None = None
    slug: str | None = None
    server_id: str | None = None
    port: int | None = None
    health_check_path: str | None = None
    start_command: str | None = None


@dataclass(frozen=True, slots=True)
class EnvironmentView:
    """An environment as stored."""

    id: str
    org_id: str
    app_id: str
    name: str
    created_at: datetime
    requires_approval: bool = False


def port_of(port: int) -> int:
    """A TCP port (0 means the default 3000)."""
    if port == 0:
        return DEFAULT_PORT
    if not 1 <= port <= 65535:
        raise InvalidArgument("port must be between 1 and 65535")
    return port


def health_check_path_of(path: str) -> str:
    """An absolute HTTP path ("" means "/")."""
    if not path:
        return DEFAULT_HEALTH_CHECK_PATH
    if not path.startswith("/") or len(path) > PATH_MAX or any(ch.isspace() for ch in path):
        raise InvalidArgument(
            f"healthCheckPath must start with '/', have no spaces and be at most {PATH_MAX} characters"
        )
    return path


def start_command_of(command: str) -> str:
    """The process to run: at most 4096 characters, one line."""
    text = command.strip()
    if len(text) > COMMAND_MAX:
        raise InvalidArgument(f"startCommand must be at most {COMMAND_MAX} characters")
    if "\n" in text or "\r" in text or "\x00" in text:
        raise InvalidArgument("startCommand must be a single line")
    return text


def environment_name_of(name: str, field: str = "name") -> str:
    """An environment name: lowercase letters, digits and '-' ("" means "production")."""
    value = name.strip() or PRODUCTION
    if not ENVIRONMENT_NAME.match(value):
        raise InvalidArgument(f"{field} must be lowercase letters, digits and '-' (at most 63 characters)")
    return value
