"""Supplier scorecards for 20 suppliers over 90 days of history (the issue's bound: ≤ 500 ms), and the
goals' key results over the same fleet. The history is written as fleetops writes it: node state changes
in the audit log, incidents with the suppliers' acknowledgements, bring-ups, remediation runs with their
ticket steps, silent findings. Run:

    .venv/bin/python bench/bench_scorecards.py [--nodes-per-supplier 100] [--repeat 7]

Printed per measure: the median and slowest wall time and the median CPU time of this process.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from fleetops import clock
from fleetops.alerts.models import Incident, IncidentEvent
from fleetops.audit.models import AuditEvent
from fleetops.auth.principal import SYSTEM
from fleetops.db.migrate import upgrade
from fleetops.db.session import Database
from fleetops.deploy.models import NodeBringup, Rollout
from fleetops.health.models import HealthFinding
from fleetops.inventory.apply import apply_document
from fleetops.inventory.models import Node, Rack, Site
from fleetops.inventory.schemas import Document
from fleetops.okr.history import history as weekly_history
from fleetops.okr.scorecard import scorecard
from fleetops.remediation.models import RemediationRun, RemediationStep
from fleetops.suppliers.scorecard import Period, scorecards, visible_suppliers

SUPPLIERS, DAYS = 20, 90
T0 = datetime(2026, 1, 1, tzinfo=UTC)
END = T0 + timedelta(days=DAYS)


def fleet(per_supplier: int) -> dict:
    names = [f"s{i:02d}" for i in range(SUPPLIERS)]
    cluster = {"orchestrator": "kubernetes", "state": "active"}
    node = {"rack": "r1", "gpu_model": "H100", "state": "ready"}
    return {
        "suppliers": [{"name": n} for n in names],
        "regions": [{"name": "r"}],
        "sites": [{"name": f"{n}-dc", "supplier": n, "region": "r"} for n in names],
        "racks": [{"name": "r1", "site": f"{n}-dc"} for n in names],
        "clusters": [{"name": f"{n}-c", "supplier": n, "site": f"{n}-dc", **cluster} for n in names],
        "nodes": [
            {
                "hostname": f"{n}-n{j:04d}",
                "serial": f"{n}-{j}",
                "site": f"{n}-dc",
                "cluster": f"{n}-c",
                **node,
            }
            for n in names
            for j in range(per_supplier)
        ],
    }


def _day(rng: random.Random, last: float = DAYS) -> datetime:
    return T0 + timedelta(days=rng.uniform(0, last))


def _repair(hostname: str, out: datetime, back: datetime) -> list[dict]:
    """A node's trip to repair and back, as `inventory.moves` audits it."""
    row = {"actor": "b", "action": "remediation.node_state", "target_type": "node", "target_key": hostname}
    return [
        row | {"at": at, "result": "success", "changes": {"state": pair}}
        for at, pair in ((out, ["ready", "repair"]), (back, ["repair", "ready"]))
    ]


def _silent(node_id: int, opened: datetime) -> dict:
    text = {"severity": "warning", "title": "t", "action": "none", "owner": "unknown", "summary": ""}
    return text | {
        "node_id": node_id,
        "key": f"silent-{node_id}",
        "check": "node_silent",
        "source": "sweep",
        "reported_by": "b",
        "opened_at": opened,
        "last_seen_at": opened,
        "resolved_at": opened + timedelta(minutes=30),
    }


def _incident(i: int, opened: datetime) -> dict:
    text = {"scope": "node", "subject": "n", "owner": "hardware", "status": "open", "priority": "P2"}
    return text | {
        "key": f"k{i}",
        "labels": {"supplier": f"s{i % SUPPLIERS:02d}"},
        "disposition": "notify",
        "receivers": ["supplier-slack"],
        "opened_at": opened,
        "updated_at": opened,
    }


def _ticketed(session, rng: random.Random, supplier_id: int, node_id: int, hostname: str) -> None:
    opened = _day(rng)
    run = RemediationRun(
        node_id=node_id, hostname=hostname, supplier_id=supplier_id, check="xid", rule="r", reason="r",
        fault_class="hardware", state="resolved", plan=["rma_ticket"], ticket="T", detected_at=opened,
        back_in_service_at=opened + timedelta(hours=30),
    )  # fmt: skip
    session.add(run)
    session.flush()
    for at in (opened, opened + timedelta(hours=rng.uniform(2, 60))):
        step = {
            "actor": "e",
            "from_state": "acting",
            "to_state": "acting",
            "action": "rma_ticket",
            "outcome": "ok",
        }
        session.add(RemediationStep(run_id=run.id, at=at, **step))


def history(session, rng: random.Random) -> dict[str, int]:
    columns = (Node.id, Node.hostname, Node.rack_id, Rack.site_id, Site.supplier_id)
    query = select(*columns).join(Rack, Rack.id == Node.rack_id).join(Site, Site.id == Rack.site_id)
    nodes = session.execute(query).all()
    rollout = Rollout(name="r", cluster_id=1, image="i", profile="p", created_by="b")
    session.add(rollout)
    session.flush()
    audits, bringups, silent, runs = [], [], [], 0
    for n in nodes:
        bringups.append(
            {"rollout_id": rollout.id, "node_id": n.id, "hostname": n.hostname, "rack_id": n.rack_id,
             "site_id": n.site_id, "gpu_count": 8, "state": "ready", "enrolled_at": _day(rng),
             "escalations": int(rng.random() < 0.05)}
        )  # fmt: skip
        if rng.random() < 0.2:  # a fifth of the nodes spend a few hours in repair
            out = _day(rng, DAYS - 1)
            audits += _repair(n.hostname, out, out + timedelta(hours=rng.uniform(1, 12)))
        if rng.random() < 0.05:
            silent.append(_silent(n.id, _day(rng)))
        if rng.random() < 0.1:
            _ticketed(session, rng, n.supplier_id, n.id, n.hostname)
            runs += 1
    incidents = [_incident(i, _day(rng)) for i in range(SUPPLIERS * DAYS * 3)]  # 3 a day per supplier
    session.execute(insert(AuditEvent), audits)
    session.execute(insert(NodeBringup), bringups)
    session.execute(insert(HealthFinding), silent)
    ids = session.scalars(insert(Incident).returning(Incident.id), incidents).all()
    ack = {
        "actor": "supplier:x",
        "field": "supplier_acknowledged",
        "from_value": None,
        "to_value": "x",
        "reason": "",
    }
    events = [
        ack | {"incident_id": i, "at": row["opened_at"] + timedelta(minutes=rng.uniform(1, 90))}
        for i, row in zip(ids, incidents, strict=True)
        if rng.random() < 0.8
    ]
    session.execute(insert(IncidentEvent), events)
    return {
        "audit state changes": len(audits),
        "incidents": len(incidents),
        "acknowledgements": len(events),
        "bring-ups": len(bringups),
        "remediation runs": runs,
        "silent findings": len(silent),
    }


def timed(fn, repeat: int) -> tuple[list[float], list[float]]:
    """Wall and CPU ms of each call after a warm-up: on the shared machine the CPU time says what the
    wall time would be on an idle one."""
    fn()  # warm-up
    samples, cpu = [], []
    for _ in range(repeat):
        start, used = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    return samples, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes-per-supplier", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    clock.use(clock.ManualClock(END))
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade(database)
        with database.transaction() as session:
            clock.use(clock.ManualClock(T0))
            apply_document(session, "bench", Document.model_validate(fleet(args.nodes_per_supplier)))
            clock.use(clock.ManualClock(END))
            counts = history(session, random.Random(7))
        print(f"{SUPPLIERS} suppliers, {SUPPLIERS * args.nodes_per_supplier:,} nodes, {DAYS} days:", counts)
        with database.transaction() as session:
            suppliers = visible_suppliers(session, SYSTEM)

            def cards() -> None:
                assert len(scorecards(session, suppliers, Period.ending(END, 30))) == SUPPLIERS

            def one() -> None:
                scorecards(session, {1: suppliers[1]}, Period.ending(END, 30))

            def goals() -> None:
                scorecard(session, SYSTEM)

            def weeks() -> None:
                weekly_history(session, SYSTEM)

            runs = (("20 scorecards, 30-day period and the one before", cards), ("one scorecard", one))
            goal = (("goals' key results", goals), ("goals' history, 13 weeks (/okr)", weeks))
            for name, fn in (*runs, *goal):
                samples, cpu = timed(fn, args.repeat)
                print(
                    f"{name}: median {statistics.median(samples):.0f} ms, max {max(samples):.0f} ms, "
                    f"CPU {statistics.median(cpu):.0f} ms"
                )
        print("load average (1, 5, 15 min): " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
        database.dispose()


if __name__ == "__main__":
    main()
