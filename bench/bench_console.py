"""Console benchmarks: the landing page, the health map and the node page at BENCH_NODES nodes.

Run: `.venv/bin/python bench/bench_console.py` (SQLite; BENCH_NODES, default 10000; BENCH_REPEAT, default
30; BENCH_DB, a file to keep the seeded fleet in and reuse: seeding 100,000 nodes takes two minutes;
BENCH_URL, another database instead, e.g. the PostgreSQL `scripts/testbed.sh` starts). The
fleet is the simulator's, every in-service node has reported through the real health ingest and one GPU
shows XID 79. Each page is fetched in-process through the app (routing, queries, templates), signed in
as an operator; printed: median and p95 in ms and the page's size, and the load average. The
same-process baseline is the bare SQL of a row per node with its health, what the map read before it
counted per rack (`web.tally`), so the cost of the whole page shows against that one read.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import repo_root  # noqa: F401  (the repository root on sys.path, for tests.*)
from fastapi.testclient import TestClient
from sqlalchemy import text
from tests.web.fleets import simulated_fleet

import fleetops.models  # noqa: F401 - every table, for the token's foreign keys
from fleetops.api.app import create_app
from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.auth.service import create_token
from fleetops.cycles import settled
from fleetops.db.migrate import upgrade
from fleetops.db.session import Database, use_database
from fleetops.web.healthmap import health_map

NODES = int(os.environ.get("BENCH_NODES", "10000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "30"))
BAD = 700  # the reporting node whose GPU 3 shows XID 79
SITE_SQL = (
    "SELECT s.name FROM node n JOIN rack r ON r.id = n.rack_id JOIN site s ON s.id = r.site_id "
    "WHERE n.hostname = :host"
)
BAD_SQL = (
    "SELECT n.hostname FROM node n JOIN node_health h ON h.node_id = n.id WHERE h.state = 'unhealthy' LIMIT 1"
)
MAP_SQL = (
    "SELECT n.rack_id, n.hostname, n.state, h.state, h.why FROM node n "
    "LEFT JOIN node_health h ON h.node_id = n.id ORDER BY n.rack_id, n.position, n.id"
)


def timed(call: Callable[[], object], repeat: int = REPEAT) -> tuple[float, float, float]:
    """(median, p95, median CPU) in ms, after one warm-up call. The CPU time is this process's (the
    test client serves in a thread of it): on the shared machine it says what the wall time would be
    on an idle one."""
    call()
    samples, cpu = [], []
    for _ in range(repeat):
        started, used = time.perf_counter(), time.process_time()
        call()
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(0.95 * len(samples)))]
    return statistics.median(samples), p95, statistics.median(cpu)


def _figures(times: tuple[float, float, float]) -> str:
    return f"median {times[0]:.1f} ms, p95 {times[1]:.1f} ms, CPU {times[2]:.1f} ms"


def seeded(database: Database) -> str:
    """The bad node's hostname, seeding the fleet first unless BENCH_DB holds it already."""
    with database.engine.connect() as conn:
        found = conn.execute(text(BAD_SQL)).scalar()
    if found is not None:
        print("  fleet already seeded (BENCH_DB or BENCH_URL)")
        return str(found)
    started = time.perf_counter()
    hosts = simulated_fleet(database, NODES, bad=BAD)
    print(f"  fleet seeded and reported in {time.perf_counter() - started:.0f} s ({len(hosts):,} reporting)")
    return hosts[BAD]


def main() -> None:
    print(f"console benchmark, {NODES:,} nodes, {os.cpu_count()} cores, python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = f"sqlite:///{os.environ.get('BENCH_DB') or Path(tmp) / 'bench.db'}"
        database = Database(os.environ.get("BENCH_URL") or sqlite)
        print(f"  on {database.engine.dialect.name}")
        upgrade(database)
        use_database(database)
        bad = seeded(database)
        with database.transaction() as session:
            token = create_token(session, "bench", name="bench", role=Role.OPERATOR).token
        client = TestClient(create_app())
        settled()  # as `fleetops serve` does once the app is built
        client.cookies.set("fleetops_token", token)
        with database.engine.connect() as conn:
            site = conn.execute(text(SITE_SQL), {"host": bad}).scalar_one()
        assert f'data-node="{bad}"' in client.get("/").text, "the bad GPU's node is not on the map"
        with database.engine.connect() as conn:
            bare = timed(lambda: conn.execute(text(MAP_SQL)).all())
        who = Principal(Role.OPERATOR, "bench")
        with database.transaction() as session:
            built = timed(lambda: health_map(session, who))
        print(f"  a row per node (the map's read before): {_figures(bare)}")
        print(f"  health map built: {_figures(built)} ({built[0] / bare[0]:.1f}x)")
        for name, url in (
            ("landing page", "/"),
            ("site map page", f"/map/{site}"),
            ("node page", f"/nodes/{bad}"),
        ):
            page = client.get(url)
            assert page.status_code == 200, (url, page.status_code)
            figures = _figures(timed(lambda url=url: client.get(url)))
            print(f"  {name} {url}: {figures}, {len(page.content) / 1024:.0f} KB")
        print("  load average (1, 5, 15 min): " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
