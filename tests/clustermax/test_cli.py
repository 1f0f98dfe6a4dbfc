"""`fleetops clustermax show` through the API (the app in this process), as an operator's laptop would."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from fleetops.cli.main import app
from tests.cli.harness import remote_cli  # noqa: F401 - the fixture

runner = CliRunner()


def test_show_every_cluster_and_one_checklist(fleet, remote_cli):  # noqa: F811
    every = runner.invoke(app, ["clustermax", "show", "--json"])
    assert every.exit_code == 1, every.output  # a fresh fleet proves little: not ready
    assert [r["cluster"] for r in json.loads(every.stdout)] == ["alpha", "beta"]
    one = runner.invoke(app, ["clustermax", "show", "beta"])
    assert one.exit_code == 1 and "beta: fail" in one.stdout and "Slurm on Kubernetes" in one.stdout
    missing = runner.invoke(app, ["clustermax", "show", "nope"])
    assert missing.exit_code == 2 and "cluster nope: no such cluster" in missing.stderr
