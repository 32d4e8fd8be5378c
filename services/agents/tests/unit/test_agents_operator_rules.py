"""Pure operator-action rules: patch validation and inversion, install URLs, redaction, the deploy-net
table, and the container -> app lookup over the heartbeat's source."""

from __future__ import annotations

import pytest
from agent.v1 import agent_pb2
from switchyard.agents.domain.operator import rules
from switchyard.agents.domain.operator.models import REENROLL, AppRef, DwaarPatch
from switchyard.agents.operator_io import AppContainerLookup
from switchyard.grpckit.errors import InvalidArgument

pytestmark = pytest.mark.unit


def test_a_remove_ignores_the_value_and_an_upsert_value_is_trimmed() -> None:
    assert rules.dwaar_patch(block="analytics", action="remove", value="ignored") == DwaarPatch(
        "analytics", "remove", ""
    )
    assert rules.dwaar_patch(block="log_level", action="upsert", value="  warn ") == DwaarPatch(
        "log_level", "upsert", "warn"
    )
    assert rules.dwaar_patch(block="log_level", action="upsert", value="é" * 2048).value == "é" * 2048
    with pytest.raises(InvalidArgument, match="at most 4096 bytes"):
        rules.dwaar_patch(block="log_level", action="upsert", value="é" * 2049)
    with pytest.raises(InvalidArgument, match="single line"):
        rules.dwaar_patch(block="log_level", action="upsert", value="a\rb")


@pytest.mark.parametrize(
    ("reply", "inverse"),
    [
        ({"prev": "", "prev_present": False}, DwaarPatch("log_level", "remove")),
        ({"prev": "info"}, DwaarPatch("log_level", "upsert", "info")),
        ({"prev": ""}, DwaarPatch("log_level", "remove")),
        ({"prev": " info ", "prev_present": True}, DwaarPatch("log_level", "upsert", "info")),
    ],
)
def test_the_inverse_restores_the_previous_block(reply: dict[str, object], inverse: DwaarPatch) -> None:
    assert rules.inverse_of(DwaarPatch("log_level", "upsert", "warn"), reply) == (inverse, "")


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        ({}, "no previous block body"),
        ({"prev": "", "prev_present": True}, "previous block was empty"),
        ({"prev": "retention 30d\nsample 10", "prev_present": True}, "spanned several lines"),
        ({"prev": "x" * 4097}, "longer than 4096 bytes"),
    ],
)
def test_a_previous_block_a_patch_cannot_write_back_is_not_invertible(
    reply: dict[str, object], why: str
) -> None:
    inverse, reason = rules.inverse_of(DwaarPatch("analytics", "remove"), reply)
    assert inverse is None
    assert why in reason


def test_install_url_carries_the_token_and_previous_server_id_and_readers_see_it_redacted() -> None:
    url = rules.install_url("https://gw.test/api/agent/install.sh", token="sit_a.b+c", server_id="srv-1")
    assert url == "https://gw.test/api/agent/install.sh?token=sit_a.b%2Bc&previous_server_id=srv-1"
    assert rules.paste_command(url) == f"curl -fsSL '{url}' | PERMANU_FORCE_REENROLL=1 sh"
    assert rules.redacted_payload(REENROLL, {"install_url": url}) == {
        "install_url": "https://gw.test/api/agent/install.sh?token=redacted&previous_server_id=srv-1"
    }
    assert rules.redacted_payload(5, {"install_url": url}) == {"install_url": url}
    assert rules.installer_url(" http://127.0.0.1:8000/api/agent/install.sh ") == (
        "http://127.0.0.1:8000/api/agent/install.sh"
    )
    for bad in ("https://gw.test/x#f", "https:///x", "https://gw.test/a b", "x" * 10):
        with pytest.raises(InvalidArgument, match="installer_url"):
            rules.installer_url(bad)


def test_network_table_maps_apps_by_name_or_id_and_flags_the_rest() -> None:
    reply = {
        "network_name": "deploy-net",
        "containers": [
            {"container_id": "c4", "container_name": "zz-orphan", "ipv4_address": "10.0.0.4/24"},
            {"container_id": "c2", "container_name": "web", "ipv4_address": "10.0.0.2/24"},
            {"container_id": "c3", "container_name": "renamed", "ipv4_address": 7},
            {"container_id": "c1", "container_name": "permanu-agent"},
            "not an object",
        ],
    }
    apps = {"web": AppRef("app-web", "dep-1"), "c3": AppRef("app-api")}
    table = rules.network_table(reply, apps, command_id="cmd")
    assert [(c.container_name, c.app, c.unexpected_on_deploy_net) for c in table.containers] == [
        ("permanu-agent", None, False),
        ("renamed", AppRef("app-api"), False),
        ("web", AppRef("app-web", "dep-1"), False),
        ("zz-orphan", None, True),
    ]
    assert table.containers[1].ipv4_address == ""
    assert (table.network_name, table.network_id, table.error) == ("deploy-net", "", "")
    assert rules.network_table(
        {"containers": "x", "error": "docker unavailable"}, {}, command_id="c"
    ).error == ("docker unavailable")


class _Source:
    async def for_server(self, server_id: str) -> list[agent_pb2.AppContainerMapping]:
        return [
            agent_pb2.AppContainerMapping(
                container_name="web", app_id="a1", deployment_id="d1", container_id="c1"
            ),
            agent_pb2.AppContainerMapping(container_name="loose", app_id=""),
        ]


async def test_the_lookup_keys_each_mapping_by_name_and_id_and_skips_unmapped_ones() -> None:
    found = await AppContainerLookup(_Source()).for_server("srv")
    assert found == {"web": AppRef("a1", "d1"), "c1": AppRef("a1", "d1")}
    assert await AppContainerLookup().for_server("srv") == {}
