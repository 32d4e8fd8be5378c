"""The process driver: runs an app as a detached local process instead of a Docker container.

Layout under the apps dir (0700): ``<container_name>/state.json`` names the ``current`` and ``previous``
releases; ``<container_name>/releases/<release_id>/release.json`` (0600: it holds the env vars) records the
command, port, env, health-check settings and the pid, and ``output.log`` receives the process's
stdout/stderr. Processes run in their own session, so they outlive an agent restart; on start the agent
re-adopts them from these files (the pid plus its /proc start time, which guards against pid reuse),
after stopping any release a killed agent left half-deployed (``settle_interrupted``).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import signal
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
# Only these of the agent's own variables reach an app: never AGENT_SECRET or other agent settings.
_INHERITED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TZ")


def valid_name(name: str) -> bool:
    """Whether ``name`` is safe as a folder name (container names are path components here)."""
    return bool(_NAME.match(name))


@dataclass
class Release:
    """One start of an app: what was run, where it listens and which process runs it."""

    release_id: str
    container_name: str
    image_tag: str
    command: list[str]
    port: int
    env: dict[str, str] = field(default_factory=dict)
    health_path: str = "/"
    status_codes: list[int] = field(default_factory=list)
    process_name: str = ""
    pid: int = 0
    start_ticks: int = 0
    state: str = "created"
    created_at: float = field(default_factory=time.time)


@dataclass
class AppState:
    """The release pointers of one app."""

    current: str | None = None
    previous: str | None = None


class ProcessDriver:
    """Starts, stops and finds app processes; all state is on disk."""

    def __init__(self, apps_dir: Path) -> None:
        """Use ``apps_dir`` for app state (created 0700 on first use)."""
        self.apps_dir = apps_dir
        self._children: dict[int, subprocess.Popen[bytes]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def lock(self, name: str) -> asyncio.Lock:
        """Serialises deploy/stop/rollback of one app."""
        return self._locks.setdefault(name, asyncio.Lock())

    def new_release(self, **fields: object) -> Release:
        """A release with a fresh id (time-ordered, so listings sort by age)."""
        release_id = f"{time.time_ns()}-{secrets.token_hex(3)}"
        return Release(release_id=release_id, **fields)  # type: ignore[arg-type]

    def release_dir(self, release: Release) -> Path:
        """The folder of one release."""
        return self.apps_dir / release.container_name / "releases" / release.release_id

    def output_log(self, release: Release) -> Path:
        """The file the process's stdout and stderr go to."""
        return self.release_dir(release) / "output.log"

    def load_state(self, name: str) -> AppState:
        """The app's release pointers (empty for an unknown app)."""
        path = self.apps_dir / name / "state.json"
        if not path.exists():
            return AppState()
        data = json.loads(path.read_text())
        return AppState(current=data.get("current"), previous=data.get("previous"))

    def save_state(self, name: str, state: AppState) -> None:
        """Persist the app's release pointers atomically."""
        _write_json(self.apps_dir / name / "state.json", asdict(state))

    def load_release(self, name: str, release_id: str | None) -> Release | None:
        """A recorded release, or None."""
        if not release_id:
            return None
        path = self.apps_dir / name / "releases" / release_id / "release.json"
        if not path.exists():
            return None
        return Release(**json.loads(path.read_text()))

    def save_release(self, release: Release) -> None:
        """Persist a release record (0600: it carries the env vars)."""
        _write_json(self.release_dir(release) / "release.json", asdict(release))

    def apps(self) -> list[str]:
        """Names of every app with recorded state."""
        if not self.apps_dir.is_dir():
            return []
        return sorted(p.name for p in self.apps_dir.iterdir() if (p / "state.json").exists())

    def start(self, release: Release) -> None:
        """Spawn the release's command detached (own session), output appended to ``output.log``."""
        folder = self.release_dir(release)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        env = {k: os.environ[k] for k in _INHERITED_ENV if k in os.environ}
        env.update(release.env)
        env["PORT"] = str(release.port)
        with self.output_log(release).open("ab") as out:
            child = subprocess.Popen(
                release.command,
                cwd=folder,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._children[child.pid] = child
        release.pid = child.pid
        release.start_ticks = _start_ticks(child.pid)
        release.state = "running"
        self.save_release(release)

    def is_running(self, release: Release) -> bool:
        """Whether the release's process is alive (and is still the process we started)."""
        if release.pid <= 0:
            return False
        child = self._children.get(release.pid)
        if child is not None:
            return child.poll() is None
        return _alive(release.pid) and _start_ticks(release.pid) == release.start_ticks

    def exit_code(self, release: Release) -> int | None:
        """The exit code when the process was started by this agent and has ended."""
        child = self._children.get(release.pid)
        return None if child is None else child.poll()

    async def stop(self, release: Release, *, grace: float = 10.0, state: str = "stopped") -> None:
        """SIGTERM the process group, SIGKILL after ``grace`` seconds; the release record is kept."""
        if self.is_running(release):
            _signal_group(release.pid, signal.SIGTERM)
            if not await self._exited(release, grace):
                _signal_group(release.pid, signal.SIGKILL)
                await self._exited(release, 5.0)
        self._children.pop(release.pid, None)
        release.state = state
        self.save_release(release)

    async def _exited(self, release: Release, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while True:
            if not self.is_running(release):
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.05)

    def releases(self, name: str) -> list[Release]:
        """Every recorded release of the app, oldest first."""
        folder = self.apps_dir / name / "releases"
        if not folder.is_dir():
            return []
        found = [self.load_release(name, p.name) for p in sorted(folder.iterdir())]
        return [r for r in found if r is not None]

    async def settle_interrupted(self) -> list[Release]:
        """Stop the releases an agent killed mid-deploy/rollback left behind, before adopting.

        A release is recorded ``running`` when its process starts, but it becomes the app's ``current``
        only after its health check passed. A ``running`` release that is not ``current`` was therefore
        interrupted: its command was never answered (the control plane fails it), so its process is
        stopped, if it still runs, and the record says ``interrupted``.

        Returns:
            The releases marked interrupted.
        """
        settled: list[Release] = []
        # Not ``apps()``: an app whose first deploy was interrupted has releases but no state.json yet.
        folders = sorted(self.apps_dir.iterdir()) if self.apps_dir.is_dir() else []
        for name in [p.name for p in folders if p.is_dir()]:
            current = self.load_state(name).current
            for release in self.releases(name):
                if release.state == "running" and release.release_id != current:
                    await self.stop(release, grace=5.0, state="interrupted")
                    settled.append(release)
        return settled

    def adopt(self) -> list[Release]:
        """Re-find the current release of every app after an agent (re)start.

        Returns:
            The releases whose process is still alive.
        """
        alive: list[Release] = []
        for name in self.apps():
            release = self.load_release(name, self.load_state(name).current)
            if release is None or release.state != "running":
                continue
            if self.is_running(release):
                alive.append(release)
            else:
                release.state = "exited"
                self.save_release(release)
        return alive


def _write_json(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(value, handle, indent=2, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # A zombie has exited; it only waits for its (old) parent to reap it.
    return stat.rpartition(")")[2].split()[0] != "Z"


def _start_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0
    # Field 22 of /proc/<pid>/stat (starttime); index 19 once pid and comm are cut off.
    return int(fields[19])


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return
    except PermissionError:
        os.kill(pid, sig)
