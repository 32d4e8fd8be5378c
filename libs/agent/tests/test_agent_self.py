"""AGENT_PING/STATUS/LOGS, RESTART_SELF, REENROLL, NETWORK_INSPECT and the config loader."""

from __future__ import annotations

import json
import platform
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from switchyard.agent.config import ConfigError, load_config
from switchyard.agent.context import HandlerContext
from switchyard.agent.handlers.introspection import handle_agent_logs, handle_agent_ping, handle_agent_status
from switchyard.agent.handlers.lifecycle import REDACTED_LINE, handle_reenroll, handle_restart_self
from switchyard.agent.handlers.network import handle_network_inspect
from switchyard.agent.payload import PayloadError

pytestmark = pytest.mark.unit

SCRIPT = b"""#!/bin/sh
echo "forced=$PERMANU_FORCE_REENROLL"
echo "secret abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN0123456789"
echo "secret-in-env=${AGENT_SECRET:-absent}"
exit ${EXIT_CODE:-0}
"""


@pytest.fixture
def installer() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server handing out the installer script; records the request paths."""
    paths: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            paths.append(self.path)
            body = SCRIPT.replace(b"${EXIT_CODE:-0}", b"7") if "fail" in self.path else SCRIPT
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", paths
    server.shutdown()
    server.server_close()


async def test_ping_and_status(recorder: Any, ctx: HandlerContext) -> None:
    rec = recorder
    ping = json.loads((await handle_agent_ping(ctx, b"", rec.progress())).output)
    assert ping["agent_version"] == "9.9.9-test"
    assert ping["agent_time_nanos"] > 0
    status = json.loads((await handle_agent_status(ctx, b"", rec.progress())).output)
    assert set(status) == {
        "agent_version",
        "runtime",
        "arch",
        "uptime_seconds",
        "docker_reachable",
        "server_time_nanos",
        "rss_bytes",
    }
    assert status["runtime"] == "python"
    assert status["arch"] == platform.machine()
    assert status["docker_reachable"] is False
    assert status["rss_bytes"] > 0


async def test_agent_logs_tails_the_log_file(
    recorder: Any, ctx: HandlerContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("INVOCATION_ID", raising=False)
    rec = recorder
    missing = await handle_agent_logs(ctx, b"", rec.progress())
    assert missing.status == "failed"
    ctx.config.log_file.parent.mkdir(parents=True)
    ctx.config.log_file.write_text("".join(f"line {n}\n" for n in range(300)))
    default = (await handle_agent_logs(ctx, b"", rec.progress())).output.decode().splitlines()
    assert len(default) == 200
    assert default[-1] == "line 299"
    three = (await handle_agent_logs(ctx, b'{"lines":3}', rec.progress())).output.decode()
    assert three == "line 297\nline 298\nline 299\n"
    with pytest.raises(PayloadError, match="between 1 and 2000"):
        await handle_agent_logs(ctx, b'{"lines":2001}', rec.progress())


async def test_restart_self_is_queued_and_exits_after_one_second(
    wait: Any, recorder: Any, ctx: HandlerContext, exits: Any
) -> None:
    outcome = await handle_restart_self(ctx, b"", recorder.progress())
    assert outcome.status == "queued"
    assert json.loads(outcome.output) == {"message": "agent restart queued", "scheduled_in_seconds": 1}
    assert exits.codes == []
    await wait(lambda: exits.codes == [0], seconds=3)


async def test_reenroll_runs_the_installer_redacts_tokens_and_exits(
    wait: Any,
    recorder: Any,
    ctx: HandlerContext,
    exits: Any,
    installer: tuple[str, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base, paths = installer
    monkeypatch.setenv("AGENT_SECRET", "must-not-reach-the-installer")
    rec = recorder
    outcome = await handle_reenroll(
        ctx, json.dumps({"install_url": f"{base}/install.sh?token=t1"}).encode(), rec.progress("cmd-re1")
    )
    assert outcome.status == "completed", outcome.output
    assert paths == [f"/install.sh?token=t1&previous_server_id={ctx.config.server_id}"]
    assert rec.lines == ["forced=1", REDACTED_LINE, "secret-in-env=absent"]
    assert outcome.output.decode() == "\n".join(rec.lines)
    assert (ctx.config.state_dir / "previous-server-id").read_text() == ctx.config.server_id
    await wait(lambda: exits.codes == [0], seconds=5)


async def test_reenroll_failures_do_not_exit(
    recorder: Any, ctx: HandlerContext, exits: Any, installer: tuple[str, list[str]]
) -> None:
    base, _ = installer
    rec = recorder
    failed = await handle_reenroll(
        ctx, json.dumps({"install_url": f"{base}/fail.sh"}).encode(), rec.progress("c2")
    )
    assert failed.status == "failed"
    assert failed.output.decode().startswith("reenroll installer: exit status 7")
    for url, message in (
        ("http://example.com/install.sh", "must use https"),
        ("ftp://127.0.0.1/x", "must use https"),
        ("https:///nohost", "must include a host"),
    ):
        with pytest.raises(PayloadError, match=message):
            await handle_reenroll(ctx, json.dumps({"install_url": url}).encode(), rec.progress("c3"))
    with pytest.raises(PayloadError, match="install_url is required"):
        await handle_reenroll(ctx, b"{}", rec.progress("c4"))
    assert exits.codes == []


async def test_network_inspect_without_docker_is_a_truthful_completed_answer(
    recorder: Any, ctx: HandlerContext
) -> None:
    outcome = await handle_network_inspect(ctx, b"", recorder.progress())
    assert outcome.status == "completed"
    assert json.loads(outcome.output) == {
        "network_name": "deploy-net",
        "containers": [],
        "error": "docker unavailable",
    }


def test_config_env_file_under_environment_and_required_values(tmp_path: Path) -> None:
    env_file = tmp_path / "agent.env"
    env_file.write_text(
        "# written by the installer\nBACKEND_GRPC_ADDR=grpc.example:9090\nSERVER_ID=srv_file\n"
        "AGENT_SECRET='from-file'\nAGENT_INSECURE=1\nAGENT_HEARTBEAT_SECONDS=12\n"
    )
    config = load_config(
        {
            "SWITCHYARD_AGENT_ENV_FILE": str(env_file),
            "SERVER_ID": "srv_env",
            "SWITCHYARD_AGENT_STATE_DIR": str(tmp_path / "s"),
        }
    )
    assert (config.backend_addr, config.server_id, config.agent_secret) == (
        "grpc.example:9090",
        "srv_env",
        "from-file",
    )
    assert config.insecure is True
    assert config.heartbeat_seconds == 12
    assert config.log_file == tmp_path / "s" / "agent.log"
    assert config.apps_dir == tmp_path / "s" / "apps"
    assert config.routes_dir == Path("/etc/dwaar/apps")
    assert "from-file" not in repr(config)
    secure = load_config({"SWITCHYARD_AGENT_ENV_FILE": str(env_file), "AGENT_INSECURE": "yes"})
    assert secure.insecure is False
    with pytest.raises(ConfigError, match="AGENT_SECRET"):
        load_config(
            {"SWITCHYARD_AGENT_ENV_FILE": str(tmp_path / "none"), "BACKEND_GRPC_ADDR": "x", "SERVER_ID": "y"}
        )
    with pytest.raises(ConfigError, match="AGENT_HEARTBEAT_SECONDS"):
        load_config({"SWITCHYARD_AGENT_ENV_FILE": str(env_file), "AGENT_HEARTBEAT_SECONDS": "soon"})


def test_reconnect_backoff_bounds_come_from_the_environment(tmp_path: Path) -> None:
    base = {
        "SWITCHYARD_AGENT_ENV_FILE": str(tmp_path / "none"),
        "BACKEND_GRPC_ADDR": "x:1",
        "SERVER_ID": "s",
        "AGENT_SECRET": "k",
    }
    default = load_config(base)
    assert (default.reconnect_backoff_seconds, default.reconnect_backoff_max_seconds) == (1.0, 30.0)
    short = load_config(
        {**base, "AGENT_RECONNECT_BACKOFF_SECONDS": "0.2", "AGENT_RECONNECT_BACKOFF_MAX_SECONDS": "1"}
    )
    assert (short.reconnect_backoff_seconds, short.reconnect_backoff_max_seconds) == (0.2, 1.0)
    # Only the first delay given: the cap stays 30 s (or the first delay, when that is larger).
    assert load_config({**base, "AGENT_RECONNECT_BACKOFF_SECONDS": "45"}).reconnect_backoff_max_seconds == 45
    for key, value, message in [
        ("AGENT_RECONNECT_BACKOFF_SECONDS", "soon", "must be a number of seconds"),
        ("AGENT_RECONNECT_BACKOFF_SECONDS", "0", "must be a positive number"),
        ("AGENT_RECONNECT_BACKOFF_MAX_SECONDS", "-1", "must be a positive number"),
        ("AGENT_RECONNECT_BACKOFF_MAX_SECONDS", "nan", "must be a positive number"),
    ]:
        with pytest.raises(ConfigError, match=f"{key} {message}"):
            load_config({**base, key: value})
    with pytest.raises(ConfigError, match=r"AGENT_RECONNECT_BACKOFF_MAX_SECONDS \(2\) is below"):
        load_config(
            {**base, "AGENT_RECONNECT_BACKOFF_SECONDS": "5", "AGENT_RECONNECT_BACKOFF_MAX_SECONDS": "2"}
        )
