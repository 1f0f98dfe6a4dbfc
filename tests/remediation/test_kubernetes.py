"""Remediation on a Kubernetes cluster through the Kubernetes adapter, against the stub API server of the
adapter's own tests (documented core/v1 shapes; no real API server runs on these machines): cordon, taint,
evict; a PodDisruptionBudget refusing an eviction (HTTP 429) is retried with backoff, then escalated."""

from __future__ import annotations

from typing import Any

from fleetops.remediation.choices import RunState
from tests.deploy.test_kubernetes_client import ApiServer, kube, node  # noqa: F401 - the fixture, reused
from tests.factories import load, make_node, two_tenant_fleet

from .conftest import make_bed


def _bed(database, manual_clock, kube):  # noqa: F811
    fleet = two_tenant_fleet()
    fleet["nodes"].append(make_node("gpu-1", position=9))  # cluster alpha: orchestrator kubernetes
    load(database, fleet)
    bed = make_bed(database, manual_clock)
    bed.engine.executors.schedulers = lambda cluster, orchestrator: kube
    return bed


def test_fallen_off_bus_cordons_taints_evicts_then_uncordons(sqlite_database, manual_clock, kube):  # noqa: F811
    bed = _bed(sqlite_database, manual_clock, kube)
    [run_id] = bed.finding("gpu-1", xid=79)
    bed.engine.tick(bed.database)
    stored = ApiServer.nodes["gpu-1"]
    assert stored["spec"]["unschedulable"] is True
    assert f"remediation run {run_id}" in stored["metadata"]["annotations"]["fleetops.io/drain-reason"]
    assert [p for m, p, _ in ApiServer.log if m == "POST"] == [
        "/api/v1/namespaces/team-a/pods/train-0/eviction"
    ]
    bed.play(20 * 60)
    assert bed.run(run_id).state is RunState.RESOLVED
    assert ApiServer.nodes["gpu-1"]["spec"]["unschedulable"] is False
    bed.engine.close()


def test_pdb_refusing_eviction_is_retried_then_escalated(sqlite_database, manual_clock, kube, monkeypatch):  # noqa: F811
    def refuse(self: Any) -> None:
        self.log.append(("POST", self.path, self._body()))
        self._send(
            429,
            {
                "kind": "Status",
                "apiVersion": "v1",
                "status": "Failure",
                "code": 429,
                "reason": "TooManyRequests",
                "message": "Cannot evict pod as it would violate the pod's disruption budget.",
            },
        )

    monkeypatch.setattr(ApiServer, "do_POST", refuse)
    bed = _bed(sqlite_database, manual_clock, kube)
    [run_id] = bed.finding("gpu-1", xid=62)
    bed.play(30 * 60, step_s=15)
    run = bed.run(run_id)
    failures = [s for s in bed.steps(run_id) if s.outcome == "failed" and s.action == "drain"]
    assert len(failures) == 3 and "disruption budget" in failures[0].detail
    assert run.state is RunState.ESCALATED and run.human
