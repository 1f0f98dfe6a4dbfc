"""Foundation benchmarks: 10,000-node import (SQLite and PostgreSQL), the node list API, the console.

Run: `make bench` (starts a throwaway PostgreSQL), or `python bench/bench_inventory.py` for SQLite only.
Prints medians and, as a same-process baseline, the cost of the bare SQL underneath each figure.

`python bench/bench_inventory.py files [NODES] [FORMATS] [sqlite|postgresql]`: a whole file imported the
way `POST /inventory/import` does (bytes → `formats.read` → one transaction), each format and database
in a process of its own so that its peak RSS is its own, with its CPU seconds (the machine is shared: at a
load of 9 on 2 cores, wall time mostly measures the other work) and, as the baseline, the bare DB-API
executemany of the same rows into an empty schema; the YAML parse is also timed with PyYAML's pure
Python loader on the same bytes, the loader used before libyaml's.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import yaml
from sqlalchemy import insert, text

from fleetops.auth.choices import Role
from fleetops.auth.service import create_token
from fleetops.db.migrate import upgrade
from fleetops.db.session import Database, use_database
from fleetops.inventory import formats
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


def _peak_mib() -> float:
    """This process's peak RSS (VmHWM). Not `ru_maxrss`: Linux carries that over `exec` from the parent,
    which made the fleet generation's peak look like the import's."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def import_file(path: Path, url: str) -> None:
    """One import in this process: wall and CPU time, peak RSS and the machine's load, and as the
    baseline the bare DB-API executemany of the same rows into an empty schema, also in this process."""
    data, fmt = path.read_bytes(), path.suffix.lstrip(".")
    database, before = fresh(url), _peak_mib()
    start, cpu = time.perf_counter(), time.process_time()
    with database.transaction() as session:
        doc = formats.read(data, fmt, f"fleet.{fmt}")
        parsed = time.process_time() - cpu
        result = apply_document(session, "bench", doc)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    load = os.getloadavg()[0]
    print(
        f"  {fmt:4} {database.engine.dialect.name:10} {result.created['node']} nodes / "
        f"{result.created['gpu']} GPUs: {wall:.1f} s wall, {cpu:.1f} s CPU (parse {parsed:.1f}), "
        f"peak RSS {_peak_mib():.0f} MiB "
        f"(file {len(data) / 2**20:.0f} MiB, {before:.0f} MiB before the import), "
        f"load {load:.1f} on {os.cpu_count()} cores"
    )
    tables = _table_rows(database)
    database.engine.dispose()
    bare_wall, bare_cpu = _bare_insert(fresh(url.replace("bench.db", "bare.db")), tables)
    print(
        f"  {'':4} {'':10} baseline, bare executemany of the same {sum(len(r) for _, _, r in tables)} rows: "
        f"{bare_wall:.1f} s wall, {bare_cpu:.1f} s CPU (import / baseline CPU {cpu / bare_cpu:.1f}x)"
    )
    if fmt == "yaml" and len(data) < 20 << 20:
        sample = data[: len(data) // 10]
        sample = sample[: sample.rfind(b"\n- hostname")]
        pure = timed(lambda: yaml.load(sample, Loader=yaml.SafeLoader), 1)[0]  # noqa: S506
        fast = timed(lambda: formats.read(sample, "yaml"), 1)[0]
        print(f"  YAML parse of {len(sample) >> 20} MiB: pure Python {pure:.1f} s, libyaml {fast:.1f} s")


INVENTORY_TABLES = ("supplier", "region", "site", "rack", "customer", "contract", "cluster", "node", "gpu")


def _table_rows(database: Database) -> list[tuple[str, list[str], list[tuple]]]:
    """Every inventory row as the driver returns it (no SQLAlchemy types), table by table."""
    with database.engine.connect() as conn:
        out = []
        for table in INVENTORY_TABLES:
            cursor = conn.exec_driver_sql(f"SELECT * FROM {table}")  # noqa: S608 - fixed names
            out.append((table, list(cursor.keys()), [tuple(r) for r in cursor.fetchall()]))
        return out


def _bare_insert(database: Database, tables: list[tuple[str, list[str], list[tuple]]]) -> tuple[float, float]:
    """The same rows through the DB-API's executemany, one transaction: what the import cannot beat."""
    mark = "?" if database.is_sqlite else "%s"
    quote = database.engine.dialect.identifier_preparer.quote
    start, cpu = time.perf_counter(), time.process_time()
    with database.engine.begin() as conn:
        for table, columns, rows in tables:
            names, marks = ", ".join(map(quote, columns)), ", ".join([mark] * len(columns))
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
            conn.exec_driver_sql(sql, rows)
    return time.perf_counter() - start, time.process_time() - cpu


def files(nodes: int, fmts: list[str], backends: list[str]) -> None:
    urls = {"sqlite": "sqlite:///{tmp}/bench.db", "postgresql": os.environ.get("FLEETOPS_TEST_POSTGRES_URL")}
    print(f"inventory file import, {nodes} nodes, python {sys.version.split()[0]}")
    for backend in backends:
        for fmt in fmts:
            with tempfile.TemporaryDirectory() as tmp:
                url = (urls[backend] or "").format(tmp=tmp)
                if not url:
                    print(f"  {backend}: skipped (run through `make bench` to start one)")
                    continue
                path = Path(tmp) / f"fleet.{fmt}"  # written here: the import's process holds only its bytes
                path.write_text(formats.dump(generate(seed=1, nodes=nodes), fmt))
                subprocess.run([sys.executable, __file__, "one", str(path), url], check=True)


def main() -> None:
    if sys.argv[1:2] == ["one"]:
        import_file(Path(sys.argv[2]), sys.argv[3])
        return
    if sys.argv[1:2] == ["files"]:
        nodes = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
        fmts = sys.argv[3].split(",") if len(sys.argv) > 3 else list(formats.FORMATS)
        files(nodes, fmts, sys.argv[4].split(",") if len(sys.argv) > 4 else ["sqlite", "postgresql"])
        return
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
