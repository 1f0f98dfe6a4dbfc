"""The hardening gate reads the nodes' own CIS scans: failing rules are named, a node that fails them
never reaches ready, and a person's fix followed by a clean scan sends it on."""

from __future__ import annotations

from sqlalchemy import select

from fleetops.auth.principal import SYSTEM
from fleetops.deploy import service
from fleetops.deploy.backends import simulated_backends
from fleetops.deploy.claim import Limits
from fleetops.deploy.engine import Engine
from fleetops.deploy.hardening import ScanGate
from fleetops.deploy.models import NodeBringup
from fleetops.deploy.plan import PlanRequest
from fleetops.inventory.models import Node
from tests.deploy.fleet import racked_fleet
from tests.factories import load
from tests.security.scans import scan_nodes_in_hardening

ROOT_LOGIN = "xccdf_org.ssgproject.content_rule_sshd_disable_root_login"


def _engine() -> Engine:
    backends = simulated_backends()
    backends.hardening = ScanGate(poll_s=60)
    return Engine(backends, Limits(threads=1))


def test_node_failing_hardening_never_reaches_ready(database, manual_clock):
    load(database, racked_fleet(nodes=4))
    with database.transaction() as session:
        service.plan(session, SYSTEM, PlanRequest("r1", "gamma", "img", "k8s-cis", pod="sp1"))
        service.start(session, SYSTEM, "r1")
    engine = _engine()
    for _ in range(50):
        engine.tick(database)
        scan_nodes_in_hardening(database, failing=frozenset({"n00002"}))
        manual_clock.advance(600)
    with database.transaction() as session:
        states = dict(session.execute(select(NodeBringup.hostname, NodeBringup.state)).all())
        node = session.scalar(select(Node).where(Node.hostname == "n00002"))
        queue = service.needs_human(session, "r1")
    assert states == {"n00000": "ready", "n00001": "ready", "n00002": "needs_human", "n00003": "ready"}
    assert node.state == "repair"
    assert [q["hostname"] for q in queue] == ["n00002"]
    assert f"{ROOT_LOGIN} (Disable SSH Root Login)" in queue[0]["last_error"]
    assert queue[0]["evidence"]["failures"][0]["details"]["controls"] == [ROOT_LOGIN]
    assert queue[0]["failed_step"] == "hardening"


def test_a_human_fix_and_a_clean_scan_send_the_node_on(database, manual_clock):
    load(database, racked_fleet(nodes=1, racks=1))
    with database.transaction() as session:
        service.plan(session, SYSTEM, PlanRequest("r1", "gamma", "img", "k8s-cis", pod="sp1"))
        service.start(session, SYSTEM, "r1")
    engine = _engine()
    for _ in range(30):
        engine.tick(database)
        scan_nodes_in_hardening(database, failing=frozenset({"n00000"}))
        manual_clock.advance(600)
    with database.transaction() as session:
        assert session.scalar(select(NodeBringup.state)) == "needs_human"
    with database.transaction() as session:
        service.retry_node(session, SYSTEM, "n00000", "disabled root login by hand")
    manual_clock.advance(1)
    assert engine.tick(database) >= 0
    with database.transaction() as session:
        assert session.scalar(select(NodeBringup.state)) == "hardening"  # the old failing scan is not reread
    for _ in range(30):
        scan_nodes_in_hardening(database)
        engine.tick(database)
        manual_clock.advance(600)
    with database.transaction() as session:
        assert session.scalar(select(NodeBringup.state)) == "ready"
        assert session.scalar(select(Node.state)) == "ready"
        history = [h["to"] for h in service.history(session, "n00000")]
    assert history[-5:] == ["needs_human", "hardening", "qualifying", "joining", "ready"]
