"""The production wiring from settings, with fakes behind the real step code: every real step in order, and
work that waits, saying why, where the settings name no backend."""

from __future__ import annotations

import msgspec
import pytest
from sqlalchemy import select

from fleetops.adapters.redfish.fake import FakeRedfish
from fleetops.adapters.slurm.fake import FakeScheduler
from fleetops.auth.principal import SYSTEM
from fleetops.backends import wiring
from fleetops.backends.bmcs import BmcLogin
from fleetops.backends.schedulers import Both, Schedulers
from fleetops.backends.settings import ClusterBackends, Redfish
from fleetops.config import Settings
from fleetops.deploy import service
from fleetops.deploy.backends import SimulatedStep
from fleetops.deploy.claim import Limits
from fleetops.deploy.engine import Engine
from fleetops.deploy.models import NodeBringup
from fleetops.deploy.plan import PlanRequest
from fleetops.deploy.power import RedfishPowerOn
from fleetops.errors import NotConfigured
from fleetops.wire import GpuQualification, QualificationResult
from tests.deploy.fleet import racked_fleet
from tests.factories import load, two_tenant_fleet
from tests.security.scans import scan_nodes_in_hardening


def test_slurm_on_kubernetes_needs_both_schedulers():
    k8s, slurm = FakeScheduler(), FakeScheduler()
    both = Both(k8s, slurm)
    k8s.resume("n1")
    slurm.drain("n1", "x")
    assert not both.status("n1").accepts_work
    both.resume("n1")
    assert both.status("n1").accepts_work


def test_every_real_step_in_order(database, manual_clock, tmp_path):
    data = racked_fleet(nodes=2, racks=1, orchestrator="slurm-on-kubernetes")
    load(database, data)
    burn_in = tmp_path / "burn-in"
    burn_in.mkdir()
    k8s, slurm = FakeScheduler(join_delay_s=120), FakeScheduler(join_delay_s=60)
    configured = Settings.model_validate({"deploy": {"qualification_results": str(burn_in)}})
    backends = wiring.deploy_backends(configured, database, lambda cluster, orchestrator: Both(k8s, slurm))
    backends.provisioner = SimulatedStep("provisioner", duration_s=(900, 900))
    bmcs = {node["bmc_address"]: FakeRedfish(["/redfish/v1/Systems/1"], delay_s=30) for node in data["nodes"]}
    backends.power = RedfishPowerOn(connect=bmcs.__getitem__)
    engine = Engine(backends, Limits(threads=1))
    with database.transaction() as session:
        service.plan(session, SYSTEM, PlanRequest("r1", "gamma", "img", "slurm-on-k8s-cis", pod="sp1"))
        service.start(session, SYSTEM, "r1")
    for minute in range(200):
        engine.tick(database)
        scan_nodes_in_hardening(database)  # the agents' CIS scans, imported as the gate waits
        if minute == 60:  # the agents finish burn-in an hour in
            for node in data["nodes"]:
                result = QualificationResult(
                    started_at=manual_clock.now(),
                    finished_at=manual_clock.now(),
                    backend="torch",
                    model="H100",
                    duration_s=3600,
                    passed=True,
                    gpus=[
                        GpuQualification(index=i, passed=True, matmul_bf16_tflops_median=690)
                        for i in range(8)
                    ],
                )
                (burn_in / f"{node['hostname']}.json").write_bytes(msgspec.json.encode(result))
        manual_clock.advance(60)
    with database.transaction() as session:
        rows = session.scalars(select(NodeBringup)).all()
    assert {r.state for r in rows} == {"ready"}, [(r.hostname, r.state, r.last_error) for r in rows]
    assert all(r.evidence["scheduler_state"] == "IDLE/IDLE" and r.evidence["rules_passed"] == 3 for r in rows)
    assert all(b._systems["/redfish/v1/Systems/1"].power == "On" for b in bmcs.values())
    assert ("resume", "n00000") in k8s.calls and ("resume", "n00000") in slurm.calls


def test_work_with_no_backend_configured_waits_saying_why(database, manual_clock, tmp_path):
    """No BMC credentials for the site, no provisioner, no scheduler for the cluster: each node waits at
    its step with the missing setting named, spends no attempt, and nothing is marked done."""
    data = racked_fleet(nodes=2, racks=1, orchestrator="slurm-on-kubernetes")
    load(database, data)
    engine = Engine(wiring.deploy_backends(Settings(), database, Schedulers({})), Limits(threads=1))
    with database.transaction() as session:
        service.plan(session, SYSTEM, PlanRequest("r1", "gamma", "img", "slurm-on-k8s-cis", pod="sp1"))
        service.start(session, SYSTEM, "r1")
    for _ in range(5):
        engine.tick(database)
        manual_clock.advance(61)
    with database.transaction() as session:
        rows = session.scalars(select(NodeBringup)).all()
    assert {r.state for r in rows} == {"power_on"}, [r.last_error for r in rows]
    assert all("no BMC credentials for site" in r.evidence["waiting"] for r in rows)
    assert all(r.failures == 0 and r.attempt == 0 for r in rows)
    stuck = Schedulers({"gamma": ClusterBackends.model_validate({"slurm": {}})})
    with pytest.raises(NotConfigured, match=r"cluster gamma: no kubernetes scheduler in \[fleetops"):
        stuck("gamma", "slurm-on-kubernetes")


def test_a_bmc_gets_the_credentials_of_its_own_nodes_site(database):
    """`https://bmc-1` is not `https://bmc-10`: the node behind a BMC is found by the BMC it locates to."""
    data = two_tenant_fleet(nodes_per_cluster=1)
    data["nodes"][0]["bmc_address"] = "https://bmc-10/redfish/v1/Systems/1"
    data["nodes"][1]["bmc_address"] = "https://bmc-1"
    load(database, data)
    redfish = Redfish.model_validate(
        {
            "sites": {
                "dfw1": {"username": "dfw", "password": "x"},
                "aus1": {"username": "aus", "password": "y"},
            }
        }
    )
    login = BmcLogin(redfish, database)
    assert login._owner("https://bmc-1") == ("aus1", "globex", "b000")
    assert login._owner("https://bmc-10") == ("dfw1", "acme", "a000")
    with pytest.raises(NotConfigured, match="node https://bmc-2: no BMC credentials"):
        login("https://bmc-2")
