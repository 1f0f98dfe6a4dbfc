"""`fleetops sim soak --json`: each invariant with its violation count, and the exit code says whether any."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from fleetops.cli.main import app
from fleetops.sim.invariants import INVARIANTS


def test_a_short_soak_prints_every_invariant_and_exits_1_on_a_violation():
    result = CliRunner().invoke(
        app, ["sim", "soak", "--days", "0.05", "--nodes", "100", "--seed", "3", "--json"]
    )
    data = json.loads(result.stdout)
    assert [i["name"] for i in data["invariants"]] == [i.name for i in INVARIANTS]
    assert all(
        isinstance(i["violations"], int) and isinstance(i["examples"], list) for i in data["invariants"]
    )
    assert data["violations"] == sum(i["violations"] for i in data["invariants"])
    assert result.exit_code == (1 if data["violations"] else 0)
    assert {"automation", "mttr", "pages_per_day", "tickets_per_day", "gpu_hours_lost"} <= set(
        data["measures"]
    )
