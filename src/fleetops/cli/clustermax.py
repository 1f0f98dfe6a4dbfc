"""`fleetops clustermax`: each cluster's ClusterMAX readiness, item by item with the records behind it."""

from __future__ import annotations

import typer

from fleetops.cli.output import JsonOption, console, emit_json, table
from fleetops.cli.remote import remote
from fleetops.client import Client

app = typer.Typer(help="ClusterMAX readiness per cluster, proven from the records.", no_args_is_help=True)


@app.command("show")
@remote
def show(
    fleet: Client,
    cluster: str | None = typer.Argument(None, help="one cluster's checklist; all clusters without it"),
    as_json: bool = JsonOption,
) -> None:
    """Every visible cluster's verdict and items, or one cluster's checklist with each item's evidence.
    Exit 1 when a cluster shown is not ready (an item failed or cannot be proven), so scripts can gate."""
    rows = (
        [fleet.session.json("GET", f"/clustermax/{cluster}")]
        if cluster
        else fleet.session.json("GET", "/clustermax")
    )
    if as_json:
        emit_json(rows[0] if cluster else rows)
    elif cluster:
        row = rows[0]
        console.print(f"{row['cluster']}: {row['verdict']} ({row['passed']} of {len(row['items'])} proven)")
        table(row["items"], ["label", "verdict", "evidence"], title=f"{row['cluster']} readiness")
    else:
        summary = [r | {"items": " ".join(f"{i['key']}={i['verdict']}" for i in r["items"])} for r in rows]
        table(
            summary, ["cluster", "orchestrator", "verdict", "passed", "items"], title="ClusterMAX readiness"
        )
    raise typer.Exit(0 if all(r["verdict"] == "pass" for r in rows) else 1)
