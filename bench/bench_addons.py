"""Rendering 1,000 clusters' static configuration (the issue's bound: ≤ 10 s) from the records, with a
mix of add-ons on, and the offline Kubernetes schema check of a sample. The baseline in the same process
renders the same clusters one request at a time (`for_cluster`, two queries each). Run:

    .venv/bin/python bench/bench_addons.py [--clusters 1000] [--repeat 3] [--validate 50]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select

from fleetops.addons.manifests import for_cluster, render_clusters
from fleetops.addons.models import ClusterAddon
from fleetops.addons.validate import check_files
from fleetops.auth.principal import SYSTEM
from fleetops.db.migrate import upgrade
from fleetops.db.session import Database
from fleetops.inventory.apply import apply_document
from fleetops.inventory.models import Cluster
from fleetops.inventory.schemas import Document
from fleetops.remediation.models import ClusterSettings


def seed(database: Database, count: int) -> None:
    customers = [f"cust{i:03d}" for i in range(count // 10 + 1)]
    doc = {
        "customers": [{"name": c} for c in customers],
        "clusters": [
            {
                "name": f"c{i:04d}",
                "orchestrator": "kubernetes",
                "state": "active",
                "customer": customers[i // 10],
            }
            for i in range(count)
        ],
    }
    rng = random.Random(7)
    with database.transaction() as session:
        apply_document(session, "bench", Document.model_validate(doc))
        ids = list(session.scalars(select(Cluster.id)))
        rows = []
        for cid in ids:
            if rng.random() < 0.6:
                settings = {"exporters": ["node-exporter", "dcgm-exporter"], "scrape_interval_s": 30}
                rows.append(_row(cid, "advanced-metrics", "1.1.0", settings))
            if rng.random() < 0.2:
                rows.append(_row(cid, "nvsentinel", "1.0.0", {"dryRun": True, "modules": {"janitor": True}}))
            if rng.random() < 0.3:
                rows.append(_row(cid, "remediation", "1.0.0", {"custom_resources": True}))
        session.execute(insert(ClusterAddon), rows)
        off = [
            {
                "cluster_id": c,
                "enabled": False,
                "dry_run": False,
                "allowed_actions": None,
                "approval_required": [],
                "maintenance_windows": [],
                "notify": {},
                "updated_by": "bench",
            }
            for c in ids
            if rng.random() < 0.1
        ]
        session.execute(insert(ClusterSettings), off)


def _row(cluster_id: int, addon: str, version: str, settings: dict) -> dict:
    return {
        "cluster_id": cluster_id,
        "addon": addon,
        "version": version,
        "enabled": True,
        "settings": settings,
        "updated_by": "bench",
    }


def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--validate", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(database)
        seed(database, args.clusters)

        def bulk() -> dict[str, str]:
            with database.transaction() as session:
                return render_clusters(session, list(session.scalars(select(Cluster).order_by(Cluster.name))))

        def one_by_one() -> dict[str, str]:
            files: dict[str, str] = {}
            with database.transaction() as session:
                for name in session.scalars(select(Cluster.name).order_by(Cluster.name)).all():
                    files |= for_cluster(session, SYSTEM, name)
            return files

        runs = [timed(bulk) for _ in range(args.repeat)]
        median = statistics.median(t for t, _ in runs)
        files: dict[str, str] = runs[0][1]  # type: ignore[assignment]
        base, same = timed(one_by_one)
        assert same == files, "the per-cluster path renders different bytes"
        sample = {
            p: t for p, t in files.items() if p.split("/")[0] in {f"c{i:04d}" for i in range(args.validate)}
        }
        check_s, problems = timed(lambda: check_files(sample))
        size = sum(len(t) for t in files.values())
        print(f"clusters {args.clusters}, files {len(files)}, {size / 1e6:.1f} MB")
        print(f"render (bulk reads) median of {args.repeat}: {median:.2f} s (bound 10 s)")
        print(f"render one cluster at a time (baseline): {base:.2f} s, {base / median:.1f}x the bulk path")
        print(
            f"kubernetes-validate of {args.validate} clusters ({len(sample)} files): {check_s:.2f} s, "
            f"{1000 * check_s / args.validate:.0f} ms per cluster, problems: {len(problems)}"
        )
        assert not problems, problems[:5]


if __name__ == "__main__":
    main()
