"""Upload, list and delete source maps."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from switchyard.grpckit.errors import InvalidArgument, NotFound
from switchyard.grpckit.principal import Principal
from switchyard.ingest.db.models import SourceMap
from switchyard.ingest.domain.access import reader_org, writer_org
from switchyard.ingest.domain.common import new_id
from switchyard.ingest.domain.context import Deps

TEXT_MAX = 200
FILE_MAX = 1000


@dataclass(frozen=True, slots=True)
class SourceMapView:
    """A source map without its content."""

    id: str
    org_id: str
    release: str
    file_name: str
    size_bytes: int
    sha256: str
    created_at: datetime


def _view(row: SourceMap) -> SourceMapView:
    return SourceMapView(
        id=row.id,
        org_id=row.org_id,
        release=row.release,
        file_name=row.file_name,
        size_bytes=row.size_bytes,
        sha256=row.sha256,
        created_at=row.created_at,
    )


def _required(value: str, field: str, limit: int) -> str:
    text = value.strip()
    if not text:
        raise InvalidArgument(f"{field} is required", fields={field: "required"})
    if len(text) > limit or any(ord(ch) < 32 for ch in text):
        raise InvalidArgument(
            f"{field} must be at most {limit} printable characters", fields={field: "invalid"}
        )
    return text


class SourceMapService:
    """Source map use cases; uploads larger than ``max_bytes`` are refused."""

    def __init__(self, deps: Deps, *, max_bytes: int) -> None:
        self._deps = deps
        self._max = max_bytes

    async def upload(
        self, *, principal: Principal, release: str, file_name: str, content: bytes
    ) -> SourceMapView:
        """Store a map, replacing one with the same release and file name."""
        org = writer_org(principal)
        release = _required(release, "release", TEXT_MAX)
        file_name = _required(file_name, "fileName", FILE_MAX)
        if not content:
            raise InvalidArgument("file is empty", fields={"file": "empty"})
        if len(content) > self._max:
            raise InvalidArgument(
                f"file is larger than {self._max} bytes", fields={"file": "too large"}, http_status=413
            )
        values = {
            "id": new_id(),
            "org_id": org,
            "release": release,
            "file_name": file_name,
            "size_bytes": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
            "content": content,
            "created_at": self._deps.clock(),
        }
        stmt = insert(SourceMap).values(values)
        upsert = stmt.on_conflict_do_update(
            index_elements=[SourceMap.org_id, SourceMap.release, SourceMap.file_name],
            set_={k: stmt.excluded[k] for k in ("id", "size_bytes", "sha256", "content", "created_at")},
        ).returning(SourceMap)
        async with self._deps.sessions() as session, session.begin():
            row = await session.scalar(upsert)
            assert row is not None
            return _view(row)

    async def list(self, *, principal: Principal, release: str) -> list[SourceMapView]:
        """The org's source maps, newest first, optionally of one release."""
        org = reader_org(principal)
        query = select(SourceMap).where(SourceMap.org_id == org)
        if release.strip():
            query = query.where(SourceMap.release == release.strip())
        query = query.order_by(SourceMap.created_at.desc(), SourceMap.id)
        async with self._deps.reads() as session:
            return [_view(r) for r in await session.scalars(query)]

    async def delete(self, *, principal: Principal, source_map_id: str) -> None:
        """Delete one of the org's source maps; another org's is NOT_FOUND."""
        org = writer_org(principal)
        async with self._deps.sessions() as session, session.begin():
            gone = await session.execute(
                delete(SourceMap)
                .where(SourceMap.id == source_map_id.strip(), SourceMap.org_id == org)
                .returning(SourceMap.id)
            )
            if gone.first() is None:
                raise NotFound("source map not found")
