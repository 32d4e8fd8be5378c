"""Pure identity rules: validation, slugging, member role rules and org-key specs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from switchyard.grpckit.errors import InvalidArgument, NotFound, PermissionDenied
from switchyard.identity.domain import common
from switchyard.identity.domain.apikeys import rules as key_rules
from switchyard.identity.domain.tenants import rules

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Jane's Team", "janes-team"),
        ("  Ünïcode  Team!!", "n-code-team"),
        ("A.B C", "a-b-c"),
        ("!!!", "team"),
    ],
)
def test_slugify(name: str, expected: str) -> None:
    assert common.slugify(name) == expected


def test_next_slug_skips_taken_suffixes() -> None:
    assert common.next_slug("team", set()) == "team"
    assert common.next_slug("team", {"team"}) == "team-2"
    assert common.next_slug("team", {"team", "team-2", "team-3"}) == "team-4"


def test_personal_tenant_name_uses_the_first_word() -> None:
    assert common.personal_tenant_name("Jane Doe") == "Jane's Team"
    assert common.personal_tenant_name("Cher") == "Cher's Team"


def test_email_is_trimmed_lowered_and_validated() -> None:
    assert common.normalize_email("  Jane@Example.COM ") == "jane@example.com"
    for bad, message in [
        ("", "email is required"),
        ("jane", "email is not a valid email address"),
        ("a@b", "email is not a valid email address"),
        ("x" * 250 + "@b.co", "email must be at most 254 characters"),
    ]:
        with pytest.raises(InvalidArgument, match=message):
            common.normalize_email(bad)


def test_password_policy_names_the_field() -> None:
    common.validate_password("x" * 8)
    common.validate_password("x" * 128)
    with pytest.raises(InvalidArgument, match="newPassword must be at least 8 characters"):
        common.validate_password("x" * 7, field="newPassword")
    with pytest.raises(InvalidArgument, match="password must be at most 128 characters"):
        common.validate_password("x" * 129)


def test_ids() -> None:
    with pytest.raises(InvalidArgument, match="userId is not a valid id"):
        common.parse_id("nope", field="userId")
    with pytest.raises(NotFound, match="member not found"):
        common.find_id("nope", not_found="member not found")


def test_assignable_roles() -> None:
    assert rules.assignable_role("admin") == "admin"
    assert rules.assignable_role("user") == "user"
    with pytest.raises(InvalidArgument, match="use transfer-ownership"):
        rules.assignable_role("owner")
    with pytest.raises(InvalidArgument, match="role is required"):
        rules.assignable_role("")


def test_invite_rules() -> None:
    rules.check_can_invite(actor_role="owner", role="admin")
    rules.check_can_invite(actor_role="admin", role="user")
    with pytest.raises(PermissionDenied, match="only owners can invite admins"):
        rules.check_can_invite(actor_role="admin", role="admin")
    with pytest.raises(PermissionDenied):
        rules.check_can_invite(actor_role="user", role="user")


@pytest.mark.parametrize(
    ("actor_role", "target_role", "same", "allowed"),
    [
        ("owner", "admin", False, True),
        ("owner", "user", False, True),
        ("admin", "user", False, True),
        ("admin", "admin", False, False),
        ("admin", "owner", False, False),
        ("owner", "owner", True, False),
        ("admin", "admin", True, False),
        ("user", "user", False, False),
    ],
)
def test_remove_rules(actor_role: str, target_role: str, same: bool, allowed: bool) -> None:
    kwargs = {
        "actor_id": "a",
        "actor_role": actor_role,
        "target_id": "a" if same else "b",
        "target_role": target_role,
    }
    if allowed:
        rules.check_can_remove(**kwargs)
    else:
        with pytest.raises(PermissionDenied):
            rules.check_can_remove(**kwargs)


def test_change_role_and_transfer_rules() -> None:
    rules.check_can_change_role(actor_id="a", actor_role="owner", target_id="b", target_role="user")
    with pytest.raises(PermissionDenied):
        rules.check_can_change_role(actor_id="a", actor_role="admin", target_id="b", target_role="user")
    with pytest.raises(InvalidArgument):
        rules.check_can_change_role(actor_id="a", actor_role="owner", target_id="a", target_role="owner")
    rules.check_can_transfer(actor_id="a", actor_role="owner", target_id="b")
    with pytest.raises(InvalidArgument):
        rules.check_can_transfer(actor_id="a", actor_role="owner", target_id="a")
    with pytest.raises(PermissionDenied):
        rules.check_can_transfer(actor_id="a", actor_role="admin", target_id="b")


def test_key_formats() -> None:
    raw, stored, preview = key_rules.new_admin_key()
    assert raw.startswith("lsk_")
    assert len(raw) == 47
    assert "=" not in raw
    assert preview == raw[-8:]
    assert stored == key_rules.admin_key_hash(raw)
    raw, stored, prefix = key_rules.new_org_key()
    assert raw.startswith("rsk_live_")
    assert len(raw) == 73
    assert prefix == raw[:12]
    assert len(stored) == 64


def test_org_key_spec_defaults_and_rules() -> None:
    now = datetime.now(UTC)
    wide = key_rules.org_key_spec(
        name=" ci ", all_projects=True, project_ids=[], scopes=[], expires_at=None, now=now
    )
    assert (wide.name, wide.scopes, wide.project_ids) == ("ci", ("*",), ())
    scoped = key_rules.org_key_spec(
        name="ci",
        all_projects=False,
        project_ids=["p", "p", "q"],
        scopes=[],
        expires_at=now + timedelta(1),
        now=now,
    )
    assert scoped.scopes == key_rules.PROJECT_DEFAULT_SCOPES
    assert scoped.project_ids == ("p", "q")
    with pytest.raises(InvalidArgument, match="projects is required"):
        key_rules.org_key_spec(
            name="ci", all_projects=False, project_ids=[], scopes=[], expires_at=None, now=now
        )
    with pytest.raises(InvalidArgument, match="expiresAt must be in the future"):
        key_rules.org_key_spec(
            name="ci", all_projects=True, project_ids=[], scopes=[], expires_at=now, now=now
        )
