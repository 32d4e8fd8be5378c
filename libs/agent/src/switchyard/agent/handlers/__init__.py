"""The handler table: which command types this agent really implements.

Every other valid type answers the real agent's ``unsupported_command_type`` failure (see dispatch).
"""

from __future__ import annotations

from switchyard.agent.context import Handler
from switchyard.agent.handlers.apps import handle_app_deploy, handle_app_rollback, handle_app_stop
from switchyard.agent.handlers.dwaar import handle_dwaar_config_patch
from switchyard.agent.handlers.introspection import handle_agent_logs, handle_agent_ping, handle_agent_status
from switchyard.agent.handlers.lifecycle import handle_reenroll, handle_restart_self
from switchyard.agent.handlers.network import handle_network_inspect
from switchyard.agent.handlers.reconcile import handle_dwaar_reconcile
from switchyard.agent.handlers.routes import handle_route_add, handle_route_list, handle_route_remove

from agent.v1 import agent_pb2

CT = agent_pb2.CommandType

HANDLERS: dict[int, Handler] = {
    CT.COMMAND_TYPE_AGENT_PING: handle_agent_ping,
    CT.COMMAND_TYPE_AGENT_STATUS: handle_agent_status,
    CT.COMMAND_TYPE_AGENT_LOGS: handle_agent_logs,
    CT.COMMAND_TYPE_RESTART_SELF: handle_restart_self,
    CT.COMMAND_TYPE_AGENT_RECONNECT: handle_restart_self,
    CT.COMMAND_TYPE_REENROLL: handle_reenroll,
    CT.COMMAND_TYPE_DWAAR_CONFIG_PATCH: handle_dwaar_config_patch,
    CT.COMMAND_TYPE_ROUTE_ADD: handle_route_add,
    CT.COMMAND_TYPE_ROUTE_REMOVE: handle_route_remove,
    CT.COMMAND_TYPE_ROUTE_LIST: handle_route_list,
    CT.COMMAND_TYPE_DWAAR_RECONCILE: handle_dwaar_reconcile,
    CT.COMMAND_TYPE_NETWORK_INSPECT: handle_network_inspect,
    CT.COMMAND_TYPE_APP_DEPLOY: handle_app_deploy,
    CT.COMMAND_TYPE_APP_STOP: handle_app_stop,
    CT.COMMAND_TYPE_APP_ROLLBACK: handle_app_rollback,
}

__all__ = ["HANDLERS"]
