"""Plans are refused with a clear error before anything starts; bare-metal Slurm is never deployed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from fleetops.auth.principal import SYSTEM
from fleetops.deploy import service
from fleetops.deploy.models import NodeBringup, Rollout
from fleetops.deploy.plan import PlanRequest
from fleetops.errors import Conflict, InvalidInput, NotFound
from tests.deploy.fleet import racked_fleet
from tests.factories import load


def request(**overrides):
    fields = {
        "name": "r1",
        "cluster": "gamma",
        "image": "ubuntu-22.04-gpu",
        "profile": "k8s-cis",
        "pod": "sp1",
    }
    return PlanRequest(**(fields | overrides))


def plan(database, **overrides):
    with database.transaction() as session:
        return service.plan(session, SYSTEM, request(**overrides)).name


def nothing_written(database):
    with database.transaction() as session:
        return not session.scalar(select(func.count()).select_from(Rollout)) and not session.scalar(
            select(func.count()).select_from(NodeBringup)
        )


def test_bare_metal_slurm_is_refused_without_override(database):
    load(database, racked_fleet(orchestrator="slurm-bare-metal"))
    with pytest.raises(
        InvalidInput, match="cluster gamma: field orchestrator: slurm-bare-metal is not compliant"
    ):
        plan(database)
    assert nothing_written(database)


def test_bare_metal_slurm_refused_at_start_even_if_changed_after_plan(database):
    load(database, racked_fleet())
    plan(database)
    with database.transaction() as session:
        from fleetops.inventory.models import Cluster

        session.scalar(select(Cluster)).orchestrator = "slurm-bare-metal"
    with pytest.raises(InvalidInput, match="not compliant"), database.transaction() as session:
        service.start(session, SYSTEM, "r1")


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"cluster": "nope"}, NotFound, "field cluster: no cluster named nope"),
        ({"image": " "}, InvalidInput, "field image: missing"),
        ({"profile": ""}, InvalidInput, "field profile: missing is not a profile"),
        ({"profile": "cis-level-9"}, InvalidInput, "field profile: cis-level-9"),
        ({"pod": None, "hostnames": ["n00000", "ghost1"]}, NotFound, "unknown nodes ghost1"),
        ({"pod": "sp-empty"}, InvalidInput, "no racked nodes selected"),
    ],
)
def test_bad_plans_are_refused_naming_the_field(database, overrides, error, message):
    load(database, racked_fleet())
    with pytest.raises(error, match=message):
        plan(database, **overrides)
    assert nothing_written(database)


def test_cluster_in_wrong_state_is_refused(database):
    load(database, racked_fleet(cluster_state="decommissioned"))
    with pytest.raises(InvalidInput, match="cannot deploy into a decommissioned cluster"):
        plan(database)


def test_already_deployed_or_planned_nodes_are_refused(database):
    data = racked_fleet()
    data["nodes"][0]["state"] = "ready"
    load(database, data)
    with pytest.raises(Conflict, match="not racked .* n00000"):
        plan(database, pod=None, hostnames=["n00000", "n00001"])
    plan(database, pod=None, hostnames=["n00001"])
    with pytest.raises(Conflict, match="already in a bring-up: n00001"):
        plan(database, name="r2", pod=None, hostnames=["n00001"])


def test_plan_writes_one_enrolled_row_per_node(database):
    load(database, racked_fleet(nodes=8))
    plan(database)
    with database.transaction() as session:
        states = session.scalars(select(NodeBringup.state)).all()
    assert sorted(states) == ["enrolled"] * 8


def test_nodes_of_an_aborted_rollout_can_be_planned_again(database):
    load(database, racked_fleet(nodes=2))
    plan(database)
    with database.transaction() as session:
        service.abort(session, SYSTEM, "r1", "wrong image")
    assert plan(database, name="r2", image="ubuntu-24.04-gpu") == "r2"
