"""A GPU fleet shaped like production for alert tests: clusters of racks of 32 nodes."""

from __future__ import annotations

from typing import Any

from fleetops.flow import Finding
from fleetops.wire import FaultOwner, Severity
from tests.factories import make_node


def fleet(racks: int = 4, per_rack: int = 32, decommissioned: bool = False) -> dict[str, Any]:
    """Cluster `alpha` (customer initech, supplier acme) on `racks` racks, plus cluster `old` if asked."""
    nodes = [
        make_node(f"a{r:02d}n{n:02d}", rack=f"r{r:02d}", position=n)
        for r in range(racks)
        for n in range(per_rack)
    ]
    clusters = [
        {
            "name": "alpha",
            "orchestrator": "kubernetes",
            "state": "active",
            "supplier": "acme",
            "site": "dfw1",
            "customer": "initech",
            "contract": "initech-2026",
        }
    ]
    if decommissioned:
        clusters.append(
            {
                "name": "old",
                "orchestrator": "kubernetes",
                "state": "decommissioned",
                "supplier": "acme",
                "site": "dfw1",
                "customer": "initech",
                "contract": "initech-2026",
            }
        )
        nodes += [make_node(f"old{n:02d}", rack="r99", cluster="old") for n in range(8)]
    return {
        "suppliers": [{"name": "acme"}],
        "regions": [{"name": "us-south"}],
        "sites": [{"name": "dfw1", "supplier": "acme", "region": "us-south"}],
        "racks": [{"name": f"r{r:02d}", "site": "dfw1", "pod": "p1"} for r in range(racks)]
        + ([{"name": "r99", "site": "dfw1", "pod": "p1"}] if decommissioned else []),
        "customers": [{"name": "initech"}],
        "contracts": [
            {
                "name": "initech-2026",
                "customer": "initech",
                "start_date": "2026-01-01",
                "end_date": "2026-12-31",
                "gpu_count": 8 * racks * per_rack,
                "price_per_gpu_hour": 2.2,
            }
        ],
        "clusters": clusters,
        "nodes": nodes,
    }


def finding(
    hostname: str,
    check: str,
    owner: FaultOwner,
    when: Any,
    gpu: int | None = None,
    xid: int | None = None,
    resolved: bool = False,
    gpu_uuid: str | None = None,
) -> Finding:
    return Finding(
        hostname=hostname,
        check=check,
        severity=Severity.CRITICAL,
        owner=owner,
        observed_at=when,
        message=f"{check} on {hostname}",
        gpu_index=gpu,
        gpu_uuid=gpu_uuid,
        xid=xid,
        resolved=resolved,
    )
