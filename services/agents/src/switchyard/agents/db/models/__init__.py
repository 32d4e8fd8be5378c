"""Agents ORM models, one aggregate per file, re-exported here."""

from switchyard.agents.db.models._command import Command
from switchyard.agents.db.models._credentials import AgentSecret, BootstrapKey, RefreshToken
from switchyard.agents.db.models._dwaar_revision import DwaarRevision
from switchyard.agents.db.models._outbox import outbox
from switchyard.agents.db.models._server import Server
from switchyard.agents.db.models._server_routes import ServerRoutes

__all__ = [
    "AgentSecret",
    "BootstrapKey",
    "Command",
    "DwaarRevision",
    "RefreshToken",
    "Server",
    "ServerRoutes",
    "outbox",
]
