"""Key sealing, KEK derivation and JWK form with real cryptography (no I/O)."""

from __future__ import annotations

import base64
import os

import pytest
from cryptography.exceptions import InvalidTag
from switchyard import signing

pytestmark = pytest.mark.unit

_INFO = b"switchyard-test/signing-key-encryption/v1"


def _sealed() -> tuple[signing.KeyPair, bytes, bytes]:
    pair = signing.generate()
    assert pair.private is not None
    kek = signing.derive_kek(b"k" * 32, info=_INFO)
    return pair, kek, signing.encrypt_private(pair.private, kek=kek, kid=pair.kid)


def test_a_sealed_private_key_opens_under_its_kek_and_kid() -> None:
    pair, kek, blob = _sealed()
    opened = signing.decrypt_private(blob, kek=kek, kid=pair.kid)
    assert signing.public_bytes(opened.public_key()) == signing.public_bytes(pair.public)
    assert pair.private is not None
    assert opened.sign(b"m") == pair.private.sign(b"m")  # Ed25519 signatures are deterministic


def test_a_key_sealed_under_one_kek_cannot_be_opened_under_another() -> None:
    pair, _, blob = _sealed()
    other = signing.derive_kek(b"x" * 32, info=_INFO)
    with pytest.raises(InvalidTag):
        signing.decrypt_private(blob, kek=other, kid=pair.kid)
    assert signing.try_decrypt_private(blob, kek=other, kid=pair.kid) is None


def test_the_kid_is_bound_and_tampering_is_detected() -> None:
    pair, kek, blob = _sealed()
    assert signing.try_decrypt_private(blob, kek=kek, kid="another-kid") is None
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    assert signing.try_decrypt_private(tampered, kek=kek, kid=pair.kid) is None


def test_each_seal_uses_a_fresh_nonce() -> None:
    pair, kek, blob = _sealed()
    assert pair.private is not None
    assert signing.encrypt_private(pair.private, kek=kek, kid=pair.kid) != blob


def test_the_hkdf_label_separates_services_sharing_one_principal_key() -> None:
    secret = b"p" * 40
    identity = signing.derive_kek(secret, info=b"switchyard-identity/signing-key-encryption/v1")
    workers = signing.derive_kek(secret, info=b"switchyard-workers/signing-key-encryption/v1")
    assert len(identity) == len(workers) == 32
    assert identity != workers
    assert signing.derive_kek(secret, info=_INFO) == signing.derive_kek(secret, info=_INFO)


def test_a_32_byte_kek_is_used_as_is_and_others_are_derived() -> None:
    exact = bytes(range(32))
    assert signing.normalize_kek(exact, info=_INFO) == exact
    longer = bytes(range(48))
    assert signing.normalize_kek(longer, info=_INFO) == signing.derive_kek(longer, info=_INFO)
    assert len(signing.normalize_kek(longer, info=_INFO)) == 32


def test_jwk_is_okp_ed25519_with_the_raw_public_key() -> None:
    pair = signing.generate()
    jwk = signing.to_jwk(pair)
    assert (jwk["kid"], jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == (
        pair.kid,
        "OKP",
        "Ed25519",
        "EdDSA",
        "sig",
    )
    assert "=" not in jwk["x"]
    raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
    assert signing.public_bytes(signing.load_public(raw)) == signing.public_bytes(pair.public)


def test_resolve_kek_prefers_the_configured_key_and_derives_otherwise() -> None:
    principal_key = os.urandom(32)
    configured = os.urandom(32)
    assert signing.resolve_kek(configured, principal_key=principal_key, info=b"svc") == configured
    derived = signing.resolve_kek(None, principal_key=principal_key, info=b"svc")
    assert derived == signing.derive_kek(principal_key, info=b"svc")
    assert derived != signing.resolve_kek(None, principal_key=principal_key, info=b"other")
