"""A file import at scale: rows written through the DB-API's executemany read back exactly as SQLAlchemy
would have written them, and the audit names the file once, each node once, and lists the GPUs by chunk."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from fleetops.audit.models import AuditEvent
from fleetops.audit.service import AUDIT
from fleetops.db import bulk
from fleetops.inventory import formats
from fleetops.inventory.apply import apply_document
from fleetops.inventory.choices import NodeState
from fleetops.inventory.models import Contract, Gpu, Node
from fleetops.inventory.schemas import Document
from fleetops.sim.fleet import generate
from tests.factories import two_tenant_fleet


def _import_file(database, data: bytes, fmt: str, source: str = "fleet.csv"):
    with database.transaction() as session:
        return apply_document(session, "ops", formats.read(data, fmt, source))


def _audit(database, **where):
    with database.transaction() as session:
        stmt = select(AuditEvent).order_by(AuditEvent.id)
        for name, value in where.items():
            stmt = stmt.where(getattr(AuditEvent, name) == value)
        return list(session.scalars(stmt))


@pytest.mark.parametrize("fmt", formats.FORMATS)
def test_a_file_import_is_one_entry_naming_the_file_with_its_nodes_and_gpus_listed(database, fmt):
    fleet = generate(seed=2, nodes=300)
    data = formats.dump(fleet, fmt).encode()
    result = _import_file(database, data, fmt, f"fleet.{fmt}")

    (entry,) = _audit(database, action="inventory.import")
    assert (entry.actor, entry.target_type, entry.target_key) == ("ops", "file", f"fleet.{fmt}")
    assert entry.changes["sha256"] == hashlib.sha256(data).hexdigest()
    assert entry.changes["bytes"] == len(data) and entry.changes["format"] == fmt
    assert entry.changes["created"] == dict(result.created) and entry.changes["created"]["gpu"] == 2400

    nodes = _audit(database, action="node.create")
    assert sorted(e.target_key for e in nodes) == sorted(n["hostname"] for n in fleet["nodes"])
    assert nodes[0].changes["state"] == fleet["nodes"][0]["state"]  # the uptime replay reads this
    gpu_entries = _audit(database, action="gpu.import")
    listed = [uuid for e in gpu_entries for uuid in e.changes["created"]]
    assert sorted(listed) == sorted(g["uuid"] for n in fleet["nodes"] for g in n["gpus"])
    assert len(gpu_entries) == 2  # 2,400 GPUs: one entry per chunk of 2,000
    assert not _audit(database, action="gpu.create")


def test_reimporting_the_same_file_changes_nothing_and_says_so_once(database):
    data = formats.dump(generate(seed=2, nodes=50), "csv").encode()
    _import_file(database, data, "csv")
    before = len(_audit(database))
    again = _import_file(database, data, "csv")
    assert sum(again.created.values()) == sum(again.updated.values()) == 0
    added = _audit(database)[before:]
    assert [e.action for e in added] == ["inventory.import"]
    assert added[0].changes["unchanged"]["gpu"] == 400


def test_gpus_changed_by_a_file_are_listed_in_its_entry(database):
    fleet = two_tenant_fleet()
    _import_file(database, formats.dump(fleet, "json").encode(), "json")
    node = next(n for n in fleet["nodes"] if n.get("gpus"))
    gone, changed = node["gpus"][0]["uuid"], node["gpus"][1]
    was = changed.get("serial")
    node["gpus"] = node["gpus"][1:]
    node["gpu_count"] = len(node["gpus"])
    changed["serial"] = "SN-replaced"
    _import_file(database, formats.dump(fleet, "json").encode(), "json")
    deleted, updated = _audit(database, action="gpu.import")[-2:]
    assert deleted.changes == {"source": "fleet.csv", "deleted": [gone]}
    assert updated.changes == {
        "source": "fleet.csv",
        "updated": {changed["uuid"]: {"serial": [was, "SN-replaced"]}},
    }


def test_records_given_through_the_api_shape_keep_a_row_each(database):
    with database.transaction() as session:
        apply_document(session, "ops", Document.model_validate(two_tenant_fleet()))
    assert _audit(database, action="gpu.create") and not _audit(database, action="inventory.import")


def test_rows_inserted_as_tuples_read_back_typed(database):
    """Times, enums, dates and JSON through the DB-API path read back as through SQLAlchemy's."""
    data = formats.dump(two_tenant_fleet(), "yaml").encode()
    _import_file(database, data, "yaml")
    with database.transaction() as session:
        node = session.scalars(select(Node).order_by(Node.id)).first()
        contract = session.scalars(select(Contract).order_by(Contract.id)).first()
        assert isinstance(node.state, NodeState) and node.created_at.tzinfo is UTC
        assert isinstance(contract.start_date, date)
        entry = session.scalars(select(AuditEvent).where(AuditEvent.action == "node.create")).first()
        assert entry.at.tzinfo is UTC and entry.changes["hostname"] == node.hostname
        assert session.scalar(select(func.count()).select_from(Gpu)) > 0


def test_a_naive_time_is_refused_on_either_database(database):
    with database.transaction() as session, pytest.raises(Exception, match="naive"):
        bulk.insert_rows(
            session.connection(),
            AUDIT,
            ("action", "target_type", "target_key", "result", "changes"),
            [("x", "y", "z", "success", {})],
            {"at": datetime(2026, 1, 1), "actor": "ops"},  # noqa: DTZ001 - the point of the test
        )
