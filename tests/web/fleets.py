"""Fleets for the console tests: the simulator's fleet (real import path), every in-service node reporting
healthy through the real health ingest, and optionally one GPU showing XID 79."""

from __future__ import annotations

import random

from msgspec.structs import replace
from sqlalchemy import select

from fleetops import clock
from fleetops.db.session import Database
from fleetops.inventory.choices import NodeState
from fleetops.inventory.models import Gpu, Node
from fleetops.sim.faults import node_report, post_reports
from fleetops.sim.load import seed_fleet
from tests.health.reports import xid

REPORTING = (NodeState.READY, NodeState.CORDONED, NodeState.DRAINING, NodeState.REPAIR)


def report_fleet(database: Database, bad: int | None = None, bad_gpu: int = 3) -> list[str]:
    """Every in-service node reports healthy; the `bad`-th of them (in id order) reports XID 79 on
    `bad_gpu`. Returns the reporting hostnames in id order."""
    with database.transaction() as session:
        rows = session.execute(
            select(Node.hostname, Gpu.uuid)
            .join(Gpu, Gpu.node_id == Node.id)
            .where(Node.state.in_(REPORTING))
            .order_by(Node.id, Gpu.index)
        ).all()
    uuids: dict[str, list[str]] = {}
    for hostname, uuid in rows:
        uuids.setdefault(hostname, []).append(uuid)
    rng, now = random.Random(3), clock.now()
    reports = []
    for i, (hostname, gpus) in enumerate(uuids.items()):
        report = node_report(hostname, gpus, now, rng, busy=False)
        assert report is not None
        if i == bad:
            report = replace(report, xid_events=[xid(79, index=bad_gpu, at=now)])
        reports.append(report)
    accepted, rejected = post_reports(database, reports)
    assert (accepted, rejected) == (len(reports), 0)
    return list(uuids)


def simulated_fleet(database: Database, nodes: int, bad: int | None = None) -> list[str]:
    seed_fleet(database, 7, nodes)
    return report_fleet(database, bad)
