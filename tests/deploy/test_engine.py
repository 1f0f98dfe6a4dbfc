"""The engine end to end on a ManualClock: rows move through the whole pipeline, failures recover."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from fleetops.auth.principal import SYSTEM
from fleetops.deploy import ledger, service
from fleetops.deploy.backends import REALISTIC_DURATIONS, simulated_backends
from fleetops.deploy.choices import BringupState as S
from fleetops.deploy.claim import Limits
from fleetops.deploy.engine import Engine
from fleetops.deploy.models import BringupTransition, NodeBringup
from fleetops.errors import InvalidTransition
from fleetops.inventory.models import Cluster, Node
from tests.deploy.fleet import drive, plan_rollout, start_rollout


def test_nodes_reach_ready_through_every_step(database, manual_clock):
    start_rollout(database, nodes=6)
    engine = Engine(simulated_backends(durations=REALISTIC_DURATIONS), Limits(threads=1))
    drive(database, engine, manual_clock)
    with database.transaction() as session:
        states = Counter(session.scalars(select(NodeBringup.state)))
        node_states = Counter(session.scalars(select(Node.state)))
        cluster = session.scalar(select(Cluster).where(Cluster.name == "gamma"))
        paths = (
            session.execute(select(BringupTransition.to_state).order_by(BringupTransition.id)).scalars().all()
        )
        status = service.status(session, "r1")
    assert states == {"ready": 6}
    assert node_states == {"ready": 6}
    assert cluster.state == "active"
    assert Counter(paths) == {
        s: 6 for s in ("power_on", "provisioning", "hardening", "qualifying", "joining", "ready")
    }
    assert status["state"] == "completed"
    assert status["gpus_ready"] == 48
    # imaging alone is 15-20 minutes and burn-in an hour: a node cannot be ready in under ~80 minutes
    assert status["node_ready_s_median"] > 80 * 60


def test_failures_climb_the_recovery_ladder(database, manual_clock):
    start_rollout(database, nodes=40, racks=4)
    engine = Engine(
        simulated_backends(durations=REALISTIC_DURATIONS, failure_rate=0.2, persistent_share=0.1, seed=3),
        Limits(threads=1),
    )
    drive(database, engine, manual_clock)
    with database.transaction() as session:
        status = service.status(session, "r1")
        queue = service.needs_human(session, "r1")
        retried = session.scalar(select(func.count()).where(BringupTransition.to_state == "retrying"))
    assert status["failures"] > 0 and retried > 0
    assert status["counts"]["ready"] + status["counts"]["needs_human"] == 40
    assert status["recovered_automatically"] > 0
    for entry in queue:
        assert entry["last_error"] and "simulated failure" in entry["last_error"]
        assert entry["evidence"]["failures"][-1]["action"] == "escalate"


def test_pause_stops_new_steps(database, manual_clock):
    start_rollout(database, nodes=4)
    engine = Engine(simulated_backends(), Limits(threads=1))
    with database.transaction() as session:
        service.pause(session, SYSTEM, "r1")
    assert engine.tick(database) == 0
    with database.transaction() as session:
        service.resume(session, SYSTEM, "r1")
    assert engine.tick(database) == 4


def test_a_planned_rollout_cannot_resume_past_start(database, manual_clock):
    plan_rollout(database)
    with database.transaction() as session, pytest.raises(InvalidTransition, match="only a paused rollout"):
        service.resume(session, SYSTEM, "r1")


def test_rack_power_on_is_staggered(database, manual_clock):
    start_rollout(database, nodes=12, racks=1)
    engine = Engine(
        simulated_backends(durations=REALISTIC_DURATIONS),
        Limits(threads=1, rack_power_on_burst=4, rack_power_on_interval_s=60),
    )
    engine.tick(database)
    with database.transaction() as session:
        powering = session.scalar(select(func.count()).where(NodeBringup.state == "power_on"))
    assert powering == 4


def test_site_provisioning_cap(database, manual_clock):
    start_rollout(database, nodes=10, racks=2)
    engine = Engine(
        simulated_backends(durations=REALISTIC_DURATIONS),
        Limits(threads=1, rack_power_on_burst=0, site_provisioning_cap=3),
    )
    for _ in range(20):
        engine.tick(database)
        manual_clock.advance(60)
        with database.transaction() as session:
            imaging = session.scalar(
                select(func.count()).where(NodeBringup.state == "provisioning", NodeBringup.step_calls > 0)
            )
        assert imaging <= 3
    assert imaging == 3


def test_time_held_by_the_imaging_cap_is_kept_on_the_row(database, manual_clock):
    start_rollout(database, nodes=4, racks=1)
    engine = Engine(
        simulated_backends(durations=REALISTIC_DURATIONS),
        Limits(threads=1, rack_power_on_burst=0, site_provisioning_cap=2),
    )
    drive(database, engine, manual_clock)
    with database.transaction() as session:
        rows = session.scalars(select(NodeBringup)).all()
    held = sorted(ledger.read(r.evidence, S.PROVISIONING, ledger.HELD_S) for r in rows)
    # Two imaged at once; the other two waited for a slot, at least the 15 minutes of an image less
    # the spread of power-on times.
    assert held[:2] == [0, 0] and all(h > 10 * 60 for h in held[2:]), held
    assert all(ledger.HELD_SINCE not in r.evidence["steps"]["provisioning"] for r in rows)


def test_backend_rate_limit_defers_calls(database, manual_clock):
    start_rollout(database, nodes=10, racks=1)
    engine = Engine(
        simulated_backends(durations=REALISTIC_DURATIONS),
        Limits(threads=1, rack_power_on_burst=0, backend_rate_per_s={"power": 3.0}),
    )
    engine.tick(database)  # admits all ten to power_on
    engine.tick(database)  # the bucket holds three power calls per Clock second
    assert engine.backends.power.calls == 3
    manual_clock.advance(1)
    engine.tick(database)
    assert engine.backends.power.calls == 6


def test_aborted_rollout_is_left_alone(database, manual_clock):
    start_rollout(database, nodes=3)
    with database.transaction() as session:
        service.abort(session, SYSTEM, "r1", "wrong image")
    engine = Engine(simulated_backends(), Limits(threads=1))
    assert engine.tick(database) == 0
    with database.transaction() as session:
        assert service.status(session, "r1")["state"] == "aborted"
        assert set(session.scalars(select(NodeBringup.state))) == {"enrolled"}
