"""`fleetops-agent`: run the node agent, take one reading, qualify the GPUs, inspect the spool.

Every option also reads a FLEETOPS_AGENT_* environment variable (a systemd unit sets those). Errors are
one line on stderr and exit code 2, as in the `fleetops` CLI.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from pathlib import Path
from typing import Annotated

import msgspec
import typer

from fleetops.agent.loop import AgentLoop
from fleetops.agent.metrics import AgentMetrics
from fleetops.agent.node import AgentConfig, NodeAgent, default_collectors, default_link_collector
from fleetops.agent.qualify import WeeklySchedule, find_backend, run_qualification
from fleetops.agent.scans import DATASTREAM, PROFILE, HostScans, host_scanners
from fleetops.agent.sender import Sender
from fleetops.agent.spool import Spool
from fleetops.catalog import default_catalog
from fleetops.errors import FleetopsError
from fleetops.wire import Shape

app = typer.Typer(
    help="fleetops node agent: GPU health collection, burn-in and reporting.", no_args_is_help=True
)
spool_app = typer.Typer(help="Inspect the on-disk report spool.")
app.add_typer(spool_app, name="spool")
log = logging.getLogger("fleetops.agent")

SpoolDir = Annotated[Path, typer.Option(envvar="FLEETOPS_AGENT_SPOOL_DIR", help="Report spool directory.")]
ExpectedGpus = Annotated[
    int | None, typer.Option(envvar="FLEETOPS_AGENT_EXPECTED_GPUS", help="GPUs this node should have.")
]
DEFAULT_SPOOL = AgentConfig().spool_dir


def _pretty(shape: Shape) -> str:
    return msgspec.json.format(msgspec.json.encode(shape), indent=2).decode()


def _fail(error: FleetopsError) -> None:
    typer.echo(f"error: {error.message}", err=True)
    raise typer.Exit(2)


@app.command()
def collect(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    expected_gpus: ExpectedGpus = None,
) -> None:
    """Take one reading now and print it (nothing is sent)."""
    config = AgentConfig(expected_gpus=expected_gpus)
    agent = NodeAgent(config, *default_collectors(config), links=default_link_collector(config))
    try:
        report = agent.collect()
    finally:
        agent.close()
    if as_json:
        typer.echo(_pretty(report))
        return
    for status in report.collectors:
        typer.echo(f"collector {status.name}: {'ok' if status.ok else 'unavailable: ' + status.detail}")
    for gpu in report.gpus:
        typer.echo(
            f"GPU {gpu.index} {gpu.name} {gpu.temperature_c} C {gpu.power_w} W "
            f"util {gpu.utilization_gpu_pct}%"
        )
    for finding in report.findings:
        typer.echo(
            f"[{finding.severity.value}] {finding.kind.value}: {finding.summary} -> {finding.action.value}"
        )
    if not report.findings:
        typer.echo("no findings")


@app.command()
def qualify(
    duration: Annotated[
        float, typer.Option(envvar="FLEETOPS_AGENT_QUALIFY_DURATION", help="Seconds per GPU.")
    ] = 60,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Burn-in: bf16 matmul, memory and PCIe bandwidth against the model's thresholds; exit 1 on failure."""
    try:
        backend = find_backend()
        config = AgentConfig()
        agent = NodeAgent(config, *default_collectors(config), links=default_link_collector(config))
        result = run_qualification(agent, backend, duration)
    except FleetopsError as exc:
        _fail(exc)
        return
    typer.echo(_pretty(result) if as_json else f"{'PASS' if result.passed else 'FAIL'}: {result.reason}")
    for gpu in result.gpus if not as_json else []:
        typer.echo(f"GPU {gpu.index}: {'pass' if gpu.passed else 'FAIL ' + '; '.join(gpu.reasons)}")
    raise typer.Exit(0 if result.passed else 1)


@app.command()
def xid(code: int) -> None:
    """Explain an XID code from the catalog."""
    entry = default_catalog().lookup(code)
    typer.echo(f"{entry.title}\n  meaning: {entry.meaning}\n  owner: {entry.owner.value}")
    typer.echo(
        f"  action: {entry.action.value} (NVIDIA: {entry.nvidia_action or 'n/a'})\n"
        f"  source: {default_catalog().source}"
    )


@spool_app.command("status")
def spool_status(spool_dir: SpoolDir = DEFAULT_SPOOL) -> None:
    """Reports waiting, bytes, dropped over the cap, and refused by the server."""
    status = Spool(spool_dir).status()
    typer.echo(json.dumps(dataclasses.asdict(status)))


@app.command()
def run(
    server: Annotated[str, typer.Option(envvar="FLEETOPS_AGENT_SERVER", help="Control plane base URL.")],
    token: Annotated[str, typer.Option(envvar="FLEETOPS_AGENT_TOKEN", help="This node's API token.")],
    interval: Annotated[
        float, typer.Option(envvar="FLEETOPS_AGENT_INTERVAL", help="Seconds between reports.")
    ] = 30,
    spool_dir: SpoolDir = DEFAULT_SPOOL,
    expected_gpus: ExpectedGpus = None,
    metrics_port: Annotated[
        int, typer.Option(envvar="FLEETOPS_AGENT_METRICS_PORT", help="0 disables.")
    ] = 9410,
    scan_profile: Annotated[
        str, typer.Option(envvar="FLEETOPS_AGENT_SCAN_PROFILE", help="XCCDF profile oscap evaluates.")
    ] = PROFILE,
    scan_datastream: Annotated[
        Path, typer.Option(envvar="FLEETOPS_AGENT_SCAN_DATASTREAM", help="SCAP datastream with that profile.")
    ] = Path(DATASTREAM),
    cycles: Annotated[int, typer.Option(help="Stop after this many cycles (0: run forever).")] = 0,
) -> None:
    """Collect every INTERVAL seconds, spool, and deliver; also serves /metrics, the weekly burn-in and the
    qualifications the control plane asks for (in its answers to our reports)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = AgentConfig(
        server=server,
        token=token,
        interval_s=interval,
        spool_dir=spool_dir,
        expected_gpus=expected_gpus,
        metrics_port=metrics_port or None,
    )
    agent, spool = (
        NodeAgent(config, *default_collectors(config), links=default_link_collector(config)),
        Spool(spool_dir),
    )
    sender, metrics = Sender(server, token, spool), AgentMetrics()
    if config.metrics_port:
        metrics.serve(config.metrics_addr, config.metrics_port)
    schedule = WeeklySchedule(spool_dir.parent / "qualification.json", config.qualify_every_s)
    scans = HostScans(server, token, spool_dir, scanners=host_scanners(scan_profile, str(scan_datastream)))
    loop = AgentLoop(agent, spool, sender, schedule, metrics, scans=scans)
    done = 0
    while cycles == 0 or done < cycles:
        wall = time.monotonic()
        loop.cycle()
        done += 1
        if cycles == 0 or done < cycles:
            time.sleep(max(0.0, interval - (time.monotonic() - wall)))
    agent.close()
    sender.close()
