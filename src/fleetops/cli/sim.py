"""`fleetops sim`: generate simulated fleets."""

from __future__ import annotations

from pathlib import Path

import typer

from fleetops.cli.output import console, reports_errors
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

        count = seed_fleet(get_database(), seed, nodes, force=True)
        console.print(f"loaded {count} nodes")
        return
    data = formats.dump(generate(seed, nodes), formats.format_of(output or Path("fleet.yaml")))
    if output is None:
        typer.echo(data, nl=False)
    else:
        output.write_text(data, encoding="utf-8")
        console.print(f"wrote {output} ({nodes} nodes)")
