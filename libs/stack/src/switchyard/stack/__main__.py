"""``python -m switchyard.stack {up-servers,down,env,migrate,status}``."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys

from switchyard.stack._migrate import migrate_all
from switchyard.stack._paths import StackPaths
from switchyard.stack._secrets import load_or_create_secrets
from switchyard.stack._stack import running_urls, stack_status, start_stack, stop_stack
from switchyard.stack._urls import StackUrls, urls_from_env


def _configured_or_started() -> StackUrls:
    configured = urls_from_env()
    if configured is not None:
        return configured
    result = start_stack()
    if result.started:
        print(f"started: {', '.join(result.started)} (data in {result.paths.data})", file=sys.stderr)
    return result.urls


def _cmd_up_servers(_: argparse.Namespace) -> int:
    _print_env(_configured_or_started())
    return 0


def _cmd_down(_: argparse.Namespace) -> int:
    stopped = stop_stack()
    print(f"stopped: {', '.join(stopped) or 'nothing was running'}")
    return 0


def _cmd_env(_: argparse.Namespace) -> int:
    urls = urls_from_env() or running_urls()
    if urls is None:
        print("the embedded stack is not running: python -m switchyard.stack up-servers", file=sys.stderr)
        return 1
    _print_env(urls)
    return 0


def _cmd_migrate(_: argparse.Namespace) -> int:
    urls = _configured_or_started()
    # Services refuse to boot, even to migrate, without a principal key; reuse the one `just up` uses.
    key = (
        os.environ.get("SWITCHYARD_PRINCIPAL_KEY")
        or load_or_create_secrets(StackPaths.resolve().secrets_file).principal_key
    )
    try:
        migrate_all(urls, extra_env={"SWITCHYARD_PRINCIPAL_KEY": key})
    except subprocess.CalledProcessError as exc:
        print(f"migration failed: {shlex.join(map(str, exc.cmd))} exited {exc.returncode}", file=sys.stderr)
        return 1
    return 0


def _cmd_status(_: argparse.Namespace) -> int:
    paths = StackPaths.resolve()
    print(f"data: {paths.data}   postgres data: {paths.pg_data}")
    for line in stack_status(paths):
        state = f"running pid {line.pid}" if line.running else "stopped"
        print(f"{line.name:<9} 127.0.0.1:{line.port:<6} {state}")
    return 0


def _print_env(urls: StackUrls) -> None:
    for name, value in urls.as_env().items():
        print(f"export {name}={shlex.quote(value)}")


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one sub-command; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m switchyard.stack", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    commands = {
        "up-servers": (_cmd_up_servers, "start (or reuse) PostgreSQL, Valkey and NATS; print export lines"),
        "down": (_cmd_down, "stop the servers recorded in .data/stack.json"),
        "env": (_cmd_env, "print export lines for DATABASE_URL, REDIS_URL and NATS_URL"),
        "migrate": (_cmd_migrate, "apply every service's migrations (starts the servers if needed)"),
        "status": (_cmd_status, "show ports and whether each server runs"),
    }
    for name, (func, help_text) in commands.items():
        sub.add_parser(name, help=help_text).set_defaults(func=func)
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
