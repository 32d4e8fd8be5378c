"""The daemon's project allowlist: what it reports on heartbeats and what it admits from a poll."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

AdmissionMode = Literal["enumerated", "all-routed"]


@dataclass(frozen=True)
class Project:
    """One allowlisted project: its id and the repository the daemon clones for it."""

    id: str
    repository: str = ""


def normalize_repository(repository: str) -> str:
    """A comparable repository key: ``git@github.com:Acme/App.git`` == ``https://github.com/acme/app``."""
    text = repository.strip().lower()
    for scheme in ("https://", "http://", "ssh://", "git://"):
        text = text.removeprefix(scheme)
    if text.startswith("git@"):
        text = text.removeprefix("git@").replace(":", "/", 1)
    return text.rstrip("/").removesuffix(".git")


class Allowlist:
    """Projects, which of them are enabled, and the admission mode.

    ``enumerated`` admits only work for an enabled project (work naming no project is admitted: the
    server already routed it); ``all-routed`` admits whatever the server routes except disabled projects.
    """

    def __init__(
        self,
        projects: Iterable[Project] = (),
        *,
        enabled_ids: Iterable[str] | None = None,
        mode: AdmissionMode = "enumerated",
    ) -> None:
        """Start from configured projects; every project is enabled unless ``enabled_ids`` says otherwise."""
        self.projects: dict[str, Project] = {p.id: p for p in projects}
        self.enabled: set[str] = set(self.projects if enabled_ids is None else enabled_ids)
        self.mode: AdmissionMode = mode

    def add(self, project: Project) -> None:
        """Allowlist (or update) a project and enable it."""
        self.projects[project.id] = project
        self.enabled.add(project.id)

    def remove(self, project_id: str) -> None:
        """Drop a project (idempotent)."""
        self.projects.pop(project_id, None)
        self.enabled.discard(project_id)

    def enable(self, project_id: str) -> bool:
        """Enable an allowlisted project; False when it is not allowlisted."""
        if project_id not in self.projects:
            return False
        self.enabled.add(project_id)
        return True

    def disable(self, project_id: str) -> None:
        """Disable a project without forgetting it (idempotent)."""
        self.enabled.discard(project_id)

    def wire(self) -> dict[str, Any]:
        """The three heartbeat fields that describe the allowlist (sorted, so equal lists hash equal)."""
        return {
            "allowlist": [{"id": p.id, "repository": p.repository} for _, p in sorted(self.projects.items())],
            "enabledProjectIds": sorted(self.enabled),
            "projectAdmissionMode": self.mode,
        }

    def digest(self) -> str:
        """``allowlistHash``: SHA-256 hex of the canonical JSON of :meth:`wire`."""
        canonical = json.dumps(self.wire(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def resolve(self, work: Mapping[str, Any]) -> Project | None:
        """The allowlisted project a work item belongs to, by ``projectName`` then ``repository``."""
        name = work.get("projectName")
        if isinstance(name, str) and name in self.projects:
            return self.projects[name]
        repository = work.get("repository")
        if isinstance(repository, str) and repository:
            wanted = normalize_repository(repository)
            for project in self.projects.values():
                if project.repository and normalize_repository(project.repository) == wanted:
                    return project
        return None

    def admits(self, work: Mapping[str, Any]) -> bool:
        """Whether the daemon takes this work item (False = local refusal, which the daemon NACKs)."""
        project = self.resolve(work)
        if project is not None:
            return project.id in self.enabled
        if self.mode == "all-routed":
            return True
        names_a_project = any(
            isinstance(work.get(k), str) and work.get(k) for k in ("projectName", "repository")
        )
        return not names_a_project


class AllowlistReporter:
    """Sends ``allowlistHash`` on every beat and the full allowlist only when the hash changed.

    "Changed" means differs from the last hash the server acknowledged with a 2xx, so a lost beat or a
    new worker id (re-registration) sends the full allowlist again.
    """

    def __init__(self) -> None:
        """Nothing acknowledged yet: the first beat carries the full allowlist."""
        self.acknowledged: str | None = None

    def fields(self, allowlist: Allowlist) -> tuple[dict[str, Any], str]:
        """The allowlist fields of the next beat and the hash they carry."""
        digest = allowlist.digest()
        fields: dict[str, Any] = {"allowlistHash": digest}
        if digest != self.acknowledged:
            fields.update(allowlist.wire())
        return fields, digest

    def acknowledge(self, digest: str) -> None:
        """The server took a beat carrying ``digest``."""
        self.acknowledged = digest

    def reset(self) -> None:
        """Forget what the server knows (after re-registration under a new worker id)."""
        self.acknowledged = None
