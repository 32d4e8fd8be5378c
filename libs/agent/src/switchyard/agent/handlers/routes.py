"""ROUTE_ADD, ROUTE_REMOVE and ROUTE_LIST over route files in the routes dir (Dwaar's ``apps`` folder).

One file per domain, named as the real agent names them: ``<domain>.dwaar`` for a plain reverse proxy,
``route-<domain>.dwaar`` when a path prefix or analytics is set; a wildcard ``*.x`` is stored as
``wildcard.x``. The files are the source of truth here (the real agent also calls Dwaar's admin API);
after a change Dwaar is reloaded when it is installed.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
from pathlib import Path
from typing import Any

from switchyard.agent.context import HandlerContext
from switchyard.agent.frames import Outcome, Progress
from switchyard.agent.handlers.dwaar import atomic_write, run_command
from switchyard.agent.payload import PayloadError, get_bool, get_int, get_str, parse_object

ROUTE_ADD_KEYS = ("domain", "upstream_host", "upstream_port", "path_prefix", "analytics_enabled")
SOURCE = "switchyard-agent"
_BAD_DOMAIN = re.compile(r"[\x00-\x20/\\\"']")
_BAD_HOST = re.compile(r"[\x00-\x20\\\"']")
_BAD_PREFIX = re.compile(r"[\x00-\x20{}\"'\\*]")
_REVERSE_PROXY = re.compile(r"reverse_proxy\s+(\S+)")
_HANDLE = re.compile(r"handle\s+(\S+?)/\*")


def _domain(obj: dict[str, Any]) -> str:
    domain = get_str(obj, "domain", required=True)
    if _BAD_DOMAIN.search(domain):
        raise PayloadError("invalid domain")
    return domain


def file_stem(domain: str) -> str:
    """The file-name form of a domain (``*.x`` -> ``wildcard.x``)."""
    return f"wildcard.{domain[2:]}" if domain.startswith("*.") else domain


def route_paths(routes_dir: Path, domain: str) -> tuple[Path, Path]:
    """(plain route file, snippet route file) for ``domain``."""
    stem = file_stem(domain)
    return routes_dir / f"{stem}.dwaar", routes_dir / f"route-{stem}.dwaar"


def render(domain: str, upstream: str, path_prefix: str, analytics: bool) -> tuple[str, bool]:
    """The route file text and whether it is a snippet (path prefix or analytics)."""
    if not path_prefix and not analytics:
        return f"# App: {domain}  (source={SOURCE})\n{domain} {{\n    reverse_proxy {upstream}\n}}\n", False
    body = [f"# Managed by {SOURCE}. DO NOT EDIT.", f"{domain} {{"]
    if path_prefix:
        body += [f"    handle {path_prefix}/* {{", f"        reverse_proxy {upstream}", "    }"]
    else:
        body.append(f"    reverse_proxy {upstream}")
    if analytics:
        body.append("    analytics on")
    return "\n".join([*body, "}", ""]), True


def _is_literal(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _upstream(ctx: HandlerContext, host: str, port: int) -> str | None:
    if _is_literal(host):
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    # A container name: with the process driver, apps listen on loopback.
    if host in ctx.driver.apps():
        return f"127.0.0.1:{port}"
    return None


async def reload_dwaar() -> str:
    """Reload Dwaar when its binary is present; returns a note for the answer ("" when reloaded)."""
    if not shutil.which("dwaar"):
        return "dwaar not installed; route files written only"
    code, out = await run_command("dwaar", "reload", limit=10)
    return "" if code == 0 else f"dwaar reload failed: {out}"


async def handle_route_add(ctx: HandlerContext, payload: bytes, progress: Progress) -> Outcome:
    """ROUTE_ADD: write the route file for ``domain`` (unknown payload keys are rejected)."""
    obj = parse_object(payload, allowed=ROUTE_ADD_KEYS)
    domain = _domain(obj)
    host = get_str(obj, "upstream_host", required=True)
    if _BAD_HOST.search(host):
        raise PayloadError("invalid upstream_host")
    port = get_int(obj, "upstream_port", default=0, low=0, high=65535)
    if port == 0:
        raise PayloadError("upstream_port is required")
    prefix = get_str(obj, "path_prefix")
    if prefix == "/":
        raise PayloadError("path_prefix / is not allowed; omit it for root routing")
    if prefix and (not prefix.startswith("/") or _BAD_PREFIX.search(prefix)):
        raise PayloadError("invalid path_prefix")
    upstream = _upstream(ctx, host, port)
    if upstream is None:
        return Outcome.failed(f"resolve upstream container {host!r}: no such app on this server")
    text, snippet = render(domain, upstream, prefix, get_bool(obj, "analytics_enabled"))
    plain_path, snippet_path = route_paths(ctx.config.routes_dir, domain)
    ctx.config.routes_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(snippet_path if snippet else plain_path, text)
    (plain_path if snippet else snippet_path).unlink(missing_ok=True)
    note = await reload_dwaar()
    if note:
        await progress.line(note)
    kind = "route snippet added" if snippet else "route added"
    return Outcome.completed(f"{kind}: {domain} -> {upstream}")


async def handle_route_remove(ctx: HandlerContext, payload: bytes, progress: Progress) -> Outcome:
    """ROUTE_REMOVE: delete both route files of ``domain``."""
    domain = _domain(parse_object(payload))
    removed = False
    for path in route_paths(ctx.config.routes_dir, domain):
        if path.exists():
            path.unlink()
            removed = True
    note = await reload_dwaar()
    if note:
        await progress.line(note)
    return Outcome.completed(f"route removed: {domain}" if removed else "route not found (already removed)")


def read_routes(routes_dir: Path) -> list[dict[str, Any]]:
    """Parse every route file back into its domain, upstream, path prefix and analytics flag."""
    routes: list[dict[str, Any]] = []
    if not routes_dir.is_dir():
        return routes
    for path in sorted(routes_dir.glob("*.dwaar")):
        text = path.read_text(encoding="utf-8", errors="replace")
        code = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
        if not code or not code[0].rstrip().endswith("{"):
            continue
        upstream = _REVERSE_PROXY.search(text)
        handle = _HANDLE.search(text)
        routes.append(
            {
                "domain": code[0].rstrip()[:-1].strip(),
                "upstream": upstream.group(1) if upstream else "",
                "tls": True,
                "source": SOURCE,
                "path_prefix": handle.group(1) if handle else "",
                "analytics_enabled": any(line.strip() == "analytics on" for line in code),
                "file": path.name,
            }
        )
    return routes


async def handle_route_list(ctx: HandlerContext, payload: bytes, progress: Progress) -> Outcome:
    """ROUTE_LIST: the routes as a JSON array, shaped like Dwaar's ``GET /routes``."""
    return Outcome.completed_json(read_routes(ctx.config.routes_dir))
