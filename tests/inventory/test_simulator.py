"""The simulated fleet: deterministic, realistic in shape, and importable as is."""

from __future__ import annotations

from collections import Counter

from fleetops.inventory.schemas import Document
from fleetops.sim.fleet import SUBPOD, generate


def test_same_seed_same_fleet_and_another_seed_differs():
    assert generate(11, 700) == generate(11, 700)
    assert generate(11, 700)["nodes"][0]["serial"] != generate(12, 700)["nodes"][0]["serial"]


def test_fleet_has_a_subpod_several_suppliers_and_varied_clusters():
    fleet = Document.model_validate(generate(7, 2000))
    assert len(fleet.nodes) == 2000
    assert sum(1 for n in fleet.nodes if n.site == "stream" and n.state == "racked") == SUBPOD
    assert all(len(n.gpus or []) == 8 for n in fleet.nodes)
    assert len({s.supplier for s in fleet.sites}) >= 3
    orchestrators = Counter(c.orchestrator.value for c in fleet.clusters)
    assert (
        orchestrators["kubernetes"]
        and orchestrators["slurm-on-kubernetes"]
        and orchestrators["slurm-bare-metal"]
    )
    assert len({n.cluster for n in fleet.nodes if n.cluster}) == len(fleet.clusters) - 1
    assert len({c.name for c in fleet.contracts}) == len(fleet.contracts) >= 5
