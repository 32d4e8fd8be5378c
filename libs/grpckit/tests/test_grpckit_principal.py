"""Signed principals survive the trip intact, tuples included, and refuse tampering."""

from __future__ import annotations

import os
import time

import pytest
from switchyard.grpckit import principal as principal_module
from switchyard.grpckit.errors import Unauthenticated
from switchyard.grpckit.principal import WORKER, Principal, PrincipalSigner, PrincipalVerifier

pytestmark = pytest.mark.unit


def test_a_worker_principal_round_trips_with_its_projects_and_scopes() -> None:
    key = os.urandom(32)
    sent = Principal(
        kind=WORKER,
        tenant_id="org-1",
        worker_id="wkr_0123456789abcdef",
        scopes=("worker:poll", "worker:heartbeat"),
        project_ids=("p1", "p2"),
        token_id="jti-1",
    )
    got = PrincipalVerifier(key).verify(PrincipalSigner(key).sign(sent))
    assert (got.kind, got.worker_id, got.project_ids, got.scopes) == (
        WORKER,
        "wkr_0123456789abcdef",
        ("p1", "p2"),
        ("worker:poll", "worker:heartbeat"),
    )


def test_changing_the_projects_breaks_the_signature() -> None:
    key = os.urandom(32)
    token = PrincipalSigner(key).sign(Principal(kind=WORKER, project_ids=("p1",)))
    body, _, mac = token.partition(".")
    forged = body.replace(body[-4:], "AAAA") + "." + mac
    with pytest.raises(Unauthenticated):
        PrincipalVerifier(key).verify(forged)


def test_one_principal_object_is_signed_once_while_its_token_is_young(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = os.urandom(32)
    signer, verifier = PrincipalSigner(key, ttl_seconds=60), PrincipalVerifier(key)
    principal = Principal(kind=WORKER, worker_id="wkr_1", project_ids=("*",))
    first = signer.sign(principal)
    assert signer.sign(principal) == first  # a heartbeat's second call reuses the token
    assert verifier.verify(first).worker_id == "wkr_1"
    now = time.time()
    monkeypatch.setattr(principal_module.time, "time", lambda: now + 31)  # less than half the life left
    renewed = signer.sign(principal)
    assert renewed != first
    assert verifier.verify(renewed).expires_at > verifier.verify(first).expires_at


def test_an_equal_but_different_principal_object_gets_its_own_signature() -> None:
    key = os.urandom(32)
    signer = PrincipalSigner(key)
    one, other = Principal(kind=WORKER, worker_id="wkr_1"), Principal(kind=WORKER, worker_id="wkr_2")
    assert PrincipalVerifier(key).verify(signer.sign(other)).worker_id == "wkr_2"
    assert PrincipalVerifier(key).verify(signer.sign(one)).worker_id == "wkr_1"
