"""``just up``: the stack, migrations, every gRPC service and the gateway; Ctrl-C stops everything it started.

Ports come from ``GATEWAY_PORT`` (8000), ``IDENTITY_GRPC_PORT`` (50051), ``WORKERS_GRPC_PORT`` (50052),
``MUTATIONS_GRPC_PORT`` (50053), ``DEPLOY_GRPC_PORT`` (50054), ``AGENTS_GRPC_PORT`` (50055),
``INGEST_GRPC_PORT`` (50056) and ``AGENTS_AGENT_GRPC_PORT`` (9090, the public agent.v1 port agents
dial; ``AGENTS_AGENT_GRPC_HOST`` / ``AGENTS_AGENT_GRPC_ADDRESS`` open it to a real agent on another
machine). With ``DATABASE_URL``, ``REDIS_URL`` and ``NATS_URL`` set those servers are used instead of the
embedded ones; with ``IDENTITY_SMTP_HOST`` set that relay is used instead of the local mail sink.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import FrameType

from switchyard.stack._children import Child, grpc_serving, http_ok, spawn, stop_children, wait_healthy
from switchyard.stack._lease import acquire_stack, release_stack
from switchyard.stack._mailsink import MailDirSink
from switchyard.stack._migrate import SERVICES, migrate_all, service_env
from switchyard.stack._paths import StackPaths, find_project_root
from switchyard.stack._proc import LOOPBACK
from switchyard.stack._secrets import DevSecrets, load_or_create_secrets
from switchyard.stack._urls import StackUrls, urls_from_env

READY_LINE = "ready: Switchyard is up (Ctrl-C stops it)"
HEALTH_TIMEOUT = 60.0
# Default gRPC port per service (``<SVC>_GRPC_PORT`` overrides); the order in SERVICES is the start order.
GRPC_PORTS = {
    "identity": 50051,
    "workers": 50052,
    "mutations": 50053,
    "agents": 50055,
    "deploy": 50054,
    "ingest": 50056,
}
# The one public gRPC port besides them: agent.v1, which agents on customer servers dial (served by agents).
AGENT_PORT = 9090
# Who calls whom: the env var a caller reads to find each service (``host:port``).
ADDR_VARS = {
    "identity": ("GATEWAY_IDENTITY_ADDR",),
    "workers": ("GATEWAY_WORKERS_ADDR", "MUTATIONS_WORKERS_ADDR"),
    "mutations": ("GATEWAY_MUTATIONS_ADDR",),
    "agents": ("GATEWAY_AGENTS_ADDR", "DEPLOY_AGENTS_ADDR"),
    "deploy": ("GATEWAY_DEPLOY_ADDR",),
    "ingest": ("GATEWAY_INGEST_ADDR",),
}


def _grpc_ports() -> dict[str, int]:
    return {name: int(os.environ.get(f"{name.upper()}_GRPC_PORT", port)) for name, port in GRPC_PORTS.items()}


class _Shutdown(BaseException):
    """Raised from the signal handler so a stop request interrupts whatever phase is running."""


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    # Later signals are ignored: the cleanup already under way has its own timeouts.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise _Shutdown(signum)


@dataclass
class _Up:
    paths: StackPaths
    gateway_port: int = field(default_factory=lambda: int(os.environ.get("GATEWAY_PORT", "8000")))
    grpc_ports: dict[str, int] = field(default_factory=_grpc_ports)
    agent_port: int = field(default_factory=lambda: int(os.environ.get("AGENTS_AGENT_GRPC_PORT", AGENT_PORT)))
    services: tuple[str, ...] = SERVICES
    holds_lease: bool = False
    children: list[Child] = field(default_factory=list)
    mail: MailDirSink | None = None

    @property
    def gateway_url(self) -> str:
        return f"http://{LOOPBACK}:{self.gateway_port}"

    @property
    def agent_address(self) -> str:
        """Where a local agent dials agent.v1 (unless ``AGENTS_AGENT_GRPC_ADDRESS`` says otherwise)."""
        return os.environ.get("AGENTS_AGENT_GRPC_ADDRESS") or f"{LOOPBACK}:{self.agent_port}"

    def servers(self) -> StackUrls:
        configured = urls_from_env()
        if configured is not None:
            return configured
        result = acquire_stack(self.paths)
        self.holds_lease = True
        return result.urls

    def service_env(self, urls: StackUrls, dev: DevSecrets) -> dict[str, str]:
        env: dict[str, str] = service_env(urls)
        env.setdefault("SWITCHYARD_PRINCIPAL_KEY", dev.principal_key)
        env.setdefault("IDENTITY_ROOT_EMAIL", dev.root_email)
        env.setdefault("IDENTITY_ROOT_PASSWORD", dev.root_password)
        env.setdefault("IDENTITY_APP_URL", self.gateway_url)
        for name, port in self.grpc_ports.items():
            env[f"{name.upper()}_GRPC_HOST"] = LOOPBACK
            env[f"{name.upper()}_GRPC_PORT"] = str(port)
            env.update(dict.fromkeys(ADDR_VARS[name], f"{LOOPBACK}:{port}"))
        env.update(GATEWAY_HOST=LOOPBACK, GATEWAY_PORT=str(self.gateway_port))
        # Loopback unless the developer opens it (a real agent on a VM): host and advertised address.
        env["AGENTS_AGENT_GRPC_PORT"] = str(self.agent_port)
        env.setdefault("AGENTS_AGENT_GRPC_HOST", LOOPBACK)
        env["AGENTS_AGENT_GRPC_ADDRESS"] = self.agent_address
        if not env.get("IDENTITY_SMTP_HOST"):
            self.mail = MailDirSink(self.paths.mail)
            self.mail.start()
            env.update(IDENTITY_SMTP_HOST=self.mail.host, IDENTITY_SMTP_PORT=str(self.mail.port))
        return env

    def start(self) -> DevSecrets:
        self.paths.ensure()
        urls = self.servers()
        dev = load_or_create_secrets(self.paths.secrets_file)
        env = self.service_env(urls, dev)
        migrate_all(urls, services=self.services, extra_env=env)
        self.start_grpc_services(env)
        gateway = self.spawn("gateway", [sys.executable, "-m", "switchyard.gateway"], env)
        health = f"{self.gateway_url}/health"
        wait_healthy(gateway, lambda: http_ok(health), timeout=HEALTH_TIMEOUT, what="GET /health")
        return DevSecrets(
            principal_key=env["SWITCHYARD_PRINCIPAL_KEY"],
            root_email=env["IDENTITY_ROOT_EMAIL"],
            root_password=env["IDENTITY_ROOT_PASSWORD"],
        )

    def spawn(self, name: str, argv: list[str], env: dict[str, str]) -> Child:
        """Start one child with its log under ``logs/`` and remember it for ``stop``."""
        child = spawn(name, argv, env=env, log=self.paths.logs / f"{name}.log", cwd=_workdir())
        self.children.append(child)
        return child

    def start_grpc_services(self, env: dict[str, str]) -> None:
        """Start every gRPC service at once, then wait until each reports SERVING."""
        started = [self.spawn(name, _serve(name), env) for name in self.services]
        for child in started:
            address = f"{LOOPBACK}:{self.grpc_ports[child.name]}"
            wait_healthy(child, partial(grpc_serving, address), timeout=HEALTH_TIMEOUT, what="gRPC health")

    def banner(self, dev: DevSecrets) -> str:
        mail = (
            f"{self.paths.mail} (SMTP {self.mail.host}:{self.mail.port})"
            if self.mail
            else "IDENTITY_SMTP_HOST"
        )
        return "\n".join(
            [
                f"  gateway        {self.gateway_url}",
                f"  OpenAPI        {self.gateway_url}/api/docs",
                *(f"  {name + ' gRPC':<14} {LOOPBACK}:{self.grpc_ports[name]}" for name in self.services),
                *([f"  {'agent.v1':<14} {self.agent_address}"] if "agents" in self.services else []),
                # Printed on purpose: the developer asked for a local stack and needs to log in.
                f"  root owner     {dev.root_email} / {dev.root_password}",
                f"  mail           {mail}",
                f"  logs           {self.paths.logs}",
                READY_LINE,
            ]
        )

    def watch(self) -> int:
        """Block until a child exits on its own (returns 1); a signal interrupts with ``_Shutdown``."""
        while True:
            for child in self.children:
                code = child.process.poll()
                if code is not None:
                    print(f"{child.name} exited with {code}; see {child.log}", file=sys.stderr, flush=True)
                    return 1
            time.sleep(0.2)

    def stop(self) -> None:
        stop_children(self.children)
        if self.mail is not None:
            self.mail.stop()
        if self.holds_lease:
            release_stack(self.paths)


def _serve(service: str) -> list[str]:
    return [sys.executable, "-m", f"switchyard.{service}", "serve"]


def _workdir() -> Path:
    # Services run from the checkout when there is one; a bare SWITCHYARD_DATA_DIR run stays where it is.
    try:
        root: Path = find_project_root()
    except FileNotFoundError:
        root = Path.cwd()
    return root


def main() -> int:
    """Run until SIGINT/SIGTERM; returns 0 on a requested stop, 1 when something failed."""
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    up = _Up(paths=StackPaths.resolve())
    code = 1
    try:
        dev = up.start()
        print(up.banner(dev), flush=True)
        code = up.watch()
    except _Shutdown:
        code = 0
    except (RuntimeError, TimeoutError, subprocess.CalledProcessError) as exc:
        print(f"just up failed: {exc}", file=sys.stderr, flush=True)
    finally:
        print("stopping ...", file=sys.stderr, flush=True)
        up.stop()
        print("stopped", file=sys.stderr, flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
