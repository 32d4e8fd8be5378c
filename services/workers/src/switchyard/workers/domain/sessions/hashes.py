"""The two public forms of a session id (the reference's spec and guide disagree; both are accepted)."""

from __future__ import annotations

import hashlib


def spec_hash(session_id: str) -> str:
    """The spec form: the first 16 hex characters of ``sha256(session_id)``."""
    return hashlib.sha256(session_id.encode()).hexdigest()[:16]


def guide_hash(session_id: str) -> str:
    """The guide form: the first 32 hex characters of ``sha256("session:" + session_id)``."""
    return hashlib.sha256(f"session:{session_id}".encode()).hexdigest()[:32]
