"""Alert path benchmark: a 100,000-alert storm through ingest → dedupe → correlate → classify → route on
SQLite, and alert → enqueued latency at a steady 100 alerts/s. Optionally the same storm to a real
Alertmanager (time to settle, notifications sent). Run:

    .venv/bin/python bench/bench_alerts.py [--alerts 100000] [--batch 5000] [--rate-seconds 30]
        [--rounds 3] [--alertmanager]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime

import repo_root  # noqa: F401  (the repository root on sys.path, for tests.*)
from sqlalchemy import func, select

from fleetops.alerts import models, notify
from fleetops.alerts.context import Context
from fleetops.alerts.service import ingest_findings
from fleetops.db.migrate import upgrade
from fleetops.db.session import Database
from fleetops.flow import FaultOwner, Finding, FindingSeverity
from fleetops.inventory.apply import apply_document
from fleetops.inventory.schemas import Document

RACK_NODES, CLUSTER_RACKS = 32, 40  # 1,280 nodes per cluster


def fleet_document(nodes: int) -> Document:
    racks = -(-nodes // RACK_NODES)
    clusters = -(-racks // CLUSTER_RACKS)
    node_rows = [
        {
            "hostname": f"n{i:05d}",
            "serial": f"S{i:05d}",
            "site": "dfw1",
            "rack": f"r{i // RACK_NODES:03d}",
            "position": i % RACK_NODES,
            "gpu_model": "H100-SXM5-80GB",
            "gpu_count": 0,
            "state": "ready",
            "cluster": f"c{i // (RACK_NODES * CLUSTER_RACKS):02d}",
            "gpus": [],
        }
        for i in range(nodes)
    ]
    return Document.model_validate(
        {
            "suppliers": [{"name": "acme"}],
            "regions": [{"name": "us"}],
            "sites": [{"name": "dfw1", "supplier": "acme", "region": "us"}],
            "racks": [{"name": f"r{r:03d}", "site": "dfw1", "pod": f"p{r // 18}"} for r in range(racks)],
            "customers": [{"name": "initech"}],
            "contracts": [
                {
                    "name": "k",
                    "customer": "initech",
                    "start_date": "2026-01-01",
                    "end_date": "2026-12-31",
                    "gpu_count": nodes * 8,
                    "price_per_gpu_hour": 2.0,
                }
            ],
            "clusters": [
                {
                    "name": f"c{c:02d}",
                    "orchestrator": "kubernetes",
                    "state": "active",
                    "supplier": "acme",
                    "site": "dfw1",
                    "customer": "initech",
                    "contract": "k",
                }
                for c in range(clusters)
            ],
            "nodes": node_rows,
        }
    )


def storm(alerts: int, at: datetime) -> list[Finding]:
    """A pod-wide event: every GPU of the first alerts/8 nodes goes unreachable."""
    return [
        Finding(
            hostname=f"n{i // 8:05d}",
            check="gpu_unreachable",
            severity=FindingSeverity.CRITICAL,
            owner=FaultOwner.UNKNOWN,
            observed_at=at,
            gpu_index=i % 8,
        )
        for i in range(alerts)
    ]


def run_storm(database: Database, alerts: int, batch: int) -> dict[str, float]:
    findings = storm(alerts, datetime.now(UTC))
    cpu, start = time.process_time(), time.perf_counter()
    for offset in range(0, len(findings), batch):
        with database.transaction() as session:
            ingest_findings(session, findings[offset : offset + batch])
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    with database.transaction() as session:
        stored = session.scalar(select(func.count()).select_from(models.Alert))
        incidents = session.scalar(
            select(func.count()).select_from(models.Incident).where(models.Incident.status == "open")
        )
        groups = session.scalar(select(func.count()).select_from(models.NotificationGroup))
    return {
        "seconds": round(elapsed, 2),
        "cpu_seconds": round(cpu, 2),
        "alerts_per_s": round(alerts / elapsed),
        "stored": stored,
        "open_incidents": incidents,
        "notification_groups": groups,
    }


def run_steady(database: Database, seconds: int, rate: int, first_node: int) -> dict[str, float]:
    """`rate` new single-GPU XID findings each second; latency = receipt → its message is in the outbox."""
    from fleetops.alerts.policy import default_routes

    tree = default_routes().model_copy(deep=True)
    tree.route.group_wait = 0.0
    latencies = []
    for second in range(seconds):
        tick_start = time.perf_counter()
        now = datetime.now(UTC)
        findings = [
            Finding(
                hostname=f"n{first_node + (second * rate + k) % 5000:05d}",
                check="xid",
                severity=FindingSeverity.CRITICAL,
                owner=FaultOwner.HARDWARE,
                observed_at=now,
                gpu_index=k % 8,
                xid=79 + second,
            )
            for k in range(rate)
        ]
        with database.transaction() as session:
            ingest_findings(session, findings, Context(session, routes=tree))
        with database.transaction() as session:
            notify.flush(session, tree, datetime.now(UTC))
        latencies.append(time.perf_counter() - tick_start)
        time.sleep(max(0.0, 1.0 - (time.perf_counter() - tick_start)))
    latencies.sort()
    return {
        "batches": seconds,
        "median_s": statistics.median(latencies),
        "p99_s": latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--rate-seconds", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--alertmanager", action="store_true", help="also feed the storm to a real Alertmanager"
    )
    args = parser.parse_args()
    nodes = -(-args.alerts // 8) + 5_000
    runs = []
    for round_ in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            database = Database(f"sqlite:///{tmp}/bench.db")
            upgrade(database)
            with database.transaction() as session:
                apply_document(session, "bench", fleet_document(nodes))
            runs.append(run_storm(database, args.alerts, args.batch))
            print(f"storm round {round_ + 1}: {runs[-1]}")
            if round_ == 0 and args.rate_seconds:
                steady = run_steady(database, args.rate_seconds, 100, -(-args.alerts // 8))
                print(f"steady 100 alerts/s for {args.rate_seconds} s: {steady}")
            database.dispose()
    print(
        f"storm median over {args.rounds} rounds: "
        f"{statistics.median(r['seconds'] for r in runs):.2f} s wall, "
        f"{statistics.median(r['cpu_seconds'] for r in runs):.2f} s CPU for {args.alerts} alerts "
        f"(batches of {args.batch})"
    )
    if args.alertmanager:
        from alertmanager_storm import run_alertmanager

        print(f"same storm to Prometheus Alertmanager: {run_alertmanager(args.alerts)}")


if __name__ == "__main__":
    main()
