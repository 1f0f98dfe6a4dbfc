"""Plain factory functions for test data: a small fleet, built through the same import path users use."""

from __future__ import annotations

from typing import Any

from fleetops.auth.choices import Role
from fleetops.auth.principal import SYSTEM
from fleetops.auth.service import create_token
from fleetops.db.session import Database
from fleetops.inventory.apply import apply_document
from fleetops.inventory.schemas import Document


def gpus(hostname: str, count: int = 8) -> list[dict[str, Any]]:
    return [{"index": i, "uuid": f"GPU-{hostname}-{i}", "serial": f"S-{hostname}-{i}"} for i in range(count)]


def make_node(hostname: str, **overrides: Any) -> dict[str, Any]:
    node = {
        "hostname": hostname,
        "serial": f"SN-{hostname}",
        "site": "dfw1",
        "rack": "r01",
        "position": 1,
        "bmc_address": f"https://bmc-{hostname}",
        "gpu_model": "H100-SXM5-80GB",
        "gpu_count": 8,
        "state": "ready",
        "cluster": "alpha",
        "gpus": gpus(hostname),
    }
    return node | overrides


def two_tenant_fleet(nodes_per_cluster: int = 3) -> dict[str, Any]:
    """Two suppliers, two customers, one cluster each: the smallest fleet where isolation can leak."""
    return {
        "suppliers": [{"name": "acme"}, {"name": "globex"}],
        "regions": [{"name": "us-south"}],
        "sites": [
            {"name": "dfw1", "supplier": "acme", "region": "us-south"},
            {"name": "aus1", "supplier": "globex", "region": "us-south"},
        ],
        "racks": [{"name": "r01", "site": "dfw1", "pod": "p1"}, {"name": "r01", "site": "aus1", "pod": "p9"}],
        "customers": [{"name": "initech"}, {"name": "umbrella"}],
        "contracts": [
            {
                "name": "initech-2026",
                "customer": "initech",
                "start_date": "2026-01-01",
                "end_date": "2026-12-31",
                "gpu_count": 24,
                "price_per_gpu_hour": 2.2,
            },
            {
                "name": "umbrella-2026",
                "customer": "umbrella",
                "start_date": "2026-01-01",
                "end_date": "2026-12-31",
                "gpu_count": 24,
                "price_per_gpu_hour": 2.4,
            },
        ],
        "clusters": [
            {
                "name": "alpha",
                "orchestrator": "kubernetes",
                "state": "active",
                "supplier": "acme",
                "site": "dfw1",
                "customer": "initech",
                "contract": "initech-2026",
            },
            {
                "name": "beta",
                "orchestrator": "slurm-on-kubernetes",
                "state": "active",
                "supplier": "globex",
                "site": "aus1",
                "customer": "umbrella",
                "contract": "umbrella-2026",
            },
        ],
        "nodes": [make_node(f"a{i:03d}") for i in range(nodes_per_cluster)]
        + [make_node(f"b{i:03d}", site="aus1", cluster="beta") for i in range(nodes_per_cluster)],
    }


def load(database: Database, data: dict[str, Any]) -> None:
    with database.transaction() as session:
        apply_document(session, "test", Document.model_validate(data))


def token(database: Database, role: Role, **binding: int | None) -> str:
    with database.transaction() as session:
        return create_token(session, SYSTEM.actor, name=f"{role.value}-token", role=role, **binding).token


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}
