"""DWAAR_RECONCILE: make the route files exactly the control plane's canonical set.

The routes come from the payload's ``routes`` when the control plane sends them, else from
``ListServerRoutes`` (what the real agent does; it ignores the payload). Every entry is checked before
any file is touched; then missing or different route files are written (each atomically), files of
domains outside the set are removed, and Dwaar is reloaded once, so it switches from the old set to the
new one in one step. An entry whose upstream cannot be resolved is reported in ``errors`` and, like any
domain outside the set, ends up without a route file. Answer: ``{routes_added, routes_skipped,
routes_removed, errors[{domain, app_id, reason}]}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from switchyard.agent.context import HandlerContext
from switchyard.agent.frames import Outcome, Progress
from switchyard.agent.handlers.dwaar import atomic_write
from switchyard.agent.handlers.routes import (
    _BAD_DOMAIN,
    _BAD_HOST,
    _upstream,
    reload_dwaar,
    render,
    route_paths,
)
from switchyard.agent.payload import PayloadError, get_bool, get_int, get_str, parse_object

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class _Wanted:
    domain: str
    app_id: str
    host: str
    port: int
    path_prefix: str = ""
    analytics: bool = False


def _from_payload(items: Any) -> list[_Wanted]:
    if not isinstance(items, list):
        raise PayloadError("routes must be a list")
    wanted: list[_Wanted] = []
    for item in items:
        if not isinstance(item, dict):
            raise PayloadError("each route must be an object")
        wanted.append(
            _Wanted(
                domain=get_str(item, "domain", required=True),
                app_id=get_str(item, "app_id"),
                host=get_str(item, "upstream_host") or LOOPBACK,
                port=get_int(item, "upstream_port", default=0, low=0, high=65535),
                path_prefix=get_str(item, "path_prefix"),
                analytics=get_bool(item, "analytics_enabled"),
            )
        )
    return wanted


async def _wanted(ctx: HandlerContext, payload: bytes) -> list[_Wanted]:
    obj = parse_object(payload)
    if "routes" in obj:
        return _from_payload(obj["routes"])
    if ctx.list_routes is None:
        raise PayloadError("no routes given and no control plane to ask")
    # ServerRoute has no host: a container name, or (process driver, no container) loopback.
    return [
        _Wanted(
            domain=r.domain,
            app_id=r.app_id,
            host=r.container_name or LOOPBACK,
            port=r.port,
            path_prefix=r.path_prefix,
            analytics=r.analytics_enabled,
        )
        for r in await ctx.list_routes()
    ]


def _plan(
    ctx: HandlerContext, wanted: list[_Wanted]
) -> tuple[dict[str, tuple[str, bool]], list[dict[str, str]]]:
    files: dict[str, tuple[str, bool]] = {}
    errors: list[dict[str, str]] = []
    for w in wanted:
        reason = ""
        upstream = None
        if _BAD_DOMAIN.search(w.domain) or not w.domain:
            reason = "invalid domain"
        elif _BAD_HOST.search(w.host) or w.port == 0:
            reason = "invalid upstream"
        else:
            upstream = _upstream(ctx, w.host, w.port)
            reason = "" if upstream else f"resolve upstream container {w.host!r}: no such app on this server"
        if upstream is None:
            errors.append({"domain": w.domain, "app_id": w.app_id, "reason": reason})
            continue
        files[w.domain] = render(w.domain, upstream, w.path_prefix, w.analytics)
    return files, errors


def _current(routes_dir: Path) -> dict[str, Path]:
    # Domain (from the file's first block line) -> file; a file that does not parse is left alone.
    found: dict[str, Path] = {}
    for path in sorted(routes_dir.glob("*.dwaar")) if routes_dir.is_dir() else []:
        lines = [
            line.strip()
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        ]
        if lines and lines[0].endswith("{"):
            found.setdefault(lines[0][:-1].strip(), path)
    return found


async def handle_dwaar_reconcile(ctx: HandlerContext, payload: bytes, progress: Progress) -> Outcome:
    """DWAAR_RECONCILE: replace the route files with the canonical set, then reload Dwaar once."""
    files, errors = _plan(ctx, await _wanted(ctx, payload))
    routes_dir = ctx.config.routes_dir
    routes_dir.mkdir(parents=True, exist_ok=True)
    current = _current(routes_dir)
    added = skipped = removed = 0
    for domain, (text, snippet) in sorted(files.items()):
        plain, snippet_path = route_paths(routes_dir, domain)
        target, other = (snippet_path, plain) if snippet else (plain, snippet_path)
        if target.exists() and target.read_text(encoding="utf-8") == text and not other.exists():
            skipped += 1
            continue
        atomic_write(target, text)
        other.unlink(missing_ok=True)
        added += 1
    for domain, path in current.items():
        if domain not in files and path.exists():
            path.unlink()
            removed += 1
    if added or removed:
        note = await reload_dwaar()
        if note:
            await progress.line(note)
    answer = {"routes_added": added, "routes_skipped": skipped, "routes_removed": removed, "errors": errors}
    return Outcome.completed_json(answer)
