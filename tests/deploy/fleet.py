"""Deploy test data (a site with racks of racked nodes and one planned cluster) and the driving loop."""

from __future__ import annotations

from typing import Any

from fleetops.deploy.measures import next_due


def racked_fleet(
    nodes: int = 8,
    racks: int = 2,
    orchestrator: str = "kubernetes",
    cluster_state: str = "planned",
    cluster: str = "gamma",
) -> dict[str, Any]:
    per_rack = max(1, -(-nodes // racks))
    return {
        "suppliers": [{"name": "acme"}],
        "regions": [{"name": "us-south"}],
        "sites": [{"name": "dfw1", "supplier": "acme", "region": "us-south"}],
        "racks": [{"name": f"r{r:02d}", "site": "dfw1", "pod": "sp1"} for r in range(racks)],
        "clusters": [
            {
                "name": cluster,
                "orchestrator": orchestrator,
                "state": cluster_state,
                "supplier": "acme",
                "site": "dfw1",
            }
        ],
        "nodes": [
            {
                "hostname": f"n{i:05d}",
                "serial": f"SN-n{i:05d}",
                "site": "dfw1",
                "rack": f"r{i // per_rack:02d}",
                "position": i % per_rack,
                "bmc_address": f"https://bmc-n{i:05d}",
                "gpu_model": "H100-SXM5-80GB",
                "gpu_count": 8,
                "state": "racked",
            }
            for i in range(nodes)
        ],
    }


def drive(database, engine, clock, limit: int = 10_000) -> None:
    """Discrete-event loop, as the worker would run over time: tick until idle, then jump the clock to
    the next due row."""
    for _ in range(limit):
        if engine.tick(database):
            continue
        with database.transaction() as session:
            due = next_due(session)
        if due is None:
            return
        clock.set(max(due, clock.now()))
    raise AssertionError("rollout did not settle")
