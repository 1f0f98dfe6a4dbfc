"""What the control plane knows of a report batch's nodes, read in two queries on the ingest hot path once
the batch holds its lock: hostname → node and GPU count, GPU UUIDs and ids, current health (so folding
skips two reads) and the node's open agent requests (so answering them costs no query of its own)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.db.bulk import Among
from fleetops.db.session import sqlite_write_lock
from fleetops.health.models import AgentRequest, GpuHealth, NodeHealth
from fleetops.health.requests import OPEN, offer
from fleetops.health.state import Before
from fleetops.inventory.models import Gpu, Node


@dataclass(slots=True)
class Inventory:
    nodes: dict[str, tuple[int, int]]  # hostname → (node id, GPU count)
    uuids: dict[int, dict[str, int]]  # node id → {GPU UUID: index}
    gpu_ids: dict[int, dict[int, int]]  # node id → {GPU index: GPU id}
    before: Before
    requests: dict[int, dict[int, dict[str, Any]]]  # node id → {open request id: as the answer offers it}


# A batch first locks what it will judge, until it commits: a second batch with the same node (an agent's
# retry, the intake's next group, a relayed request, another API process) waits, then judges from the
# first one's outcome instead of overwriting it (reproduced in tests/health/test_intake.py). PostgreSQL
# locks the node rows, in id order so two batches cannot deadlock, in a statement of its own: under READ
# COMMITTED a statement that waited for a row lock still returns the other tables' rows as of its own
# start, so state read with the lock would be the state from before the first batch. SQLite has no row
# locks: the batch takes the database's write lock.
_LOCK = Among(select(Node.id).order_by(Node.id).with_for_update(key_share=True), Node.hostname)
# Built once: the hot path pays for executing statements, not for constructing them. Two queries rather
# than one join: joined, every GPU row would repeat (and convert) the node's columns, eight times a node.
_NODES = (
    select(
        Node.id,
        Node.hostname,
        Node.gpu_count,
        NodeHealth.state,
        NodeHealth.since,
        NodeHealth.last_collected_at,
        NodeHealth.open_findings,
        AgentRequest.id,
        AgentRequest.kind,
        AgentRequest.gpu_index,
        AgentRequest.duration_s,
    )
    .outerjoin(NodeHealth, NodeHealth.node_id == Node.id)
    # Open requests ride along (rarely more than none), so answering them costs no query of its own.
    .outerjoin(AgentRequest, (AgentRequest.node_id == Node.id) & OPEN)
)
_NODES = Among(_NODES, Node.hostname)
_GPUS = Among(
    select(Gpu.node_id, Gpu.id, Gpu.uuid, Gpu.index, GpuHealth.state, GpuHealth.why).outerjoin(
        GpuHealth, GpuHealth.gpu_id == Gpu.id
    ),
    Gpu.node_id,
)


def read_inventory(session: Session, hostnames: set[str]) -> Inventory:
    """Lock the batch's nodes, then read what they should look like and how they were last judged."""
    found = Inventory({}, {}, {}, Before(), {})
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _LOCK.execute(connection, hostnames).all()
    else:
        sqlite_write_lock(connection)
    rows = _NODES.execute(connection, hostnames).all()
    for node_id, hostname, gpu_count, state, since, collected, open_, *request in rows:
        if hostname not in found.nodes:
            found.nodes[hostname] = (node_id, gpu_count)
            found.uuids[node_id], found.gpu_ids[node_id], found.requests[node_id] = {}, {}, {}
            if state is not None:
                found.before.nodes[node_id] = {
                    "state": state,
                    "since": since,
                    "last_collected_at": collected,
                    "open_findings": open_,
                }
        if request[0] is not None:  # (id, kind, gpu index, duration) of an open request
            found.requests[node_id][request[0]] = offer(*request)
    if not found.uuids:
        return found
    rows = _GPUS.execute(connection, found.uuids).all()
    for node_id, gpu_id, uuid, index, gpu_state, gpu_why in rows:
        found.uuids[node_id][uuid] = index
        found.gpu_ids[node_id][index] = gpu_id
        if gpu_state is not None:
            found.before.gpus[gpu_id] = {"state": gpu_state, "why": gpu_why}
    return found
