"""The emergency update rehearsed in the simulator: a non-production cluster, a simulated critical CVE,
the engine on the fake scheduler and hook, ticked until it settles; how many nodes were out at worst.

The run and its timeline are stored like a real one's, so the post-incident review reads the rehearsal
(`fleetops security updates show NAME --timeline`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fleetops.adapters.slurm.fake import FakeScheduler
from fleetops.auth.principal import SYSTEM
from fleetops.db.session import Database
from fleetops.inventory.apply import apply_document
from fleetops.inventory.schemas import Document
from fleetops.security.updates import service
from fleetops.security.updates.choices import RunState
from fleetops.security.updates.engine import Engine
from fleetops.security.updates.hooks import FakeHook

BULLETIN = "CVE-2026-0001 (simulated, critical): GPU driver privilege escalation"


def staging_fleet(cluster: str, nodes: int) -> dict[str, Any]:
    """A non-production cluster of `nodes` ready nodes, as an inventory document."""
    hosts = [f"{cluster}-n{i:03d}" for i in range(nodes)]
    return {
        "suppliers": [{"name": "rehearsal-supplier"}],
        "regions": [{"name": "rehearsal"}],
        "sites": [{"name": "rehearsal-site", "supplier": "rehearsal-supplier", "region": "rehearsal"}],
        "racks": [{"name": "r01", "site": "rehearsal-site", "pod": "rehearsal"}],
        "clusters": [
            {
                "name": cluster,
                "orchestrator": "slurm-bare-metal",
                "state": "active",
                "supplier": "rehearsal-supplier",
                "site": "rehearsal-site",
            }
        ],
        "nodes": [
            {
                "hostname": h,
                "serial": f"SN-{h}",
                "site": "rehearsal-site",
                "rack": "r01",
                "gpu_model": "H100-SXM5-80GB",
                "state": "ready",
                "cluster": cluster,
            }
            for h in hosts
        ],
    }


class WatchedScheduler(FakeScheduler):
    """The fake scheduler, counting at every drain how many nodes are out of service at that instant."""

    def __init__(self) -> None:
        super().__init__()
        self.most_drained = 0

    def drained(self) -> list[str]:
        return sorted(h for h, state in self.nodes.items() if "DRAIN" in state)

    def drain(self, node: str, reason: str) -> None:
        super().drain(node, reason)
        self.most_drained = max(self.most_drained, len(self.drained()))


@dataclass
class Rehearsal:
    name: str
    ticks: int
    most_drained: int
    left_drained: list[str]
    state: str
    nodes: dict[str, int]


def rehearse(
    database: Database,
    nodes: int = 64,
    pct: float = 10.0,
    broken: frozenset[str] = frozenset(),
    cluster: str = "staging",
) -> Rehearsal:
    scheduler, hook = WatchedScheduler(), FakeHook(broken=set(broken))
    with database.transaction() as session:
        apply_document(session, "sim", Document.model_validate(staging_fleet(cluster, nodes)))
        name = f"rehearsal-{cluster}"
        service.plan(session, SYSTEM, name, cluster, BULLETIN, pct)
        service.move(session, SYSTEM, name, RunState.RUNNING, "rehearsal of the emergency update procedure")
    engine, ticks = Engine(lambda c, o: scheduler, lambda c: hook), 0
    while engine.tick(database):
        ticks += 1
    with database.transaction() as session:
        run = service.get(session, SYSTEM, name)
        return Rehearsal(
            name=name,
            ticks=ticks,
            most_drained=scheduler.most_drained,
            left_drained=scheduler.drained(),
            state=run.state.value,
            nodes=service.counts(session, run),
        )
