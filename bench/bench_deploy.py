"""Deployment engine benchmarks: engine overhead, a realistic sub-pod, 2x capacity, Redfish ops/s.

    .venv/bin/python bench/bench_deploy.py            # all four
    .venv/bin/python bench/bench_deploy.py overhead   # or: subpod, double, redfish

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
from typing import Any

from sqlalchemy import insert, select

from fleetops import clock
from fleetops.auth.principal import SYSTEM
from fleetops.db.migrate import upgrade
from fleetops.db.session import Database
from fleetops.deploy import service
from fleetops.deploy.backends import REALISTIC_DURATIONS, simulated_backends
from fleetops.deploy.claim import Limits
from fleetops.deploy.engine import Engine
from fleetops.deploy.measures import next_due
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


def drive(database: Database, engine: Engine, manual: clock.ManualClock | None) -> tuple[int, list[float]]:
    ticks, durations = 0, []
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
        if due is None:
            return ticks, durations
        manual.set(max(due, manual.now()) + timedelta(seconds=QUANTUM_S))


DATABASE_URL: str | None = None  # --database-url: a PostgreSQL to run on (its public schema is reset)


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


def realistic(pods: int, nodes_per_pod: int, failure_rate: float, burn_in_s: float, seed: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        database = fresh_database(Path(directory))
        manual = clock.ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
        clock.use(manual)
        fleet(database, pods, nodes_per_pod)
        backends = simulated_backends(
            durations=REALISTIC_DURATIONS, failure_rate=failure_rate, seed=seed, burn_in_s=burn_in_s
        )
        engine = Engine(backends, Limits(batch=1000, threads=1))
        started = time.perf_counter()
        ticks, _ = drive(database, engine, manual)
        elapsed = time.perf_counter() - started
        for p, s in report(database, pods).items():
            print(
                f"rollout-{p}: {s['ready']}/{s['nodes']} ready, {s['gpus_ready']} GPUs in "
                f"{s['rollout_ready_s'] / 3600:.2f} h simulated → {s['gpus_per_hour']:,.0f} GPUs/hour; "
                f"needing a human {s['share_needing_human']:.1%}; failures {s['failures']}, recovered "
                f"automatically {s['share_recovered_automatically']:.1%}; node rack-ready→workload-ready "
                f"median {s['node_ready_s_median'] / 60:.0f} min, p95 {s['node_ready_s_p95'] / 60:.0f} min"
            )
        if pods > 1:
            statuses = report(database, pods).values()
            gpus = sum(s["gpus_ready"] for s in statuses)
            hours = max(s["rollout_ready_s"] for s in statuses) / 3600
            print(f"  together: {gpus} GPUs in {hours:.2f} h simulated → {gpus / hours:,.0f} GPUs/hour")
        print(
            f"  ({pods * nodes_per_pod} nodes, {failure_rate:.0%} injected step failures, burn-in "
            f"{burn_in_s / 60:.0f} min; {ticks} ticks, {elapsed:.1f} s wall)"
        )


def redfish(systems: int, concurrency: int, seconds: float) -> None:
    import httpx
    from tests.integration.test_redfish import free_port, write_config

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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", nargs="*", default=["overhead", "subpod", "double", "redfish"])
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--failure-rate", type=float, default=0.05)
    parser.add_argument("--burn-in-min", type=float, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--database-url", help="a PostgreSQL to use (its schema is reset)")
    args = parser.parse_args()
    global DATABASE_URL
    DATABASE_URL = args.database_url
    for which in args.which:
        if which == "overhead":
            overhead(args.nodes)
        elif which in ("subpod", "double"):
            realistic(1 if which == "subpod" else 2, 576, args.failure_rate, args.burn_in_min * 60, args.seed)
        elif which == "redfish":
            redfish(64, args.concurrency, 5.0)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
