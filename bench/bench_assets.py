"""NetBox sync: first full sync, an incremental sync of 100 changes, and the drift report, at N nodes of
8 GPUs, against the in-process fake (default) or a real NetBox 4.7 (`--real`: installed, migrated and
started as the integration test does it, tests/assets/netbox_server.py). The target fleet is 10,000 nodes
/ 80,000 GPUs into the real NetBox; at a smaller N the per-object cost is extrapolated linearly.

    .venv/bin/python bench/bench_assets.py [nodes] [--real]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import update
from tests.assets.netbox_server import NetboxServer, install
from tests.factories import gpus, load

from fleetops.adapters.netbox.client import NetboxClient
from fleetops.adapters.netbox.fake import FakeNetbox
from fleetops.assets import drift, netbox_sync
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


def main(nodes: int, real: bool) -> None:
    database = Database(f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}")
    upgrade(database)
    load(database, fleet(nodes))
    server = NetboxServer(install()) if real else None
    try:
        if server is not None:
            started, _ = timed(server.start)
            print(f"real NetBox up in {started:.0f} s at {server.url}")
            client = NetboxClient(server.url, server.token)
        else:
            client = NetboxClient("http://netbox.bench", "nbt_k.t", transport=FakeNetbox())
        measure(database, client, nodes, "real NetBox 4.7" if real else "fake")
        client.close()
    finally:
        if server is not None:
            server.stop()


def measure(database: Database, client: NetboxClient, nodes: int, against: str) -> None:
    full, done = timed(lambda: netbox_sync.sync(database, client, "bench"))
    objects = sum(done.values())
    print(f"{against}: nodes {nodes}, GPUs {nodes * 8}: NetBox objects written {objects}")
    print(f"first full sync      {full:8.2f} s  ({dict(done)}; {objects / full:.0f} objects/s)", flush=True)
    with database.transaction() as session:  # 100 servers go to repair: their NetBox status to failed
        session.execute(update(Node).where(Node.id <= 100).values(state=NodeState.REPAIR))
    incremental, changed = timed(lambda: netbox_sync.sync(database, client, "bench"))
    print(f"incremental, 100     {incremental:8.2f} s  ({dict(changed)})", flush=True)
    with database.transaction() as session:
        report, found = timed(lambda: drift.report(session, client))
    print(f"drift report         {report:8.2f} s  ({len(found)} drifts; expected 0)")
    scale = 10_000 / nodes / 60  # seconds at N nodes → minutes at 10,000
    print(f"per node, full sync  {full / nodes * 1000:8.2f} ms  → 10,000 nodes ≈ {full * scale:.1f} min")
    print(f"  (target ≤ 10 min); drift report at 10,000 nodes ≈ {report * scale:.1f} min")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 1000, "--real" in sys.argv)
