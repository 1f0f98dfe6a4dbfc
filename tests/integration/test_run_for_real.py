"""fleetops run for real, as an operator runs it: `fleetops serve` and `fleetops worker` from a TOML file with
FLEETOPS_SIMULATE unset, against sushy-emulator (power and virtual media), the test bed's real Slurm, a
Kubernetes API stand-in, and local PagerDuty, Slack and Jira receivers that check the documented payloads.
From another directory the remote CLI imports 8 nodes and rolls them out to ready; then the agent of one
node reports XID 79 and the node is drained in Slurm, restarted over Redfish, and ticketed to its supplier.
Afterwards no configured secret is found in the database, the logs or /metrics.

The test plays what is not fleetops: the install ISO (it powers the machine off at its end), the burn-in
collector (it leaves result files), the nodes' CIS scans (the agent's own scan upload, with an `oscap` that
writes a passing XCCDF result; the deploy gate reads the imported scan), and the broken node's agent (its
reports, and a failed qualification when asked).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from sqlalchemy import select

from fleetops.adapters.redfish.client import RedfishClient
from fleetops.agent.scans import HostScanner, HostScans
from fleetops.alerts.policy import HERE as ALERTS
from fleetops.audit.models import AuditEvent
from fleetops.db.session import Database
from fleetops.deploy.models import BringupTransition, NodeBringup
from fleetops.wire import GpuQualification, QualificationResult
from tests.alerts.receiver import Receiver
from tests.factories import gpus
from tests.health.reports import body, report, xid
from tests.integration import slurm_cluster
from tests.integration.conftest import sushy_emulator, wait_for_http
from tests.integration.kube_api import local_kube_api
from tests.integration.test_virtual_media import boot, cd_slot
from tests.ports import free_port
from tests.security.scans import cis_scan

pytestmark = pytest.mark.integration
pytest.importorskip("sushy_tools", reason="sushy-tools not installed (make test installs it)")

HOSTS = tuple(f"node{i:03d}" for i in range(1, 9))
BROKEN = "node003"
IMAGE = "ubuntu-22.04-gpu"
FLEETOPS = [sys.executable, "-m", "fleetops.cli.main"]
SECRETS = {
    "bmc_password": "bmc-pass-5f1c9a",
    "routing_key": "pd-routing-7e2b44",
    "jira_token": "jira-token-3d9f0c",
    "webhook_path": "T0A1B2/hook-8c7d6e",
}


@dataclass
class Plant:
    home: Path  # the server's directory: its database, settings, secrets and logs
    workdir: Path  # where the operator stands, with only the inventory file
    server_env: dict[str, str]
    cli_env: dict[str, str]
    url: str
    admin: str
    database: Database
    bmc: str
    systems: dict[str, str]  # hostname → Redfish system path
    slurm: Any
    kube: Any
    receiver: Receiver
    logs: list[Path]


def fleetops(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FLEETOPS, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def _image_server(directory: Path, stack: ExitStack) -> str:
    directory.mkdir()
    (directory / f"{IMAGE}.iso").write_bytes(IMAGE.encode() * 512)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stack.callback(server.server_close)
    stack.callback(server.shutdown)
    return f"http://127.0.0.1:{server.server_address[1]}"


def _settings(home: Path, plant: dict[str, Any]) -> Path:
    secrets = home / "secrets"
    secrets.mkdir()
    for name, value in SECRETS.items():
        (secrets / name).write_text(value + "\n")
    (secrets / "webhook").write_text(f"{plant['receiver'].url}/slack/{SECRETS['webhook_path']}\n")
    routes = (ALERTS / "routes.yaml").read_text()
    routes = routes.replace("https://events.pagerduty.com/v2/enqueue", f"{plant['receiver'].url}/v2/enqueue")
    (home / "routes.yaml").write_text(
        routes.replace("https://jira.example.invalid", f"{plant['receiver'].url}/jira")
    )
    (home / "qualification").mkdir()
    path = home / "fleetops.toml"
    path.write_text(
        f"""[fleetops]
database_url = "sqlite:///{home / "fleetops.db"}"
port = {plant["port"]}
log_json = true
alert_routes = "{home / "routes.yaml"}"

[fleetops.redfish.default]
username = "fleetops"
password_file = "{secrets / "bmc_password"}"

[fleetops.provisioner]
kind = "virtual_media"
image_url = "{plant["images"]}/{{image}}.iso"
min_install_s = 15

[fleetops.clusters.gamma.slurm]
conf = "{plant["slurm_conf"]}"

[fleetops.clusters.gamma.kubernetes]
kubeconfig = "{plant["kubeconfig"]}"

[fleetops.deploy]
qualification_results = "{home / "qualification"}"
poll_s = 2

[fleetops.remediation]
poll_s = 2
settle_s = 3

[fleetops.notify]
jira_token_file = "{secrets / "jira_token"}"

[fleetops.notify.routing_keys]
oncall-pager_file = "{secrets / "routing_key"}"

[fleetops.notify.webhooks.supplier-slack]
default_file = "{secrets / "webhook"}"
"""
    )
    return path


def _inventory(workdir: Path, bmc: str, systems: dict[str, str]) -> Path:
    data = {
        "suppliers": [{"name": "acme"}],
        "regions": [{"name": "us-south"}],
        "sites": [{"name": "dfw1", "supplier": "acme", "region": "us-south"}],
        "racks": [{"name": f"r{r:02d}", "site": "dfw1", "pod": "sp1"} for r in range(2)],
        "clusters": [
            {
                "name": "gamma",
                "orchestrator": "slurm-on-kubernetes",
                "state": "planned",
                "supplier": "acme",
                "site": "dfw1",
            }
        ],
        "nodes": [
            {
                "hostname": host,
                "serial": f"SN-{host}",
                "site": "dfw1",
                "rack": f"r{i // 4:02d}",
                "position": i % 4,
                "bmc_address": f"{bmc}{systems[host]}",
                "gpu_model": "H100-SXM5-80GB",
                "gpu_count": 8,
                "state": "racked",
                "gpus": gpus(host),  # the UUIDs the agents report (`tests.health.reports`)
            }
            for i, host in enumerate(HOSTS)
        ],
    }
    path = workdir / "fleet.json"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Plant]:
    why = slurm_cluster.unavailable()
    if why:
        pytest.skip(why)
    root = tmp_path_factory.mktemp("for-real")
    home, workdir = root / "server", root / "operator"
    home.mkdir()
    workdir.mkdir()
    with ExitStack() as stack:
        for part in ("sushy", "slurm"):
            (root / part).mkdir()
        bmc = stack.enter_context(sushy_emulator(root / "sushy", systems=len(HOSTS)))
        slurm = stack.enter_context(slurm_cluster.local_slurm(root / "slurm", nodes=HOSTS))
        kube = stack.enter_context(local_kube_api(root / "kube", list(HOSTS)))
        receiver = stack.enter_context(Receiver())
        with RedfishClient(bmc) as client:
            systems = dict(zip(HOSTS, sorted(client.systems()), strict=True))
        port = free_port()
        config = _settings(
            home,
            {
                "receiver": receiver,
                "port": port,
                "images": _image_server(root / "images", stack),
                "slurm_conf": slurm.env["SLURM_CONF"],
                "kubeconfig": str(kube.kubeconfig),
            },
        )
        plain = {k: v for k, v in os.environ.items() if not k.startswith("FLEETOPS_")}
        server_env = plain | {"FLEETOPS_CONFIG": str(config)}
        assert fleetops(server_env, "db", "upgrade", cwd=home).returncode == 0
        admin = fleetops(server_env, "token", "create", "--role", "admin", cwd=home).stdout.strip()
        logs = []
        for name, command in (("serve", ["serve", "--no-worker"]), ("worker", ["worker"])):
            log = stack.enter_context(open(home / f"{name}.log", "wb"))  # noqa: SIM115 - closed by the stack
            process = subprocess.Popen(
                [*FLEETOPS, *command], env=server_env, cwd=home, stdout=log, stderr=log
            )
            stack.callback(process.wait, 30)
            stack.callback(process.terminate)
            logs.append(home / f"{name}.log")
        url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{url}/healthz", process)
        cli_env = plain | {"FLEETOPS_URL": url, "FLEETOPS_TOKEN": admin, "COLUMNS": "200"}
        database = Database(f"sqlite:///{home / 'fleetops.db'}")
        stack.callback(database.engine.dispose)
        yield Plant(
            home,
            workdir,
            server_env,
            cli_env,
            url,
            admin,
            database,
            bmc,
            systems,
            slurm,
            kube,
            receiver,
            logs,
        )


def installer(bmc: str, systems: list[str], stop: threading.Event) -> None:
    """The install ISO: a system found booted from its virtual CD installs for a few seconds, then powers
    itself off, each time it boots from the CD (a restart that lands after an earlier power-off boots it
    again). One ForceOff at a time: the emulator lands power changes seconds later."""
    booted: dict[str, float] = {}
    sent: dict[str, float] = {}
    with RedfishClient(bmc) as client:
        while not stop.wait(0.5):
            for system in systems:
                installing = (
                    cd_slot(client, system)["Inserted"]
                    and client.power_state(system) == "On"
                    and boot(client, system) == "Cd"
                )
                if not installing:
                    booted.pop(system, None)
                    continue
                since = booted.setdefault(system, time.monotonic())
                if time.monotonic() - since > 3 and time.monotonic() - sent.get(system, 0) > 15:
                    client.reset(system, "ForceOff")
                    sent[system] = time.monotonic()


def _in_step(plant: Plant, state: str) -> set[str]:
    """The nodes whose bring-up has begun its `state` step: what the node-side helpers wait for."""
    with plant.database.transaction() as session:
        return set(
            session.scalars(
                select(NodeBringup.hostname).where(
                    NodeBringup.state == state, NodeBringup.step_started_at.is_not(None)
                )
            )
        )


def _burn_in(plant: Plant, stop: threading.Event) -> None:
    """The burn-in collector: a passing result file for each node once its qualification has started."""
    written: set[str] = set()
    while not stop.wait(1.0):
        for host in _in_step(plant, "qualifying") - written:
            at = datetime.now(UTC)
            result = QualificationResult(
                started_at=at,
                finished_at=at,
                backend="torch",
                model="H100-SXM5-80GB",
                duration_s=60,
                passed=True,
                gpus=[
                    GpuQualification(index=i, passed=True, matmul_bf16_tflops_median=690) for i in range(8)
                ],
            )
            (plant.home / "qualification" / f"{host}.json").write_bytes(msgspec.json.encode(result))
            written.add(host)


def _cis_scans(plant: Plant, agents: Agents, stop: threading.Event) -> None:
    """The nodes' agents running their CIS scan once the hardening step waits for it: the agent's own
    `HostScans` with an `oscap` that writes the XCCDF results fixture, every rule passed, uploaded with
    the node's own token to the server's import API, as the agent does."""
    results = plant.home / "cis-results.xml"
    results.write_bytes(cis_scan(passing=True))
    oscap = plant.home / "oscap"
    oscap.write_text(f'#!/bin/sh\ncp {results} "$1"\n')
    oscap.chmod(0o755)
    scanner = HostScanner("openscap", str(oscap), lambda exe, out: [str(exe), str(out)], ".xml")
    scanned: set[str] = set()
    while not stop.wait(1.0):
        for host in _in_step(plant, "hardening") - scanned:
            scans = HostScans(
                plant.url, agents.tokens[host], plant.home / "agents" / host, scanners=(scanner,)
            )
            scans.scan()
            assert scans.upload() == 1
            scanned.add(host)


def _states(plant: Plant) -> dict[str, str]:
    listed = fleetops(plant.cli_env, "nodes", "list", "--cluster", "gamma", "--json", cwd=plant.workdir)
    assert listed.returncode == 0, listed.stderr
    return {n["hostname"]: n["state"] for n in json.loads(listed.stdout)["items"]}


def test_rollout_of_8_nodes_through_real_backends(plant: Plant, agents: Agents) -> None:
    cli, here = plant.cli_env, plant.workdir
    inventory = _inventory(here, plant.bmc, plant.systems)
    imported = fleetops(cli, "inventory", "import", str(inventory), cwd=here)
    assert imported.returncode == 0, imported.stderr
    for host in HOSTS:  # each node's agent gets its own token, bound to its node
        issued = fleetops(
            plant.server_env, "token", "create", "--role", "agent", "--node", host, cwd=plant.home
        )
        agents.tokens[host] = issued.stdout.strip()
    planned = fleetops(
        cli, "deploy", "plan", "r1", "--cluster", "gamma", "--image", IMAGE,
        "--hardening", "slurm-on-k8s-cis",
        "--pod", "sp1", cwd=here,
    )  # fmt: skip
    assert planned.returncode == 0, planned.stderr
    assert fleetops(cli, "deploy", "start", "r1", cwd=here).returncode == 0
    stop = threading.Event()
    helpers = [
        threading.Thread(target=installer, args=(plant.bmc, list(plant.systems.values()), stop), daemon=True),
        threading.Thread(target=_burn_in, args=(plant, stop), daemon=True),
        threading.Thread(target=_cis_scans, args=(plant, agents, stop), daemon=True),
    ]
    for helper in helpers:
        helper.start()
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and set(_states(plant).values()) != {"ready"}:
            time.sleep(2)
    finally:
        stop.set()
        for helper in helpers:
            helper.join(10)
    with plant.database.transaction() as session:
        audit = [
            (e.action, e.target_key, e.changes, e.result)
            for e in session.scalars(select(AuditEvent).where(AuditEvent.target_key.in_(HOSTS)))
        ]
    states = _states(plant)
    stuck = {h for h, state in states.items() if state != "ready"}
    if stuck:
        with plant.database.transaction() as session:
            history = [
                (t.bringup_id, t.from_state, t.to_state, t.reason, t.at)
                for t in session.scalars(select(BringupTransition).order_by(BringupTransition.id))
            ]
            ids = dict(session.execute(select(NodeBringup.hostname, NodeBringup.id)).all())
        Path("/tmp/stuck.json").write_text(
            json.dumps(
                {"audit": [e for e in audit if e[1] in stuck], "ids": ids, "history": history}, default=str
            )
        )
    assert not stuck, [entry for entry in audit if entry[1] in stuck]
    assert not (here / "var").exists() and agents.refused == 0
    for host in HOSTS:
        assert plant.slurm.status(host).accepts_work
    with RedfishClient(plant.bmc) as client:
        assert {client.power_state(s) for s in plant.systems.values()} == {"On"}


class Agents(threading.Thread):
    """The nodes' agents, once each node has its token: a report every 5 s (a silent node would be
    remediated, as it should). The `broken` node reports XID 79 on GPU 3 once, and fails a qualification
    when asked for one; the others pass theirs."""

    def __init__(self, plant: Plant) -> None:
        super().__init__(daemon=True)
        self.plant, self.tokens, self.stop = plant, {}, threading.Event()
        self.broken: str | None = None
        self.asked: dict[str, list[dict[str, Any]]] = {}
        self.xid_sent = False
        self.refused = 0

    def _qualification(self, host: str) -> QualificationResult | None:
        if not any(a.get("kind") == "qualify" for a in self.asked.get(host, [])):
            return None
        now = datetime.now(UTC)
        gpus = [
            GpuQualification(
                index=i, passed=host != self.broken or i != 3, reasons=[] if i != 3 else ["fell off"]
            )
            for i in range(8)
        ]
        passed = all(g.passed for g in gpus)
        return QualificationResult(
            started_at=now,
            finished_at=now,
            backend="torch",
            model="H100",
            duration_s=60,
            passed=passed,
            gpus=gpus,
        )

    def _report(self, http: httpx.Client, host: str, token: str) -> None:
        xids = None
        if host == self.broken and not self.xid_sent:
            xids, self.xid_sent = [xid(79, index=3)], True
        sent = report(host, xids=xids, qualification=self._qualification(host))
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        answer = http.post("/api/v1/health/reports", content=body(sent), headers=headers)
        self.refused += answer.status_code >= 300
        if answer.status_code < 300:
            self.asked[host] = answer.json().get("requests", {}).get(host, [])

    def run(self) -> None:
        with httpx.Client(base_url=self.plant.url, timeout=10) as http:
            while not self.stop.wait(1.0 if self.broken else 5.0):
                for host, token in list(self.tokens.items()):
                    self._report(http, host, token)


@pytest.fixture(scope="module")
def agents(plant: Plant) -> Iterator[Agents]:
    running = Agents(plant)
    running.start()
    yield running
    running.stop.set()
    running.join(10)


def _resets(plant: Plant, system: str) -> int:
    log = (plant.home.parent / "sushy" / "emulator.log").read_text()
    return log.count(f"POST {system}/Actions/ComputerSystem.Reset")


def test_xid_79_drains_in_slurm_restarts_over_redfish_and_tickets_the_supplier(
    plant: Plant, agents: Agents
) -> None:
    if set(_states(plant).values()) != {"ready"}:
        pytest.skip("the rollout did not finish: see the test before")
    system = plant.systems[BROKEN]
    resets_before = _resets(plant, system)
    agents.broken = BROKEN
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not (
        plant.receiver.jira and plant.slurm.status(BROKEN).drained and _resets(plant, system) > resets_before
    ):
        time.sleep(2)
    runs = fleetops(plant.cli_env, "remediation", "runs", "--json", cwd=plant.workdir)
    assert plant.receiver.jira, runs.stdout
    tickets = {key: fields["summary"] for key, fields in plant.receiver.jira.items()}
    assert any(BROKEN in summary for summary in tickets.values()), tickets
    assert plant.receiver.invalid == []
    assert plant.slurm.status(BROKEN).drained
    assert plant.kube.nodes[BROKEN]["spec"].get("unschedulable") is True
    assert _resets(plant, plant.systems[BROKEN]) > resets_before
    assert [run["hostname"] for run in json.loads(runs.stdout)] == [BROKEN], runs.stdout
    others = [h for h in HOSTS if h != BROKEN]
    assert all(not plant.slurm.status(h).drained for h in others)


def test_no_configured_secret_is_in_the_database_the_logs_or_metrics(plant: Plant) -> None:
    dump = "\n".join(plant.database.engine.raw_connection().driver_connection.iterdump())
    metrics = httpx.get(
        f"{plant.url}/metrics", headers={"Authorization": f"Bearer {plant.admin}"}, timeout=30
    )
    assert metrics.status_code == 200
    places = {"database": dump, "metrics": metrics.text}
    places |= {log.name: log.read_text(errors="replace") for log in plant.logs}
    assert "fleetops_" in metrics.text and len(dump) > 10_000
    leaks = [
        (name, where) for name, value in SECRETS.items() for where, text in places.items() if value in text
    ]
    assert leaks == []
