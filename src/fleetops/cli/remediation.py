"""`fleetops remediation runs|show|cancel|approve|repaired|settings|kill-switch|dry-run|breakers|
breaker-reset|measures` over the API, and `fleetops sim day` (the `day` function below, registered under
the `sim` group)."""

from __future__ import annotations

import json

import typer
from rich.progress import Progress

from fleetops.cli.output import JsonOption, console, emit_json, reports_errors, table
from fleetops.cli.remote import remote, show_list
from fleetops.client import Client, Page
from fleetops.remediation.schemas import RunRead, SettingsUpdate

app = typer.Typer(help="Automated remediation: runs, settings, safety switches.", no_args_is_help=True)
RUN_COLUMNS = ["id", "hostname", "state", "rule", "plan", "step", "rung", "last_error", "detected_at"]


def _minutes(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 60:.1f} min"


@app.command("runs")
@remote
def runs(
    fleet: Client,
    state: str | None = typer.Option(None, help="Only runs in this state (pending, acting, escalated...)."),
    hostname: str | None = typer.Option(None, help="Only runs of this node."),
    limit: int = typer.Option(50, min=1, max=1000),
    as_json: bool = JsonOption,
) -> None:
    """Remediation runs, newest first."""
    found = fleet.remediation.runs(state=state, hostname=hostname, limit=limit)
    rows = [
        {**r.model_dump(mode="json"), "plan": r.plan if as_json else " → ".join(r.plan)} for r in found.items
    ]
    show_list(
        [Page(rows, more=found.more)],
        RUN_COLUMNS,
        title="remediation runs",
        as_json=as_json,
        bare_json=True,
        hint="raise --limit",
    )


@app.command("show")
@remote
def show(fleet: Client, run_id: int = typer.Argument(...), as_json: bool = JsonOption) -> None:
    """One run and every step it took (who, when, what, outcome)."""
    detail = fleet.remediation.run(run_id).model_dump(mode="json")
    if as_json:
        emit_json(detail)
        return
    console.print(
        f"run {detail['id']} on {detail['hostname']}: [bold]{detail['state']}[/] ({detail['rule']}) "
        f"{detail['reason']}"
    )
    columns = ["at", "actor", "from_state", "to_state", "action", "outcome", "detail"]
    table(detail["steps"], columns, title="steps")


def _acted(run: RunRead, as_json: bool) -> None:
    if as_json:
        emit_json(run)
        return
    why = f" ({run.last_error})" if run.last_error else ""
    console.print(f"run {run.id} on {run.hostname}: {run.state}{why}", highlight=False)


@app.command("cancel")
@remote
def cancel(
    fleet: Client,
    run_id: int = typer.Argument(...),
    reason: str = typer.Option("", help="Why, kept on the run's record."),
    as_json: bool = JsonOption,
) -> None:
    """Stop a run where it stands; the node stays as it is (drained nodes stay drained)."""
    _acted(fleet.remediation.cancel(run_id, reason), as_json)


@app.command("approve")
@remote
def approve(fleet: Client, run_id: int = typer.Argument(...), as_json: bool = JsonOption) -> None:
    """Let a run that waits for a person (a cluster not in auto mode) take its next action now."""
    _acted(fleet.remediation.approve(run_id), as_json)


@app.command("repaired")
@remote
def repaired(
    fleet: Client,
    run_id: int = typer.Argument(...),
    note: str = typer.Option("", help="What was done (part replaced, ticket number)."),
    as_json: bool = JsonOption,
) -> None:
    """The repair of an escalated run is done: the node is verified under load before it goes back."""
    _acted(fleet.remediation.repaired(run_id, note), as_json)


@app.command("settings")
@remote
def settings(
    fleet: Client,
    cluster: str = typer.Argument(..., help="The cluster's name or id."),
    enabled: bool | None = typer.Option(None, "--enabled/--disabled", help="Turn remediation on or off."),
    dry_run: bool | None = typer.Option(None, "--dry-run/--live"),
    allowed: str | None = typer.Option(None, help="Comma-separated allowed actions ('' for all)."),
    as_json: bool = JsonOption,
) -> None:
    """Show a cluster's remediation settings, or change them (audited)."""
    changes: dict[str, object] = {
        k: v for k, v in {"enabled": enabled, "dry_run": dry_run}.items() if v is not None
    }
    if allowed is not None:
        changes["allowed_actions"] = [a for a in allowed.split(",") if a] or None
    if changes:
        result = fleet.remediation.update_settings(cluster, SettingsUpdate.model_validate(changes))
    else:
        result = fleet.remediation.settings(cluster)
    data = result.model_dump(mode="json")
    if as_json:
        emit_json(data)
        return
    table(
        [{"field": k, "value": json.dumps(v) if isinstance(v, list | dict) else v} for k, v in data.items()],
        ["field", "value"],
        title=f"remediation settings of cluster {data['cluster']}",
    )


def _switch(fleet: Client, name: str, on: bool, reason: str) -> None:
    result = fleet.remediation.set_switch(name, on, reason)
    console.print(f"{name}: {'ON' if result.on else 'off'} (by {result.changed_by})")


@app.command("kill-switch")
@remote
def kill_switch(
    fleet: Client, on: bool = typer.Argument(..., help="on / off"), reason: str = typer.Option("")
) -> None:
    """Stop (on) or allow (off) every remediation action fleet-wide."""
    _switch(fleet, "kill", on, reason)


@app.command("dry-run")
@remote
def dry_run_switch(
    fleet: Client, on: bool = typer.Argument(..., help="on / off"), reason: str = typer.Option("")
) -> None:
    """Record what would have been done, without doing it (fleet-wide)."""
    _switch(fleet, "dry_run", on, reason)


@app.command("breakers")
@remote
def breakers(fleet: Client, as_json: bool = JsonOption) -> None:
    """Circuit breakers per cluster and supplier."""
    columns = ["scope", "subject_id", "state", "tripped_at", "reason", "reset_by"]
    show_list(
        [Page(fleet.remediation.breakers())], columns, title="breakers", as_json=as_json, bare_json=True
    )


@app.command("breaker-reset")
@remote
def breaker_reset(
    fleet: Client,
    scope: str = typer.Argument(..., help="cluster or supplier"),
    subject_id: int = typer.Argument(...),
) -> None:
    """Close a tripped breaker (a person's decision, audited)."""
    row = fleet.remediation.reset_breaker(scope, subject_id)
    console.print(f"breaker {scope} {subject_id}: {row.state}")


def print_summary(data: dict) -> None:
    mttr, auto = data["mttr"], data["automation"]
    rows = [
        {"measure": "runs", "value": data["runs"]},
        {
            "measure": "MTTR software (median / p90)",
            "value": f"{_minutes(mttr['software']['median_s'])} / {_minutes(mttr['software']['p90_s'])} "
            f"(n={mttr['software']['count']}, goal < 15 min)",
        },
        {
            "measure": "MTTR hardware (median / p90)",
            "value": f"{_minutes(mttr['hardware']['median_s'])} / {_minutes(mttr['hardware']['p90_s'])} "
            f"(n={mttr['hardware']['count']}, goal < 4 h)",
        },
        {
            "measure": "resolved without a person",
            "value": "—"
            if auto["share"] is None
            else f"{auto['share']:.1%} ({auto['automatic']}/{auto['finished']})",
        },
        {"measure": "escalated", "value": data["escalated"]},
    ]
    rows += [
        {"measure": f"stage {k} (median)", "value": _minutes(v)} for k, v in data["stages_median_s"].items()
    ]
    table(rows, ["measure", "value"], title="remediation (from the engine's records)")


@app.command("measures")
@remote
def show_measures(
    fleet: Client,
    as_json: bool = JsonOption,
    days: float = typer.Option(30, min=0.01, help="over runs detected in these days"),
) -> None:
    """MTTR, automation share, actions and escalations, computed from the runs."""
    data = fleet.remediation.measures(days)
    if as_json:
        emit_json(data)
        return
    print_summary(data)


@reports_errors
def day(
    seed: int = typer.Option(7, help="Same seed, same fleet and faults."),
    nodes: int = typer.Option(2000, min=10, max=50_000, help="Fleet size (a throwaway SQLite)."),
    hours: float = typer.Option(24, min=1, max=24 * 14, help="Simulated hours."),
    intensity: float = typer.Option(20.0, min=0.1, help="Fault rate x the Llama 3 rate (20: a busy day)."),
    as_json: bool = JsonOption,
) -> None:
    """Play a fleet day: injected faults, remediated by the engine on simulated executors; print MTTR and
    automation share from the engine's own records."""
    from fleetops.sim.day import play_day, scratch_database

    with console.status(f"generating a {nodes}-node fleet…"):
        database = scratch_database(seed, nodes)
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(f"playing {hours:g} h", total=1.0)
        result = play_day(
            database,
            seed=seed,
            hours=hours,
            intensity=intensity,
            progress=lambda share: bar.update(task, completed=share),
        )
    if as_json:
        emit_json(
            {
                "nodes": result.nodes,
                "faults": result.faults,
                "findings": result.findings,
                "repaired_by_supplier": result.repaired,
                "fault_kinds": result.kinds,
                **result.summary,
            }
        )
        return
    console.print(
        f"{result.nodes} active nodes, {result.faults} faults, {result.findings} findings, "
        f"database {database.url}"
    )
    print_summary(result.summary)
