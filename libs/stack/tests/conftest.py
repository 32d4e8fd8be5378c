"""A throw-away project (``uv.lock`` + ``.data``) under a private directory, as a checkout in /root is."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from switchyard.stack._paths import StackPaths
from switchyard.stack._stack import stop_stack


def make_project(base: Path) -> StackPaths:
    """Create ``base/private(0700)/checkout/uv.lock`` and return the stack paths for its ``.data``."""
    private = base / "private"
    private.mkdir(mode=0o700)
    private.chmod(0o700)
    root = private / "checkout"
    root.mkdir()
    (root / "uv.lock").write_text("")
    return StackPaths.resolve(root / ".data")


def discard(paths: StackPaths) -> None:
    """Stop the project's servers and remove its /var/tmp folder (when running as root)."""
    stop_stack(paths)
    if paths.pg_home != paths.data:
        shutil.rmtree(paths.pg_home, ignore_errors=True)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackPaths]:
    """Stack paths of a fresh project, cleaned up (servers stopped) after the module."""
    paths = make_project(tmp_path_factory.mktemp("stack"))
    try:
        yield paths
    finally:
        discard(paths)


@pytest.fixture
def fresh_project(tmp_path: Path) -> Iterator[Callable[[], StackPaths]]:
    """Factory for a fresh project under ``tmp_path``; its servers are stopped afterwards."""
    made: list[StackPaths] = []

    def make() -> StackPaths:
        made.append(make_project(tmp_path))
        return made[-1]

    try:
        yield make
    finally:
        for paths in made:
            discard(paths)
