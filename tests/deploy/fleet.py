"""Deploy test data: a site with racks of racked (not yet deployed) nodes and one planned cluster."""

from __future__ import annotations

from typing import Any


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
