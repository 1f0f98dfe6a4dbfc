"""A fleet-wide silence against live ingest: agent POSTs while a separate `fleetops worker` sweeps.

A freshly imported fleet that has not reported yet looks silent to the coverage sweep, as a partition or
a long control-plane outage does. The goal (issue 17): the worker marks it in bounded transactions, so no
agent POST fails or waits more than 1 s meanwhile; the silence is one incident about its cause and starts
no node remediation. Measured through the real processes: `fleetops serve --no-worker` and `fleetops
worker` on one SQLite file (the single-writer case, the harder one), and a probe of report POSTs from
`BENCH_AGENTS` agents paced at `BENCH_RATE` a second, first with no worker (the baseline) and then for
`BENCH_SECONDS` after the worker starts.

Run: `.venv/bin/python bench/bench_silence.py` (BENCH_NODES, default 100000; BENCH_SECONDS, default 240;
BENCH_FOLDER reuses a fleet a run imported and left unswept).
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from bench_health import _agent_tokens, _free_port, _wait_for, hosts  # noqa: E402

from fleetops.alerts.models import Incident  # noqa: E402
from fleetops.db.migrate import upgrade  # noqa: E402
from fleetops.db.session import Database  # noqa: E402
from fleetops.health.evaluate import NODE_SILENT  # noqa: E402
from fleetops.health.models import HealthFinding  # noqa: E402
from fleetops.inventory.apply import apply_document  # noqa: E402
from fleetops.inventory.models import Cluster  # noqa: E402
from fleetops.inventory.schemas import Document  # noqa: E402
from fleetops.remediation.models import RemediationRun  # noqa: E402
from fleetops.sim.faults import node_report  # noqa: E402
from fleetops.sim.fleet import generate  # noqa: E402
from fleetops.wire import dump_report  # noqa: E402

warnings.filterwarnings("ignore")
NODES = int(os.environ.get("BENCH_NODES", "100000"))
AGENTS = int(os.environ.get("BENCH_AGENTS", "300"))
RATE = float(os.environ.get("BENCH_RATE", "20"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "240"))
BASELINE_S = 20.0
SLOW_S = 1.0


async def probe(port: int, tokens: dict[str, str], fleet: list, seconds: float) -> list[tuple[int, float]]:
    """(status, seconds) of each report POST, one agent's report each, paced at RATE a second."""
    rng, out = random.Random(7), []
    agents = [(tokens[host], host, uuids) for host, uuids in fleet if host in tokens]

    async def one(token: str, host: str, uuids: list[str]) -> None:
        body = dump_report(node_report(host, uuids, datetime.now(UTC), rng, first=False))
        head = (
            "POST /api/v1/health/reports HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        start = time.perf_counter()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(head.encode() + body)
            status = int((await reader.readuntil(b"\r\n"))[9:12])
            await reader.read()
            writer.close()
        except (OSError, asyncio.IncompleteReadError):
            status = 0
        out.append((status, time.perf_counter() - start))

    tasks, start, i = [], time.perf_counter(), 0
    while (elapsed := time.perf_counter() - start) < seconds:
        if i < elapsed * RATE:
            tasks.append(asyncio.create_task(one(*agents[i % len(agents)])))
            i += 1
        else:
            await asyncio.sleep(1 / RATE / 4)
    await asyncio.gather(*tasks)
    return out


def summary(name: str, samples: list[tuple[int, float]]) -> str:
    waits = sorted(s for _, s in samples)
    statuses = Counter(status for status, _ in samples)
    p99 = waits[int(len(waits) * 0.99) - 1] if waits else 0.0
    slow = sum(1 for s in waits if s > SLOW_S)
    return (
        f"{name}: {len(samples)} POSTs, statuses {dict(statuses)}; "
        f"wait median {statistics.median(waits) * 1e3:.0f} ms, p99 {p99 * 1e3:.0f} ms, "
        f"max {waits[-1] * 1e3:.0f} ms; over {SLOW_S:g} s: {slow}"
    )


def counts(database: Database) -> tuple[int, dict[str, int], int]:
    with database.transaction() as session:
        silent = session.scalar(
            select(func.count()).where(
                HealthFinding.check == NODE_SILENT, HealthFinding.resolved_at.is_(None)
            )
        )
        scopes = dict(session.execute(select(Incident.scope, func.count()).group_by(Incident.scope)).all())
        runs = session.scalar(select(func.count()).select_from(RemediationRun))
    return silent or 0, scopes, runs or 0


def configuration(database: Database, folder: Path) -> Path:
    """Real backends named for every cluster and site, none of them reachable: the sweep and the
    hand-off run as configured, and a remediation run started by mistake would show in the counts."""
    with database.transaction() as session:
        clusters = session.scalars(select(Cluster.name)).all()
    lines = ["[fleetops.redfish.default]", 'username = "bench"', 'password = "bench"']
    for name in clusters:
        lines += [f'[fleetops.clusters."{name}".slurm]', 'conf = "/nonexistent/slurm.conf"']
        lines += [f'[fleetops.clusters."{name}".kubernetes]', 'kubeconfig = "/nonexistent/kubeconfig"']
    path = folder / "fleetops.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def main() -> None:
    # BENCH_FOLDER: a folder whose fleet.db a run imported and no worker has swept (the import is minutes).
    reused = os.environ.get("BENCH_FOLDER")
    folder = Path(reused or tempfile.mkdtemp(prefix="fleetops-silence-"))
    database = Database(f"sqlite:///{folder / 'fleet.db'}")
    upgrade(database)
    started = time.perf_counter()
    if not reused:
        with database.transaction() as session:
            apply_document(session, "bench", Document.model_validate(generate(seed=1, nodes=NODES)))
    fleet = hosts(database)
    print(f"imported {len(fleet):,} nodes in {time.perf_counter() - started:.0f} s ({folder})", flush=True)
    tokens = _agent_tokens(database, fleet[:: max(1, len(fleet) // AGENTS)][:AGENTS])
    port = _free_port()
    env = os.environ | {
        "FLEETOPS_CONFIG": str(configuration(database, folder)),
        "FLEETOPS_DATABASE_URL": database.url,
        "FLEETOPS_LOG_JSON": "false",
        "FLEETOPS_PORT": str(port),
    }
    cli = [str(Path(sys.executable).parent / "fleetops")]
    server = subprocess.Popen([*cli, "serve", "--no-worker"], env=env, stdout=subprocess.DEVNULL)
    worker = None
    try:
        _wait_for(server, port)
        print(
            summary("no worker (baseline)", asyncio.run(probe(port, tokens, fleet, BASELINE_S))), flush=True
        )
        worker = subprocess.Popen([*cli, "worker"], env=env, stdout=subprocess.DEVNULL)
        started = time.perf_counter()
        print(summary("worker sweeping", asyncio.run(probe(port, tokens, fleet, SECONDS))), flush=True)
        silent, scopes, runs = counts(database)
        print(
            f"after {time.perf_counter() - started:.0f} s: {silent:,} nodes silent; "
            f"incidents by scope {scopes}; remediation runs {runs}",
            flush=True,
        )
    finally:
        for process in (worker, server):
            if process is not None:
                process.terminate()
                process.wait(30)


if __name__ == "__main__":
    main()
