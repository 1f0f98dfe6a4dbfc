"""Import and export: lossless round trips in every format, and bad input that writes nothing."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from fleetops.audit.models import AuditEvent
from fleetops.errors import Conflict, InvalidInput, InvalidTransition
from fleetops.inventory import formats
from fleetops.inventory.apply import apply_document
from fleetops.inventory.models import Gpu, Node, Supplier
from fleetops.inventory.schemas import Document
from fleetops.sim.fleet import generate
from tests.factories import make_node, two_tenant_fleet


def _import(database, data):
    with database.transaction() as session:
        return apply_document(session, "test", Document.model_validate(data))


def _export(database):
    with database.transaction() as session:
        return formats.export(session)


def _count(database, model):
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("fmt", formats.FORMATS)
def test_round_trip_is_lossless_in_every_format(database, fmt):
    fleet = generate(seed=3, nodes=40)
    _import(database, fleet)
    first = _export(database)
    text = formats.dump(first, fmt)
    again = apply_document_text(database, text, fmt)
    assert again.created == {} or sum(again.created.values()) == 0
    assert sum(again.updated.values()) == 0
    assert again.unchanged["node"] == 40 and again.unchanged["gpu"] == 320
    assert formats.parse(text, fmt).model_dump() == Document.model_validate(first).model_dump()
    assert _export(database) == first


def apply_document_text(database, text, fmt):
    with database.transaction() as session:
        return apply_document(session, "test", formats.parse(text, fmt))


def test_import_updates_in_place_and_audits_what_changed(database):
    fleet = two_tenant_fleet()
    _import(database, fleet)
    changed = copy.deepcopy(fleet)
    changed["nodes"][0]["state"] = "cordoned"
    changed["nodes"][0]["gpus"][3]["uuid"] = "GPU-replacement-3"
    result = _import(database, changed)
    assert result.updated["node"] == 1 and result.created["gpu"] == 1 and result.deleted["gpu"] == 1
    with database.transaction() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "node.update")).one()
        assert event.target_key == "a000" and event.changes == {"state": ["ready", "cordoned"]}
        assert session.scalar(select(func.count()).select_from(Gpu).where(Gpu.uuid == "GPU-a000-3")) == 0


BAD_CASES = {
    "unknown supplier": (
        lambda f: f["sites"][0].update(supplier="nobody"),
        InvalidInput,
        "site dfw1: field supplier: unknown supplier 'nobody'",
    ),
    "unknown site": (
        lambda f: f["nodes"][1].update(site="nowhere"),
        InvalidInput,
        "node a001: field rack: unknown rack 'nowhere/r01'",
    ),
    "duplicate serial": (
        lambda f: f["nodes"][2].update(serial="SN-a000"),
        InvalidInput,
        "node #3 (a002): field serial: duplicate 'SN-a000'",
    ),
    "duplicate hostname": (
        lambda f: f["nodes"].append(make_node("a000", serial="other")),
        InvalidInput,
        "node #7 (a000): field hostname: duplicate 'a000'",
    ),
    "duplicate GPU UUID": (
        lambda f: f["nodes"][1]["gpus"][0].update(uuid="GPU-a000-0"),
        InvalidInput,
        "gpu #9 (GPU-a000-0): field uuid: duplicate 'GPU-a000-0'",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_record_is_named_and_nothing_is_written(database, case):
    mutate, error, message = BAD_CASES[case]
    fleet = two_tenant_fleet()
    mutate(fleet)
    with pytest.raises(error) as raised:
        _import(database, fleet)
    assert message in raised.value.message
    assert _count(database, Supplier) == 0 and _count(database, Node) == 0


def test_gpu_count_that_disagrees_with_the_node_is_refused_naming_it():
    fleet = two_tenant_fleet()
    fleet["nodes"][0]["gpu_count"] = 7
    with pytest.raises(InvalidInput, match=r"nodes #1 \(a000\): field record: .*gpu_count is 7 but 8 GPUs"):
        formats.parse(formats.dump(fleet, "json"), "json", "fleet.json")


def test_serial_taken_by_an_existing_node_is_a_conflict_and_rolls_back(database):
    _import(database, two_tenant_fleet())
    intruder = two_tenant_fleet()
    intruder["nodes"] = [make_node("zz01", serial="SN-b001", gpus=None)]
    intruder["suppliers"].append({"name": "late-supplier"})
    with pytest.raises(Conflict, match="node zz01: field serial: 'SN-b001' already belongs to node b001"):
        _import(database, intruder)
    assert _count(database, Supplier) == 2


def test_gpu_moved_from_a_node_not_in_the_file_is_a_conflict(database):
    _import(database, two_tenant_fleet())
    data = {"nodes": [make_node("a000", gpus=[{"index": i, "uuid": f"GPU-b001-{i}"} for i in range(8)])]}
    with pytest.raises(Conflict, match="already installed in node b001"):
        _import(database, data)


def test_illegal_lifecycle_move_is_refused(database):
    _import(database, two_tenant_fleet())
    data = {"nodes": [make_node("a000", state="planned", gpus=None)]}
    with pytest.raises(InvalidTransition, match="node a000: field state: ready → planned"):
        _import(database, data)


@pytest.mark.parametrize(
    "fmt,text,message",
    [
        ("yaml", "nodes: [unclosed", "malformed YAML"),
        ("json", '{"nodes": ', "malformed JSON"),
        ("csv", "kind,name\nwidget,x\n", "inventory line 2: field kind: 'widget'"),
        ("yaml", "- just\n- a list\n", "expected a mapping of kinds"),
        ("yaml", "nodes: [{hostname: x}]", "nodes #1 (x): field serial: Field required"),
        ("yaml", "racks: [{name: r, site: s, color: red}]", "racks #1 (r): field color: Extra inputs"),
    ],
)
def test_malformed_files_get_one_clear_error(fmt, text, message):
    with pytest.raises(InvalidInput) as raised:
        formats.parse(text, fmt, "inventory")
    assert message in raised.value.message


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=300), fmt=st.sampled_from(formats.FORMATS))
def test_parser_never_fails_with_anything_but_a_clear_error(text, fmt):
    try:
        formats.parse(text, fmt)
    except InvalidInput as exc:
        assert exc.message
