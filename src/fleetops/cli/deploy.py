"""`fleetops deploy`: plan, start and watch rollouts, pause/resume/abort, the human queue, decommission,
over the API."""

from __future__ import annotations

import time

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from fleetops.cli.output import JsonOption, console, emit_json, table
from fleetops.cli.remote import remote, rows_of, show_list
from fleetops.client import Client, Page
from fleetops.deploy.schemas import PlanCreate, RolloutRead

deploy_app = typer.Typer(help="Deployments: bring racks of nodes to workload-ready.", no_args_is_help=True)
app = deploy_app
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
SETTLED = ("completed", "aborted")


def _show(rollout: RolloutRead, as_json: bool) -> None:
    status = rollout.model_dump(mode="json")
    if as_json:
        emit_json(status)
        return
    console.print(
        f"[bold]{status['name']}[/] → cluster {status['cluster']} ({status['image']}, {status['profile']})"
    )
    table([{k: status[k] for k in SUMMARY}], SUMMARY)
    table([{"state": s, "nodes": n} for s, n in status["counts"].items() if n], ["state", "nodes"])


@deploy_app.command("plan")
@remote
def plan(
    fleet: Client,
    name: str = typer.Argument(..., help="A name for the rollout."),
    cluster: str = typer.Option(..., help="The cluster the nodes join (never slurm-bare-metal)."),
    image: str = typer.Option("", help="The OS image to provision."),
    hardening: str = typer.Option("", "--hardening", help="Hardening profile: k8s-cis or slurm-on-k8s-cis."),
    pod: str | None = typer.Option(None, help="Every racked node in this pod's racks."),
    node: list[str] = typer.Option([], "--node", help="A node hostname (repeatable), instead of --pod."),
    as_json: bool = JsonOption,
) -> None:
    """Plan a rollout from inventory; refused before anything starts if anything is wrong."""
    request = PlanCreate(name=name, cluster=cluster, image=image, profile=hardening, hostnames=node, pod=pod)
    _show(fleet.deployments.plan(request), as_json)


def _simple(verb: str, doc: str) -> None:
    @deploy_app.command(verb, help=doc)
    @remote
    def command(
        fleet: Client,
        name: str,
        why: str = typer.Option("", help="Why (kept in the audit log)."),
        as_json: bool = JsonOption,
    ) -> None:
        _show(fleet.deployments.act(name, verb, why or f"{verb} from the CLI"), as_json)


for _verb, _doc in (
    ("start", "Start a planned rollout."),
    ("pause", "Pause: no new step starts."),
    ("resume", "Resume a paused rollout."),
    ("abort", "Abort the rollout for good."),
):
    _simple(_verb, _doc)


@deploy_app.command("status")
@remote
def status(
    fleet: Client,
    name: str | None = typer.Argument(None, help="A rollout; all rollouts when left out."),
    watch: bool = typer.Option(False, "--watch", help="A live progress bar until the rollout settles."),
    every: float = typer.Option(2.0, help="Seconds between refreshes with --watch."),
    as_json: bool = JsonOption,
) -> None:
    """Per-state counts, GPUs/hour, ETA, shares needing a human and recovered automatically."""
    if name is None:
        pages = [Page(fleet.deployments.list())]
        show_list(pages, ["name", "state", "cluster"], title="rollouts", as_json=as_json, bare_json=True)
        return
    if not watch:
        return _show(fleet.deployments.get(name), as_json)
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
            current = fleet.deployments.get(name)
            waiting = current.counts.get("needs_human", 0)
            detail = (
                f"{current.gpus_per_hour:,.0f} GPUs/h · {waiting} need a human · {current.failures} failures"
            )
            progress.update(task, total=current.nodes, completed=current.ready, detail=detail)
            if current.state in SETTLED or current.ready + waiting == current.nodes:
                break
            time.sleep(every)
    _show(current, as_json)


@deploy_app.command("queue")
@remote
def queue(
    fleet: Client,
    rollout: str | None = typer.Option(None, help="Only this rollout."),
    as_json: bool = JsonOption,
) -> None:
    """Nodes that need a human after automated recovery, with the reason."""
    show_list(
        [Page(fleet.deployments.needs_human(rollout))],
        ["hostname", "rollout", "failed_step", "failures", "last_error", "since"],
        title="needs a human",
        as_json=as_json,
        bare_json=True,
    )


@deploy_app.command("retry")
@remote
def retry(fleet: Client, hostname: str, why: str = typer.Option(..., help="What the human fixed.")) -> None:
    """Send a node from the human queue back to the step it failed."""
    fleet.deployments.retry(hostname, why)
    console.print(f"{hostname}: sent back to the step it failed")


@deploy_app.command("decommission")
@remote
def decommission_cluster(
    fleet: Client, cluster: str, why: str = typer.Option("contract ended"), as_json: bool = JsonOption
) -> None:
    """Drain, wipe, release the nodes and mark the cluster decommissioned (24 h deadline tracked)."""
    result = rows_of([fleet.deployments.decommission(cluster, why)])[0]
    emit_json(result) if as_json else table([result], list(result), title="decommission")
