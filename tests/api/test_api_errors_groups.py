"""Error groups, native JSON ingest and source maps over HTTP (real gateway, ingest, PostgreSQL, NATS)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.integration


async def _dsn(api: Any, owner: Any) -> dict[str, Any]:
    made = await api.client.post("/api/errors/dsns", headers=owner.headers(), json={"name": "native"})
    assert made.status_code == 201, made.text
    dsn: dict[str, Any] = made.json()["dsn"]
    return dsn


async def _groups(api: Any, owner: Any, total: int) -> list[dict[str, Any]]:
    for _ in range(300):
        groups: list[dict[str, Any]] = (
            await api.client.get("/api/errors/groups", headers=owner.headers())
        ).json()["groups"]
        if sum(g["eventCount"] for g in groups) >= total:
            return groups
        await asyncio.sleep(0.1)
    return groups


def _native(**extra: Any) -> dict[str, Any]:
    frames = [
        {"function": "main", "filename": "app.ts"},
        {"function": "charge", "filename": "billing.ts", "lineno": 7},
    ]
    return {"exception": {"type": "TypeError", "value": "x is undefined", "frames": frames}, **extra}


async def test_native_errors_are_grouped_and_groups_are_triaged_per_tenant(api) -> None:
    owner, stranger = await api.register("native"), await api.register("native-other")
    dsn = await _dsn(api, owner)
    key = {"Authorization": f"Bearer {dsn['publicKey']}"}
    event_id = str(uuid.uuid4())

    first = await api.client.post(
        "/api/errors/ingest", headers=key, json=_native(eventId=event_id, release="1.2")
    )
    assert first.json() == {"id": uuid.UUID(event_id).hex}
    again = await api.client.post("/api/errors/ingest", headers=key, json=_native(tags={"region": "eu"}))
    assert again.status_code == 200, again.text
    group = (await _groups(api, owner, 2))[0]
    assert (group["title"], group["culprit"], group["eventCount"]) == (
        "TypeError: x is undefined",
        "billing.ts in charge",
        2,
    )

    got = (await api.client.get(f"/api/errors/groups/{group['id']}", headers=owner.headers())).json()
    assert got["latestEvent"]["exceptions"][0]["frames"][-1]["lineno"] == 7
    resolved = await api.client.post(f"/api/errors/groups/{group['id']}/resolve", headers=owner.headers())
    assert resolved.json()["group"]["status"] == "resolved"
    ignored = await api.client.post(f"/api/errors/groups/{group['id']}/ignore", headers=owner.headers())
    assert ignored.json()["group"]["status"] == "ignored"
    patched = await api.client.patch(
        f"/api/errors/groups/{group['id']}", headers=owner.headers(), json={"status": "unresolved"}
    )
    assert patched.json()["group"]["status"] == "unresolved"
    bad = await api.client.patch(
        f"/api/errors/groups/{group['id']}", headers=owner.headers(), json={"status": "x"}
    )
    assert bad.status_code == 400
    assert "status" in bad.json()["error"]
    assert (await api.client.get("/api/errors/groups?status=resolved", headers=owner.headers())).json()[
        "groups"
    ] == []

    for method, path in (
        ("GET", f"/api/errors/groups/{group['id']}"),
        ("GET", f"/api/errors/groups/{group['id']}/events"),
        ("POST", f"/api/errors/groups/{group['id']}/resolve"),
        ("DELETE", f"/api/errors/dsns/{dsn['id']}"),
    ):
        foreign = await api.client.request(method, path, headers=stranger.headers())
        assert foreign.status_code == 404, (method, path, foreign.text)
    assert (await api.client.get("/api/errors/groups", headers=stranger.headers())).json()["groups"] == []


async def test_native_ingest_refuses_bad_keys_and_bodies(api) -> None:
    owner = await api.register("native-bad")
    dsn = await _dsn(api, owner)
    key = {"Authorization": f"Bearer {dsn['publicKey']}"}

    assert (await api.client.post("/api/errors/ingest", json=_native())).status_code == 401
    wrong = await api.client.post(
        "/api/errors/ingest", headers={"Authorization": "Bearer nope"}, json=_native()
    )
    assert wrong.status_code == 401
    empty = await api.client.post("/api/errors/ingest", headers=key, json={"level": "error"})
    assert empty.json() == {"error": "message or exception is required"}
    typed = await api.client.post("/api/errors/ingest", headers=key, json={"message": 5})
    assert typed.status_code == 400
    assert "message" in typed.json()["error"]
    bad_id = await api.client.post("/api/errors/ingest", headers=key, json=_native(eventId="nope"))
    assert bad_id.json() == {"error": "eventId must be a UUID"}


async def test_source_maps_are_uploaded_listed_replaced_capped_and_deleted_per_tenant(api) -> None:
    owner, stranger = await api.register("maps"), await api.register("maps-other")
    form = {"release": "web@1.0", "name": "~/static/app.js.map"}
    content = b'{"version":3,"sources":["app.ts"],"mappings":"AAAA"}'

    made = await api.client.post(
        "/api/errors/sourcemaps", headers=owner.headers(), data=form, files={"file": ("app.js.map", content)}
    )
    assert made.status_code == 201, made.text
    stored = made.json()["sourceMap"]
    assert (stored["release"], stored["fileName"], stored["sizeBytes"]) == (
        "web@1.0",
        "~/static/app.js.map",
        len(content),
    )
    replaced = await api.client.post(
        "/api/errors/sourcemaps",
        headers=owner.headers(),
        data=form,
        files={"file": ("app.js.map", content + b" ")},
    )
    listed = (await api.client.get("/api/errors/sourcemaps?release=web@1.0", headers=owner.headers())).json()
    assert [(m["id"], m["sizeBytes"]) for m in listed["sourceMaps"]] == [
        (replaced.json()["sourceMap"]["id"], len(content) + 1)
    ]
    assert (await api.client.get("/api/errors/sourcemaps", headers=stranger.headers())).json()[
        "sourceMaps"
    ] == []

    too_big = await api.client.post(
        "/api/errors/sourcemaps",
        headers=owner.headers(),
        data=form,
        files={"file": ("big.js.map", b"x" * (3 * 1024 * 1024 + 1))},
    )
    assert too_big.status_code == 413
    missing = await api.client.post("/api/errors/sourcemaps", headers=owner.headers(), data={"name": "a.map"})
    assert missing.status_code == 400

    map_id = replaced.json()["sourceMap"]["id"]
    assert (
        await api.client.delete(f"/api/errors/sourcemaps/{map_id}", headers=stranger.headers())
    ).status_code == 404
    gone = await api.client.delete(f"/api/errors/sourcemaps/{map_id}", headers=owner.headers())
    assert gone.json() == {"deleted": True}
