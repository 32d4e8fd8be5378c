"""The import-linter contracts in pyproject.toml hold, cover every service and lib, and really bite.

CI runs `just test`, not `just lint`, so the contracts are enforced here as well.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.unit

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


@pytest.fixture(scope="module")
def contracts(repo: Path) -> dict[str, dict[str, Any]]:
    with (repo / "pyproject.toml").open("rb") as handle:
        config = tomllib.load(handle)["tool"]["importlinter"]
    assert config["root_packages"] == ["switchyard"]
    return {contract["id"]: contract for contract in config["contracts"]}


def packages_under(repo: Path, pattern: str) -> set[str]:
    """``switchyard.<name>`` for every package directory matching ``pattern`` (e.g. services/*/src/...)."""
    return {f"switchyard.{path.name}" for path in repo.glob(pattern) if path.is_dir()}


def run_lint_imports(repo: Path, extra_path: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if extra_path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(extra_path), env.get("PYTHONPATH")]))
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_every_service_is_isolated(repo: Path, contracts: dict[str, dict[str, Any]]) -> None:
    services = packages_under(repo, "services/*/src/switchyard/*")
    assert "switchyard.identity" in services
    isolated = contracts["services-isolated"]
    assert set(isolated["source_modules"]) == services
    assert set(isolated["forbidden_modules"]) == services | {"switchyard.gateway"}
    assert set(contracts["libs-below-services"]["forbidden_modules"]) == services | {"switchyard.gateway"}
    assert set(contracts["gateway-no-business-rules"]["forbidden_modules"]) == services


def test_every_lib_is_below_the_services(repo: Path, contracts: dict[str, dict[str, Any]]) -> None:
    # libs/<name>/src/switchyard/<name>; libs/contracts has no such package (only generated <svc>.v1 trees).
    libs = {
        f"switchyard.{d.name}" for d in (repo / "libs").iterdir() if (d / "src/switchyard" / d.name).is_dir()
    }
    assert "switchyard.grpckit" in libs
    assert set(contracts["libs-below-services"]["source_modules"]) == libs


def test_every_service_domain_is_transport_free(repo: Path, contracts: dict[str, dict[str, Any]]) -> None:
    domains = {f"{package}.domain" for package in packages_under(repo, "services/*/src/switchyard/*")}
    domain = contracts["domain-transport-free"]
    assert set(domain["source_modules"]) == domains
    assert {"grpc", "redis", "nats", "litestar", "switchyard.*.v1"} <= set(domain["forbidden_modules"])


def test_the_contracts_hold(repo: Path) -> None:
    result = run_lint_imports(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_service_importing_the_gateway_breaks_the_contract(repo: Path, tmp_path: Path) -> None:
    # switchyard.identity is a namespace package, so a portion on PYTHONPATH joins it for the analysis.
    probe = tmp_path / "switchyard" / "identity"
    probe.mkdir(parents=True)
    (probe / "lint_probe.py").write_text("import switchyard.gateway\n", encoding="utf-8")
    result = run_lint_imports(repo, extra_path=tmp_path)
    assert result.returncode != 0
    assert "A service never imports another service or the gateway BROKEN" in result.stdout
    assert "switchyard.identity.lint_probe -> switchyard.gateway" in result.stdout
