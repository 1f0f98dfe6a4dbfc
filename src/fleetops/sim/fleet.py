"""A deterministic, realistic fleet: several suppliers and sites, a 576-node sub-pod, varied clusters.

The same seed gives the same fleet, byte for byte, so demos, tests and benchmarks are repeatable.
Names are invented; the shapes follow the seeds' goals (Stream sub-pod of 576 nodes, 8 GPUs per node,
Kubernetes and Slurm-on-Kubernetes clusters, one legacy bare-metal Slurm cluster to be flagged).
"""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta
from typing import Any

SUBPOD = 576
NODES_PER_RACK = 8
SUPPLIERS = ("northwind-dc", "bluepeak-compute", "ironhill-colo", "tidewater-hpc")
REGIONS = ("us-east", "us-central", "eu-north")
SITES = (  # name, supplier, region
    ("stream", "northwind-dc", "us-east"),
    ("cb3", "northwind-dc", "us-east"),
    ("dal-2", "bluepeak-compute", "us-central"),
    ("osl-1", "ironhill-colo", "eu-north"),
    ("phx-4", "tidewater-hpc", "us-central"),
)
CUSTOMERS = ("arcadia-labs", "helix-ai", "quanta-research", "mistral-works", "sable-robotics", "orbit-bio")
CLUSTER_SIZES = (256, 128, 128, 64, 64, 32, 32, 16, 16, 16)
GPU_MODELS = {"stream": "H100-SXM5-80GB", "cb3": "H200-SXM5-141GB"}
UNHEALTHY_STATES = (("cordoned", 0.01), ("repair", 0.008), ("rma", 0.004), ("draining", 0.003))


def _node(
    rng: random.Random, site: str, rack: str, position: int, seq: int, state: str, cluster: str | None
) -> dict[str, Any]:
    hostname = f"{site}-{rack}-n{position:02d}"
    serial = f"SN{rng.getrandbits(40):010X}"
    node: dict[str, Any] = {
        "hostname": hostname,
        "serial": serial,
        "site": site,
        "rack": rack,
        "position": position,
        "bmc_address": f"https://10.{seq // 65536 % 256}.{seq // 256 % 256}.{seq % 256 + 1}",
        "gpu_model": GPU_MODELS.get(site, "H100-SXM5-80GB"),
        "gpu_count": 8,
        "state": state,
        "gpus": [
            {
                "index": i,
                "uuid": f"GPU-{rng.getrandbits(128):032x}",
                "serial": f"{rng.randrange(10**12, 10**13)}",
            }
            for i in range(8)
        ],
    }
    if cluster:
        node["cluster"] = cluster
    return node


def _pick_state(rng: random.Random) -> str:
    roll = rng.random()
    for state, share in UNHEALTHY_STATES:
        if roll < share:
            return state
        roll -= share
    return "ready"


def _clusters(rng: random.Random, count: int) -> list[dict[str, Any]]:
    clusters = []
    for i in range(count):
        site, supplier, _ = SITES[2 + i % (len(SITES) - 2)]
        customer = CUSTOMERS[i % len(CUSTOMERS)]
        orchestrator = "slurm-on-kubernetes" if i % 3 == 1 else "kubernetes"
        if i == 5:
            orchestrator = "slurm-bare-metal"  # the legacy one the standards report must flag
        cluster = {
            "name": f"{customer.split('-')[0]}-{site}-{i:02d}",
            "orchestrator": orchestrator,
            "state": "active",
            "supplier": supplier,
            "site": site,
            "customer": customer,
        }
        if i != 7:  # one cluster without a contract, for the trackability report
            cluster["contract"] = f"{cluster['name']}-contract"
        clusters.append(cluster)
    return clusters


def _contracts(rng: random.Random, clusters: list[dict[str, Any]], sizes: list[int]) -> list[dict[str, Any]]:
    contracts = []
    for cluster, size in zip(clusters, sizes, strict=True):
        if "contract" not in cluster:
            continue
        start = date(2026, 1, 1) + timedelta(days=rng.randrange(0, 120))
        contracts.append(
            {
                "name": cluster["contract"],
                "customer": cluster["customer"],
                "start_date": start,
                "end_date": start + timedelta(days=365 * rng.choice((1, 2, 3))),
                "gpu_count": size * 8,
                "price_per_gpu_hour": round(rng.uniform(1.6, 2.9), 2),
            }
        )
    return contracts


def generate(seed: int = 7, nodes: int = 2000) -> dict[str, Any]:
    """A fleet of `nodes` nodes: the first 576 are the Stream sub-pod (racked, ready to deploy)."""
    rng = random.Random(seed)
    subpod = min(nodes, SUBPOD)
    sizes = []
    left = nodes - subpod
    for size in itertools.cycle(CLUSTER_SIZES):  # as many clusters as it takes: never fewer nodes than asked
        if left <= 0:
            break
        sizes.append(min(size, left))
        left -= sizes[-1]
    clusters = _clusters(rng, len(sizes))
    stream = {
        "name": "stream-k8s",
        "orchestrator": "kubernetes",
        "state": "planned",
        "supplier": "northwind-dc",
        "site": "stream",
        "customer": "arcadia-labs",
        "contract": "stream-k8s-contract",
    }
    out_nodes, racks, seq = [], [], 0
    for i in range(subpod):
        rack = f"sp1-r{i // NODES_PER_RACK + 1:03d}"
        if i % NODES_PER_RACK == 0:
            racks.append({"name": rack, "site": "stream", "pod": "stream-sp1"})
        out_nodes.append(_node(rng, "stream", rack, i % NODES_PER_RACK + 1, seq, "racked", None))
        seq += 1
    for cluster, size in zip(clusters, sizes, strict=True):
        site = cluster["site"]
        for j in range(size):
            rack = f"{cluster['name']}-r{j // NODES_PER_RACK + 1:02d}"
            if j % NODES_PER_RACK == 0:
                racks.append({"name": rack, "site": site, "pod": f"{site}-p{1 + j // SUBPOD}"})
            out_nodes.append(
                _node(rng, site, rack, j % NODES_PER_RACK + 1, seq, _pick_state(rng), cluster["name"])
            )
            seq += 1
    contracts = _contracts(rng, [stream, *clusters], [SUBPOD, *sizes])
    return {
        "suppliers": [{"name": s, "contact_email": f"noc@{s}.example"} for s in SUPPLIERS],
        "regions": [{"name": r} for r in REGIONS],
        "sites": [{"name": n, "supplier": s, "region": r} for n, s, r in SITES],
        "racks": racks,
        "customers": [{"name": c, "contact_email": f"ops@{c}.example"} for c in CUSTOMERS],
        "contracts": contracts,
        "clusters": [stream, *clusters],
        "nodes": out_nodes,
    }
