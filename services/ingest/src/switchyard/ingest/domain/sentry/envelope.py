"""Sentry envelopes (https://develop.sentry.dev/sdk/foundations/transport/envelopes/).

An envelope is a JSON header line followed by items; each item is a JSON header line and a payload that is
either ``length`` bytes long (then a newline, optional at the end) or, without ``length``, runs to the next
newline. Anything that does not follow this shape raises ``Malformed`` with a reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


class Malformed(ValueError):
    """A payload that can never be stored; the message is the reason (sent to the dead-letter subject)."""


@dataclass(frozen=True, slots=True)
class Item:
    """One envelope item: its type, header and raw payload."""

    type: str
    header: dict[str, Any]
    payload: bytes


@dataclass(frozen=True, slots=True)
class Envelope:
    """A parsed envelope."""

    header: dict[str, Any]
    items: list[Item] = field(default_factory=list)


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Malformed(f"{what} is not JSON") from exc
    if not isinstance(value, dict):
        raise Malformed(f"{what} is not a JSON object")
    return value


def _line(body: bytes, start: int) -> tuple[bytes, int]:
    end = body.find(b"\n", start)
    if end < 0:
        return body[start:], len(body)
    return body[start:end], end + 1


def _item(body: bytes, start: int, index: int) -> tuple[Item, int]:
    raw_header, pos = _line(body, start)
    header = _json_object(raw_header, f"item {index} header")
    kind = header.get("type")
    if not isinstance(kind, str) or not kind:
        raise Malformed(f"item {index} header has no type")
    length = header.get("length")
    if length is None:
        payload, pos = _line(body, pos)
        return Item(kind, header, payload), pos
    if not isinstance(length, int) or isinstance(length, bool) or length < 0:
        raise Malformed(f"item {index} length is not a non-negative integer")
    if pos + length > len(body):
        raise Malformed(f"item {index} is shorter than its length")
    payload = body[pos : pos + length]
    pos += length
    if pos < len(body):
        if body[pos : pos + 1] != b"\n":
            raise Malformed(f"item {index} payload is not followed by a newline")
        pos += 1
    return Item(kind, header, payload), pos


def parse_envelope(body: bytes) -> Envelope:
    """Split an envelope into its header and items.

    Raises:
        Malformed: The body is not an envelope.
    """
    raw_header, pos = _line(body, 0)
    header = _json_object(raw_header, "envelope header")
    items: list[Item] = []
    while pos < len(body):
        if body[pos:].strip() == b"":
            break
        item, pos = _item(body, pos, len(items))
        items.append(item)
    return Envelope(header, items)


def item_json(item: Item) -> dict[str, Any]:
    """An item's payload as a JSON object (events, transactions, sessions, client reports)."""
    return _json_object(item.payload, f"{item.type} payload")
