"""Every .proto under protos/ follows the Buf STANDARD basics we rely on (cheap parsing, no buf needed).

Rules are named by their buf lint ids, and files that protos/buf.yaml exempts from a rule (``ignore`` or
``ignore_only``) are exempt here too, so this test and `buf lint` never disagree about an exception.
One deliberate difference: buf also accepts ``<Service><Rpc>Request``; our house style is ``<Rpc>Request``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.unit

COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)
PACKAGE = re.compile(r"^\s*package\s+([\w.]+)\s*;", re.MULTILINE)
ENUM = re.compile(r"\benum\s+(\w+)\s*\{([^}]*)\}")
ENUM_VALUE = re.compile(r"^\s*(\w+)\s*=\s*(-?\d+)", re.MULTILINE)
SERVICE = re.compile(r"\bservice\s+(\w+)\s*\{")
RPC = re.compile(
    r"\brpc\s+(\w+)\s*\(\s*(?:stream\s+)?([\w.]+)\s*\)\s*returns\s*\(\s*(?:stream\s+)?([\w.]+)\s*\)"
)


def upper_snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper()


def lint(relative: str, text: str) -> list[tuple[str, str]]:
    """Return (buf rule id, message) for every violation in one proto file.

    Args:
        relative: Path of the file relative to the protos/ module root (``switchyard/x/v1/y.proto``).
        text: The file's source.
    """
    source = COMMENT.sub("", text)
    found: list[tuple[str, str]] = []
    package = PACKAGE.search(source)
    if package is None:
        return [("PACKAGE_DEFINED", f"{relative}: no package")]
    name = package.group(1)
    if name.replace(".", "/") != str(Path(relative).parent):
        found.append(("PACKAGE_DIRECTORY_MATCH", f"{relative}: package {name}"))
    if not re.fullmatch(r"v\d+((alpha|beta)\d*)?", name.rsplit(".", 1)[-1]):
        found.append(("PACKAGE_VERSION_SUFFIX", f"{relative}: package {name}"))
    for enum, body in ENUM.findall(source):
        values = ENUM_VALUE.findall(body)
        zero = [value for value, number in values if int(number) == 0]
        if not zero or zero[0] != f"{upper_snake(enum)}_UNSPECIFIED":
            found.append(("ENUM_ZERO_VALUE_SUFFIX", f"{relative}: enum {enum} zero value {zero}"))
        for value, _ in values:
            if not value.startswith(f"{upper_snake(enum)}_"):
                found.append(("ENUM_VALUE_PREFIX", f"{relative}: {enum}.{value}"))
    for service in SERVICE.findall(source):
        if not service.endswith("Service"):
            found.append(("SERVICE_SUFFIX", f"{relative}: service {service}"))
    seen: set[str] = set()
    for rpc, request, response in RPC.findall(source):
        if request.rsplit(".", 1)[-1] != f"{rpc}Request":
            found.append(("RPC_REQUEST_STANDARD_NAME", f"{relative}: {rpc}({request})"))
        if response.rsplit(".", 1)[-1] != f"{rpc}Response":
            found.append(("RPC_RESPONSE_STANDARD_NAME", f"{relative}: {rpc} returns {response}"))
        for message in (request, response):
            if message in seen:
                found.append(("RPC_REQUEST_RESPONSE_UNIQUE", f"{relative}: {message} used twice"))
            seen.add(message)
    return found


def exemptions(buf_yaml: Path) -> dict[str, set[str]]:
    """Rule id -> exempt paths from buf.yaml (``"*"`` for files under ``lint.ignore``)."""
    lint_config = yaml.safe_load(buf_yaml.read_text(encoding="utf-8")).get("lint", {})
    exempt: dict[str, set[str]] = {
        rule: set(paths) for rule, paths in (lint_config.get("ignore_only") or {}).items()
    }
    exempt["*"] = set(lint_config.get("ignore") or [])
    return exempt


def is_exempt(exempt: dict[str, set[str]], rule: str, relative: str) -> bool:
    paths = exempt.get(rule, set()) | exempt["*"]
    return any(relative == path or relative.startswith(f"{path.rstrip('/')}/") for path in paths)


def test_every_proto_follows_the_standard_basics(repo: Path) -> None:
    root = repo / "protos"
    exempt = exemptions(root / "buf.yaml")
    files = sorted(root.rglob("*.proto"))
    assert files, "no protos found"
    violations = [
        message
        for path in files
        for rule, message in lint(str(path.relative_to(root)), path.read_text(encoding="utf-8"))
        if not is_exempt(exempt, rule, str(path.relative_to(root)))
    ]
    assert violations == []


def test_buf_yaml_uses_standard_lint_and_file_breaking(repo: Path) -> None:
    config = yaml.safe_load((repo / "protos/buf.yaml").read_text(encoding="utf-8"))
    assert config["lint"]["use"] == ["STANDARD"]
    assert config["breaking"]["use"] == ["FILE"]


BAD = """
syntax = "proto3";
package switchyard.billing; // no version, and not the directory
enum Colour { RED = 0; COLOUR_BLUE = 1; }
service Billing {
  rpc Charge(ChargeReq) returns (Invoice);
  rpc Refund(Invoice) returns (stream RefundResponse);
}
/* rpc Hidden(X) returns (Y); comments are ignored */
"""


def test_the_checker_catches_each_rule() -> None:
    rules = [rule for rule, _ in lint("switchyard/billing/v1/billing_service.proto", BAD)]
    assert sorted(rules) == sorted(
        [
            "PACKAGE_DIRECTORY_MATCH",
            "PACKAGE_VERSION_SUFFIX",
            "ENUM_ZERO_VALUE_SUFFIX",
            "ENUM_VALUE_PREFIX",
            "SERVICE_SUFFIX",
            "RPC_REQUEST_STANDARD_NAME",
            "RPC_RESPONSE_STANDARD_NAME",
            "RPC_REQUEST_STANDARD_NAME",
            "RPC_REQUEST_RESPONSE_UNIQUE",
        ]
    )


def test_exemptions_come_from_buf_yaml(repo: Path) -> None:
    exempt = exemptions(repo / "protos/buf.yaml")
    agent = "agent/v1/agent.proto"
    assert is_exempt(exempt, "RPC_REQUEST_STANDARD_NAME", agent)
    assert is_exempt(exempt, "RPC_RESPONSE_STANDARD_NAME", agent)
    assert not is_exempt(exempt, "SERVICE_SUFFIX", agent)
    assert not is_exempt(exempt, "RPC_REQUEST_STANDARD_NAME", "switchyard/identity/v1/identity_service.proto")
    # The permanu-agent wire contract lives where the real agent's proto does, so its package matches.
    wire = 'syntax = "proto3";\npackage agent.v1;\nservice AgentService {\n  rpc AckCommand(CommandAck) returns (CommandAckResponse);\n}\n'  # noqa: E501
    assert sorted(rule for rule, _ in lint(agent, wire)) == [
        "RPC_REQUEST_STANDARD_NAME",
        "RPC_RESPONSE_STANDARD_NAME",
    ]
