"""The install script (rendered per token) and the agent bundle (built once per process, in memory)."""

from __future__ import annotations

import functools
import gzip
import importlib.util
import io
import re
import shlex
import tarfile
from pathlib import Path
from urllib.parse import quote

from agent.v1 import agent_pb2

SCRIPT = Path(__file__).with_name("install.sh")
# What a previous_server_id may look like: ids are UUIDs; anything else is refused before it nears a shell.
SERVER_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_SKIP = {"__pycache__"}


def script_url(base_url: str) -> str:
    """Where install scripts are served (without the token query)."""
    return f"{base_url}/api/agent/install.sh"


def install_url(base_url: str, token: str) -> str:
    """Where the installer of ``token`` is served."""
    return f"{script_url(base_url)}?token={quote(token, safe='')}"


@functools.cache
def _template() -> str:
    return SCRIPT.read_text()


def render_script(*, base_url: str, token: str, previous_server_id: str) -> str:
    """The installer with its three values baked in, each shell-quoted."""
    values = {
        "@@SWITCHYARD_URL@@": shlex.quote(base_url),
        "@@INSTALL_TOKEN@@": shlex.quote(token),
        "@@PREVIOUS_SERVER_ID@@": shlex.quote(previous_server_id),
    }
    text = _template()
    for marker, value in values.items():
        text = text.replace(marker, value)
    return text


def _agent_dir() -> Path:
    spec = importlib.util.find_spec("switchyard.agent")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the switchyard.agent package is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _contracts_dir() -> Path:
    # The generated agent.v1 modules, wherever `just gen` (or the contracts wheel) put them.
    return Path(agent_pb2.__file__).parent


def _add(archive: tarfile.TarFile, source: Path, name: str) -> None:
    info = archive.gettarinfo(str(source), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mtime = 0
    if info.isdir():
        info.mode = 0o755
        archive.addfile(info)
        return
    info.mode = 0o644
    with source.open("rb") as handle:
        archive.addfile(info, handle)


def _add_tree(archive: tarfile.TarFile, root: Path, prefix: str) -> None:
    _add(archive, root, prefix)
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if _SKIP.intersection(relative.parts) or path.suffix == ".pyc":
            continue
        _add(archive, path, f"{prefix}/{relative.as_posix()}")


@functools.cache
def agent_bundle() -> bytes:
    """``lib/switchyard/agent/**`` and ``lib/agent/v1/agent_pb2*.py`` as a gzip tarball.

    ``switchyard`` and ``agent``/``agent/v1`` stay namespace directories (no ``__init__.py``), so
    ``PYTHONPATH=<prefix>/lib python3 -m switchyard.agent`` finds both halves.
    """
    buffer = io.BytesIO()
    # mtime 0 and fixed owners: the same sources give the same bytes on every replica.
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as archive,
    ):
        for directory in ("lib", "lib/switchyard", "lib/agent", "lib/agent/v1"):
            info = tarfile.TarInfo(directory)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            archive.addfile(info)
        _add_tree(archive, _agent_dir(), "lib/switchyard/agent")
        for module in sorted(_contracts_dir().glob("agent_pb2*.py")):
            _add(archive, module, f"lib/agent/v1/{module.name}")
    return buffer.getvalue()
