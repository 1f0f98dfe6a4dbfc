"""What the control plane knows of a report batch's nodes, read in one query on the ingest hot path:
hostname → node and GPU count, GPU UUIDs and ids, current health (so folding skips two reads) and the
node's open qualification requests (so answering them costs no query of its own)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from fleetops.health.models import GpuHealth, NodeHealth, QualificationRequest
from fleetops.health.state import Before
from fleetops.inventory.models import Gpu, Node


@dataclass(slots=True)
class Inventory:
    nodes: dict[str, tuple[int, int]]  # hostname → (node id, GPU count)
    uuids: dict[int, dict[str, int]]  # node id → {GPU UUID: index}
    gpu_ids: dict[int, dict[int, int]]  # node id → {GPU index: GPU id}
    before: Before
    requests: dict[int, dict[int, float]]  # node id → {open qualification request id: duration_s}


# Built once: the hot path pays for executing statements, not for constructing them.
_INVENTORY = (
    select(
        Node.id,
        Node.hostname,
        Node.gpu_count,
        Gpu.id,
        Gpu.uuid,
        Gpu.index,
        GpuHealth.state,
        GpuHealth.why,
        NodeHealth.state,
        NodeHealth.since,
        NodeHealth.last_collected_at,
        NodeHealth.open_findings,
        QualificationRequest.id,
        QualificationRequest.duration_s,
    )
    .outerjoin(Gpu, Gpu.node_id == Node.id)
    .outerjoin(GpuHealth, GpuHealth.gpu_id == Gpu.id)
    .outerjoin(NodeHealth, NodeHealth.node_id == Node.id)
    # Open requests ride along (rarely more than none), so answering them costs no query of its own.
    .outerjoin(
        QualificationRequest,
        (QualificationRequest.node_id == Node.id) & QualificationRequest.fulfilled_at.is_(None),
    )
)
# One agent posting its own report is the common case: an `=` keeps the SQL string fully cached.
_INVENTORY_ONE = _INVENTORY.where(Node.hostname == bindparam("hostname"))
_INVENTORY = _INVENTORY.where(Node.hostname.in_(bindparam("hostnames", expanding=True)))


def read_inventory(session: Session, hostnames: set[str]) -> Inventory:
    """What the batch's nodes should look like and how they were last judged, in one query."""
    found = Inventory({}, {}, {}, Before(), {})
    if len(hostnames) == 1:
        rows = session.connection().execute(_INVENTORY_ONE, {"hostname": next(iter(hostnames))})
    else:
        rows = session.connection().execute(_INVENTORY, {"hostnames": list(hostnames)})
    for row in rows:
        (
            node_id,
            hostname,
            gpu_count,
            gpu_id,
            uuid,
            index,
            gpu_state,
            gpu_why,
            state,
            since,
            collected,
            open_,
            request_id,
            request_duration_s,
        ) = row
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
        if gpu_id is not None:
            found.uuids[node_id][uuid] = index
            found.gpu_ids[node_id][index] = gpu_id
            if gpu_state is not None:
                found.before.gpus[gpu_id] = {"state": gpu_state, "why": gpu_why}
        if request_id is not None:
            found.requests[node_id][request_id] = request_duration_s
    return found
