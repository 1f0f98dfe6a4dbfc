"""Security benchmarks: 1,000 host reports × 300 findings imported (SQLite and PostgreSQL), a day-2
re-import, and the affected-nodes query at 10,000 nodes.

Run: `make bench` (starts a throwaway PostgreSQL), or `python bench/bench_security.py [imports|affected]`
for SQLite only.
Baselines in the same process: parsing the same files alone, and a bare insert of the same rows.
`BENCH_STATEMENTS=1` also prints where the database time of each import run went: the wall time of each
statement text (its first 60 characters), summed, largest first.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from pathlib import Path
from typing import cast

from bench_inventory import fresh  # the same empty schema on either database
from sqlalchemy import Table, delete, event, select

from fleetops import clock
from fleetops.auth.principal import SYSTEM
from fleetops.db import bulk
from fleetops.db.session import Database, use_database
from fleetops.inventory.apply import apply_document
from fleetops.inventory.models import Node
from fleetops.inventory.schemas import Document
from fleetops.security.affected import Bulletin, assess
from fleetops.security.choices import AssetKind, Component, Scanner, Severity
from fleetops.security.importers import trivy
from fleetops.security.imports import Offered, import_file, import_files
from fleetops.security.models import NodeSoftware, SecurityFinding, SecurityImport
from fleetops.security.parsed import Item
from fleetops.security.reconcile import TABLE, Asset, finding_row
from fleetops.sim.fleet import generate

warnings.filterwarnings("ignore")
HOSTS = int(os.environ.get("BENCH_HOSTS", "1000"))
FINDINGS = int(os.environ.get("BENCH_FINDINGS", "300"))
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW")
BATCH = int(os.environ.get("BENCH_BATCH", "32"))  # reports a transaction, as the CLI sends a directory
AFFECTED_NODES = int(os.environ.get("BENCH_AFFECTED_NODES", "10000"))
STATEMENTS = os.environ.get("BENCH_STATEMENTS") == "1"


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


def bench_imports(name: str, url: str, hosts: list[str], batch: int) -> None:
    """`hosts` reports imported `batch` to a transaction (1: each alone, as `POST /imports` does), then a
    day 2 of a fifth of them with a tenth of their CVEs changed."""
    database = fresh(url)
    use_database(database)
    with database.transaction() as session:
        apply_document(session, "bench", Document.model_validate(generate(nodes=len(hosts))))
    files = [Offered(Scanner.TRIVY, f"{host}.json", report(i), host) for i, host in enumerate(hosts)]
    start = time.perf_counter()
    parsed = [trivy.parse(offered.data, "bench.json") for offered in files]
    parse_s = time.perf_counter() - start
    total = _import_all(database, files, batch, f"{name} import")
    day2 = [
        Offered(Scanner.TRIVY, f"{h}-2.json", report(i, day=1), h)
        for i, h in enumerate(hosts[: len(hosts) // 5])
    ]
    again = _import_all(database, day2, batch, "day 2")
    rows = [dict(r) for r in _rows(database, 20_000)]
    bare = _bare_insert(database, rows) * (len(hosts) * FINDINGS / max(len(rows), 1))
    print(
        f"  {name}, {batch} a transaction: {len(hosts)} reports × {FINDINGS} findings "
        f"imported in {total:.1f} s "
        f"({total / len(hosts) * 1000:.1f} ms a report; parsing alone {parse_s:.1f} s; "
        f"bare insert of as many rows ≈ {bare:.1f} s, ratio {total / bare:.1f}x); "
        f"day 2, {len(day2)} reports with a tenth changed: {again / len(day2) * 1000:.1f} ms a report "
        f"(load {os.getloadavg()[0]:.1f})"
    )
    assert sum(len(p.items) for p in parsed) == len(hosts) * FINDINGS
    database.dispose()


def _import_all(database: Database, files: list[Offered], batch: int, what: str = "import") -> float:
    spent: dict[str, float] = defaultdict(float)
    began: list[float] = []

    def before(*_: object) -> None:
        began.append(time.perf_counter())

    def after(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        spent[" ".join(statement.split())[:60]] += time.perf_counter() - began.pop()

    if STATEMENTS:
        event.listen(database.engine, "before_cursor_execute", before)
        event.listen(database.engine, "after_cursor_execute", after)
    start = time.perf_counter()
    for at in range(0, len(files), batch):
        if batch == 1:
            import_file(database, SYSTEM, files[at])
        else:
            answers = import_files(database, SYSTEM, files[at : at + batch])
            assert all(a["outcome"] == "accepted" for a in answers), answers
    elapsed = time.perf_counter() - start
    if STATEMENTS:
        event.remove(database.engine, "before_cursor_execute", before)
        event.remove(database.engine, "after_cursor_execute", after)
        for text, seconds in sorted(spent.items(), key=lambda kv: -kv[1])[:5]:
            print(f"    {what}, {batch} a transaction: {seconds:6.2f} s  {text}")
    return elapsed


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


def bench_affected(name: str, url: str, nodes: int = AFFECTED_NODES) -> None:
    """The bulletin assessment at `nodes` nodes: 5 inventory rows and 10 Trivy findings a node."""
    database = fresh(url)
    use_database(database)
    with database.transaction() as session:
        apply_document(session, "bench", Document.model_validate(generate(nodes=nodes)))
        ids = dict(session.execute(select(Node.hostname, Node.id)).all())
    now = clock.now()
    software_rows, finding_rows, import_rows = [], [], []
    for n, (host, node_id) in enumerate(sorted(ids.items())):
        for component, entry, version in (
            ("gpu_driver", "nvidia", f"550.{54 + n % 80}.15"),
            ("kernel", "linux", f"6.1.0-{n % 30}-amd64"),
            ("bmc", "BMC", f"1.{n % 20}.2"),
            ("bios", "BIOS", f"2.{n % 9}.1"),
            ("vbios", "HGX_FW_GPU_SXM_1", f"96.00.{n % 99:02d}.00.01"),
        ):
            software_rows.append(
                {
                    "node_id": node_id,
                    "component": component,
                    "name": entry,
                    "version": version,
                    "source": "bench",
                    "seen_at": now,
                    "checked_at": now,
                }
            )
        import_rows.append(
            {
                "received_at": now,
                "actor": "bench",
                "scanner": "trivy",
                "filename": f"{host}.json",
                "outcome": "accepted",
                "detail": "",
                "asset_kind": "node",
                "asset": host,
                "node_id": node_id,
                **dict.fromkeys(("findings", "opened", "closed", "reopened"), 0),
            }
        )
        for i in range(10):
            package = "openssl" if i == 0 and n % 4 == 0 else f"pkg{(n + i) % 200}"
            item = Item(f"CVE-2026-{(n + i) % 5000:05d}", "bench", Severity.HIGH, package, f"3.0.{n % 15}-1")
            finding_rows.append(
                finding_row(Asset(AssetKind.NODE, host, node_id), Scanner.TRIVY, item, now, None)
            )
    with database.engine.begin() as conn:
        bulk.insert(conn, cast(Table, NodeSoftware.__table__), software_rows)
        bulk.insert(conn, cast(Table, SecurityImport.__table__), import_rows)
        bulk.insert(conn, TABLE, finding_rows)
    bulletins = {
        "BMC firmware <1.10.0": Bulletin(component=Component.BMC, versions="<1.10.0"),
        "openssl <3.0.13-1~deb12u1": Bulletin(package="openssl", versions="<3.0.13-1~deb12u1"),
        "CVE-2026-00042": Bulletin(cve="CVE-2026-00042"),
    }
    for label, bulletin in bulletins.items():
        samples, found = [], {}
        for _ in range(5):
            began = time.perf_counter()
            with database.transaction() as session:
                found = assess(session, SYSTEM, bulletin)
            samples.append(time.perf_counter() - began)
        print(
            f"  {name}: affected by {label} at {nodes} nodes: {found['affected_count']} affected, "
            f"{found['unknown_count']} unknown; median {statistics.median(samples) * 1000:.0f} ms "
            f"(max {max(samples) * 1000:.0f} ms of 5)"
        )
    database.dispose()


def main() -> None:
    print(f"bench_security ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})")
    hosts = [node["hostname"] for node in generate(nodes=HOSTS)["nodes"]]
    postgres = os.environ.get("FLEETOPS_TEST_POSTGRES_URL")
    with tempfile.TemporaryDirectory() as tmp:
        if "affected" in sys.argv[1:] or len(sys.argv) == 1:
            bench_affected("SQLite", f"sqlite:///{Path(tmp) / 'affected.db'}")
            if postgres:
                bench_affected("PostgreSQL", postgres)
        if "imports" in sys.argv[1:] or len(sys.argv) == 1:
            for batch in (1, BATCH):
                bench_imports("SQLite", f"sqlite:///{Path(tmp) / f'bench-{batch}.db'}", hosts, batch)
                if postgres:
                    bench_imports("PostgreSQL", postgres, hosts, batch)
    if not postgres:
        print("  PostgreSQL: skipped (run through `make bench` or scripts/testbed.sh)", file=sys.stderr)


if __name__ == "__main__":
    main()
