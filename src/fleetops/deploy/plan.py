"""Rollout plans from inventory, refused with a clear error before anything starts.

Refused: an unknown cluster, any rollout into a `slurm-bare-metal` cluster (non-compliant, and there is
deliberately no override), a cluster that is not planned, deploying or active, a missing image or an
unknown hardening profile, unknown nodes, nodes already deployed or already in a running bring-up, and
nodes that belong to another cluster.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.deploy import fsm
from fleetops.deploy.choices import RolloutState
from fleetops.deploy.hardening import PROFILES
from fleetops.deploy.models import NodeBringup, Rollout
from fleetops.errors import Conflict, InvalidInput, NotFound
from fleetops.inventory.choices import ClusterState, NodeState, Orchestrator
from fleetops.inventory.models import Cluster, Node, Rack

DEPLOYABLE_CLUSTER = frozenset({ClusterState.PLANNED, ClusterState.DEPLOYING, ClusterState.ACTIVE})


@dataclass(frozen=True)
class PlanRequest:
    name: str
    cluster: str
    image: str
    profile: str
    hostnames: list[str] = field(default_factory=list)
    pod: str | None = None


def _listed(items: list[str], limit: int = 10) -> str:
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(sorted(items)[:limit]) + more


def check_cluster(cluster: Cluster) -> None:
    if cluster.orchestrator is Orchestrator.SLURM_BARE_METAL:
        raise InvalidInput(
            f"cluster {cluster.name}: field orchestrator: {cluster.orchestrator.value} is not compliant; new "
            "deployments go only to kubernetes or slurm-on-kubernetes clusters (no override)",
            field="orchestrator",
        )
    if cluster.state not in DEPLOYABLE_CLUSTER:
        raise InvalidInput(
            f"cluster {cluster.name}: field state: cannot deploy into a {cluster.state.value} cluster "
            f"(needs one of: {', '.join(sorted(s.value for s in DEPLOYABLE_CLUSTER))})",
            field="state",
        )


def check_artifacts(request: PlanRequest) -> None:
    if not request.name.strip():
        raise InvalidInput("rollout: field name: missing", field="name")
    if not request.image.strip():
        raise InvalidInput(
            f"rollout {request.name}: field image: missing (the OS image to provision)", field="image"
        )
    if request.profile not in PROFILES:
        known = ", ".join(sorted(PROFILES))
        raise InvalidInput(
            f"rollout {request.name}: field profile: {request.profile or 'missing'} is not a profile "
            f"(known: {known})",
            field="profile",
        )


def select_nodes(session: Session, request: PlanRequest, cluster: Cluster) -> list[Node]:
    if request.hostnames:
        nodes = list(session.scalars(select(Node).where(Node.hostname.in_(request.hostnames))))
        unknown = set(request.hostnames) - {n.hostname for n in nodes}
        if unknown:
            raise NotFound(f"rollout {request.name}: field hostnames: unknown nodes {_listed(list(unknown))}")
    elif request.pod:
        nodes = list(
            session.scalars(
                select(Node)
                .join(Rack, Rack.id == Node.rack_id)
                .where(Rack.pod == request.pod, Node.state == NodeState.RACKED)
            )
        )
    else:
        nodes = list(
            session.scalars(select(Node).where(Node.cluster_id == cluster.id, Node.state == NodeState.RACKED))
        )
    if not nodes:
        raise InvalidInput(
            f"rollout {request.name}: field hostnames: no racked nodes selected", field="hostnames"
        )
    return nodes


def check_nodes(session: Session, request: PlanRequest, cluster: Cluster, nodes: list[Node]) -> None:
    deployed = [n.hostname for n in nodes if n.state is not NodeState.RACKED]
    if deployed:
        raise Conflict(
            f"rollout {request.name}: field hostnames: not racked (already deployed or out of "
            f"service): {_listed(deployed)}"
        )
    elsewhere = [n.hostname for n in nodes if n.cluster_id not in (None, cluster.id)]
    if elsewhere:
        raise InvalidInput(
            f"rollout {request.name}: field hostnames: nodes of another cluster: {_listed(elsewhere)}",
            field="hostnames",
        )
    busy = session.scalars(
        select(NodeBringup.hostname)
        .join(Rollout, Rollout.id == NodeBringup.rollout_id)
        .where(
            NodeBringup.node_id.in_([n.id for n in nodes]),
            NodeBringup.state.in_([s.value for s in fsm.ACTIVE | {fsm.S.NEEDS_HUMAN}]),
            Rollout.state != RolloutState.ABORTED,  # an aborted rollout lets its nodes go
        )
    ).all()
    if busy:
        raise Conflict(
            f"rollout {request.name}: field hostnames: already in a bring-up: {_listed(list(busy))}"
        )


def plan(session: Session, actor: str, request: PlanRequest) -> Rollout:
    """Validate everything, then write the rollout and one `enrolled` bring-up row per node."""
    cluster = session.scalar(select(Cluster).where(Cluster.name == request.cluster))
    if cluster is None:
        raise NotFound(f"rollout {request.name}: field cluster: no cluster named {request.cluster}")
    check_cluster(cluster)
    check_artifacts(request)
    if session.scalar(select(Rollout.id).where(Rollout.name == request.name)) is not None:
        raise Conflict(f"rollout {request.name}: field name: already exists")
    nodes = select_nodes(session, request, cluster)
    check_nodes(session, request, cluster, nodes)
    rollout = Rollout(
        name=request.name,
        cluster_id=cluster.id,
        image=request.image,
        profile=request.profile,
        created_by=actor,
    )
    session.add(rollout)
    session.flush()
    now = clock.now()
    session.execute(
        insert(NodeBringup),
        [
            {
                "rollout_id": rollout.id,
                "node_id": n.id,
                "hostname": n.hostname,
                "rack_id": n.rack_id,
                "site_id": n.rack.site_id,
                "gpu_count": n.gpu_count,
                "state": fsm.S.ENROLLED.value,
                "due_at": now,
                "enrolled_at": now,
                "updated_at": now,
                "evidence": {},
            }
            for n in nodes
        ],
    )
    return rollout
