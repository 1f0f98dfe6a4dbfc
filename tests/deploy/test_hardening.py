"""The hardening gate: failing controls are named, and a node that fails them never reaches ready."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from fleetops.auth.principal import SYSTEM
from fleetops.deploy import service
from fleetops.deploy.backends import simulated_backends
from fleetops.deploy.claim import Limits
from fleetops.deploy.engine import Engine
from fleetops.deploy.hardening import CheckGate, compliant_facts, failing_controls, results_file_gate
from fleetops.deploy.models import NodeBringup
from fleetops.deploy.plan import PlanRequest
from fleetops.inventory.models import Node
from tests.deploy.fleet import racked_fleet
from tests.factories import load


def test_compliant_facts_pass_and_each_drift_is_named():
    facts = compliant_facts("slurm-on-k8s-cis")
    assert failing_controls("slurm-on-k8s-cis", facts) == []
    facts["ssh"]["PermitRootLogin"] = "yes"
    facts["services"].append("telnet")
    facts["sysctl"]["kernel.randomize_va_space"] = 0
    facts["kubelet"]["anonymous-auth"] = "true"
    del facts["slurm"]["AuthType"]
    assert [c.id for c in failing_controls("slurm-on-k8s-cis", facts)] == [
        "ssh-1",
        "svc-1",
        "kern-1",
        "k8s-1",
        "slurm-1",
    ]


def test_node_failing_hardening_never_reaches_ready(database, manual_clock, tmp_path):
    load(database, racked_fleet(nodes=4))
    for i in range(4):
        facts = compliant_facts("k8s-cis")
        if i == 2:
            facts["ssh"]["PasswordAuthentication"] = "yes"
            facts["kubelet"]["read-only-port"] = 10255
        (tmp_path / f"n{i:05d}.json").write_text(json.dumps(facts))
    with database.transaction() as session:
        service.plan(session, SYSTEM, PlanRequest("r1", "gamma", "img", "k8s-cis", pod="sp1"))
        service.start(session, SYSTEM, "r1")
    backends = simulated_backends()
    backends.hardening = results_file_gate(tmp_path)
    engine = Engine(backends, Limits(threads=1))
    for _ in range(50):
        engine.tick(database)
        manual_clock.advance(600)
    with database.transaction() as session:
        states = dict(session.execute(select(NodeBringup.hostname, NodeBringup.state)).all())
        node = session.scalar(select(Node).where(Node.hostname == "n00002"))
        queue = service.needs_human(session, "r1")
    assert states == {"n00000": "ready", "n00001": "ready", "n00002": "needs_human", "n00003": "ready"}
    assert node.state == "repair"
    assert [q["hostname"] for q in queue] == ["n00002"]
    assert "ssh-2 (SSH password authentication disabled)" in queue[0]["last_error"]
    assert "k8s-2" in queue[0]["last_error"]
    assert queue[0]["evidence"]["failures"][0]["details"]["controls"] == ["ssh-2", "k8s-2"]
    assert queue[0]["failed_step"] == "hardening"


def test_a_human_fix_sends_the_node_back_to_hardening(database, manual_clock):
    load(database, racked_fleet(nodes=1, racks=1))
    facts = compliant_facts("k8s-cis")
    facts["services"].append("cups")
    with database.transaction() as session:
        service.plan(session, SYSTEM, PlanRequest("r1", "gamma", "img", "k8s-cis", pod="sp1"))
        service.start(session, SYSTEM, "r1")
    backends = simulated_backends()
    backends.hardening = CheckGate(collect=lambda ctx: facts)
    engine = Engine(backends, Limits(threads=1))
    while engine.tick(database):
        pass
    with database.transaction() as session:
        assert session.scalar(select(NodeBringup.state)) == "needs_human"
    facts["services"].remove("cups")
    with database.transaction() as session:
        service.retry_node(session, SYSTEM, "n00000", "disabled cups by hand")
    while engine.tick(database):
        pass
    with database.transaction() as session:
        assert session.scalar(select(NodeBringup.state)) == "ready"
        assert session.scalar(select(Node.state)) == "ready"
        history = [h["to"] for h in service.history(session, "n00000")]
    assert history[-5:] == ["needs_human", "hardening", "qualifying", "joining", "ready"]


@pytest.mark.parametrize("profile", ["k8s-cis", "slurm-on-k8s-cis"])
def test_missing_facts_fail_closed(profile):
    assert len(failing_controls(profile, {})) == len(failing_controls(profile, {"ssh": {}}))
