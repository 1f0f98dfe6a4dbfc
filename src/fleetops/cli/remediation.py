"""`fleetops remediation runs|show|settings|kill-switch|dry-run|breakers|breaker-reset|measures`, and
`fleetops sim day` (the `day` function below, registered under the `sim` group)."""

from __future__ import annotations

import getpass
import json

import typer
from rich.progress import Progress

from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.cli.output import JsonOption, console, emit_json, reports_errors, table
from fleetops.db.session import get_database
from fleetops.remediation import measures, service
from fleetops.remediation.schemas import BreakerRead, RunRead, SettingsUpdate, StepRead

app = typer.Typer(help="Automated remediation: runs, settings, safety switches.", no_args_is_help=True)
CLI = Principal(Role.ADMIN, f"cli@{getpass.getuser()}")
RUN_COLUMNS = ["id", "hostname", "state", "rule", "plan", "step", "rung", "last_error", "detected_at"]


def _minutes(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 60:.1f} min"


@app.command("runs")
@reports_errors
def runs(
    state: str | None = typer.Option(None, help="Only runs in this state (pending, acting, escalated...)."),
    hostname: str | None = typer.Option(None, help="Only runs of this node."),
    limit: int = typer.Option(50, min=1, max=1000),
    as_json: bool = JsonOption,
) -> None:
    """Remediation runs, newest first."""
    with get_database().transaction() as session:
        rows = [
            RunRead.model_validate(r).model_dump(mode="json")
            for r in service.list_runs(session, CLI, state=state, hostname=hostname, limit=limit)
        ]
    if as_json:
        emit_json(rows)
        return
    table([{**r, "plan": " → ".join(r["plan"])} for r in rows], RUN_COLUMNS, title="remediation runs")


@app.command("show")
@reports_errors
def show(run_id: int = typer.Argument(...), as_json: bool = JsonOption) -> None:
    """One run and every step it took (who, when, what, outcome)."""
    with get_database().transaction() as session:
        run = RunRead.model_validate(service.get_run(session, CLI, run_id)).model_dump(mode="json")
        steps = [StepRead.model_validate(s).model_dump(mode="json") for s in service.steps(session, run_id)]
    if as_json:
        emit_json({**run, "steps": steps})
        return
    console.print(
        f"run {run['id']} on {run['hostname']}: [bold]{run['state']}[/] ({run['rule']}) {run['reason']}"
    )
    table(steps, ["at", "actor", "from_state", "to_state", "action", "outcome", "detail"], title="steps")


@app.command("settings")
@reports_errors
def settings(
    cluster_id: int = typer.Argument(...),
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
    with get_database().transaction() as session:
        if changes:
            result = service.update_settings(session, CLI, cluster_id, SettingsUpdate.model_validate(changes))
        else:
            result = service.get_settings(session, CLI, cluster_id)
    data = result.model_dump(mode="json")
    if as_json:
        emit_json(data)
        return
    table(
        [{"field": k, "value": json.dumps(v) if isinstance(v, list | dict) else v} for k, v in data.items()],
        ["field", "value"],
        title=f"remediation settings of cluster {data['cluster']}",
    )


def _switch(name: str, on: bool, reason: str) -> None:
    with get_database().transaction() as session:
        result = service.set_switch(session, CLI, name, on, reason)
    console.print(f"{name}: {'ON' if result.on else 'off'} (by {result.changed_by})")


@app.command("kill-switch")
@reports_errors
def kill_switch(on: bool = typer.Argument(..., help="on / off"), reason: str = typer.Option("")) -> None:
    """Stop (on) or allow (off) every remediation action fleet-wide."""
    _switch("kill", on, reason)


@app.command("dry-run")
@reports_errors
def dry_run_switch(on: bool = typer.Argument(..., help="on / off"), reason: str = typer.Option("")) -> None:
    """Record what would have been done, without doing it (fleet-wide)."""
    _switch("dry_run", on, reason)


@app.command("breakers")
@reports_errors
def breakers(as_json: bool = JsonOption) -> None:
    """Circuit breakers per cluster and supplier."""
    with get_database().transaction() as session:
        rows = [BreakerRead.model_validate(b).model_dump(mode="json") for b in service.breakers(session)]
    if as_json:
        emit_json(rows)
        return
    table(rows, ["scope", "subject_id", "state", "tripped_at", "reason", "reset_by"], title="breakers")


@app.command("breaker-reset")
@reports_errors
def breaker_reset(
    scope: str = typer.Argument(..., help="cluster or supplier"), subject_id: int = typer.Argument(...)
) -> None:
    """Close a tripped breaker (a person's decision, audited)."""
    with get_database().transaction() as session:
        row = service.reset_breaker(session, CLI, scope, subject_id)
    console.print(f"breaker {scope} {subject_id}: {row.state.value}")


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
@reports_errors
def show_measures(
    as_json: bool = JsonOption,
    days: float = typer.Option(30, min=0.01, help="over runs detected in these days"),
) -> None:
    """MTTR, automation share, actions and escalations, computed from the runs."""
    with get_database().transaction() as session:
        data = measures.summary(session, days)
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
