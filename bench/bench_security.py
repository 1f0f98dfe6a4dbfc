"""Security benchmarks: 1,000 host reports × 300 findings imported (SQLite and PostgreSQL), a day-2
re-import, and the affected-nodes query at 10,000 nodes.

Run: `make bench` (starts a throwaway PostgreSQL), or `python bench/bench_security.py` for SQLite only.
Baselines in the same process: parsing the same files alone, and a bare insert of the same rows.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

from sqlalchemy import delete, text

from fleetops.auth.principal import SYSTEM
from fleetops.db import bulk
from fleetops.db.migrate import upgrade
from fleetops.db.session import Database, use_database
from fleetops.inventory.apply import apply_document
from fleetops.inventory.schemas import Document
from fleetops.security.choices import Scanner
from fleetops.security.importers import trivy
from fleetops.security.imports import Offered, import_file
from fleetops.security.models import SecurityFinding
from fleetops.security.reconcile import TABLE
from fleetops.sim.fleet import generate

warnings.filterwarnings("ignore")
HOSTS = int(os.environ.get("BENCH_HOSTS", "1000"))
FINDINGS = int(os.environ.get("BENCH_FINDINGS", "300"))
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW")


def report(host: int, day: int = 0) -> bytes:
    """Host `host`'s Trivy rootfs report: 300 CVEs, of which a tenth change from one day to the next."""
    vulns = [
        {
            "VulnerabilityID": f"CVE-2026-{(host * 7 + i + (day * 1000 if i % 10 == 0 else 0)) % 50000:05d}",
            "PkgName": f"pkg{i % 120}",
            "InstalledVersion": "1.2.3-1",
            "FixedVersion": "1.2.3-2",
            "Severity": SEVERITIES[i % 4],
            "Title": f"a vulnerability in pkg{i % 120}",
        }
        for i in range(FINDINGS)
    ]
    results = [{"Target": "/ (ubuntu 22.04)", "Class": "os-pkgs", "Type": "ubuntu", "Vulnerabilities": vulns}]
    return json.dumps(
        {
            "SchemaVersion": 2,
            "CreatedAt": f"2026-01-0{day + 1}",
            "ArtifactName": "/",
            "ArtifactType": "filesystem",
            "Results": results,
        }
    ).encode()


def fresh(url: str) -> Database:
    database = Database(url)
    if not database.is_sqlite:
        with database.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(database)
    return database


def bench_imports(name: str, url: str, hosts: list[str]) -> None:
    database = fresh(url)
    use_database(database)
    with database.transaction() as session:
        apply_document(session, "bench", Document.model_validate(generate(nodes=len(hosts))))
    files = [report(i) for i in range(len(hosts))]
    start = time.perf_counter()
    parsed = [trivy.parse(data, "bench.json") for data in files]
    parse_s = time.perf_counter() - start
    samples = []
    start = time.perf_counter()
    for host, data in zip(hosts, files, strict=True):
        began = time.perf_counter()
        import_file(database, SYSTEM, Offered(Scanner.TRIVY, f"{host}.json", data, host))
        samples.append(time.perf_counter() - began)
    total = time.perf_counter() - start
    day2 = [report(i, day=1) for i in range(len(hosts) // 5)]
    start = time.perf_counter()
    for host, data in zip(hosts, day2, strict=False):
        import_file(database, SYSTEM, Offered(Scanner.TRIVY, f"{host}-2.json", data, host))
    again = time.perf_counter() - start
    rows = [dict(r) for r in _rows(database, 20_000)]
    bare = _bare_insert(database, rows) * (len(hosts) * FINDINGS / max(len(rows), 1))
    print(
        f"  {name}: {len(hosts)} reports × {FINDINGS} findings imported in {total:.1f} s "
        f"(median {statistics.median(samples) * 1000:.1f} ms a report; parsing alone {parse_s:.1f} s; "
        f"bare insert of as many rows ≈ {bare:.1f} s, ratio {total / bare:.1f}x); "
        f"day 2, {len(day2)} reports with a tenth changed: {again / len(day2) * 1000:.1f} ms a report"
    )
    assert sum(len(p.items) for p in parsed) == len(hosts) * FINDINGS
    database.dispose()


def _rows(database: Database, limit: int) -> list[dict[str, object]]:
    with database.engine.connect() as conn:
        result = conn.execute(TABLE.select().limit(limit)).mappings().all()
    return [{k: v for k, v in row.items() if k != "id"} for row in result]


def _bare_insert(database: Database, rows: list[dict[str, object]]) -> float:
    with database.engine.connect() as conn:
        trans = conn.begin()
        conn.execute(delete(SecurityFinding).where(SecurityFinding.id < 0))
        for row in rows:
            row["asset"] = f"bare-{row['asset']}"
        start = time.perf_counter()
        bulk.insert(conn, TABLE, rows)
        elapsed = time.perf_counter() - start
        trans.rollback()
    return elapsed


def main() -> None:
    print(f"bench_security ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})")
    hosts = [node["hostname"] for node in generate(nodes=HOSTS)["nodes"]]
    with tempfile.TemporaryDirectory() as tmp:
        bench_imports("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", hosts)
    postgres = os.environ.get("FLEETOPS_TEST_POSTGRES_URL")
    if postgres:
        bench_imports("PostgreSQL", postgres, hosts)
    else:
        print("  PostgreSQL: skipped (run through `make bench` or scripts/testbed.sh)", file=sys.stderr)


if __name__ == "__main__":
    main()
