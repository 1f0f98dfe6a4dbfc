"""`fleetops health`: fleet health, one node's health, findings and FSH coverage, from the records."""

from __future__ import annotations

from datetime import datetime

import typer

from fleetops.auth.principal import SYSTEM
from fleetops.cli.output import JsonOption, console, emit_json, reports_errors, table
from fleetops.db.session import get_database
from fleetops.health import service
from fleetops.health.coverage import coverage as fsh_coverage
from fleetops.inventory.kinds import KINDS
from fleetops.inventory.service import find

app = typer.Typer(help="Fleet system health: GPU and node health, findings, coverage.", no_args_is_help=True)


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


@app.command("summary")
@reports_errors
def summary(as_json: bool = JsonOption) -> None:
    """Nodes and GPUs by health state, unhealthy GPUs by cause, open findings, coverage."""
    with get_database().transaction() as session:
        data = service.summary(session, SYSTEM)
    if as_json:
        return emit_json(data)
    states = [{"what": what, **data[what]} for what in ("nodes", "gpus")]
    table(states, ["what", "healthy", "degraded", "unhealthy", "unknown"], title="health")
    table(data["gpus_by_cause"], ["state", "cause", "gpus"], title="unhealthy and degraded GPUs by cause")
    console.print(f"open findings: {data['open_findings']}   FSH coverage: {_pct(data['coverage']['share'])}")


@app.command("node")
@reports_errors
def node(hostname: str = typer.Argument(..., help="Hostname or id"), as_json: bool = JsonOption) -> None:
    """One node's health, its GPUs, recent findings and state changes."""
    with get_database().transaction() as session:
        record = find(session, SYSTEM, KINDS["node"], hostname)
        data = service.node_health(session, SYSTEM, record["id"])
    if as_json:
        return emit_json(data)
    console.print(f"[bold]{data['hostname']}[/bold]: {data['state']} — {data['why']}", highlight=False)
    table(data["gpus"], ["index", "uuid", "state", "why"], title="GPUs")
    table(
        data["findings"],
        ["id", "severity", "gpu_index", "title", "action", "owner", "count", "opened_at", "resolved_at"],
        title="findings",
    )


@app.command("findings")
@reports_errors
def findings(
    open_only: bool = typer.Option(False, "--open", help="Only open findings."),
    node: str | None = typer.Option(None, help="Hostname."),
    cluster: str | None = None,
    check: str | None = typer.Option(None, help="e.g. xid, node_silent, ecc_uncorrectable_volatile"),
    severity: str | None = typer.Option(None, help="info, warning or critical"),
    xid: int | None = None,
    since: datetime | None = None,
    limit: int = 100,
    as_json: bool = JsonOption,
) -> None:
    """Findings, newest first."""
    query = service.FindingQuery(
        True if open_only else None, node, cluster, check, severity, xid, since, None, limit
    )
    with get_database().transaction() as session:
        data = service.list_findings(session, SYSTEM, query)
    if as_json:
        return emit_json(data)
    table(
        data["items"],
        [
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
        ],
        title="findings",
    )


@app.command("coverage")
@reports_errors
def coverage(as_json: bool = JsonOption) -> None:
    """Share of nodes in active clusters that reported within 5 minutes, per cluster and supplier."""
    with get_database().transaction() as session:
        data = fsh_coverage(session, SYSTEM).as_dict()
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
