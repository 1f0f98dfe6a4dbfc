"""`fleetops deploy`: plan, start and watch rollouts, pause/resume/abort, the human queue, decommission."""

from __future__ import annotations

import getpass
import time

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.cli.output import JsonOption, console, emit_json, reports_errors, table
from fleetops.db.session import get_database
from fleetops.deploy import decommission, service
from fleetops.deploy.plan import PlanRequest

deploy_app = typer.Typer(help="Deployments: bring racks of nodes to workload-ready.", no_args_is_help=True)
app = deploy_app
CLI = Principal(Role.OPERATOR, f"cli@{getpass.getuser()}")
SUMMARY = (
    "state",
    "nodes",
    "ready",
    "gpus_ready",
    "gpus_per_hour",
    "eta_s",
    "share_needing_human",
    "share_recovered_automatically",
    "failures",
)


def _show(status: dict, as_json: bool) -> None:
    if as_json:
        emit_json(status)
        return
    console.print(
        f"[bold]{status['name']}[/] → cluster {status['cluster']} ({status['image']}, {status['profile']})"
    )
    table([{k: status[k] for k in SUMMARY}], SUMMARY)
    table([{"state": s, "nodes": n} for s, n in status["counts"].items() if n], ["state", "nodes"])


@deploy_app.command("plan")
@reports_errors
def plan(
    name: str = typer.Argument(..., help="A name for the rollout."),
    cluster: str = typer.Option(..., help="The cluster the nodes join (never slurm-bare-metal)."),
    image: str = typer.Option("", help="The OS image to provision."),
    profile: str = typer.Option("", help="Hardening profile: k8s-cis or slurm-on-k8s-cis."),
    pod: str | None = typer.Option(None, help="Every racked node in this pod's racks."),
    node: list[str] = typer.Option([], "--node", help="A node hostname (repeatable), instead of --pod."),
    as_json: bool = JsonOption,
) -> None:
    """Plan a rollout from inventory; refused before anything starts if anything is wrong."""
    with get_database().transaction() as session:
        service.plan(session, CLI, PlanRequest(name, cluster, image, profile, list(node), pod))
        _show(service.status(session, name), as_json)


def _simple(verb: str) -> None:
    @deploy_app.command(verb)
    @reports_errors
    def command(
        name: str,
        why: str = typer.Option("", help="Why (kept in the audit log)."),
        as_json: bool = JsonOption,
    ) -> None:
        with get_database().transaction() as session:
            if verb in ("start", "resume"):
                getattr(service, verb)(session, CLI, name)
            else:
                getattr(service, verb)(session, CLI, name, why or f"{verb} from the CLI")
            _show(service.status(session, name), as_json)

    command.__doc__ = {
        "start": "Start a planned rollout.",
        "pause": "Pause: no new step starts.",
        "resume": "Resume a paused rollout.",
        "abort": "Abort the rollout for good.",
    }[verb]


for _verb in ("start", "pause", "resume", "abort"):
    _simple(_verb)


@deploy_app.command("status")
@reports_errors
def status(
    name: str | None = typer.Argument(None, help="A rollout; all rollouts when left out."),
    watch: bool = typer.Option(False, "--watch", help="A live progress bar until the rollout settles."),
    every: float = typer.Option(2.0, help="Seconds between refreshes with --watch."),
    as_json: bool = JsonOption,
) -> None:
    """Per-state counts, GPUs/hour, ETA, shares needing a human and recovered automatically."""
    database = get_database()
    if name is None:
        with database.transaction() as session:
            rollouts = service.list_rollouts(session)
        emit_json(rollouts) if as_json else table(rollouts, ["name", "state", "cluster"], title="rollouts")
        return
    if not watch:
        with database.transaction() as session:
            _show(service.status(session, name), as_json)
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(name, total=None, detail="")
        while True:
            with database.transaction() as session:
                current = service.status(session, name)
            waiting = current["counts"]["needs_human"]
            detail = (
                f"{current['gpus_per_hour']:,.0f} GPUs/h · {waiting} need a human · "
                f"{current['failures']} failures"
            )
            progress.update(task, total=current["nodes"], completed=current["ready"], detail=detail)
            if current["state"] in ("completed", "aborted") or current["ready"] + waiting == current["nodes"]:
                break
            time.sleep(every)
    _show(current, as_json)


@deploy_app.command("queue")
@reports_errors
def queue(
    rollout: str | None = typer.Option(None, help="Only this rollout."), as_json: bool = JsonOption
) -> None:
    """Nodes that need a human after automated recovery, with the reason."""
    with get_database().transaction() as session:
        items = service.needs_human(session, rollout)
    if as_json:
        emit_json(items)
    else:
        table(
            items,
            ["hostname", "rollout", "failed_step", "failures", "last_error", "since"],
            title="needs a human",
        )


@deploy_app.command("retry")
@reports_errors
def retry(hostname: str, why: str = typer.Option(..., help="What the human fixed.")) -> None:
    """Send a node from the human queue back to the step it failed."""
    with get_database().transaction() as session:
        row = service.retry_node(session, CLI, hostname, why)
        console.print(f"{hostname}: back to {row.state}")


@deploy_app.command("decommission")
@reports_errors
def decommission_cluster(
    cluster: str, why: str = typer.Option("contract ended"), as_json: bool = JsonOption
) -> None:
    """Drain, wipe, release the nodes and mark the cluster decommissioned (24 h deadline tracked)."""
    with get_database().transaction() as session:
        decommission.request(session, CLI, cluster, why)
        session.flush()
        decommission.run(session, CLI, cluster, decommission.hooks())
        result = decommission.read(session, cluster)
    emit_json(result) if as_json else table([result], list(result), title="decommission")
