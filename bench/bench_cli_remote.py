"""The remote CLI's cost: `nodes list` of 500 nodes out of 10,000 over the API, against the in-process
database read the CLI made before it went remote, and the API process's memory at that fleet size.

Run: `python bench/bench_cli_remote.py` (SQLite; BENCH_NODES, BENCH_REPEAT to change the sizes).
Prints medians; the target is the remote listing within 1.5x of the in-process one.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import httpx

from fleetops.api.routes.inventory import ENCODER
from fleetops.auth.choices import Role
from fleetops.auth.principal import SYSTEM
from fleetops.auth.service import create_token
from fleetops.cli.output import json_text
from fleetops.cli.remote import gather
from fleetops.client import Client
from fleetops.db.migrate import upgrade
from fleetops.db.session import Database
from fleetops.inventory import service
from fleetops.inventory.kinds import KINDS
from fleetops.sim.load import seed_fleet

warnings.filterwarnings("ignore")
NODES = int(os.environ.get("BENCH_NODES", "10000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "15"))
PAGE = 500
FLEETOPS = [sys.executable, "-m", "fleetops.cli.main"]


def median_ms(fn: Callable[[], object], repeat: int = REPEAT) -> float:
    fn()  # warm: first-use imports, statement caches, the connection pool
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def local_listing(database: Database, indent: int | None = None) -> str:
    """What `fleetops nodes list --limit 500 --json` did before it went remote: read, then print."""
    with database.transaction() as session:
        page = service.list_records(session, SYSTEM, KINDS["node"], {}, limit=PAGE)
    return json.dumps({"items": page.items}, indent=indent, default=str)


def local_rows(database: Database) -> bytes:
    """Not the baseline: the same read encoded the way the API now encodes it, the floor with no HTTP,
    no authentication and no typed records."""
    with database.transaction() as session:
        page = service.list_rows(session, SYSTEM, KINDS["node"], {}, limit=PAGE)
    return ENCODER.encode({"items": page.items})


def remote_listing(fleet: Client, indent: int | None = None) -> str:
    """What it does now (`cli.remote.show_list`): one page over HTTP, validated into typed `NodeRead`
    records, then printed."""
    items, _, _ = gather(fleet.nodes.pages(limit=PAGE), "nodes")
    return json_text({"items": items}, indent=indent)


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="fleetops-bench-cli-"))
    url_db = f"sqlite:///{home / 'fleetops.db'}"
    database = Database(url_db)
    upgrade(database)
    start = time.perf_counter()
    seed_fleet(database, 7, NODES, force=True)
    print(f"seeded {NODES:,} nodes in {time.perf_counter() - start:.0f} s ({home})")
    with database.transaction() as session:
        token = create_token(session, "bench", name="bench", role=Role.ADMIN).token
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = os.environ | {
        "FLEETOPS_DATABASE_URL": url_db,
        "FLEETOPS_PORT": str(port),
        "FLEETOPS_LOG_JSON": "false",
        "FLEETOPS_SIMULATE": "true",  # a seeded fleet has no real schedulers or BMCs to configure
    }
    server = subprocess.Popen(
        [*FLEETOPS, "serve", "--no-worker"], env=env, cwd=home, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{url}/api/v1/nodes", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        idle = rss_mib(server.pid)
        with Client(url, token) as fleet:
            assert len(json.loads(remote_listing(fleet))["items"]) == PAGE
            local = median_ms(lambda: local_listing(database))
            remote = median_ms(lambda: remote_listing(fleet))
            floor = median_ms(lambda: local_rows(database))
            local_printed = median_ms(lambda: local_listing(database, 1))
            remote_printed = median_ms(lambda: remote_listing(fleet, 1))
        cli_env = {k: v for k, v in os.environ.items() if not k.startswith("FLEETOPS_")}
        cli_env |= {"FLEETOPS_URL": url, "FLEETOPS_TOKEN": token}
        command = [*FLEETOPS, "nodes", "list", "--limit", str(PAGE), "--json"]
        process = median_ms(lambda: subprocess.run(command, env=cli_env, capture_output=True, check=True), 5)
        busy = rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"nodes list, {PAGE} of {NODES:,} nodes, median of {REPEAT} (ms):")
    print(f"  in-process database read + JSON (the CLI before): {local:7.1f}")
    print(
        f"  over the API: HTTP + typed records + JSON (now):   {remote:7.1f}   "
        f"({remote / local:.2f}x, target 1.5x)"
    )
    print(
        f"  the same, JSON indented as the CLI prints it:      {local_printed:7.1f} / {remote_printed:.1f}   "
        f"({remote_printed / local_printed:.2f}x)"
    )
    print(f"  in-process rows encoded as the API does (a floor, not the baseline): {floor:7.1f}")
    print(f"  `fleetops nodes list --limit {PAGE} --json` process, median of 5: {process:7.0f}")
    print(f"API process RSS at {NODES:,} nodes: {idle:.0f} MiB after start, {busy:.0f} MiB after the runs")


if __name__ == "__main__":
    main()
