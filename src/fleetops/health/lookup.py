"""What the control plane knows of a report batch's nodes, read in two queries on the ingest hot path:
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
        QualificationRequest.id,
        QualificationRequest.duration_s,
    )
    .outerjoin(NodeHealth, NodeHealth.node_id == Node.id)
    # Open requests ride along (rarely more than none), so answering them costs no query of its own.
    .outerjoin(
        QualificationRequest,
        (QualificationRequest.node_id == Node.id) & QualificationRequest.fulfilled_at.is_(None),
    )
)
_GPUS = select(Gpu.node_id, Gpu.id, Gpu.uuid, Gpu.index, GpuHealth.state, GpuHealth.why).outerjoin(
    GpuHealth, GpuHealth.gpu_id == Gpu.id
)
# One agent posting its own report is the common case: an `=` keeps the SQL string fully cached.
_NODES_ONE = _NODES.where(Node.hostname == bindparam("hostname"))
_NODES = _NODES.where(Node.hostname.in_(bindparam("hostnames", expanding=True)))
_GPUS_ONE = _GPUS.where(Gpu.node_id == bindparam("id"))
_GPUS = _GPUS.where(Gpu.node_id.in_(bindparam("ids", expanding=True)))


def read_inventory(session: Session, hostnames: set[str]) -> Inventory:
    """What the batch's nodes should look like and how they were last judged, in two queries."""
    found = Inventory({}, {}, {}, Before(), {})
    connection = session.connection()
    if len(hostnames) == 1:
        rows = connection.execute(_NODES_ONE, {"hostname": next(iter(hostnames))})
    else:
        rows = connection.execute(_NODES, {"hostnames": list(hostnames)})
    for node_id, hostname, gpu_count, state, since, collected, open_, request_id, duration_s in rows.all():
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
        if request_id is not None:
            found.requests[node_id][request_id] = duration_s
    if not found.uuids:
        return found
    if len(found.uuids) == 1:
        rows = connection.execute(_GPUS_ONE, {"id": next(iter(found.uuids))})
    else:
        rows = connection.execute(_GPUS, {"ids": list(found.uuids)})
    for node_id, gpu_id, uuid, index, gpu_state, gpu_why in rows.all():
        found.uuids[node_id][uuid] = index
        found.gpu_ids[node_id][index] = gpu_id
        if gpu_state is not None:
            found.before.gpus[gpu_id] = {"state": gpu_state, "why": gpu_why}
    return found
