"""DWAAR_CONFIG_PATCH: rewrite one allow-listed block of the Dwaarfile atomically, keeping 5 backups.

A block is ``name { body }``; it is looked for inside the global options block (a ``{ ... }`` with no
head) when the file has one, else at the top level. Upsert writes the block as one line, replacing the
old one in place or adding it at the end of the global block (or the file); remove deletes it.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from switchyard.agent.context import HandlerContext
from switchyard.agent.frames import Outcome, Progress
from switchyard.agent.payload import PayloadError, get_str, parse_object

BLOCKS = frozenset({"analytics", "log_level", "rate_limit_default"})
BACKUPS_KEPT = 5
MAX_VALUE_BYTES = 4096


@dataclass(frozen=True)
class Patch:
    """A parsed DWAAR_CONFIG_PATCH payload."""

    block: str
    action: str
    value: str


def parse_patch(payload: bytes) -> Patch:
    """Validate block (allow-list), action (upsert|remove) and the single-line value.

    Raises:
        PayloadError: Any field is not acceptable.
    """
    obj = parse_object(payload)
    block = get_str(obj, "block")
    if block not in BLOCKS:
        raise PayloadError(f"block {block!r} not in allowlist")
    action = get_str(obj, "action")
    if action not in ("upsert", "remove"):
        raise PayloadError(f"action {action!r} must be upsert|remove")
    value = get_str(obj, "value")
    if action == "upsert":
        if not value:
            raise PayloadError("value is required for upsert")
        if len(value.encode()) > MAX_VALUE_BYTES:
            raise PayloadError(f"value exceeds {MAX_VALUE_BYTES} bytes")
        if any(ch in value for ch in "\0\r\n"):
            raise PayloadError("value must be a single line")
    return Patch(block, action, value)


def _code(line: str) -> str:
    return line.split("#", 1)[0]


def _global_block(lines: list[str]) -> tuple[int, int] | None:
    depth, start = 0, None
    for idx, raw in enumerate(lines):
        code = _code(raw)
        if depth == 0 and start is None and "{" in code and not code.split("{", 1)[0].strip():
            start = idx
        depth += code.count("{") - code.count("}")
        if start is not None and depth == 0:
            return start, idx
    return None


def find_block(lines: list[str], name: str) -> tuple[int, int] | None:
    """Line span (inclusive) of block ``name`` at the configurable depth, or None."""
    span = _global_block(lines)
    level, lo, hi = (1, span[0] + 1, span[1] - 1) if span else (0, 0, len(lines) - 1)
    depth, start = 0, None
    for idx, raw in enumerate(lines):
        code = _code(raw)
        head = code.split("{", 1)[0].strip()
        if start is None and depth == level and lo <= idx <= hi and "{" in code and head == name:
            start = idx
        depth += code.count("{") - code.count("}")
        if start is not None and depth == level:
            return start, idx
    return None


def block_body(lines: list[str], span: tuple[int, int] | None) -> str:
    """The text between the block's braces, trimmed ("" when absent)."""
    if span is None:
        return ""
    start, end = span
    if start == end:
        code = lines[start]
        return code[code.find("{") + 1 : code.rfind("}")].strip()
    return "\n".join(lines[start + 1 : end]).strip()


def apply_patch(content: str, patch: Patch) -> tuple[str, str, str]:
    """Patch the Dwaarfile text.

    Returns:
        (new content, previous body, new body).
    """
    lines = content.split("\n")
    span = find_block(lines, patch.block)
    prev = block_body(lines, span)
    if patch.action == "remove":
        if span is not None:
            del lines[span[0] : span[1] + 1]
        return "\n".join(lines), prev, ""
    new_line = f"{patch.block} {{ {patch.value} }}"
    if span is not None:
        indent = lines[span[0]][: len(lines[span[0]]) - len(lines[span[0]].lstrip())]
        lines[span[0] : span[1] + 1] = [indent + new_line]
    else:
        glob = _global_block(lines)
        at = glob[1] if glob else len(lines)
        while glob is None and at > 0 and not lines[at - 1].strip():
            at -= 1
        lines.insert(at, ("    " if glob else "") + new_line)
    return "\n".join(lines), prev, patch.value


def atomic_write(path: Path, content: str, mode: int = 0o644) -> None:
    """Write ``content`` to a temp file beside ``path``, fsync, then rename over it."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def backup(path: Path, keep: int = BACKUPS_KEPT) -> Path:
    """Copy ``path`` to ``<name>.bak.<ns>`` and delete all but the newest ``keep`` backups."""
    target = path.with_name(f"{path.name}.bak.{time.time_ns()}")
    shutil.copy2(path, target)
    backups = sorted(path.parent.glob(f"{path.name}.bak.*"), key=lambda p: int(p.name.rsplit(".", 1)[1]))
    for old in backups[:-keep]:
        old.unlink(missing_ok=True)
    return target


async def run_command(*argv: str, limit: float) -> tuple[int, str]:
    """Run a short command; returns (exit code, combined output), -1 on timeout."""
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), limit)
    except TimeoutError:
        proc.kill()
        return -1, "timed out"
    return proc.returncode or 0, out.decode(errors="replace").strip()


async def restart_dwaar() -> tuple[bool, str]:
    """Restart Dwaar via its systemd unit, else ``dwaar reload``.

    Returns:
        (restart_ok, why it is not ok — "" when ok).
    """
    if shutil.which("systemctl") and (await run_command("systemctl", "cat", "dwaar", limit=5))[0] == 0:
        code, out = await run_command("systemctl", "restart", "dwaar", limit=20)
        if code != 0:
            return False, f"systemctl restart dwaar: {out}"
        code, out = await run_command("systemctl", "is-active", "dwaar", limit=2)
        return (True, "") if code == 0 else (False, f"dwaar not active after restart: {out}")
    if shutil.which("dwaar"):
        code, out = await run_command("dwaar", "reload", limit=10)
        return (True, "") if code == 0 else (False, f"dwaar reload: {out}")
    return False, "no dwaar binary or systemd unit on this server; the Dwaarfile was patched but not applied"


async def handle_dwaar_config_patch(ctx: HandlerContext, payload: bytes, progress: Progress) -> Outcome:
    """DWAAR_CONFIG_PATCH: answer ``{block, action, prev, new, restart_ok, prev_present[, restart_error]}``.

    ``prev_present`` (beyond the real agent's reply, which control planes may ignore) tells an absent block
    from an empty one, so the control plane can invert the patch exactly: remove vs. upsert ``prev``.
    """
    patch = parse_patch(payload)
    path = ctx.config.dwaarfile
    try:
        current = path.read_text(encoding="utf-8")
    except OSError as exc:
        return Outcome.failed(f"read {path}: {exc}")
    present = find_block(current.split("\n"), patch.block) is not None
    content, prev, new = apply_patch(current, patch)
    try:
        backup(path)
        atomic_write(path, content)
    except OSError as exc:
        return Outcome.failed(f"write {path}: {exc}")
    restart_ok, why = await restart_dwaar()
    result: dict[str, object] = {
        "block": patch.block,
        "action": patch.action,
        "prev": prev,
        "new": new,
        "restart_ok": restart_ok,
        "prev_present": present,
    }
    if why:
        result["restart_error"] = why
    return Outcome.completed_json(result)
