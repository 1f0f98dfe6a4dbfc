"""Decommissioning: drain and wipe hooks in order, nodes released, open rollouts stopped, deadline kept."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fleetops.auth.principal import SYSTEM
from fleetops.deploy import decommission, service
from fleetops.deploy.backends import REALISTIC_DURATIONS, simulated_backends
from fleetops.deploy.claim import Limits
from fleetops.deploy.engine import Engine
from fleetops.deploy.plan import PlanRequest
from fleetops.errors import ExternalError, InvalidTransition
from fleetops.inventory.models import Cluster, Node
from tests.deploy.fleet import racked_fleet
from tests.factories import load


def deployed(database, nodes=4):
    load(database, racked_fleet(nodes=nodes))
    with database.transaction() as session:
        service.plan(session, SYSTEM, PlanRequest("r1", "gamma", "img", "k8s-cis", pod="sp1"))
        service.start(session, SYSTEM, "r1")
    engine = Engine(simulated_backends(), Limits(threads=1))
    while engine.tick(database):
        pass


def test_drain_then_wipe_then_release_within_24h(database, manual_clock):
    deployed(database)
    order: list[tuple[str, int]] = []
    hooks = decommission.Hooks(
        drain=lambda cluster, orchestrator, hosts: order.append(("drain", len(hosts))),
        wipe=lambda cluster, orchestrator, hosts: order.append(("wipe", len(hosts))),
    )
    with database.transaction() as session:
        decommission.request(session, SYSTEM, "gamma", "contract ended")
    manual_clock.advance(6 * 3600)
    with database.transaction() as session:
        decommission.run(session, SYSTEM, "gamma", hooks)
        result = decommission.read(session, "gamma")
        states = set(session.scalars(select(Node.state)))
        clusters = set(session.scalars(select(Node.cluster_id)))
        cluster = session.scalar(select(Cluster))
    assert order == [("drain", 4), ("wipe", 4)]
    assert result["state"] == "done" and result["nodes_released"] == 4 and result["within_deadline"] is True
    assert states == {"decommissioned"} and clusters == {None} and cluster.state == "decommissioned"


def test_late_finish_is_recorded_as_missed(database, manual_clock):
    deployed(database, nodes=1)
    with database.transaction() as session:
        decommission.request(session, SYSTEM, "gamma", "contract ended")
    manual_clock.advance(25 * 3600)
    with database.transaction() as session:
        decommission.run(session, SYSTEM, "gamma", decommission.Hooks())
        assert decommission.read(session, "gamma")["within_deadline"] is False


def test_failed_wipe_keeps_nodes_and_the_error(database, manual_clock):
    deployed(database, nodes=2)

    def wipe(cluster, orchestrator, hosts):
        raise ExternalError("wipe n00001: nvme format failed: device busy", retryable=True)

    with database.transaction() as session:
        decommission.request(session, SYSTEM, "gamma", "contract ended")
        decommission.run(session, SYSTEM, "gamma", decommission.Hooks(wipe=wipe))
        result = decommission.read(session, "gamma")
        assert set(session.scalars(select(Node.state))) == {"ready"}
    assert result["state"] == "wiping" and "device busy" in result["last_error"]


def test_open_rollouts_stop_and_planned_clusters_cannot_be_decommissioning(database, manual_clock):
    load(database, racked_fleet(nodes=2))
    with database.transaction() as session:
        service.plan(session, SYSTEM, PlanRequest("r1", "gamma", "img", "k8s-cis", pod="sp1"))
    refused = pytest.raises(InvalidTransition, match="cluster gamma: field state: planned → decommissioning")
    with refused, database.transaction() as session:
        decommission.request(session, SYSTEM, "gamma", "never mind")
    with database.transaction() as session:
        service.start(session, SYSTEM, "r1")
        decommission.request(session, SYSTEM, "gamma", "never mind")
        assert service.status(session, "r1")["state"] == "aborted"


def test_a_decommission_mid_rollout_releases_the_nodes_it_stopped(database, manual_clock):
    load(database, racked_fleet(nodes=3))
    with database.transaction() as session:
        service.plan(session, SYSTEM, PlanRequest("r1", "gamma", "img", "k8s-cis", pod="sp1"))
        service.start(session, SYSTEM, "r1")
    engine = Engine(simulated_backends(durations=REALISTIC_DURATIONS), Limits(threads=1))
    for _ in range(30):  # half an hour in: imaging done, burn-in under way
        engine.tick(database)
        manual_clock.advance(60)
    with database.transaction() as session:
        assert set(session.scalars(select(Node.state))) == {"qualifying"}
        decommission.request(session, SYSTEM, "gamma", "contract ended")
        decommission.run(session, SYSTEM, "gamma", decommission.Hooks())
        result = decommission.read(session, "gamma")
        assert set(session.scalars(select(Node.state))) == {"decommissioned"}
    assert result["state"] == "done" and result["nodes_released"] == 3
