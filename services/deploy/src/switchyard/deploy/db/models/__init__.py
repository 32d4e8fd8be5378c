"""Deploy ORM models, one per file, re-exported here."""

from switchyard.deploy.db.models._app import App
from switchyard.deploy.db.models._change import Change
from switchyard.deploy.db.models._deploy_hook import DeployHook
from switchyard.deploy.db.models._deployment import Deployment
from switchyard.deploy.db.models._domain import Domain
from switchyard.deploy.db.models._env_reveal import EnvReveal
from switchyard.deploy.db.models._env_var import EnvVar
from switchyard.deploy.db.models._environment import Environment
from switchyard.deploy.db.models._outbox import outbox
from switchyard.deploy.db.models._pool import Pool
from switchyard.deploy.db.models._project import Project
from switchyard.deploy.db.models._route_version import RouteVersion
from switchyard.deploy.db.models._server import Server

__all__ = [
    "App",
    "Change",
    "DeployHook",
    "Deployment",
    "Domain",
    "EnvReveal",
    "EnvVar",
    "Environment",
    "Pool",
    "Project",
    "RouteVersion",
    "Server",
    "outbox",
]
