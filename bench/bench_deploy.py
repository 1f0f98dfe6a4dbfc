"""Deployment engine benchmarks: engine overhead, a realistic sub-pod, 2x capacity, Redfish ops/s.

    .venv/bin/python bench/bench_deploy.py            # all four
    .venv/bin/python bench/bench_deploy.py overhead   # or: subpod, double, redfish
    .venv/bin/python bench/bench_deploy.py subpod --seeds 10 --burn-in-min 120   # medians over seeds 1-10

Every figure is read back from the engine's own rows (fleetops.deploy.measures), never counted here.
The realistic runs use a ManualClock as a discrete-event simulator: tick until nothing is due, then jump
to the next due row, so days of deployment play in seconds through the production code path.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import insert, select

from fleetops import clock
from fleetops.auth.principal import SYSTEM
from fleetops.db.migrate import upgrade
from fleetops.db.session import Database
from fleetops.deploy import ledger, recovery, service
from fleetops.deploy.backends import REALISTIC_DURATIONS, Backends, SimulatedStep, simulated_backends
from fleetops.deploy.choices import BringupState
from fleetops.deploy.claim import Limits
from fleetops.deploy.engine import Engine
from fleetops.deploy.fsm import STEPS
from fleetops.deploy.measures import next_due
from fleetops.deploy.models import NodeBringup, Rollout
from fleetops.deploy.plan import PlanRequest
from fleetops.inventory.apply import apply_document
from fleetops.inventory.models import Node, Rack
from fleetops.inventory.schemas import Document

NODES_PER_RACK = 8


def fleet(database: Database, pods: int, nodes_per_pod: int) -> None:
    """Inventory for `pods` sub-pods (one cluster each, one site); nodes bulk-inserted, it is a fixture."""
    racks = nodes_per_pod // NODES_PER_RACK
    doc = {
        "suppliers": [{"name": "acme"}],
        "regions": [{"name": "us-south"}],
        "sites": [{"name": "dfw1", "supplier": "acme", "region": "us-south"}],
        "racks": [
            {"name": f"p{p}r{r:03d}", "site": "dfw1", "pod": f"sp{p}"}
            for p in range(pods)
            for r in range(racks)
        ],
        "clusters": [{"name": f"c{p}", "orchestrator": "kubernetes", "site": "dfw1"} for p in range(pods)],
    }
    with database.transaction() as session:
        apply_document(session, "bench", Document.model_validate(doc))
        rack_ids = dict(session.execute(select(Rack.name, Rack.id)).all())
        session.execute(
            insert(Node),
            [
                {
                    "hostname": f"p{p}n{i:05d}",
                    "serial": f"SN-p{p}n{i:05d}",
                    "rack_id": rack_ids[f"p{p}r{i // NODES_PER_RACK:03d}"],
                    "position": i % NODES_PER_RACK,
                    "bmc_address": f"https://bmc-p{p}n{i:05d}",
                    "gpu_model": "H100-SXM5-80GB",
                    "gpu_count": 8,
                    "state": "racked",
                }
                for p in range(pods)
                for i in range(nodes_per_pod)
            ],
        )
        for p in range(pods):
            service.plan(
                session,
                SYSTEM,
                PlanRequest(f"rollout-{p}", f"c{p}", "ubuntu-22.04-gpu", "k8s-cis", pod=f"sp{p}"),
            )
            service.start(session, SYSTEM, f"rollout-{p}")


QUANTUM_S = 30  # the simulated clock jumps to the next due row plus this, so nearby rows share a tick
# A rollout still running after this long is reported unfinished instead of simulated until killed.
HORIZON = timedelta(hours=72)


def drive(database: Database, engine: Engine, manual: clock.ManualClock | None) -> tuple[int, list[float]]:
    ticks, durations = 0, []
    horizon = manual.now() + HORIZON if manual else None
    while True:
        started = time.perf_counter()
        worked = engine.tick(database)
        if worked:
            ticks += 1
            durations.append(time.perf_counter() - started)
            continue
        if manual is None:
            return ticks, durations
        with database.transaction() as session:
            due = next_due(session)
        if due is None or horizon is None or due > horizon:
            return ticks, durations
        manual.set(max(due, manual.now()) + timedelta(seconds=QUANTUM_S))


DATABASE_URL: str | None = None  # --database-url: a PostgreSQL to run on (its public schema is reset)
IMAGING_CAP = Limits().site_provisioning_cap  # --imaging-cap: nodes imaging at once per site (0: no cap)


def fresh_database(directory: Path) -> Database:
    if DATABASE_URL:
        from sqlalchemy import text

        database = Database(DATABASE_URL)
        with database.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        database = Database(f"sqlite:///{directory / 'bench.db'}")
    upgrade(database)
    return database


def report(database: Database, pods: int) -> dict[str, Any]:
    with database.transaction() as session:
        return {p: service.status(session, f"rollout-{p}") for p in range(pods)}


def overhead(nodes: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        database = fresh_database(Path(directory))
        clock.use(clock.ManualClock(datetime(2026, 1, 1, tzinfo=UTC)))
        fleet(database, 1, nodes)
        engine = Engine(
            simulated_backends(),
            Limits(batch=2000, threads=1, rack_power_on_burst=0, site_provisioning_cap=0),
        )
        started = time.perf_counter()
        ticks, durations = drive(database, engine, None)
        elapsed = time.perf_counter() - started
        status = report(database, 1)[0]
        print(
            f"overhead: {status['ready']}/{nodes} nodes ready through 6 moves each in {elapsed:.1f} s "
            f"({status['ready'] * 6 / elapsed:,.0f} moves/s), {ticks} ticks of <= 2000 rows, "
            f"median tick {statistics.median(durations) * 1000:.0f} ms"
        )


def serial_path_s(database: Database, backends: Backends, rollout: str) -> float:
    """The rollout's serial-path bound: its slowest ready node's own path with no engine in between,
    i.e. each run of each step taking what the simulated backend spent on it, each recovery waiting what
    its rung says, and each wait a limit imposed (the site's imaging cap). The path (runs, failures,
    time held per step) is read from the rows' ledger; the ratio to it is the engine's own latency."""
    longest = 0.0
    with database.transaction() as session:
        rows = session.execute(
            select(NodeBringup.hostname, NodeBringup.evidence)
            .join(Rollout, Rollout.id == NodeBringup.rollout_id)
            .where(Rollout.name == rollout, NodeBringup.state == BringupState.READY)
        ).all()
    for hostname, evidence in rows:
        path = sum(entry.get(ledger.HELD_S, 0) for entry in evidence[ledger.KEY].values())
        for step in STEPS:
            backend = cast(SimulatedStep, backends.for_step(step))
            runs = int(ledger.read(evidence, step, ledger.RUNS))
            path += sum(backend.busy_s(hostname, run) for run in range(1, runs + 1))
            failures = int(ledger.read(evidence, step, ledger.FAILURES))
            path += sum(recovery.decide(step, n, retryable=True).wait_s for n in range(1, failures + 1))
        longest = max(longest, path)
    return longest


def realistic(
    pods: int, nodes_per_pod: int, failure_rate: float, burn_in_s: float, seed: int, quiet: bool = False
) -> list[dict[str, Any]]:
    """One simulated rollout per pod, all at once; prints one line per rollout, returns their figures."""
    with tempfile.TemporaryDirectory() as directory:
        database = fresh_database(Path(directory))
        manual = clock.ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
        clock.use(manual)
        fleet(database, pods, nodes_per_pod)
        backends = simulated_backends(
            durations=REALISTIC_DURATIONS, failure_rate=failure_rate, seed=seed, burn_in_s=burn_in_s
        )
        engine = Engine(backends, Limits(batch=1000, threads=1, site_provisioning_cap=IMAGING_CAP))
        started = time.perf_counter()
        ticks, _ = drive(database, engine, manual)
        elapsed = time.perf_counter() - started
        figures = []
        for p, s in report(database, pods).items():
            bound = serial_path_s(database, backends, f"rollout-{p}")
            s = {**s, "seed": seed, "humans": s["counts"]["needs_human"], "serial_path_ratio": None}
            s["unfinished"] = s["nodes"] - s["ready"] - s["humans"]
            if s["rollout_ready_s"] and bound:
                s["serial_path_ratio"] = s["rollout_ready_s"] / bound
            figures.append(s)
            if not quiet:
                print(describe(f"rollout-{p}", s))
        if pods > 1:
            gpus = sum(s["gpus_ready"] for s in figures)
            hours = max(s["rollout_ready_s"] for s in figures) / 3600
            print(f"  together: {gpus} GPUs in {hours:.2f} h simulated → {gpus / hours:,.0f} GPUs/hour")
        if not quiet:
            print(
                f"  ({pods * nodes_per_pod} nodes, {failure_rate:.0%} injected step failures, burn-in "
                f"{burn_in_s / 60:.0f} min, seed {seed}; {ticks} ticks, {elapsed:.1f} s wall)"
            )
        return figures


def describe(name: str, s: dict[str, Any]) -> str:
    if not s["ready"]:
        return f"{name}: no node ready; {s['humans']} on the human queue, {s['unfinished']} unfinished"
    return (
        f"{name}: {s['ready']}/{s['nodes']} ready, {s['humans']} on the human queue, {s['unfinished']} "
        f"unfinished; {s['gpus_ready']} GPUs in {s['rollout_ready_s'] / 3600:.2f} h simulated → "
        f"{s['gpus_per_hour']:,.0f} GPUs/hour; serial-path ratio {s['serial_path_ratio']:.3f}; failures "
        f"{s['failures']}, nodes recovered automatically {s['share_recovered_automatically']:.1%}; node "
        f"rack-ready→workload-ready median {s['node_ready_s_median'] / 60:.0f} min, "
        f"p95 {s['node_ready_s_p95'] / 60:.0f} min"
    )


def seeds(count: int, first: int, failure_rate: float, burn_in_s: float) -> None:
    """The sub-pod over `count` seeds: one line each, then the medians (and how many finished)."""
    runs = []
    for seed in range(first, first + count):
        (figures,) = realistic(1, 576, failure_rate, burn_in_s, seed, quiet=True)
        print(describe(f"seed {seed}", figures))
        runs.append(figures)
    finished = sum(1 for r in runs if not r["unfinished"])
    ratios = [r["serial_path_ratio"] for r in runs if r["serial_path_ratio"]]
    rates = [r["gpus_per_hour"] for r in runs]
    print(
        f"sub-pod, {count} seeds ({failure_rate:.0%} failures, burn-in {burn_in_s / 60:.0f} min): "
        f"{finished}/{count} finished (every node ready or on the human queue); median "
        f"{statistics.median(rates):,.0f} GPUs/hour (min {min(rates):,.0f}, max {max(rates):,.0f}), "
        f"{statistics.median(r['humans'] for r in runs):g} nodes on the human queue, "
        f"{statistics.median(r['share_recovered_automatically'] or 0 for r in runs):.1%} recovered "
        f"automatically, serial-path ratio {statistics.median(ratios):.3f} (max {max(ratios):.3f})"
    )


def redfish(systems: int, concurrency: int, seconds: float) -> None:
    import httpx
    import repo_root  # noqa: F401  (the repository root on sys.path, for tests.*)
    from tests.integration.test_redfish import write_config
    from tests.ports import free_port

    from fleetops.adapters.redfish.client import RedfishClient

    with tempfile.TemporaryDirectory() as directory:
        config = write_config(Path(directory) / "emulator.conf", systems)
        port = free_port()
        binary = Path(sys.executable).parent / "sushy-emulator"
        process = subprocess.Popen(
            [str(binary), "--fake", "-i", "127.0.0.1", "-p", str(port), "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    httpx.get(f"{url}/redfish/v1/Systems", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            members = RedfishClient(url).systems()
            clients = [RedfishClient(url) for _ in range(concurrency)]

            def worker(index: int) -> int:
                client, ops, deadline = clients[index], 0, time.perf_counter() + seconds
                while time.perf_counter() < deadline:
                    system = members[(index + ops) % len(members)]
                    client.reset(system, "On" if ops % 2 == 0 else "ForceOff")
                    client.power_state(system)
                    ops += 2
                return ops

            rates = []
            for _ in range(3):
                started = time.perf_counter()
                with ThreadPoolExecutor(concurrency) as pool:
                    total = sum(pool.map(worker, range(concurrency)))
                rates.append(total / (time.perf_counter() - started))
            print(
                f"redfish: {statistics.median(rates):,.0f} ops/s median of 3 (reset POST + power GET, "
                f"{concurrency} concurrent clients, {systems} emulated systems, sushy-emulator --fake)"
            )
        finally:
            process.terminate()
            process.wait(timeout=10)


def main() -> None:
    global DATABASE_URL, IMAGING_CAP
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", nargs="*", default=["overhead", "subpod", "double", "redfish"])
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--failure-rate", type=float, default=0.05)
    parser.add_argument("--burn-in-min", type=float, default=60)
    parser.add_argument("--seed", type=int, default=1, help="the (first) seed of the simulated failures")
    parser.add_argument("--seeds", type=int, default=1, help="subpod: run this many seeds, print medians")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--database-url", help="a PostgreSQL to use (its schema is reset)")
    parser.add_argument("--imaging-cap", type=int, default=IMAGING_CAP, help="subpod, double: 0 lifts it")
    args = parser.parse_args()
    DATABASE_URL, IMAGING_CAP = args.database_url, args.imaging_cap
    for which in args.which:
        if which == "overhead":
            overhead(args.nodes)
        elif which == "subpod" and args.seeds > 1:
            seeds(args.seeds, args.seed, args.failure_rate, args.burn_in_min * 60)
        elif which in ("subpod", "double"):
            realistic(1 if which == "subpod" else 2, 576, args.failure_rate, args.burn_in_min * 60, args.seed)
        elif which == "redfish":
            redfish(64, args.concurrency, 5.0)


if __name__ == "__main__":
    main()
