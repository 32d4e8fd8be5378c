"""DWAAR_CONFIG_PATCH (atomic rewrite, 5 backups) and ROUTE_ADD/REMOVE/LIST over route files."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from switchyard.agent.context import HandlerContext
from switchyard.agent.handlers.dwaar import Patch, apply_patch, handle_dwaar_config_patch
from switchyard.agent.handlers.routes import handle_route_add, handle_route_list, handle_route_remove
from switchyard.agent.payload import PayloadError

pytestmark = pytest.mark.unit


def _route_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


DWAARFILE = """# global options
{
    email ops@example.com
    log_level { info }
    analytics {
        retention 30d
    }
}

example.com {
    reverse_proxy 127.0.0.1:3000
    log_level { debug }
}
"""


def test_patch_replaces_inserts_and_removes_blocks_in_the_global_options_only() -> None:
    content, prev, new = apply_patch(DWAARFILE, Patch("log_level", "upsert", "warn"))
    assert (prev, new) == ("info", "warn")
    assert "    log_level { debug }" in content  # the site block's own directive is untouched
    assert "\n    log_level { warn }\n" in content.split("\nexample.com {")[0]

    content, prev, _ = apply_patch(DWAARFILE, Patch("analytics", "remove", ""))
    assert prev == "retention 30d"
    assert "analytics" not in content
    assert "retention" not in content

    content, prev, new = apply_patch(DWAARFILE, Patch("rate_limit_default", "upsert", "100/s"))
    head = content.split("\nexample.com {")[0]
    assert (prev, new) == ("", "100/s")
    assert head.rstrip().endswith("    rate_limit_default { 100/s }\n}")

    content, prev, _ = apply_patch("site.test {\n}\n", Patch("log_level", "upsert", "error"))
    assert content == "site.test {\n}\nlog_level { error }\n"


async def test_patch_handler_writes_atomically_keeps_five_backups_and_says_why_no_restart(
    recorder: Any,
    ctx: HandlerContext,
) -> None:
    path = ctx.config.dwaarfile
    path.parent.mkdir(parents=True)
    path.write_text(DWAARFILE)
    # Holding the original open keeps its inode alive, so a new file can never reuse the number.
    original = path.open()
    inode_before = os.fstat(original.fileno()).st_ino
    rec = recorder
    for n in range(7):
        payload = json.dumps({"block": "log_level", "action": "upsert", "value": f"level{n}"}).encode()
        outcome = await handle_dwaar_config_patch(ctx, payload, rec.progress())
        assert outcome.status == "completed"
    result = json.loads(outcome.output)
    assert result["block"] == "log_level"
    assert result["action"] == "upsert"
    assert (result["prev"], result["new"], result["prev_present"]) == ("level5", "level6", True)
    assert result["restart_ok"] is False
    assert "no dwaar binary or systemd unit" in result["restart_error"]
    assert "log_level { level6 }" in path.read_text()
    assert path.stat().st_ino != inode_before  # replaced by rename, never rewritten in place
    assert original.read() == DWAARFILE  # a reader of the old file never sees a half-written one
    original.close()
    backups = sorted(path.parent.glob("Dwaarfile.bak.*"))
    assert len(backups) == 5
    assert (
        "log_level { level1 }" in sorted(backups, key=lambda p: int(p.name.rsplit(".", 1)[1]))[0].read_text()
    )
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)
    # An absent block answers prev_present false, so a control plane can tell it from an empty one.
    absent = json.dumps({"block": "rate_limit_default", "action": "remove"}).encode()
    removed = json.loads((await handle_dwaar_config_patch(ctx, absent, rec.progress())).output)
    assert (removed["prev"], removed["new"], removed["prev_present"]) == ("", "", False)


async def test_patch_payload_validation_and_missing_file(recorder: Any, ctx: HandlerContext) -> None:
    rec = recorder
    for payload, message in (
        ({"block": "tls", "action": "upsert", "value": "x"}, "not in allowlist"),
        ({"block": "log_level", "action": "replace", "value": "x"}, "must be upsert|remove"),
        ({"block": "log_level", "action": "upsert"}, "value is required"),
        ({"block": "log_level", "action": "upsert", "value": "a\\nb"}, None),
    ):
        raw = json.dumps(payload).encode().replace(b"\\\\n", b"\\n")
        with pytest.raises(PayloadError, match=message or "single line"):
            await handle_dwaar_config_patch(ctx, raw, rec.progress())
    missing = await handle_dwaar_config_patch(ctx, b'{"block":"log_level","action":"remove"}', rec.progress())
    assert missing.status == "failed"
    assert missing.output.decode().startswith(f"read {ctx.config.dwaarfile}")


async def test_routes_add_list_remove_with_wildcards_and_snippets(recorder: Any, ctx: HandlerContext) -> None:
    rec = recorder
    plain = await handle_route_add(
        ctx, b'{"domain":"shop.example","upstream_host":"127.0.0.1","upstream_port":8080}', rec.progress()
    )
    assert (plain.status, plain.output) == ("completed", b"route added: shop.example -> 127.0.0.1:8080")
    wild = await handle_route_add(
        ctx,
        b'{"domain":"*.apps.example","upstream_host":"localhost","upstream_port":9000,'
        b'"path_prefix":"/api","analytics_enabled":true}',
        rec.progress(),
    )
    assert wild.output == b"route snippet added: *.apps.example -> localhost:9000"
    files = sorted(p.name for p in ctx.config.routes_dir.iterdir())
    assert files == ["route-wildcard.apps.example.dwaar", "shop.example.dwaar"]
    assert "dwaar not installed" in rec.lines[0]

    listed = json.loads((await handle_route_list(ctx, b"", rec.progress())).output)
    by_domain = {r["domain"]: r for r in listed}
    assert by_domain["shop.example"]["upstream"] == "127.0.0.1:8080"
    assert by_domain["*.apps.example"]["path_prefix"] == "/api"
    assert by_domain["*.apps.example"]["analytics_enabled"] is True

    removed = await handle_route_remove(ctx, b'{"domain":"*.apps.example"}', rec.progress())
    assert removed.output == b"route removed: *.apps.example"
    again = await handle_route_remove(ctx, b'{"domain":"*.apps.example"}', rec.progress())
    assert again.output == b"route not found (already removed)"
    assert [r["domain"] for r in json.loads((await handle_route_list(ctx, b"", rec.progress())).output)] == [
        "shop.example"
    ]


async def test_route_add_rejects_unknown_keys_bad_values_and_unknown_containers(
    recorder: Any, ctx: HandlerContext
) -> None:
    rec = recorder
    for payload, message in (
        (
            b'{"domain":"a.example","upstream_host":"1.2.3.4","upstream_port":80,"tls":true}',
            "unknown field `tls`",
        ),
        (b'{"domain":"a b","upstream_host":"1.2.3.4","upstream_port":80}', "invalid domain"),
        (b'{"domain":"a.example","upstream_host":"1.2.3.4"}', "upstream_port is required"),
        (
            b'{"domain":"a.example","upstream_host":"1.2.3.4","upstream_port":80,"path_prefix":"/"}',
            "path_prefix /",
        ),
    ):
        with pytest.raises(PayloadError, match=message):
            await handle_route_add(ctx, payload, rec.progress())
    unknown = await handle_route_add(
        ctx, b'{"domain":"a.example","upstream_host":"deploy-app-x","upstream_port":80}', rec.progress()
    )
    assert unknown.status == "failed"
    assert "no such app on this server" in unknown.output.decode()
    assert _route_files(ctx.config.routes_dir) == []
