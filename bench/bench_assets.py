"""NetBox sync against the in-process fake: first full sync, an incremental sync of 100 changes, and the
drift report, at N nodes of 8 GPUs (default 1,000; the target fleet is 10,000 / 80,000 into real NetBox).

    .venv/bin/python bench/bench_assets.py [nodes]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import update
from tests.factories import gpus, load

from fleetops.adapters.netbox.client import NetboxClient
from fleetops.adapters.netbox.fake import FakeNetbox
from fleetops.assets import drift, netbox_sync
from fleetops.db.migrate import upgrade
from fleetops.db.session import Database
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


def main(nodes: int) -> None:
    database = Database(f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}")
    upgrade(database)
    load(database, fleet(nodes))
    fake = FakeNetbox()
    client = NetboxClient("http://netbox.bench", "nbt_k.t", transport=fake)
    full, done = timed(lambda: netbox_sync.sync(database, client, "bench"))
    with database.transaction() as session:
        session.execute(update(Node).where(Node.id <= 100).values(position=43))
    incremental, changed = timed(lambda: netbox_sync.sync(database, client, "bench"))
    with database.transaction() as session:
        report, found = timed(lambda: drift.report(session, client))
    print(f"nodes {nodes}, GPUs {nodes * 8}: NetBox objects {sum(len(v) for v in fake.objects.values())}")
    print(f"first full sync      {full:7.2f} s  ({dict(done)}; {fake.writes} bulk writes)")
    print(f"incremental, 100     {incremental:7.2f} s  ({dict(changed)})")
    print(f"drift report         {report:7.2f} s  ({len(found)} drifts; expected 0)")
    print(
        f"per node, full sync  {full / nodes * 1000:7.2f} ms  → 10,000 nodes ≈ "
        f"{full / nodes * 10_000:.0f} s (fake)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
