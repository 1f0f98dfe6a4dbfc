"""The CLI as an operator runs it: real subprocesses against a real SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fleetops.sim.fleet import generate

FLEETOPS = [sys.executable, "-m", "fleetops.cli.main"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return os.environ | {"FLEETOPS_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "COLUMNS": "200"}


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FLEETOPS, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def test_import_list_show_export_round_trip(env, tmp_path):
    fleet_file = tmp_path / "fleet.yaml"
    fleet_file.write_text(yaml.safe_dump(generate(5, 30), sort_keys=False))
    assert run(env, "db", "upgrade").returncode == 0
    imported = run(env, "inventory", "import", str(fleet_file), "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["created"]["gpu"] == 240
    nodes = json.loads(run(env, "nodes", "list", "--state", "racked", "--json").stdout)["items"]
    assert len(nodes) == 30 and {n["site"] for n in nodes} == {"stream"}
    shown = json.loads(run(env, "nodes", "show", nodes[0]["hostname"], "--json").stdout)
    assert shown["serial"] == nodes[0]["serial"]
    exported = tmp_path / "out.csv"
    assert run(env, "inventory", "export", str(exported)).returncode == 0
    again = json.loads(run(env, "inventory", "import", str(exported), "--json").stdout)
    assert sum(again["created"].values()) == 0 and sum(again["updated"].values()) == 0
    assert again["unchanged"]["gpu"] == 240


def test_bad_file_is_one_stderr_line_exit_2_and_writes_nothing(env, tmp_path):
    fleet = generate(5, 10)
    fleet["nodes"][4]["serial"] = fleet["nodes"][2]["serial"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(fleet, default=str))
    run(env, "db", "upgrade")
    result = run(env, "inventory", "import", str(bad))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "node #5" in result.stderr and "field serial: duplicate" in result.stderr
    assert json.loads(run(env, "nodes", "list", "--json").stdout)["items"] == []
    missing = run(env, "inventory", "import", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_token_create_report_audit_and_help(env, tmp_path):
    run(env, "db", "upgrade")
    run(env, "sim", "fleet", "--nodes", "1500", "--load")
    token = run(env, "token", "create", "--role", "customer", "--customer", "helix-ai")
    assert token.returncode == 0 and token.stdout.startswith("fo_")
    unknown = run(env, "token", "create", "--role", "customer", "--customer", "nobody")
    assert unknown.returncode == 2 and "customer nobody" in unknown.stderr
    report = json.loads(run(env, "inventory", "report", "--json").stdout)["items"]
    assert {r["cluster"] for r in report} == {"orbit-phx-4-05", "helix-osl-1-07"}
    audit = json.loads(run(env, "audit", "list", "--action", "token.create", "--json").stdout)["items"]
    assert len(audit) == 1 and audit[0]["changes"]["role"] == "customer"
    assert "--json" in run(env, "clusters", "list", "--help").stdout
    prefix = token.stdout.strip().split("_")[1]
    assert run(env, "token", "revoke", prefix).returncode == 0
    assert json.loads(run(env, "audit", "list", "--action", "token.revoke", "--json").stdout)["items"]
    assert run(env, "token", "revoke", "nope").returncode == 2
