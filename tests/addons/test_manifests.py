"""Reboot records come from a bounded read: each cluster's newest runs ranked in the database, never its
whole history, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import yaml
from sqlalchemy import event, select

from fleetops.addons import manifests, service
from fleetops.auth.principal import SYSTEM
from fleetops.inventory.models import Cluster, Node
from fleetops.remediation.models import RemediationRun

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _runs(session, hostname: str, count: int) -> None:
    node = session.scalar(select(Node).where(Node.hostname == hostname))
    for _ in range(count):
        session.add(
            RemediationRun(
                node_id=node.id,
                hostname=hostname,
                cluster_id=node.cluster_id,
                check="xid",
                rule="xid-79",
                fault_class="hardware",
                reason="XID 79: GPU fell off the bus",
                state="resolved",
                plan=["reboot_node"],
                detected_at=T0,
            )
        )
    session.flush()


def _records(files: dict[str, str], cluster: str) -> list[str]:
    text = files.get(f"{cluster}/remediation/1.0.0/rebootnodes.yaml", "")
    return [doc["metadata"]["name"] for doc in yaml.safe_load_all(text)] if text else []


def test_each_cluster_keeps_its_newest_reboot_records_and_reads_no_more(fleet, monkeypatch):
    monkeypatch.setattr(manifests, "RECENT_RUNS", 5)
    loaded: list[int] = []

    def count(run: RemediationRun, context: object) -> None:
        loaded.append(run.id)

    with fleet.transaction() as session:
        _runs(session, "a000", 8)
        _runs(session, "b000", 3)
        _runs(session, "a001", 4)  # alpha's newest four are on another node
        for name in ("alpha", "beta"):
            change = service.AddonChange(settings={"custom_resources": True})
            service.change(session, SYSTEM, name, "remediation", change)
        session.expunge_all()  # rows come from the query, not the identity map
        event.listen(RemediationRun, "load", count)
        try:
            files = manifests.render_clusters(session, list(session.scalars(select(Cluster))))
        finally:
            event.remove(RemediationRun, "load", count)
        alpha = [r.id for r in session.scalars(select(RemediationRun).where(RemediationRun.cluster_id == 1))]
    assert len(loaded) == 5 + 3  # five of alpha's twelve, beta's three
    newest = sorted(alpha, reverse=True)[:5]
    assert _records(files, "alpha") == [f"fleetops-run-{i}" for i in newest]
    assert len(_records(files, "beta")) == 3
