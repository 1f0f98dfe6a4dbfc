"""`fleetops sim`: generate simulated fleets, play a day of faults, soak a fleet for days."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress

from fleetops.cli.output import JsonOption, console, emit_json, reports_errors, table
from fleetops.cli.remediation import day
from fleetops.inventory import formats
from fleetops.sim.fleet import generate

sim_app = typer.Typer(help="The fleet simulator.", no_args_is_help=True)
sim_app.command("day")(day)


@sim_app.command("fleet")
@reports_errors
def fleet(
    seed: int = typer.Option(7, help="Same seed, same fleet."),
    nodes: int = typer.Option(2000, min=1, max=200_000, help="Number of 8-GPU nodes."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here (yaml/json/csv by suffix)."),
    load: bool = typer.Option(False, "--load", help="Import it into the database instead of printing it."),
) -> None:
    """A deterministic fleet: suppliers, sites, a 576-node sub-pod, clusters, customers, contracts."""
    if load:
        from fleetops.db.session import get_database
        from fleetops.sim.load import seed_fleet

        with Progress(console=console, transient=True, disable=not console.is_terminal) as bar:
            task = bar.add_task(f"loading {nodes} nodes", total=nodes)
            done = lambda n: bar.advance(task, n)  # noqa: E731 - one line, read once
            count = seed_fleet(get_database(), seed, nodes, force=True, progress=done)
        console.print(f"loaded {count} nodes")
        return
    fleet_data = generate(seed, nodes)
    data = formats.dump(fleet_data, formats.format_of(output or Path("fleet.yaml")))
    if output is None:
        typer.echo(data, nl=False)
    else:
        output.write_text(data, encoding="utf-8")
        console.print(f"wrote {output} ({len(fleet_data['nodes'])} nodes)")


@sim_app.command("soak")
@reports_errors
def soak(
    days: float = typer.Option(7, min=0.01, max=60, help="Simulated days."),
    nodes: int = typer.Option(2000, min=50, max=20_000, help="Nodes in service (a throwaway SQLite)."),
    seed: int = typer.Option(7, help="Same seed, same fleet, faults and disruptions."),
    intensity: float = typer.Option(1.0, min=0.1, help="Fault rate x the Llama 3 rate."),
    as_json: bool = JsonOption,
) -> None:
    """Soak a fleet for days through the production code paths: persistent, flapping, returning and
    correlated faults, a receiver outage, a restart, a killed worker, a fleet-wide silence. Checks the
    invariants as it runs and exits 1 when any was violated."""
    from fleetops.sim.soak import play_soak

    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(f"soaking {nodes} nodes for {days:g} days", total=1.0)
        result = play_soak(
            seed=seed,
            days=days,
            nodes=nodes,
            intensity=intensity,
            progress=lambda share: bar.update(task, completed=share),
        )
    if as_json:
        emit_json(result.as_dict())
    else:
        _print_soak(result.as_dict())
    if result.violations:
        raise typer.Exit(1)


def _print_soak(data: dict[str, Any]) -> None:
    table(
        [
            {"invariant": i["text"], "violations": i["violations"], "example": (i["examples"] or [""])[0]}
            for i in data["invariants"]
        ],
        ["invariant", "violations", "example"],
        title=f"{data['days']:g} days, {data['nodes']} nodes, seed {data['seed']}: {data['wall_s']} s",
    )
    measures, mttr = data["measures"], data["measures"]["mttr"]
    automation = measures["automation"]
    share = "—" if automation["share"] is None else f"{automation['share']:.1%}"
    console.print(
        f"automation {share} of {automation['finished']} faults finished ({automation['in_progress']} in "
        f"progress); tickets per hardware fault {measures['tickets_per_hardware_fault']}; "
        f"pages/day {measures['pages_per_day']}; tickets/day {measures['tickets_per_day']}; "
        f"GPU-hours lost {measures['gpu_hours_lost']}"
    )
    for name in ("software", "hardware", "hardware_rma", "hand_off"):
        figures = mttr[name]
        console.print(
            f"MTTR {name}: p50 {figures['p50_min']} min, p90 {figures['p90_min']} min (n={figures['n']})"
        )
    console.print(f"database {data['database']}")
