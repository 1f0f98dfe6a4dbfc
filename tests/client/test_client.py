"""`fleetops.client` against the real app: typed records, paging, natural keys, one error type, profiles."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from fleetops.client import ApiError, BadAnswer, Client, NotConfigured
from fleetops.client.profiles import DEFAULT_SERVER, resolve
from fleetops.inventory.choices import NodeState
from fleetops.sim.fleet import generate
from tests.cli.harness import SERVER, AppTransport
from tests.factories import load


@pytest.fixture
def fleet(sqlite_database) -> Client:  # type: ignore[no-untyped-def]
    load(sqlite_database, generate(5, 30))
    return Client(SERVER, "fo_issued_on_first_request", transport=AppTransport())


def test_lists_page_transparently_or_explicitly(fleet: Client) -> None:
    every = list(fleet.nodes.list())
    assert len(every) == 30 and every[0].state is NodeState.RACKED and every[0].supplier
    first = fleet.nodes.page(limit=12, state="racked")
    assert (len(first.items), first.total, first.more) == (12, 30, True)
    second = fleet.nodes.page(limit=12, state="racked", cursor=first.next_cursor)
    assert second.total is None and [n.id for n in second.items] == [n.id for n in every[12:24]]
    assert [n.hostname for n in fleet.nodes.list(limit=5)] == [n.hostname for n in every[:5]]


def test_a_page_is_validated_whole_into_typed_records(fleet: Client) -> None:
    page = fleet.nodes.page(limit=3)
    assert [type(n).__name__ for n in page.items] == ["NodeRead"] * 3
    assert page.items[0].created_at.utcoffset() == timedelta(0)
    assert page.items[0] == fleet.nodes.get(page.items[0].id)  # the list and the record agree, typed


def _answering(body: bytes) -> Client:
    return Client(
        "http://fleetops.test",
        "fo_a_b",
        transport=httpx.MockTransport(lambda _: httpx.Response(200, content=body)),
    )


def test_a_newer_server_is_read_and_a_broken_answer_is_one_client_error() -> None:
    node = {
        "id": 1,
        "created_at": "2026-12-06T03:34:46Z",
        "updated_at": "2026-12-06T03:34:46+00:00",
        "hostname": "n1",
        "serial": "S1",
        "site": "dfw1",
        "rack": "r01",
        "gpu_model": "H100",
        "gpu_count": 0,
        "field_of_a_later_version": [1],
    }
    newer = _answering(json.dumps({"items": [node], "next_cursor": None, "total": 1}).encode())
    assert [n.hostname for n in newer.nodes.list()] == ["n1"]
    for body, said in (
        (json.dumps({"items": [node | {"hostname": None}]}), "items.0.hostname"),
        (json.dumps({"items": [node | {"gpu_count": "many"}]}), "items.0.gpu_count"),
        ("<html>502 Bad Gateway</html>", "not a fleetops answer"),
    ):
        with pytest.raises(BadAnswer, match=said) as broken:
            list(_answering(body.encode()).nodes.list())
        assert broken.value.url.startswith("http://fleetops.test/api/v1/nodes?")
    with pytest.raises(BadAnswer, match="findings"):
        list(_answering(b"[]").health.findings())


def test_records_by_natural_key_or_id(fleet: Client) -> None:
    node = next(fleet.nodes.list(limit=1))
    assert fleet.nodes.get(node.hostname) == fleet.nodes.get(node.id)
    changed = fleet.nodes.update(node.hostname, position=7)
    assert changed.position == 7 and changed.id == node.id
    assert fleet.sites.get("stream").supplier == node.supplier


def test_refusals_are_one_error_type_with_the_problem(fleet: Client) -> None:
    with pytest.raises(ApiError) as missing:
        fleet.nodes.get("nope")
    assert (missing.value.status, missing.value.title, missing.value.code) == (404, "Not found", "not_found")
    assert missing.value.detail == "node nope: no such node"
    with pytest.raises(ApiError) as typo:
        list(fleet.nodes.list(cluster="nope"))
    assert typo.value.status == 422 and "filter cluster" in typo.value.detail
    with pytest.raises(ApiError) as bad_state:
        fleet.incidents.list(status="bogus")
    assert bad_state.value.status == 422 and "status" in bad_state.value.detail


def test_import_and_export_round_trip_through_the_api(fleet: Client) -> None:
    text = fleet.inventory.export("csv")
    seen: list[tuple[int, int]] = []
    summary = fleet.inventory.import_text(
        text, "csv", progress=lambda done, total: seen.append((done, total))
    )
    assert summary["unchanged"]["node"] == 30 and not any(summary["created"].values())
    assert seen[-1][0] == seen[-1][1] == len(text.encode())


def test_profiles_layer_flags_over_environment_over_the_file(tmp_path: Path) -> None:
    config = tmp_path / "cli.toml"
    (tmp_path / "t").write_text("fo_from_file\n")
    config.write_text('default_profile = "a"\n[profiles.a]\nserver = "http://a/"\ntoken_file = "t"\n')
    env = {"FLEETOPS_CLI_CONFIG": str(config)}
    assert resolve(env=env) == resolve(profile="a", env=env)
    assert (resolve(env=env).server, resolve(env=env).token) == ("http://a", "fo_from_file")
    with_env = env | {"FLEETOPS_URL": "http://b", "FLEETOPS_TOKEN": "fo_env"}
    assert (resolve(env=with_env).server, resolve(env=with_env).token) == ("http://b", "fo_env")
    assert resolve("http://c", "fo_flag", env=with_env).server == "http://c"
    assert resolve(env={"FLEETOPS_CLI_CONFIG": str(tmp_path / "none.toml")}).server == DEFAULT_SERVER
    with pytest.raises(NotConfigured, match="profile 'z': not in"):
        resolve(profile="z", env=env)
