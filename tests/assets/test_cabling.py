"""The cabling plan's import: CSV, JSON and YAML alike, a re-import changes nothing, a bad record refuses
the whole file naming its line (or record) and field; the API for writers only, and the CLI's one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from fleetops.assets import cabling
from fleetops.assets.models import Cable
from fleetops.audit.models import AuditEvent
from fleetops.cli.main import app
from fleetops.db.session import Database
from fleetops.errors import InvalidInput
from tests.cli.harness import remote_cli  # noqa: F401 - the fixture

PLAN_CSV = (
    "a_node,a_switch,a_port,b_node,b_switch,b_port,type,label\n"
    "a000,,eth0,,leaf1,swp1,cat6,A0\n"
    "a001,,eth0,,leaf1,swp2,,\n"
    "b000,,eth0,b001,,eth0,dac-passive,\n"
)
PLAN = [
    {
        "a_node": "a000",
        "a_port": "eth0",
        "b_switch": "leaf1",
        "b_port": "swp1",
        "type": "cat6",
        "label": "A0",
    },
    {"a_node": "a001", "a_port": "eth0", "b_switch": "leaf1", "b_port": "swp2"},
    {"a_node": "b000", "a_port": "eth0", "b_node": "b001", "b_port": "eth0", "type": "dac-passive"},
]
PLAN_YAML = """
- {a_node: a000, a_port: eth0, b_switch: leaf1, b_port: swp1, type: cat6, label: A0}
- {a_node: a001, a_port: eth0, b_switch: leaf1, b_port: swp2}
- a_node: b000
  a_port: eth0
  b_node: b001
  b_port: eth0
  type: dac-passive
"""


def imported(database: Database, text: str, fmt: str = "csv", source: str = "plan.csv") -> dict[str, int]:
    with database.transaction() as session:
        return cabling.import_file(session, "test", source, fmt, text)


def cables(database: Database) -> set[tuple[object, ...]]:
    with database.transaction() as session:
        return {
            (c.a_device, c.a_switch, c.a_port, c.b_device, c.b_switch, c.b_port, c.type, c.label)
            for c in session.scalars(select(Cable))
        }


@pytest.mark.parametrize(
    ("fmt", "text"), [("csv", PLAN_CSV), ("json", json.dumps(PLAN)), ("yaml", PLAN_YAML)]
)
def test_each_format_imports_the_same_plan_and_a_reimport_changes_nothing(
    fleet: Database, fmt: str, text: str
) -> None:
    assert imported(fleet, text, fmt) == {"created": 3, "updated": 0, "unchanged": 0}
    assert cables(fleet) == {
        ("a000", False, "eth0", "leaf1", True, "swp1", "cat6", "A0"),
        ("a001", False, "eth0", "leaf1", True, "swp2", None, None),
        ("b000", False, "eth0", "b001", False, "eth0", "dac-passive", None),
    }
    assert imported(fleet, text, fmt) == {"created": 0, "updated": 0, "unchanged": 3}
    moved = PLAN_CSV.replace("a001,,eth0,,leaf1,swp2,,", "a001,,eth0,,leaf1,swp9,,")
    assert imported(fleet, moved) == {"created": 0, "updated": 1, "unchanged": 2}
    with fleet.transaction() as session:
        audited = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "cabling.import")
        )
    assert audited == 2  # the re-import that changed nothing wrote nothing


HEADER = "a_node,a_switch,a_port,b_node,b_switch,b_port,type\n"
GOOD = "a000,,eth0,,leaf1,swp1,\n"


@pytest.mark.parametrize(
    ("rows", "said"),
    [
        ("a999,,eth0,,leaf1,swp2,\n", "plan.csv line 3: field a_node: no node 'a999'"),
        ("a001,leaf2,eth0,,leaf1,swp2,\n", "plan.csv line 3: field a_node: give a_node or a_switch, once"),
        (",,eth0,,leaf1,swp2,\n", "plan.csv line 3: field a_node: give a_node or a_switch, once"),
        ("a001,,,,leaf1,swp2,\n", "plan.csv line 3: field a_port: Field required"),
        ("a001,,eth0,,leaf1,swp1,\n", "plan.csv line 3: field b_port: leaf1:swp1 is on line 2"),
        ("a000,,eth0,,leaf1,swp2,\n", "plan.csv line 3: field a_port: a000:eth0 also at line 2"),
        (",spine1,p1,,leaf1,swp2,\n", "plan.csv line 3: field a_switch: a cable needs a node on one end"),
        ("a001,,eth0,,a002,swp2,\n", "plan.csv line 3: field b_switch: 'a002' is a node: use b_node"),
        ("a001,,eth0,a001,,eth0,\n", "plan.csv line 3: field b_port: a cable from a port to itself"),
        ("a001,,eth0,,leaf1,swp2,,x\n", "plan.csv line 3: 8 values for 7 columns"),
    ],
)
def test_a_bad_record_refuses_the_whole_file_naming_line_and_field(
    fleet: Database, rows: str, said: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        imported(fleet, HEADER + GOOD + rows)
    assert str(caught.value) == said
    assert cables(fleet) == set()  # the good first row did not land either


def test_a_plan_checks_its_ports_against_the_cables_already_planned(fleet: Database) -> None:
    imported(fleet, PLAN_CSV)
    with pytest.raises(InvalidInput) as caught:
        imported(fleet, HEADER + "a002,,eth0,,leaf1,swp1,\n", source="more.csv")
    assert (
        str(caught.value)
        == "more.csv line 2: field b_port: leaf1:swp1 is on the planned cable from a000:eth0"
    )
    refused = [
        ("json", '{"a_node": "a000"}', "plan.json: expected a list of cables"),
        ("json", '[{"a_node": "a002", "a_port": "e", "b_switch": "s", "b_port": "p", "colour": "red"}]',
         "plan.json record 1: field colour: Extra inputs are not permitted"),
        ("yaml", "- {a_node: [a002], a_port: e}\n", "plan.json record 1: field a_node: expected text"),
        ("toml", "x", "plan.json: unknown format 'toml': use csv, json or yaml"),
        ("json", "[]", "plan.json: no cables"),
        ("csv", "a_switch\n\ud800\n", "plan.json: character 10 is not text (a lone surrogate)"),
    ]  # fmt: skip
    for fmt, text, said in refused:
        with pytest.raises(InvalidInput) as caught:
            imported(fleet, text, fmt, source="plan.json")
        assert str(caught.value).startswith(said)
    assert len(cables(fleet)) == 3


def test_the_api_is_for_writers_and_refuses_as_problem_json(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    body = {"source": "plan.csv", "format": "csv", "content": PLAN_CSV}
    url = "/api/v1/assets/cabling"
    assert client.post(url, json=body).status_code == 401
    for who in ("viewer", "initech", "acme"):
        assert client.post(url, json=body, headers=tokens[who]).status_code == 403
    assert client.post(url, json=body, headers=tokens["operator"]).json() == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
    }
    bad = client.post(url, json=body | {"content": HEADER + "a999,,e,,s,p,\n"}, headers=tokens["admin"])
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert "plan.csv line 2: field a_node: no node 'a999'" in bad.json()["detail"]


def test_the_cli_imports_a_yaml_plan_and_says_a_refusal_in_one_line(
    fleet: Database,
    remote_cli,  # noqa: F811
    tmp_path: Path,
) -> None:
    runner = CliRunner()
    path = tmp_path / "plan.yml"
    path.write_text(PLAN_YAML)
    done = runner.invoke(app, ["assets", "cabling", str(path)])
    assert done.exit_code == 0, done.stderr
    assert done.stdout == "created 3, updated 0, unchanged 0\n"
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "a000,,eth0,,a001,swp1,\n")
    refused = runner.invoke(app, ["assets", "cabling", str(bad)])
    assert refused.exit_code == 2 and refused.stdout == ""
    assert refused.stderr == "error: bad.csv line 2: field b_switch: 'a001' is a node: use b_node\n"
    again = runner.invoke(app, ["assets", "cabling", str(path), "--json"])
    assert json.loads(again.stdout) == {"created": 0, "updated": 0, "unchanged": 3}
    latin = tmp_path / "latin.csv"
    latin.write_bytes(HEADER.encode() + b"a000,,caf\xe9,,s1,p1,\n")  # a spreadsheet saved as Latin-1
    unread = runner.invoke(app, ["assets", "cabling", str(latin)])
    assert unread.exit_code == 2 and unread.stdout == ""
    assert unread.stderr.startswith(f"error: {latin}: cannot read (") and unread.stderr.count("\n") == 1
