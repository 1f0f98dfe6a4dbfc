"""Deploy test data (a site with racks of racked nodes and one planned cluster), rollouts over it, a
scripted step backend and the driving loop."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fleetops.auth.principal import SYSTEM
from fleetops.deploy import service
from fleetops.deploy.backends import DONE, StepContext, StepResult
from fleetops.deploy.measures import next_due
from fleetops.deploy.plan import PlanRequest
from fleetops.errors import ExternalError
from tests.factories import load


def racked_fleet(
    nodes: int = 8,
    racks: int = 2,
    orchestrator: str = "kubernetes",
    cluster_state: str = "planned",
    cluster: str = "gamma",
) -> dict[str, Any]:
    per_rack = max(1, -(-nodes // racks))
    return {
        "suppliers": [{"name": "acme"}],
        "regions": [{"name": "us-south"}],
        "sites": [{"name": "dfw1", "supplier": "acme", "region": "us-south"}],
        "racks": [{"name": f"r{r:02d}", "site": "dfw1", "pod": "sp1"} for r in range(racks)],
        "clusters": [
            {
                "name": cluster,
                "orchestrator": orchestrator,
                "state": cluster_state,
                "supplier": "acme",
                "site": "dfw1",
            }
        ],
        "nodes": [
            {
                "hostname": f"n{i:05d}",
                "serial": f"SN-n{i:05d}",
                "site": "dfw1",
                "rack": f"r{i // per_rack:02d}",
                "position": i % per_rack,
                "bmc_address": f"https://bmc-n{i:05d}",
                "gpu_model": "H100-SXM5-80GB",
                "gpu_count": 8,
                "state": "racked",
            }
            for i in range(nodes)
        ],
    }


def drive(database, engine, clock, limit: int = 10_000) -> None:
    """Discrete-event loop, as the worker would run over time: tick until idle, then jump the clock to
    the next due row."""
    for _ in range(limit):
        if engine.tick(database):
            continue
        with database.transaction() as session:
            due = next_due(session)
        if due is None:
            return
        clock.set(max(due, clock.now()))
    raise AssertionError("rollout did not settle")


def plan_rollout(database, nodes: int = 8, name: str = "r1", **fleet: Any) -> None:
    load(database, racked_fleet(nodes=nodes, **fleet))
    with database.transaction() as session:
        service.plan(
            session,
            SYSTEM,
            PlanRequest(name=name, cluster="gamma", image="ubuntu-22.04-gpu", profile="k8s-cis", pod="sp1"),
        )


def start_rollout(database, nodes: int = 8, name: str = "r1", **fleet: Any) -> None:
    plan_rollout(database, nodes, name, **fleet)
    with database.transaction() as session:
        service.start(session, SYSTEM, name)


@dataclass
class ScriptedStep:
    """An instant step backend that fails the runs `fails(ctx)` picks and keeps every run's context."""

    name: str
    fails: Callable[[StepContext], bool] = lambda ctx: False
    runs: list[StepContext] = field(default_factory=list)

    def run(self, ctx: StepContext) -> StepResult:
        self.runs.append(ctx)
        if self.fails(ctx):
            raise ExternalError(
                f"{self.name}: scripted failure on {ctx.hostname} (run {ctx.attempt})", retryable=True
            )
        return DONE
