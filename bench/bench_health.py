"""Health ingest benchmarks: sustained node-reports/s (8 GPUs each), CPU share at CB3 scale, XID 79 latency.

Run: `scripts/testbed.sh .venv/bin/python bench/bench_health.py` (SQLite and a throwaway PostgreSQL), or
`.venv/bin/python bench/bench_health.py` for SQLite only. BENCH_NODES (default 2000) sets the fleet size,
BENCH_ROUNDS (default 5) how many times every node reports, BENCH_HTTP_SECONDS (default 20) the HTTP
run; BENCH_HTTP_ONLY=1 skips the in-process figures and the floods through `fleetops serve`,
BENCH_HTTP_STACK=h11 serves with h11+asyncio, BENCH_RELAY_WINDOW_MS (default 1000) sets the relay's
window.
Prints medians and, as a same-process baseline, the bare SQL each round needs (insert the report rows,
upsert the node rows) with no parsing, no checks and no folding, so the cost of everything fleetops
adds on top is visible.

CB3: 10,000 nodes reporting every 30 s is 333 reports/s; CPU share = CPU seconds per report x 333.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import cycle, islice
from pathlib import Path
from uuid import uuid4

import repo_root  # noqa: F401  (the repository root on sys.path, for tests.*)
from bench_inventory import fresh as empty  # the same empty schema on either database
from sqlalchemy import select, text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from tests.ports import free_port

from fleetops import clock
from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.auth.service import create_token
from fleetops.db import bulk
from fleetops.db.session import Database
from fleetops.health.api import REPORTS_PATH
from fleetops.health.ingest import Post, fast_parse, ingest, ingest_posts
from fleetops.health.models import HealthReport, NodeHealth
from fleetops.inventory.apply import apply_document
from fleetops.inventory.models import Gpu, Node
from fleetops.inventory.schemas import Document
from fleetops.sim.faults import LLAMA3_MIX, Fault, node_report
from fleetops.sim.fleet import generate
from fleetops.wire import MAX_BATCH, SERVER_KEEP_ALIVE_S, dump_report

warnings.filterwarnings("ignore")
NODES = int(os.environ.get("BENCH_NODES", "2000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
CB3_RATE = 10_000 / 30
HTTP_SECONDS = float(os.environ.get("BENCH_HTTP_SECONDS", "20"))
WHO = Principal(Role.OPERATOR, "bench")
HBM = next(kind for kind in LLAMA3_MIX if kind.name == "gpu_hbm3")
XID79 = next(kind for kind in LLAMA3_MIX if kind.name == "faulty_gpu")


def fresh(url: str) -> Database:
    database = empty(url)
    with database.transaction() as session:
        apply_document(session, "bench", Document.model_validate(generate(seed=1, nodes=NODES)))
    if not database.is_sqlite:
        # Planner statistics for the fleet just imported, as autovacuum gathers them within a minute of
        # it: without them PostgreSQL scans every GPU row for each batch (2.6 ms instead of 0.3 ms).
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    return database


def hosts(database: Database) -> list[tuple[str, list[str]]]:
    with database.transaction() as session:
        rows = session.execute(
            select(Node.hostname, Gpu.uuid)
            .join(Gpu, Gpu.node_id == Node.id)
            .order_by(Node.hostname, Gpu.index)
        ).all()
    out: dict[str, list[str]] = {}
    for hostname, uuid in rows:
        out.setdefault(hostname, []).append(uuid)
    return list(out.items())


def bodies(fleet: list[tuple[str, list[str]]], at: datetime, rng: random.Random, batch: int) -> list[bytes]:
    """One round: every node's report as the agent encodes it, 1 % with an HBM fault (a condition that
    stays open), `batch` reports to a body."""
    reports = []
    for i, (hostname, uuids) in enumerate(fleet):
        fault = Fault(HBM, i, 2, at, 1) if i % 100 == 0 else None
        reports.append(dump_report(node_report(hostname, uuids, at, rng, fault, first=False)))
    return [
        b'{"reports":[' + b",".join(reports[i : i + batch]) + b"]}" for i in range(0, len(reports), batch)
    ]


def one_round(
    database: Database, payloads: list[bytes], group: int = 1, in_flight: int = 1
) -> tuple[float, float]:
    """Store the bodies `group` at a time, each group in one transaction, `in_flight` transactions at once
    (as `health.intake` does)."""
    groups = iter([payloads[i : i + group] for i in range(0, len(payloads), group)])

    def store() -> None:
        for bodies_ in groups:  # each thread takes the next group, as the intake's free slot does
            with database.transaction() as session:
                results = ingest_posts(session, [Post(WHO, body) for body in bodies_])
            assert all(r.status == 200 for r in results), results[0].as_dict()["results"][:1]

    wall, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(in_flight) as pool:
        for done in [pool.submit(store) for _ in range(in_flight)]:
            done.result()
    return time.perf_counter() - wall, time.process_time() - cpu


def sustained(
    database: Database, fleet: list, batch: int, manual: clock.ManualClock, group: int = 1, in_flight: int = 1
) -> tuple[float, float]:
    rng = random.Random(manual.now().timestamp())
    rates, cpus = [], []
    for _ in range(ROUNDS):
        at = manual.advance(30)
        wall, cpu = one_round(database, bodies(fleet, at, rng, batch), group, in_flight)
        rates.append(len(fleet) / wall)
        cpus.append(cpu / len(fleet))
    return statistics.median(rates), statistics.median(cpus)


def baseline(database: Database, fleet: list, manual: clock.ManualClock) -> float:
    """The bare SQL of one round, batches of 64: report rows inserted, node rows upserted, nothing else."""
    with database.transaction() as session:
        ids = {h: i for h, i in session.execute(select(Node.hostname, Node.id))}
    at = manual.now()
    start = time.perf_counter()
    for i in range(0, len(fleet), MAX_BATCH):
        chunk = fleet[i : i + MAX_BATCH]
        with database.transaction() as session:
            bulk.insert(
                session.connection(),
                HealthReport.__table__,
                [
                    {
                        "report_id": str(uuid4()),
                        "node_id": ids[h],
                        "actor": "b",
                        "agent_version": "b",
                        "collected_at": at,
                        "received_at": at,
                        "skew_s": 0.0,
                        "clock_skewed": False,
                        "gpu_count": 8,
                        "finding_count": 0,
                    }
                    for h, _ in chunk
                ],
            )
            bulk.upsert(
                session.connection(),
                NodeHealth.__table__,
                [
                    {"node_id": ids[h], "state": "healthy", "since": at, "why": "", "last_report_at": at}
                    for h, _ in chunk
                ],
                ["node_id"],
            )
    return len(fleet) / (time.perf_counter() - start)


def latency(database: Database, fleet: list, manual: clock.ManualClock, samples: int = 200) -> list[float]:
    """From an XID 79 report arriving (batch of one) to its node read back as unhealthy by a new session."""
    rng, out = random.Random(79), []
    for i in range(samples):
        hostname, uuids = fleet[(i * 7919) % len(fleet)]
        at = manual.advance(1)
        sick = node_report(hostname, uuids, at, rng, Fault(XID79, 0, i % 8, at, 0))
        payload = dump_report(sick)
        start = time.perf_counter()
        with database.transaction() as session:
            ingest(session, WHO, payload)
        with database.transaction() as session:
            state = session.scalar(
                select(NodeHealth.state)
                .join(Node, Node.id == NodeHealth.node_id)
                .where(Node.hostname == hostname)
            )
        out.append(time.perf_counter() - start)
        assert state == "unhealthy", (hostname, state)
    return out


def _server_cpu(pid: int) -> float:
    """CPU seconds of a server process and of every process under it (`serve --processes N`)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(_server_cpu(int(child)) for child in children)


def _agent_posts(
    fleet: list, tokens: dict[str, str], rng: random.Random, count: int
) -> list[tuple[str, bytes]]:
    """`count` report POSTs, one report each with its node's agent token, cycling through the fleet."""
    now = datetime.now(UTC)
    return [
        (tokens[host], dump_report(node_report(host, uuids, now, rng, first=False)))
        for host, uuids in islice(cycle(fleet), count)
    ]


def _agent_tokens(database: Database, fleet: list) -> dict[str, str]:
    with database.transaction() as session:
        ids = {h: i for h, i in session.execute(select(Node.hostname, Node.id))}
        return {
            h: create_token(session, "bench", name=f"agent-{h}", role=Role.AGENT, node_id=ids[h]).token
            for h, _ in fleet
        }


async def _paced_posts(
    port: int, requests: list[tuple[str, bytes]], rate: float, connections: int = 64
) -> Counter[int]:
    """POST each report at its time on one of `connections` keep-alive connections. Raw HTTP/1.1 over
    asyncio streams, requests encoded up front: the load generator shares the machine, so it must cost
    little CPU."""
    statuses: Counter[int] = Counter()
    queue: asyncio.Queue[bytes | None] = asyncio.Queue()

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while (request := await queue.get()) is not None:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            statuses[int(head[9:12])] += 1
        writer.close()

    encoded = [
        b"POST /api/v1/health/reports HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {token}\r\nContent-Length: {len(payload)}\r\n\r\n".encode()
        + payload
        for token, payload in requests
    ]
    workers = [asyncio.create_task(connection()) for _ in range(connections)]
    start = time.perf_counter()
    for i, request in enumerate(encoded):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait(request)
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    return statuses


def trivial_app() -> Starlette:
    """The HTTP floor: the same uvicorn serving a POST that reads the body and answers a small JSON."""

    async def post(request: Request) -> JSONResponse:
        return JSONResponse({"accepted": 1, "bytes": len(await request.body())})

    return Starlette(routes=[Route(REPORTS_PATH, post, methods=["POST"]), Route("/login", post)])


@contextmanager
def _uvicorn(factory: str, database: Database) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    # BENCH_HTTP_STACK=h11 forces uvicorn's pure-Python stack (h11, asyncio) to compare with what
    # `fleetops serve` picks by default now that uvicorn[standard] is a dependency (httptools, uvloop).
    pure = os.environ.get("BENCH_HTTP_STACK") == "h11"
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--app-dir",
        str(Path(__file__).parent),
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--timeout-keep-alive",
        str(SERVER_KEEP_ALIVE_S),
        *(["--http", "h11", "--loop", "asyncio"] if pure else []),
    ]
    with _running(command, port, database) as server:
        yield server, port


@contextmanager
def _running(
    command: list[str], port: int, database: Database, **settings: str
) -> Iterator[subprocess.Popen[bytes]]:
    env = os.environ | {"FLEETOPS_DATABASE_URL": database.url, "FLEETOPS_LOG_JSON": "false"} | settings
    server = subprocess.Popen(command, env=env)
    try:
        _wait_for(server, port)
        yield server
    finally:
        server.terminate()
        server.wait(10)


def _measure(
    server: subprocess.Popen[bytes], port: int, requests: list[tuple[str, bytes]], rate: float
) -> str:
    cpu, wall = _server_cpu(server.pid), time.perf_counter()
    statuses = asyncio.run(_paced_posts(port, requests, rate))
    cpu, wall = _server_cpu(server.pid) - cpu, time.perf_counter() - wall
    return (
        f"{len(requests)} in {wall:.1f} s = {len(requests) / wall:,.0f} POSTs/s, statuses {dict(statuses)}; "
        f"server CPU {cpu / wall * 100:.1f}% of one core ({cpu / len(requests) * 1e6:.0f} us/POST)"
    )


def http_cb3(database: Database, fleet: list, tokens: dict[str, str], seconds: float = HTTP_SECONDS) -> None:
    """CB3 through the whole stack: a uvicorn process, one POST per report with that node's agent token,
    paced at 333 reports/s; the server process's own CPU time (from /proc) over the run. Then a flood:
    every node's report at once, one POST each on 64 connections, for the throughput the server sustains.
    As a baseline, the same paced POSTs to a trivial endpoint: what the HTTP stack costs on its own."""
    rng = random.Random(333)

    def posts(count: int) -> list[tuple[str, bytes]]:
        return _agent_posts(fleet, tokens, rng, count)

    warm_up, paced, flood = posts(len(fleet)), posts(int(CB3_RATE * seconds)), posts(len(fleet) * 3)
    stack = "h11+asyncio" if os.environ.get("BENCH_HTTP_STACK") == "h11" else "httptools+uvloop"
    window = os.environ.get("FLEETOPS_INGEST_WINDOW_MS", "default")
    with _uvicorn("fleetops.api.app:create_app", database) as (server, port):
        # Every node reports once first: a node's first report inserts its GPU rows, later ones do not.
        asyncio.run(_paced_posts(port, warm_up, 1e9))
        for label, requests, rate in (("paced at 333/s", paced, CB3_RATE), ("flood", flood, 1e9)):
            print(
                f"  HTTP, uvicorn ({stack}, ingest window {window} ms), one POST per report, per-node agent "
                f"tokens, {label}: {_measure(server, port, requests, rate)}"
            )
    with _uvicorn("bench_health:trivial_app", database) as (server, port):
        asyncio.run(_paced_posts(port, warm_up[:200], 1e9))
        print(
            f"  baseline, the same uvicorn serving a trivial POST endpoint, paced at 333/s: "
            f"{_measure(server, port, paced, CB3_RATE)}"
        )
    relayed(database, posts(int(CB3_RATE * seconds)))


def relayed(database: Database, paced: list[tuple[str, bytes]]) -> None:
    """The same paced POSTs through `fleetops relay`: the control plane's CPU and the relay's. The relay's
    window (BENCH_RELAY_WINDOW_MS, default 1000) sets its group size: 64 (full) at 333 POSTs/s and 1 s."""
    window_ms = int(os.environ.get("BENCH_RELAY_WINDOW_MS", "1000"))
    with database.transaction() as session:
        relay_token = create_token(session, "bench", name="relay", role=Role.RELAY).token
    with _uvicorn("fleetops.api.app:create_app", database) as (plane, plane_port):
        port = free_port()
        command = [
            str(Path(sys.executable).parent / "fleetops"),
            "relay",
            f"--server=http://127.0.0.1:{plane_port}",
            f"--token={relay_token}",
            "--host=127.0.0.1",
            f"--port={port}",
            f"--window-ms={window_ms}",
        ]
        with _running(command, port, database) as relay:
            plane_cpu, wall = _server_cpu(plane.pid), time.perf_counter()
            seen = _measure(relay, port, paced, CB3_RATE)
            plane_cpu, wall = _server_cpu(plane.pid) - plane_cpu, time.perf_counter() - wall
            print(f"  HTTP through one relay ({window_ms} ms window), paced at 333/s, at the relay: {seen}")
            print(
                f"    the control plane meanwhile: CPU {plane_cpu / wall * 100:.1f}% of one core "
                f"({plane_cpu / len(paced) * 1e6:.0f} us/report)"
            )


def processes(database: Database, fleet: list, tokens: dict[str, str], rounds: int = 5) -> None:
    """What `fleetops serve` sustains through HTTP, with one API process and (PostgreSQL) with two: every
    node's report `rounds` times, as batches of 64 reports a POST (what a relay's group or a draining
    agent spool amounts to; an operator token), and as one report a POST with each node's agent token on
    256 connections (fewer, and a POST's wait for its group's 50 ms window bounds the rate, not the
    server)."""
    with database.transaction() as session:
        operator = create_token(session, "bench", name="flood", role=Role.OPERATOR).token
    rng = random.Random(64)

    def batches() -> list[tuple[str, bytes]]:
        return [(operator, body) for body in bodies(fleet, datetime.now(UTC), rng, MAX_BATCH)]

    def singles() -> list[tuple[str, bytes]]:
        return _agent_posts(fleet, tokens, rng, len(fleet))

    fleetops = str(Path(sys.executable).parent / "fleetops")
    for count in (1,) if database.is_sqlite else (1, 2):
        port = free_port()
        command = [fleetops, "serve", f"--processes={count}", "--no-worker"]
        # The simulator's fleet has no backends configured; simulated ones let `serve` start (it refuses a
        # cluster without a scheduler), and the ingest measured here touches none of them.
        quiet = {"FLEETOPS_PORT": str(port), "FLEETOPS_LOG_LEVEL": "WARNING", "FLEETOPS_SIMULATE": "true"}
        with _running(command, port, database, **quiet) as served:
            asyncio.run(_paced_posts(port, batches(), 1e9))  # warm-up: connections, caches, plans
            for label, make, connections in (
                (f"batches of {MAX_BATCH} a POST", batches, 64),
                ("one report a POST", singles, 256),
            ):
                requests = [request for _ in range(rounds) for request in make()]
                reports = rounds * len(fleet)
                cpu, wall = _server_cpu(served.pid), time.perf_counter()
                statuses = asyncio.run(_paced_posts(port, requests, 1e9, connections))
                cpu, wall = _server_cpu(served.pid) - cpu, time.perf_counter() - wall
                print(
                    f"  HTTP flood, `fleetops serve --processes {count}`, {label}: {reports / wall:,.0f} "
                    f"node-reports/s, statuses {dict(statuses)}; server CPU {cpu / reports * 1e6:.0f} "
                    "us/report"
                )


def _wait_for(process: subprocess.Popen[bytes], port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing listening on port {port}")


def bench(url: str) -> None:
    database = fresh(url)
    fleet = hosts(database)
    manual = clock.ManualClock(datetime(2026, 6, 1, tzinfo=UTC))
    try:
        tokens = _agent_tokens(database, fleet)
        if not os.environ.get("BENCH_HTTP_ONLY"):
            in_process(database, fleet, manual)
            processes(database, fleet, tokens)
        http_cb3(database, fleet, tokens)
    finally:
        database.dispose()


def in_process(database: Database, fleet: list, manual: clock.ManualClock) -> None:
    previous = clock.use(manual)
    try:
        sustained(database, fleet, MAX_BATCH, manual)  # warm-up round: first GPU health rows are inserts
        rate64, cpu64 = sustained(database, fleet, MAX_BATCH, manual)
        print(
            f"  batches of {MAX_BATCH}: median {rate64:,.0f} node-reports/s sustained over {ROUNDS} rounds "
            f"of {len(fleet)} nodes; CPU {cpu64 * 1e6:.0f} us/report -> "
            f"{cpu64 * CB3_RATE * 100:.1f}% of one core at CB3 (333 reports/s)"
        )
        if not database.is_sqlite:
            rate, cpu = sustained(database, fleet, MAX_BATCH, manual, in_flight=2)
            print(
                f"  batches of {MAX_BATCH}, two transactions in flight (the intake on PostgreSQL): median "
                f"{rate:,.0f} node-reports/s; CPU {cpu * 1e6:.0f} us/report"
            )
        # Agents post one report every 30 s; the intake stores the POSTs of one window together. At CB3
        # (333 POSTs/s) and the default 50 ms window that is ~16 POSTs a transaction.
        for group, label in ((16, "16 to a transaction (the intake at CB3)"), (1, "one to a transaction")):
            rate, cpu = sustained(database, fleet, 1, manual, group)
            print(
                f"  single-report POSTs, {label}: median {rate:,.0f} node-reports/s; CPU {cpu * 1e6:.0f} "
                f"us/report -> {cpu * CB3_RATE * 100:.1f}% of one core at CB3"
            )
        payloads = bodies(fleet, manual.now(), random.Random(1), MAX_BATCH)
        start = time.process_time()
        for payload in payloads:
            fast_parse(payload)
        spent = (time.process_time() - start) / len(fleet)
        print(f"  baseline, wire-schema validation alone, cyclic GC on: {spent * 1e6:.0f} us/report")
        raw = baseline(database, fleet, manual)
        print(
            f"  baseline, bare SQL of a round (insert reports, upsert nodes), batches of {MAX_BATCH}: "
            f"{raw:,.0f} node-reports/s (fleetops ingest = {rate64 / raw:.0%} of that)"
        )
        lat = sorted(latency(database, fleet, manual))
        p99 = lat[int(len(lat) * 0.99) - 1]
        print(
            f"  XID 79 report -> node unhealthy (committed, read back): "
            f"median {statistics.median(lat) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms over {len(lat)} reports"
        )
    finally:
        clock.use(previous)


def main() -> None:
    print(
        f"health ingest benchmark, {NODES} nodes x 8 GPUs, {os.cpu_count()} cores, "
        f"python {sys.version.split()[0]}, {datetime.now(UTC):%Y-%m-%d}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        print("SQLite (WAL):")
        bench(f"sqlite:///{Path(tmp) / 'bench.db'}")
    postgres = os.environ.get("FLEETOPS_TEST_POSTGRES_URL")
    if postgres:
        print("PostgreSQL:")
        bench(postgres)
    else:
        print("PostgreSQL: skipped (run through scripts/testbed.sh to start one)")


if __name__ == "__main__":
    main()
