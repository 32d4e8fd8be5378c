"""Signed principals survive the trip intact, tuples included, and refuse tampering."""

from __future__ import annotations

import os

import pytest
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
