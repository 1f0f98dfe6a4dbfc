"""Foundation benchmarks: 10,000-node import (SQLite and PostgreSQL), the node list API, the console.

Run: `make bench` (starts a throwaway PostgreSQL), or `python bench/bench_inventory.py` for SQLite only.
Prints medians and, as a same-process baseline, the cost of the bare SQL underneath each figure.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

from sqlalchemy import insert, text

from fleetops.auth.choices import Role
from fleetops.auth.service import create_token
from fleetops.db.migrate import upgrade
from fleetops.db.session import Database, use_database
from fleetops.inventory.apply import apply_document
from fleetops.inventory.models import Gpu
from fleetops.inventory.schemas import Document
from fleetops.sim.fleet import generate

warnings.filterwarnings("ignore")
NODES = int(os.environ.get("BENCH_NODES", "10000"))


def timed(fn, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def fresh(url: str) -> Database:
    database = Database(url)
    if not database.is_sqlite:
        with database.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(database)
    return database


def bench_import(url: str, data: dict) -> Database:
    database = fresh(url)
    start = time.perf_counter()
    doc = Document.model_validate(data)
    parsed = time.perf_counter()
    with database.transaction() as session:
        result = apply_document(session, "bench", doc)
    done = time.perf_counter()
    rows = [
        {"uuid": f"x-{i}", "index": 32 + i % 8, "node_id": 1 + i // 8} for i in range(result.created["gpu"])
    ]
    raw = timed(lambda: _raw_gpu_insert(database, rows), 1)[0]
    print(
        f"  import {NODES} nodes / {result.created['gpu']} GPUs: {done - start:.2f} s "
        f"(validate {parsed - start:.2f} s, write {done - parsed:.2f} s); "
        f"baseline bare executemany of the GPU rows alone: {raw:.2f} s"
    )
    return database


def _raw_gpu_insert(database: Database, rows: list[dict]) -> None:
    with database.engine.connect() as conn:
        trans = conn.begin()
        conn.execute(insert(Gpu.__table__), rows)
        trans.rollback()


def bench_reads(database: Database) -> None:
    from fastapi.testclient import TestClient

    from fleetops.api.app import create_app

    use_database(database)
    with database.transaction() as session:
        token = create_token(session, "bench", name="bench", role=Role.ADMIN).token
        cluster = session.execute(
            text(
                "SELECT c.name FROM cluster c JOIN node n ON n.cluster_id = c.id "
                "GROUP BY c.name ORDER BY count(*) DESC LIMIT 1"
            )
        ).scalar_one()
    client = TestClient(create_app())
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/nodes?cluster={cluster}&limit=500"
    largest = client.get(url, headers=headers).json()["items"]
    assert len(largest) == 256, len(largest)
    api = timed(lambda: client.get(url, headers=headers), 50)
    raw_sql = (
        "SELECT n.* FROM node n JOIN cluster c ON c.id = n.cluster_id "
        "WHERE c.name = :c ORDER BY n.id LIMIT 500"
    )
    with database.engine.connect() as conn:
        raw = timed(lambda: conn.execute(text(raw_sql), {"c": cluster}).all(), 50)
    client.cookies.set("fleetops_token", token)
    assert "Fleet overview" in client.get("/").text
    page = timed(lambda: client.get("/"), 20)
    api_ms, raw_ms = statistics.median(api) * 1000, statistics.median(raw) * 1000
    print(f"  GET {url}: median {api_ms:.1f} ms (bare SQL {raw_ms:.1f} ms, ratio {api_ms / raw_ms:.1f}x)")
    print(f"  console overview at {NODES} nodes: median {statistics.median(page) * 1000:.1f} ms")


def main() -> None:
    data = generate(seed=1, nodes=NODES)
    print(f"inventory benchmark, {NODES} nodes, {os.cpu_count()} cores, python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        print("SQLite (WAL):")
        database = bench_import(f"sqlite:///{Path(tmp) / 'bench.db'}", data)
        bench_reads(database)
        postgres = os.environ.get("FLEETOPS_TEST_POSTGRES_URL")
        if postgres:
            print("PostgreSQL:")
            bench_reads(bench_import(postgres, data))
        else:
            print("PostgreSQL: skipped (run through `make bench` to start one)")


if __name__ == "__main__":
    main()
