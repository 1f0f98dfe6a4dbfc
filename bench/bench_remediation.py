"""Remediation benchmarks.

1. Finding stored → node drained in a real Slurm (slurmctld + 2 slurmd on loopback, as in
   tests/integration/test_slurm.py): one worker thread ticks the engine every 50 ms, the main thread stores
   a finding and polls `scontrol show node` until the node shows DRAIN. Goal: p99 <= 2 s.
2. A fleet-wide event: 1,000 runs at once driven by one worker on simulated executors (instant), on a
   ManualClock; per-transition overhead = tick wall time / state transitions written. Goal: median <= 5 ms.
   The circuit breaker is opened up for this run (at its 10 % default it would, rightly, stop the event).

Run: `python bench/bench_remediation.py` (root, Slurm installed: `apt-get install -y slurm-wlm`); set
BENCH_SKIP_SLURM=1 to run only the second part. Prints medians and p99s.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

import repo_root  # noqa: F401  (the repository root on sys.path, for tests.*)
from sqlalchemy import func, select

from fleetops import clock
from fleetops.db.migrate import upgrade
from fleetops.db.session import Database
from fleetops.flow import FaultOwner, Finding, FindingSeverity
from fleetops.inventory.models import Cluster, Node
from fleetops.remediation import safety, service
from fleetops.remediation.choices import RunState
from fleetops.remediation.engine import Engine
from fleetops.remediation.fakes import FakeGpu, FakeVerifier, FakeWorld
from fleetops.remediation.models import RemediationStep
from fleetops.remediation.steps import Timing

warnings.filterwarnings("ignore")
RUNS = int(os.environ.get("BENCH_RUNS", "1000"))
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "60"))


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def finding(host: str, xid: int = 79) -> Finding:
    return Finding(
        hostname=host,
        check="xid",
        severity=FindingSeverity.CRITICAL,
        owner=FaultOwner.HARDWARE,
        observed_at=clock.now(),
        message="bench",
        gpu_index=0,
        xid=xid,
    )


def scratch(prefix: str) -> Database:
    database = Database(f"sqlite:///{Path(tempfile.mkdtemp(prefix=prefix)) / 'fleetops.db'}")
    upgrade(database)
    return database


FINAL = {RunState.RESOLVED, RunState.ESCALATED, RunState.CANCELLED}


def bench_slurm() -> None:
    from tests.factories import load, make_node, two_tenant_fleet
    from tests.integration.slurm_cluster import NODES, local_slurm, unavailable

    reason = unavailable()
    if reason:
        print(f"slurm: skipped ({reason})")
        return
    with local_slurm(Path(tempfile.mkdtemp(prefix="bench-slurm-"))) as slurm:
        database = scratch("bench-remediation-slurm-")
        fleet = two_tenant_fleet()
        fleet["nodes"] += [
            make_node(n, site="aus1", cluster="beta", position=10 + i) for i, n in enumerate(NODES)
        ]
        load(database, fleet)
        world = FakeWorld()
        executors = world.executors()
        executors.schedulers = lambda cluster, orchestrator: slurm
        engine = Engine(
            executors,
            verifier=world.verifier,
            safety=safety.Limits(breaker_share=1.0, cluster_rate_per_hour=0, supplier_rate_per_hour=0),
        )
        stop = threading.Event()

        def worker() -> None:
            while not stop.is_set():
                engine.tick(database)
                stop.wait(0.05)

        thread = threading.Thread(target=worker, daemon=True)
        thread.start()
        latencies = []
        for i in range(SAMPLES):
            node = NODES[i % len(NODES)]
            start = time.perf_counter()
            with database.transaction() as session:
                service.receive_findings(session, [finding(node)])
            while not slurm.status(node).drained:
                time.sleep(0.01)
            latencies.append(time.perf_counter() - start)
            with database.transaction() as session:
                [run] = service.list_runs(session, service_principal(), hostname=node, limit=1)
                if run.state not in FINAL:  # past the repeat cap a run goes straight to the supplier
                    service.cancel(session, service_principal(), run.id, "bench")
            slurm.resume(node)
            time.sleep(0.2)
        stop.set()
        thread.join()
        engine.close()
        median, p99 = statistics.median(latencies), quantile(latencies, 0.99)
        print(
            f"finding stored → drained in real Slurm ({SAMPLES} samples): median {median:.3f} s, "
            f"p99 {p99:.3f} s, max {max(latencies):.3f} s (goal p99 <= 2 s)"
        )


def service_principal():
    from fleetops.auth.principal import SYSTEM

    return SYSTEM


def postgres(url: str) -> Database:
    from sqlalchemy import text

    database = Database(url)
    with database.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(database)
    return database


def bench_fleet_event(database: Database, backend: str) -> None:
    from fleetops.sim.load import seed_fleet

    print(f"fleet event on {backend}:")
    seed_fleet(database, 7, max(2000, int(RUNS * 1.6)), force=True)
    with database.transaction() as session:
        hosts = list(
            session.scalars(
                select(Node.hostname)
                .join(Cluster, Cluster.id == Node.cluster_id)
                .where(Cluster.state == "active")
                .order_by(Node.id)
                .limit(RUNS)
            )
        )
    manual = clock.ManualClock(datetime(2026, 3, 2, tzinfo=UTC))
    previous = clock.use(manual)
    try:
        world = FakeWorld(gpu=FakeGpu(duration_s=0), verifier=FakeVerifier(duration_s=0), reboot_s=0)
        engine = Engine(
            world.executors(),
            verifier=world.verifier,
            timing=Timing(settle_s=0),
            safety=safety.Limits(breaker_share=1.0, cluster_rate_per_hour=0, supplier_rate_per_hour=0),
        )
        start = time.perf_counter()
        with database.transaction() as session:
            result = service.receive_findings(session, [finding(h) for h in hosts])
        intake_s = time.perf_counter() - start
        per_transition: list[float] = []
        per_run_step: list[float] = []
        ticks, total = 0, 0.0
        while True:
            with database.transaction() as session:
                before = session.scalar(select(func.count()).select_from(RemediationStep))
            start = time.perf_counter()
            worked = engine.tick(database)
            elapsed = time.perf_counter() - start
            if not worked:
                break
            with database.transaction() as session:
                written = session.scalar(select(func.count()).select_from(RemediationStep)) - before
            ticks, total = ticks + 1, total + elapsed
            per_transition.append(elapsed / max(1, written))
            per_run_step.append(elapsed / worked)
            manual.advance(61)
        engine.close()
        with database.transaction() as session:
            states = dict(
                session.execute(select(service.R.state, func.count()).group_by(service.R.state)).all()
            )
        print(
            f"fleet event: {len(result.created)} runs taken in by intake in {intake_s:.2f} s "
            f"({intake_s / max(1, len(result.created)) * 1000:.2f} ms per finding)"
        )
        step_ms = statistics.median(per_run_step) * 1000
        row_ms = statistics.median(per_transition) * 1000
        print(
            f"fleet event: {ticks} ticks, {total:.2f} s engine time; per run step (one claimed run moved one "
            f"step) median {step_ms:.2f} ms, max {max(per_run_step) * 1000:.2f} ms; per history row median "
            f"{row_ms:.2f} ms (goal median <= 5 ms); final states {states}"
        )
    finally:
        clock.use(previous)


if __name__ == "__main__":
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {datetime.now(UTC):%Y-%m-%d}")
    if not os.environ.get("BENCH_SKIP_SLURM"):
        bench_slurm()
    bench_fleet_event(scratch("bench-remediation-event-"), "SQLite")
    if os.environ.get("FLEETOPS_TEST_POSTGRES_URL"):  # `make bench` starts a throwaway PostgreSQL
        bench_fleet_event(postgres(os.environ["FLEETOPS_TEST_POSTGRES_URL"]), "PostgreSQL")
