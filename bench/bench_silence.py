"""A fleet-wide silence against live ingest: agent POSTs while a separate `fleetops worker` sweeps.

A freshly imported fleet that has not reported yet looks silent to the coverage sweep, as a partition or
a long control-plane outage does. The goal (issue 17): the worker marks it in bounded transactions, so no
agent POST fails or waits more than 1 s meanwhile; the silence is one incident about its cause and starts
no node remediation. Measured through the real processes: `fleetops serve --no-worker` and `fleetops
worker` on one SQLite file (the single-writer case, the harder one), and a probe of report POSTs from
`BENCH_AGENTS` agents paced at `BENCH_RATE` a second, first with no worker (the baseline) and then for
`BENCH_SECONDS` after the worker starts.

Run: `.venv/bin/python bench/bench_silence.py` (BENCH_NODES, default 100000; BENCH_SECONDS, default 240;
BENCH_FOLDER reuses a fleet a run imported and left unswept; BENCH_SLOW_TRANSACTION_MS, default 250: each
process logs its transactions longer than that, and the run lists them by opener beside the slow POSTs).
"""

from __future__ import annotations

import asyncio
import json
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

from bench_health import _agent_tokens, _wait_for, hosts  # noqa: E402
from tests.ports import free_port  # noqa: E402

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
SLOW_TRANSACTION_MS = int(os.environ.get("BENCH_SLOW_TRANSACTION_MS", "250"))
Sample = tuple[int, float, float]


async def probe(port: int, tokens: dict[str, str], fleet: list, seconds: float) -> list[Sample]:
    """(status, seconds, end time) of each report POST, one agent's report each, paced at RATE a second."""
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
        out.append((status, time.perf_counter() - start, time.time()))

    tasks, start, i = [], time.perf_counter(), 0
    while (elapsed := time.perf_counter() - start) < seconds:
        if i < elapsed * RATE:
            tasks.append(asyncio.create_task(one(*agents[i % len(agents)])))
            i += 1
        else:
            await asyncio.sleep(1 / RATE / 4)
    await asyncio.gather(*tasks)
    return out


def summary(name: str, samples: list[Sample]) -> str:
    waits = sorted(s for _, s, _ in samples)
    statuses = Counter(status for status, _, _ in samples)
    p99 = waits[int(len(waits) * 0.99) - 1] if waits else 0.0
    slow = sum(1 for s in waits if s > SLOW_S)
    return (
        f"{name}: {len(samples)} POSTs, statuses {dict(statuses)}; "
        f"wait median {statistics.median(waits) * 1e3:.0f} ms, p99 {p99 * 1e3:.0f} ms, "
        f"max {waits[-1] * 1e3:.0f} ms; over {SLOW_S:g} s: {slow}"
    )


def slow_posts(samples: list[Sample]) -> str:
    """When each POST over SLOW_S ended, to set beside the processes' slow-transaction log lines."""
    return ", ".join(
        f"{datetime.fromtimestamp(end, UTC):%H:%M:%S.%f}"[:-3] + f" ({wait:.2f} s)"
        for _, wait, end in samples
        if wait > SLOW_S
    )


def slow_transactions(log: Path) -> str:
    """The processes' transactions over SLOW_TRANSACTION_MS, by the function that opened them."""
    by_opener: dict[str, list[float]] = {}
    for line in log.read_text().splitlines():
        entry = json.loads(line) if line.startswith("{") else {}
        if entry.get("msg") == "slow transaction":
            by_opener.setdefault(entry["opened_by"], []).append(entry["seconds"])
    return "; ".join(
        f"{opener}: {len(seconds)}, max {max(seconds):.2f} s"
        for opener, seconds in sorted(by_opener.items(), key=lambda item: -max(item[1]))
    )


def counts(database: Database) -> tuple[int, dict[str, int], int]:
    with database.transaction() as session:
        silent = session.scalar(
            select(func.count()).where(
                HealthFinding.check == NODE_SILENT, HealthFinding.resolved_at.is_(None)
            )
        )
        # Incidents folded into the fleet's one are kept as merged: count what is left standing.
        standing = select(Incident.scope, func.count()).where(Incident.merged_into_id.is_(None))
        scopes = dict(session.execute(standing.group_by(Incident.scope)).all())
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
    port = free_port()
    env = os.environ | {
        "FLEETOPS_CONFIG": str(configuration(database, folder)),
        "FLEETOPS_DATABASE_URL": database.url,
        "FLEETOPS_LOG_JSON": "true",
        "FLEETOPS_SLOW_TRANSACTION_MS": str(SLOW_TRANSACTION_MS),
        "FLEETOPS_PORT": str(port),
    }
    cli = [str(Path(sys.executable).parent / "fleetops")]
    server_log, worker_log = folder / "serve.log", folder / "worker.log"
    server = subprocess.Popen(
        [*cli, "serve", "--no-worker"], env=env, stdout=subprocess.DEVNULL, stderr=server_log.open("w")
    )
    worker = None
    try:
        _wait_for(server, port)
        print(
            summary("no worker (baseline)", asyncio.run(probe(port, tokens, fleet, BASELINE_S))), flush=True
        )
        worker = subprocess.Popen(
            [*cli, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=worker_log.open("w")
        )
        started = time.perf_counter()
        sweeping = asyncio.run(probe(port, tokens, fleet, SECONDS))
        print(summary("worker sweeping", sweeping), flush=True)
        print(f"POSTs over {SLOW_S:g} s ended at: {slow_posts(sweeping) or 'none'}", flush=True)
        silent, scopes, runs = counts(database)
        print(
            f"after {time.perf_counter() - started:.0f} s: {silent:,} nodes silent; "
            f"incidents standing (not merged) by scope {scopes}; remediation runs {runs}",
            flush=True,
        )
    finally:
        for process in (worker, server):
            if process is not None:
                process.terminate()
                process.wait(30)
    for name, log in (("serve", server_log), ("worker", worker_log)):
        print(f"{name} transactions over {SLOW_TRANSACTION_MS} ms: {slow_transactions(log) or 'none'}")


if __name__ == "__main__":
    main()
