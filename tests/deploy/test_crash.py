"""Crash safety: a worker killed mid-rollout loses, repeats and skips no node once another takes over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fleetops import clock
from fleetops.audit.models import AuditEvent
from fleetops.auth.principal import SYSTEM
from fleetops.deploy import service
from fleetops.deploy.backends import simulated_backends
from fleetops.deploy.claim import Limits
from fleetops.deploy.engine import Engine
from fleetops.deploy.fsm import PIPELINE
from fleetops.deploy.models import BringupTransition, NodeBringup
from fleetops.deploy.plan import PlanRequest
from fleetops.inventory.models import Node
from tests.deploy.crash_worker import slow_engine
from tests.deploy.fleet import racked_fleet
from tests.factories import load

ROOT = Path(__file__).resolve().parents[2]
PATH = [s.value for s in PIPELINE[1:]]


def start(database, nodes):
    load(database, racked_fleet(nodes=nodes, racks=4))
    with database.transaction() as session:
        service.plan(
            session,
            SYSTEM,
            PlanRequest(name="r1", cluster="gamma", image="img", profile="k8s-cis", pod="sp1"),
        )
        service.start(session, SYSTEM, "r1")


def assert_each_node_once(database, nodes):
    with database.transaction() as session:
        paths = defaultdict(list)
        for bringup_id, to_state in session.execute(
            select(BringupTransition.bringup_id, BringupTransition.to_state).order_by(BringupTransition.id)
        ):
            paths[bringup_id].append(to_state)
        states = set(session.scalars(select(NodeBringup.state)))
        node_states = set(session.scalars(select(Node.state)))
        audited = session.scalar(select(func.count()).where(AuditEvent.action == "deploy.node_state"))
    assert len(paths) == nodes, "a node was lost"
    for bringup_id, path in paths.items():
        assert path == PATH, f"bring-up {bringup_id} repeated or skipped a step: {path}"
    assert states == {"ready"} and node_states == {"ready"}
    assert audited == 3 * nodes  # racked → provisioning → qualifying → ready, each exactly once


def finish(database, engine):
    for _ in range(1000):
        if not engine.tick(database):
            return
    raise AssertionError("engine did not finish")


def test_sigkilled_worker_loses_repeats_and_skips_nothing(database, manual_clock):
    nodes = 120
    start(database, nodes)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.deploy.crash_worker", database.url, "0.01"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert worker.stdout is not None and worker.stdout.readline().strip() == b"started"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # kill once it has made progress, but well before the end
            with database.transaction() as session:
                moves = session.scalar(select(func.count()).select_from(BringupTransition))
                leased = session.scalar(select(func.count()).where(NodeBringup.lease_owner.is_not(None)))
            if moves >= 2 * nodes and leased:
                break
            time.sleep(0.05)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
    with database.transaction() as session:
        ready_at_kill = session.scalar(select(func.count()).where(NodeBringup.state == "ready"))
        moved_at_kill = session.scalar(select(func.count()).select_from(BringupTransition))
        stranded = session.scalar(select(func.count()).where(NodeBringup.lease_owner.is_not(None)))
    assert ready_at_kill < nodes and moved_at_kill >= 2 * nodes  # killed mid-rollout
    # The killed worker's leases hold until they expire, then a fresh worker takes the same rows over.
    manual_clock.set(clock.SystemClock().now())
    fresh = Engine(simulated_backends(), Limits(threads=1, rack_power_on_burst=0))
    assert stranded > 0, "the kill should land while the worker holds leases"
    finish(database, fresh)
    with database.transaction() as session:
        assert session.scalar(select(func.count()).where(NodeBringup.lease_owner.is_not(None))) == stranded
    manual_clock.advance(31)
    finish(database, fresh)
    assert_each_node_once(database, nodes)


class Crash(BaseException):
    """Not an Exception: nothing in the engine catches it, as with a process dying mid-step."""


def test_exception_mid_step_leaves_leases_that_expire(database, manual_clock):
    start(database, 10)
    engine = slow_engine(0, lease_s=120)
    engine.limits.batch = 1000
    calls = {"n": 0}
    real = engine.backends.provisioner.run

    def crash_on_third(ctx):
        calls["n"] += 1
        if calls["n"] == 3:
            raise Crash()
        return real(ctx)

    engine.backends.provisioner.run = crash_on_third  # type: ignore[method-assign]
    with pytest.raises(Crash):
        for _ in range(10):
            engine.tick(database)
    with database.transaction() as session:
        leased = session.scalar(select(func.count()).where(NodeBringup.lease_owner.is_not(None)))
    assert leased == 10
    assert engine.tick(database) == 0  # leases still held: nobody else runs those steps
    manual_clock.advance(121)
    finish(database, engine)
    assert_each_node_once(database, 10)


def test_concurrent_workers_never_run_the_same_step_twice(database, manual_clock):
    """Four workers share one queue (SKIP LOCKED on PostgreSQL, atomic UPDATE on SQLite)."""
    import threading

    nodes = 60
    start(database, nodes)
    calls: list[tuple[str, str]] = []
    lock = threading.Lock()
    engines = []
    for _ in range(4):
        engine = slow_engine(0.002, lease_s=600)
        engine.limits.batch = 7
        for name in ("power", "provisioner", "hardening", "qualifier", "joiner"):
            step = getattr(engine.backends, name)

            def counted(ctx, step=step, name=name):
                with lock:
                    calls.append((ctx.hostname, name))
                return type(step).run(step, ctx)

            step.run = counted
        engines.append(engine)
    errors: list[BaseException] = []

    def work(engine):
        try:
            idle = 0
            while idle < 3:
                idle = idle + 1 if not engine.tick(database) else 0
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(calls) == len(set(calls)) == 5 * nodes  # each node's each step ran exactly once
    assert_each_node_once(database, nodes)
