"""`fleetops deploy` end to end through Typer and the API: plan, start, status --json, queue, refusals on
stderr."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from fleetops.cli.deploy import deploy_app
from fleetops.deploy.backends import simulated_backends
from fleetops.deploy.claim import Limits
from fleetops.deploy.engine import Engine
from tests.cli.harness import remote_cli  # noqa: F401 - the fixture
from tests.deploy.fleet import racked_fleet
from tests.factories import load

runner = CliRunner()


@pytest.mark.usefixtures("remote_cli")
def test_plan_start_status_watch(sqlite_database, manual_clock):
    load(sqlite_database, racked_fleet(nodes=3))
    planned = runner.invoke(
        deploy_app,
        [
            "plan",
            "r1",
            "--cluster",
            "gamma",
            "--image",
            "img",
            "--hardening",
            "k8s-cis",
            "--pod",
            "sp1",
            "--json",
        ],
    )
    assert planned.exit_code == 0, planned.output
    assert json.loads(planned.output)["counts"]["enrolled"] == 3
    assert runner.invoke(deploy_app, ["start", "r1"]).exit_code == 0
    engine = Engine(simulated_backends(), Limits(threads=1))
    while engine.tick(sqlite_database):
        pass
    watched = runner.invoke(deploy_app, ["status", "r1", "--watch", "--every", "0", "--json"])
    assert watched.exit_code == 0, watched.output
    body = json.loads(watched.output[watched.output.index("{") :])
    assert body["ready"] == 3 and body["state"] == "completed"
    assert json.loads(runner.invoke(deploy_app, ["queue", "--json"]).output) == []


@pytest.mark.usefixtures("remote_cli")
def test_bare_metal_refused_on_stderr_with_exit_2(sqlite_database):
    load(sqlite_database, racked_fleet(orchestrator="slurm-bare-metal"))
    result = runner.invoke(
        deploy_app,
        ["plan", "r1", "--cluster", "gamma", "--image", "img", "--hardening", "k8s-cis", "--pod", "sp1"],
    )
    assert result.exit_code == 2
    assert "slurm-bare-metal is not compliant" in result.output
