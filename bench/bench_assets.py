"""NetBox sync: first full sync, an incremental sync of 100 changes, the pull that follows it, and the
drift report, at N nodes of 8 GPUs, against the in-process fake (default) or a real NetBox 4.7 (`--real`:
installed, migrated and started as the integration test does it, tests/assets/netbox_server.py, with as
many gunicorn workers as the most batches in flight). The target fleet is 10,000 nodes / 80,000 GPUs into
the real NetBox; at a smaller N the per-object cost is extrapolated linearly.

`--concurrency=1,2,4` runs the first full sync once per level (batches in flight at once), each into a
fresh NetBox database and a fresh fleetops one, and prints objects/s and the ratio to the first level.

    .venv/bin/python bench/bench_assets.py [nodes] [--real] [--concurrency=1,2,4] [--batch=500]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import repo_root  # noqa: F401  (the repository root on sys.path, for tests.*)
from sqlalchemy import update
from tests.assets.netbox_server import NetboxServer, install
from tests.factories import gpus, load

from fleetops.adapters.netbox.client import NetboxClient
from fleetops.adapters.netbox.fake import FakeNetbox
from fleetops.assets import drift, netbox_pull, netbox_sync
from fleetops.db.migrate import upgrade
from fleetops.db.session import Database
from fleetops.inventory.choices import NodeState
from fleetops.inventory.models import Node


def fleet(nodes: int) -> dict:
    racks = max(1, nodes // 32)
    return {
        "suppliers": [{"name": "acme"}],
        "regions": [{"name": "us"}],
        "sites": [{"name": "dfw1", "supplier": "acme", "region": "us"}],
        "racks": [{"name": f"r{r:04d}", "site": "dfw1", "pod": f"p{r // 18}"} for r in range(racks)],
        "nodes": [
            {"hostname": f"n{i:05d}", "serial": f"SN{i:05d}", "site": "dfw1", "rack": f"r{i % racks:04d}",
             "position": i // racks % 42 + 1, "gpu_model": "H100", "state": "ready",
             "gpus": gpus(f"n{i:05d}")}
            for i in range(nodes)
        ],
    }  # fmt: skip


def timed(fn):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def fleetops_db(nodes: int) -> Database:
    database = Database(f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}")
    upgrade(database)
    load(database, fleet(nodes))
    return database


def main(nodes: int, real: bool, levels: list[int], batch: int) -> None:
    server = NetboxServer(install(), workers=max(2, *levels)) if real else None
    against = "real NetBox 4.7" if real else "fake"
    try:
        if server is not None:
            started, _ = timed(server.start)
            print(f"real NetBox up in {started:.0f} s at {server.url} ({server.workers} gunicorn workers)")
        first = None
        for level in levels:
            database = fleetops_db(nodes)
            if server is not None:
                server.fresh()
                client = NetboxClient(server.url, server.token)
            else:
                client = NetboxClient("http://netbox.bench", "nbt_k.t", transport=FakeNetbox())
            full, done = timed(lambda: netbox_sync.sync(database, client, "bench", batch, level))  # noqa: B023
            rate = sum(done.values()) / full
            first = first or rate
            print(f"{against}: nodes {nodes}, GPUs {nodes * 8}, batch {batch}, {level} in flight: ", end="")
            print(f"{sum(done.values())} objects in {full:.1f} s, {rate:.1f} objects/s ({rate / first:.2f}x)")
            print(f"  → 10,000 nodes ≈ {full * 10_000 / nodes / 60:.1f} min (target ≤ 10 min)", flush=True)
        measure(database, client, nodes, full)
        client.close()
    finally:
        if server is not None:
            server.stop()


def measure(database: Database, client: NetboxClient, nodes: int, full: float) -> None:
    """The incremental sync, the pull after it and the drift report, on the last level's NetBox."""
    with database.transaction() as session:  # 100 servers go to repair: their NetBox status to failed
        session.execute(update(Node).where(Node.id <= 100).values(state=NodeState.REPAIR))
    incremental, changed = timed(lambda: netbox_sync.sync(database, client, "bench"))
    print(f"incremental, 100     {incremental:8.2f} s  ({dict(changed)})", flush=True)
    pulled, found = timed(lambda: netbox_pull.pull(database, client, "bench"))
    print(f"pull after it        {pulled:8.2f} s  ({dict(found)}; its own pushes: expected nothing)")
    with database.transaction() as session:
        report, drifts = timed(lambda: drift.report(session, client))
    print(f"drift report         {report:8.2f} s  ({len(drifts)} drifts; expected 0)")
    scale = 10_000 / nodes / 60  # seconds at N nodes → minutes at 10,000
    print(f"per node, full sync  {full / nodes * 1000:8.2f} ms  → 10,000 nodes ≈ {full * scale:.1f} min")
    print(f"  (target ≤ 10 min); drift report at 10,000 nodes ≈ {report * scale:.1f} min")


def option(name: str, default: str) -> str:
    return next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith(f"--{name}=")), default)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    levels = [int(n) for n in option("concurrency", "1").split(",")]
    main(int(args[0]) if args else 1000, "--real" in sys.argv, levels, int(option("batch", "500")))
