"""Reading the change feed: ``since``, ``limit``, ``types``, ``app``; newest first, keyset cursor."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from switchyard.deploy.domain.access import reader_org
from switchyard.deploy.domain.changes import repository as repo
from switchyard.deploy.domain.changes.models import ChangePage, ChangeQuery
from switchyard.deploy.domain.context import Deps
from switchyard.deploy.domain.events import ChangeView
from switchyard.grpckit.errors import InvalidArgument
from switchyard.grpckit.principal import Principal

LIMIT_DEFAULT = 100
LIMIT_MAX = 500
SINCE_DEFAULT = timedelta(hours=24)
SINCE_MAX = timedelta(days=30)
TYPES_MAX = 20
_TYPE = re.compile(r"^[a-z][a-z_]*(\.[a-z_]+)*$")


def encode_cursor(view: ChangeView) -> str:
    """An opaque cursor after ``view``: its time (microseconds) and id."""
    micros = int(view.created_at.timestamp() * 1_000_000)
    return base64.urlsafe_b64encode(f"{micros}:{view.id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (created_at, id) a cursor points after."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        micros, _, change_id = raw.partition(":")
        moment = datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC)
        return moment, int(change_id)
    except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError) as exc:
        raise InvalidArgument("cursor is invalid") from exc


def _limit(limit: int) -> int:
    if limit == 0:
        return LIMIT_DEFAULT
    if not 1 <= limit <= LIMIT_MAX:
        raise InvalidArgument(f"limit must be between 1 and {LIMIT_MAX}")
    return limit


def _types(types: Sequence[str]) -> tuple[str, ...]:
    cleaned = tuple(dict.fromkeys(t.strip() for t in types if t.strip()))
    if len(cleaned) > TYPES_MAX:
        raise InvalidArgument(f"types must name at most {TYPES_MAX} types")
    for value in cleaned:
        if not _TYPE.match(value):
            raise InvalidArgument(f"types has an invalid type: {value[:64]!r}")
    return cleaned


class ChangeService:
    """The org's change feed."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    def _since(self, since: datetime | None) -> datetime:
        now = self._d.clock()
        if since is None:
            return now - SINCE_DEFAULT
        if since < now - SINCE_MAX:
            raise InvalidArgument("since must be within the last 30 days")
        return since

    async def list(
        self,
        *,
        principal: Principal,
        since: datetime | None,
        limit: int,
        types: Sequence[str] = (),
        app: str = "",
        cursor: str = "",
    ) -> ChangePage:
        """A page of the org's changes, newest first."""
        org = reader_org(principal)
        page_size = _limit(limit)
        query = ChangeQuery(
            org_id=org,
            since=self._since(since),
            limit=page_size,
            types=_types(types),
            before=decode_cursor(cursor) if cursor else None,
        )
        async with self._d.reads() as session:
            if app.strip():
                # An id of a deleted app still finds its history; a slug or name only finds live apps.
                ids = await repo.app_ids_named(session, org_id=org, app=app.strip())
                query = replace(query, app_ids=(*ids, app.strip()))
            rows = await repo.page(session, query)
        more = len(rows) > page_size
        rows = rows[:page_size]
        return ChangePage(changes=tuple(rows), next_cursor=encode_cursor(rows[-1]) if more else "")
