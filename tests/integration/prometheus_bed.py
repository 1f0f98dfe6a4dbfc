"""A real Prometheus (Debian `prometheus`) scraping a simulated node set: the fleetops agent's own
/metrics (`AgentMetrics`, 8 GPUs per node), a real node-exporter, and a fleetops control plane's
/metrics, with targets labelled from the inventory (`observability.targets.file_sd`). Used by the
tenant-proxy and cardinality tests and by bench/bench_observability_cost.py."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from prometheus_client import start_http_server

from fleetops.agent.metrics import AgentMetrics
from fleetops.agent.spool import SpoolStatus
from fleetops.auth.choices import Role
from fleetops.auth.principal import SYSTEM
from fleetops.auth.service import create_token
from fleetops.db.migrate import upgrade
from fleetops.db.session import Database
from fleetops.inventory.apply import apply_document
from fleetops.inventory.schemas import Document
from fleetops.observability.targets import file_sd
from fleetops.wire import Ecc, GpuReading, NodeReport
from tests.integration.conftest import wait_for_http
from tests.ports import free_port

PROMETHEUS = shutil.which("prometheus")
NODE_EXPORTER = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")
MISSING = "needs Debian prometheus and prometheus-node-exporter (apt-get install -y ...; `make test` does)"


@dataclass
class Bed:
    url: str
    hosts: list[str]
    node_exporter_hosts: list[str]
    jobs: dict[str, int] = field(default_factory=dict)  # job → targets

    def get(self, path: str, **params: Any) -> Any:
        answer = httpx.get(f"{self.url}{path}", params=params, timeout=10)
        answer.raise_for_status()
        return answer.json()["data"]

    def query(self, query: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.get("/api/v1/query", query=query)["result"]
        return result


def report(hostname: str, base_c: float) -> NodeReport:
    """Eight GPUs whose readings say which node they came from (temperature base_c + GPU index)."""
    gpus = [
        GpuReading(
            index=i,
            uuid=f"GPU-{hostname}-{i}",
            temperature_c=base_c + i,
            power_w=300.0 + i,
            utilization_gpu_pct=50.0,
            clock_event_mask=0,
            ecc=Ecc(uncorrected_volatile=0),
        )
        for i in range(8)
    ]
    return NodeReport(hostname=hostname, agent_version="bed", collected_at=datetime.now(UTC), gpus=gpus)


@contextlib.contextmanager
def agents(hosts: dict[str, float]) -> Iterator[dict[str, str]]:
    """The agent's real /metrics endpoint once per node, in this process: {hostname: address}."""
    servers, addresses = [], {}
    for hostname, base in hosts.items():
        metrics = AgentMetrics()
        metrics.observe(report(hostname, base), 0.02)
        metrics.observe_spool(SpoolStatus(files=0, bytes=0, dropped=0, poisoned=0, oldest=None))
        metrics.sent.inc(10)
        server, _ = start_http_server(0, addr="127.0.0.1", registry=metrics.registry)
        servers.append(server)
        addresses[hostname] = f"127.0.0.1:{server.server_port}"
    try:
        yield addresses
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


@contextlib.contextmanager
def process(args: list[str], log: Path, ready: str, env: dict[str, str] | None = None) -> Iterator[None]:
    with open(log, "wb") as out:
        started = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            wait_for_http(ready, started)
            yield
        finally:
            started.terminate()
            started.wait(10)


def control_plane_db(directory: Path, fleet: dict[str, Any]) -> tuple[str, str]:
    """A migrated SQLite database with `fleet` and a viewer token for Prometheus to scrape /metrics."""
    url = f"sqlite:///{directory / 'fleetops.db'}"
    database = Database(url)
    upgrade(database)
    with database.transaction() as session:
        apply_document(session, "bed", Document.model_validate(fleet))
        token = create_token(session, SYSTEM.actor, name="prometheus", role=Role.VIEWER).token
    database.engine.dispose()
    return url, token


def _config(directory: Path, control_plane: str, token: str, interval: str) -> Path:
    jobs = [
        {"job_name": name, "file_sd_configs": [{"files": [str(directory / f"{name}.json")]}]}
        for name in ("agent", "node")
    ]
    jobs.append(
        {
            "job_name": "fleetops",
            "authorization": {"credentials": token},
            "static_configs": [{"targets": [control_plane]}],
        }
    )
    config = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "scrape_configs": jobs,
    }
    path = directory / "prometheus.yml"
    path.write_text(json.dumps(config))  # JSON is YAML
    return path


def wait_for_targets(bed: Bed, timeout: float = 60) -> None:
    """Until every target has been scraped once (the first scrape comes ~7 s after start)."""
    deadline = time.monotonic() + timeout
    want = sum(bed.jobs.values())
    while time.monotonic() < deadline:
        up = bed.query("up == 1")
        if len(up) >= want and bed.query("count(fleetops_agent_gpus_visible)"):
            return
        time.sleep(0.5)
    raise TimeoutError(f"prometheus at {bed.url}: {len(bed.query('up == 1'))} of {want} targets up")


@contextlib.contextmanager
def prometheus_bed(
    directory: Path,
    fleet: dict[str, Any],
    hosts: dict[str, float],
    node_exporter_hosts: list[str],
    interval: str = "1s",
) -> Iterator[Bed]:
    """Everything up, every target scraped at least once; all of it stopped afterwards."""
    db_url, token = control_plane_db(directory, fleet)
    cp_port, ne_port, prom_port = free_port(), free_port(), free_port()
    env = os.environ | {
        "FLEETOPS_DATABASE_URL": db_url,
        "FLEETOPS_PORT": str(cp_port),
        "FLEETOPS_LOG_JSON": "false",
        "FLEETOPS_SIMULATE": "true",  # the simulated schedulers: this fleet's clusters have no real one
        "FLEETOPS_SIM_STATE": str(directory / "sim-world.json"),
    }
    serve = [sys.executable, "-m", "fleetops.cli.main", "serve", "--no-worker"]
    exporter = [str(NODE_EXPORTER), f"--web.listen-address=127.0.0.1:{ne_port}"]
    with (
        agents(hosts) as addresses,
        process(serve, directory / "fleetops.log", f"http://127.0.0.1:{cp_port}/healthz", env),
        process(exporter, directory / "node-exporter.log", f"http://127.0.0.1:{ne_port}/metrics"),
    ):
        database = Database(db_url)
        with database.transaction() as session:
            targets = {"agent": file_sd(session, addresses)}
            targets["node"] = file_sd(session, {h: f"127.0.0.1:{ne_port}" for h in node_exporter_hosts})
        for job, groups in targets.items():
            (directory / f"{job}.json").write_text(json.dumps(groups))
        config = _config(directory, f"127.0.0.1:{cp_port}", token, interval)
        args = [
            str(PROMETHEUS),
            f"--config.file={config}",
            f"--storage.tsdb.path={directory / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
        ]
        with process(args, directory / "prometheus.log", f"http://127.0.0.1:{prom_port}/-/ready"):
            bed = Bed(
                f"http://127.0.0.1:{prom_port}",
                list(hosts),
                node_exporter_hosts,
                {"agent": len(hosts), "node": len(node_exporter_hosts), "fleetops": 1},
            )
            wait_for_targets(bed)
            yield bed
