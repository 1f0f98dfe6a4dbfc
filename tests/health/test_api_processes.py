"""`fleetops serve --processes 2` on PostgreSQL: two API processes store reports of the same nodes at once,
each report once, and an XID 79 among them leaves its node unhealthy whichever process stores what when."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from fleetops.auth.choices import Role
from fleetops.db.session import Database
from fleetops.health.models import HealthReport, NodeHealth
from tests.factories import bearer, token
from tests.health.conftest import node_id
from tests.health.reports import body, report, xid
from tests.integration.conftest import wait_for_http
from tests.ports import free_port

HOSTS = ["a000", "a001", "b000", "b001"]


def _api_processes(pid: int) -> list[int]:
    """The processes uvicorn spawned to serve (not its multiprocessing resource tracker)."""
    children = [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return [child for child in children if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()]


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


@pytest.fixture
def served(fleet: Database) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = os.environ | {
        "FLEETOPS_DATABASE_URL": fleet.url,
        "FLEETOPS_PORT": str(port),
        "FLEETOPS_LOG_JSON": "false",
        "FLEETOPS_LOG_LEVEL": "WARNING",
        # The schedulers and BMC credentials of the two-tenant fleet, as its operator configures them:
        # `serve` refuses to start with an active cluster it cannot drain.
        "FLEETOPS_CLUSTERS": '{"alpha": {"kubernetes": {}}, "beta": {"slurm": {}, "kubernetes": {}}}',
        "FLEETOPS_REDFISH__DEFAULT": '{"username": "root", "password": "calvin"}',
    }
    command = [sys.executable, "-m", "fleetops.cli.main", "serve", "--processes", "2", "--no-worker"]
    process = subprocess.Popen(command, env=env)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/login", process, timeout=120)
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(20)


@pytest.mark.parametrize("database", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_two_api_processes_store_each_report_once_and_keep_verdicts(fleet, served) -> None:
    url, pid = served
    processes = _api_processes(pid)
    assert len(processes) == 2, processes
    before = {child: _cpu_ticks(child) for child in processes}
    headers = bearer(token(fleet, Role.OPERATOR))
    rounds = [[report(host) for host in HOSTS] for _ in range(12)]
    payloads = [body(r) for reports in rounds for r in reports]
    payloads.insert(20, body(report("a001", xids=[xid(79, index=2)])))  # a001 falls off the bus midway

    def post(payload: bytes) -> int:
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:  # a connection each
            return client.post("/api/v1/health/reports", content=payload).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = Counter(pool.map(post, payloads + payloads[:8]))  # the first 8 sent twice

    assert statuses == {200: len(payloads), 409: 8}
    with fleet.transaction() as session:
        stored = session.scalar(select(func.count()).select_from(HealthReport))
        states = dict(session.execute(select(NodeHealth.node_id, NodeHealth.state)).all())
    assert stored == len(payloads)
    assert states[node_id(fleet, "a001")] == "unhealthy"
    assert states[node_id(fleet, "a000")] == "healthy"
    # The kernel hands each connection to whichever process is in accept(); on a loaded machine one may
    # take a whole burst. Both must serve within a few more (each a duplicate: 409, nothing stored).
    for _ in range(10):
        if all(_cpu_ticks(child) > before[child] for child in processes):
            break
        with ThreadPoolExecutor(16) as pool:
            assert set(pool.map(post, payloads[:32])) == {409}
    assert all(_cpu_ticks(child) > before[child] for child in processes), "a process served nothing"


def test_several_processes_on_sqlite_are_refused_with_a_clear_error(tmp_path: Path) -> None:
    env = os.environ | {"FLEETOPS_DATABASE_URL": f"sqlite:///{tmp_path / 'one-writer.db'}"}
    command = [sys.executable, "-m", "fleetops.cli.main", "serve", "--processes", "3"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "error: 3 API processes need PostgreSQL: SQLite has a single writer (serve one process, or set "
        "FLEETOPS_DATABASE_URL to a postgresql+psycopg:// URL)"
    ]
