"""Ingest: turn findings and Alertmanager webhook alerts into Alerts, enriched with inventory topology.

Topology is read in batches (one joined select per 500 hostnames), never one query per alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from fleetops.alerts.context import Context
from fleetops.alerts.schemas import WebhookAlert
from fleetops.catalog import default_catalog
from fleetops.flow import Alert, fingerprint
from fleetops.inventory.choices import NodeState
from fleetops.inventory.models import Cluster, Customer, Node, Supplier
from fleetops.inventory.placement import placements
from fleetops.wire import FaultOwner

NODE_LABELS = ("node", "hostname", "instance", "nodename")
# Labels fleetops owns: an incoming alert may not set these, they come from the inventory.
TOPOLOGY_LABELS = ("rack", "pod", "site", "supplier", "cluster_state", "node_state", "customer")


def from_webhook(alerts: Sequence[WebhookAlert]) -> list[Alert]:
    """Alertmanager alerts keep Alertmanager's own fingerprint when it sends one, so both sides agree."""
    made = []
    for item in alerts:
        labels = {k: str(v) for k, v in item.labels.items()}
        ends_at = item.endsAt if item.status == "resolved" else None
        made.append(
            Alert(
                fingerprint=item.fingerprint or fingerprint(labels),
                labels=labels,
                status=item.status,
                starts_at=item.startsAt,
                ends_at=ends_at,
                source="alertmanager",
                annotations=dict(item.annotations),
            )
        )
    return made


def hostname_of(labels: dict[str, str]) -> str | None:
    for name in NODE_LABELS:
        value = labels.get(name)
        if value:
            return value.rsplit(":", 1)[0] if name == "instance" else value
    return None


def _node_rows(ctx: Context, hostnames: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The topology labels of each node, from the one placement lookup."""
    return {
        host: {
            "node_id": p.node_id,
            "node_state": p.state.value,
            "cluster_id": p.cluster_id,
            "rack_id": p.rack_id,
            "rack": p.rack,
            "pod": p.pod,
            "site": p.site,
        }
        for host, p in placements(ctx.session, hostnames).items()
    }


def load_clusters(ctx: Context, where: Any) -> None:
    """Cluster labels and live node counts, the denominators of "a large share of a cluster"."""
    stmt = (
        select(Cluster.id, Cluster.name, Cluster.state, Supplier.name, Customer.name)
        .outerjoin(Supplier, Cluster.supplier_id == Supplier.id)
        .outerjoin(Customer, Cluster.customer_id == Customer.id)
        .where(where)
    )
    for row in ctx.session.execute(stmt):
        ctx.clusters[row[0]] = {
            "cluster": row[1],
            "cluster_state": row[2].value,
            "supplier": row[3] or "",
            "customer": row[4] or "",
            "nodes": 0,
        }
    live = Node.state != NodeState.DECOMMISSIONED
    counts = select(Node.cluster_id, func.count()).where(Node.cluster_id.in_(list(ctx.clusters)), live)
    for cluster_id, count in ctx.session.execute(counts.group_by(Node.cluster_id)):
        if cluster_id is not None:
            ctx.clusters[cluster_id]["nodes"] = count


def _load_rack_sizes(ctx: Context, rack_ids: set[int]) -> None:
    stmt = select(Node.rack_id, func.count()).where(
        Node.rack_id.in_(list(rack_ids)), Node.state != NodeState.DECOMMISSIONED
    )
    ctx.rack_sizes.update(dict(ctx.session.execute(stmt.group_by(Node.rack_id)).all()))


def _enrich(alert: Alert, node: dict[str, Any] | None, cluster: dict[str, Any] | None) -> None:
    for name in TOPOLOGY_LABELS:
        alert.labels.pop(name, None)
    if node:
        alert.node_id, alert.rack_id = node["node_id"], node["rack_id"]
        alert.labels.update({k: node[k] for k in ("rack", "pod", "site", "node_state")})
    if cluster:
        alert.labels.update({k: cluster[k] for k in ("cluster", "cluster_state", "supplier", "customer")})
    alert.labels["owner"] = owner_of(alert.labels)


def owner_of(labels: dict[str, str]) -> str:
    """The fault owner as labels spell it: the sender's `owner` label, else the catalog's, else unknown."""
    given = labels.get("owner", "")
    if not given and labels.get("xid", "").isdigit():
        return default_catalog().lookup(int(labels["xid"])).owner.label
    return FaultOwner.read(given).label


def run(alerts: list[Alert], ctx: Context) -> list[Alert]:
    """Pass on the alerts we can place in the fleet; stop (with the reason) those we cannot."""
    hostnames = sorted({h for a in alerts if (h := hostname_of(a.labels))})
    nodes = _node_rows(ctx, hostnames)
    ctx.nodes.update({n["node_id"]: n for n in nodes.values()})
    names = {a.labels["cluster"] for a in alerts if a.labels.get("cluster")}
    cluster_ids = {n["cluster_id"] for n in nodes.values() if n["cluster_id"]}
    load_clusters(ctx, Cluster.id.in_(list(cluster_ids)) | Cluster.name.in_(sorted(names)))
    _load_rack_sizes(ctx, {n["rack_id"] for n in nodes.values()})
    by_name = {c["cluster"]: cid for cid, c in ctx.clusters.items()}
    passed = []
    for alert in alerts:
        host = hostname_of(alert.labels)
        node = nodes.get(host) if host else None
        if host and node is None:
            ctx.stop(alert, f"unknown node {host!r}: not in the inventory", "unknown_node")
            ctx.rejected.append(alert.stopped or "")
            continue
        cluster_id = node["cluster_id"] if node else by_name.get(alert.labels.get("cluster", ""))
        if not host and "cluster" not in alert.labels and alert.labels.get("team"):
            _enrich(alert, None, None)  # about no machine (a vendor, a feed): placed by its owning team
            passed.append(alert)
            continue
        if node is None and cluster_id is None:
            what = alert.labels.get("cluster")
            reason = f"unknown cluster {what!r}" if what else "no node or cluster label to place the alert"
            ctx.stop(alert, reason, "unknown_cluster")
            ctx.rejected.append(reason)
            continue
        if node:
            node["hostname"] = host
            alert.labels["node"] = host or ""
        alert.cluster_id = cluster_id
        _enrich(alert, node, ctx.clusters.get(cluster_id) if cluster_id else None)
        passed.append(alert)
    return passed
