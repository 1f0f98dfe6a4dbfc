"""`fleetops health`: fleet health, one node's health, findings and FSH coverage, over the API."""

from __future__ import annotations

from datetime import datetime

import typer

from fleetops.cli.output import JsonOption, console, emit_json, table
from fleetops.cli.remote import AllOption, LimitOption, limit_of, remote, show_list
from fleetops.client import Client

app = typer.Typer(help="Fleet system health: GPU and node health, findings, coverage.", no_args_is_help=True)
FINDING_COLUMNS = [
    "id",
    "hostname",
    "gpu_index",
    "severity",
    "title",
    "action",
    "owner",
    "count",
    "opened_at",
    "resolved_at",
]


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


@app.command("summary")
@remote
def summary(fleet: Client, as_json: bool = JsonOption) -> None:
    """Nodes and GPUs by health state, unhealthy GPUs by cause, open findings, coverage."""
    data = fleet.health.summary()
    if as_json:
        return emit_json(data)
    states = [{"what": what, **data[what]} for what in ("nodes", "gpus")]
    table(states, ["what", "healthy", "degraded", "unhealthy", "unknown"], title="health")
    table(data["gpus_by_cause"], ["state", "cause", "gpus"], title="unhealthy and degraded GPUs by cause")
    console.print(f"open findings: {data['open_findings']}   FSH coverage: {_pct(data['coverage']['share'])}")


@app.command("node")
@remote
def node(
    fleet: Client, hostname: str = typer.Argument(..., help="Hostname or id"), as_json: bool = JsonOption
) -> None:
    """One node's health, its GPUs, recent findings and state changes."""
    data = fleet.health.node(hostname)
    if as_json:
        return emit_json(data)
    console.print(f"[bold]{data['hostname']}[/bold]: {data['state']} — {data['why']}", highlight=False)
    table(data["gpus"], ["index", "uuid", "state", "why"], title="GPUs")
    table(data["findings"], FINDING_COLUMNS[:1] + FINDING_COLUMNS[2:], title="findings")


@app.command("findings")
@remote
def findings(
    fleet: Client,
    open_only: bool = typer.Option(False, "--open", help="Only open findings."),
    node: str | None = typer.Option(None, help="Hostname."),
    cluster: str | None = None,
    check: str | None = typer.Option(None, help="e.g. xid, node_silent, ecc_uncorrectable_volatile"),
    severity: str | None = typer.Option(None, help="info, warning or critical"),
    xid: int | None = None,
    since: datetime | None = None,
    limit: int = LimitOption,
    every: bool = AllOption,
    as_json: bool = JsonOption,
) -> None:
    """Findings, newest first."""
    pages = fleet.health.finding_pages(
        limit=limit_of(limit, every),
        open=True if open_only else None,
        node=node,
        cluster=cluster,
        check=check,
        severity=severity,
        xid=xid,
        since=since.isoformat() if since else None,
    )
    show_list(pages, FINDING_COLUMNS, title="findings", as_json=as_json)


@app.command("coverage")
@remote
def coverage(fleet: Client, as_json: bool = JsonOption) -> None:
    """Share of nodes in active clusters that reported within 5 minutes, per cluster and supplier."""
    data = fleet.health.coverage()
    if as_json:
        return emit_json(data)
    for scope in ("clusters", "suppliers"):
        rows = [{**row, "coverage": _pct(row["share"])} for row in data[scope]]
        table(
            rows, ["name", "expected", "reporting", "silent", "coverage"], title=f"coverage by {scope[:-1]}"
        )
    console.print(
        f"fleet: {data['fleet']['reporting']}/{data['fleet']['expected']} ({_pct(data['fleet']['share'])})"
    )
