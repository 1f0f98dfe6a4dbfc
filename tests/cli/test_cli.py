"""The CLI as an operator runs it: real subprocesses, the server-side commands on a SQLite file, and the
fleet commands from another directory against a real `fleetops serve` on a free port."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from fleetops.sim.fleet import generate
from tests.ports import free_port

FLEETOPS = [sys.executable, "-m", "fleetops.cli.main"]


@dataclass
class Served:
    url: str
    server_env: dict[str, str]  # what the server's own commands (db, token, sim --load) run with
    env: dict[str, str]  # an operator's shell: no database, the server's URL and an admin token
    workdir: Path  # where the operator stands: nothing of fleetops' state may appear here


def run(
    env: dict[str, str], *args: str, cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FLEETOPS, *args], env=env, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120
    )


def _wait_for(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"fleetops serve exited: {server.stderr.read().decode() if server.stderr else ''}")
        try:
            httpx.get(f"{url}/api/v1/nodes", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"fleetops serve did not answer at {url} within 60 s")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    home, workdir = tmp_path / "server", tmp_path / "operator"
    home.mkdir()
    workdir.mkdir()
    port = free_port()
    plain = {k: v for k, v in os.environ.items() if not k.startswith("FLEETOPS_")}
    server_env = plain | {
        "FLEETOPS_DATABASE_URL": f"sqlite:///{home / 'fleetops.db'}",
        "FLEETOPS_PORT": str(port),
        "FLEETOPS_LOG_JSON": "false",
    }
    assert run(server_env, "db", "upgrade", cwd=home).returncode == 0
    admin = run(server_env, "token", "create", "--role", "admin", cwd=home).stdout.strip()
    server = subprocess.Popen(
        [*FLEETOPS, "serve", "--no-worker"],
        env=server_env,
        cwd=home,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url, server)
        env = plain | {
            "FLEETOPS_URL": url,
            "FLEETOPS_TOKEN": admin,
            "FLEETOPS_CLI_CONFIG": str(tmp_path / "cli.toml"),
            "COLUMNS": "200",
        }
        yield Served(url, server_env, env, workdir)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert not (workdir / "var").exists(), "the remote CLI made a database where the operator stood"


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith("error: ") and result.stderr.strip().count("\n") == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr.strip()


def test_import_list_show_export_round_trip(served: Served) -> None:
    fleet_file = served.workdir / "fleet.yaml"
    fleet_file.write_text(yaml.safe_dump(generate(5, 30), sort_keys=False))
    imported = run(served.env, "inventory", "import", str(fleet_file), "--json", cwd=served.workdir)
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["created"]["gpu"] == 240
    listed = run(
        served.env, "nodes", "list", "--state", "racked", "--limit", "20", "--json", cwd=served.workdir
    )
    nodes = json.loads(listed.stdout)["items"]
    assert len(nodes) == 20 and {n["site"] for n in nodes} == {"stream"}
    assert listed.stderr.strip() == "showing 20 of 30; --limit or --all"
    every = json.loads(run(served.env, "nodes", "list", "--all", "--json", cwd=served.workdir).stdout)
    assert len(every["items"]) == 30
    shown = json.loads(
        run(served.env, "nodes", "show", nodes[0]["hostname"], "--json", cwd=served.workdir).stdout
    )
    assert shown["serial"] == nodes[0]["serial"]
    exported = served.workdir / "out.csv"
    assert run(served.env, "inventory", "export", str(exported), cwd=served.workdir).returncode == 0
    again = json.loads(
        run(served.env, "inventory", "import", str(exported), "--json", cwd=served.workdir).stdout
    )
    assert sum(again["created"].values()) == 0 and sum(again["updated"].values()) == 0
    assert again["unchanged"]["gpu"] == 240
    assert not (served.workdir / "var").exists()


def test_bad_file_is_one_stderr_line_exit_2_and_writes_nothing(served: Served) -> None:
    fleet = generate(5, 10)
    fleet["nodes"][4]["serial"] = fleet["nodes"][2]["serial"]
    bad = served.workdir / "bad.json"
    bad.write_text(json.dumps(fleet, default=str))
    said = one_line_error(run(served.env, "inventory", "import", str(bad), cwd=served.workdir))
    assert "node #5" in said and "field serial: duplicate" in said
    assert json.loads(run(served.env, "nodes", "list", "--json", cwd=served.workdir).stdout)["items"] == []
    missing = run(served.env, "inventory", "import", str(served.workdir / "nope.yaml"), cwd=served.workdir)
    assert "no such file" in one_line_error(missing)


def test_errors_are_one_line_and_name_what_to_set(served: Served) -> None:
    here = served.workdir
    refused = run(served.env | {"FLEETOPS_URL": f"http://127.0.0.1:{free_port()}"}, "nodes", "list", cwd=here)
    assert one_line_error(refused).endswith(": connection refused (set --server or FLEETOPS_URL)")
    assert "cannot reach http://127.0.0.1:" in refused.stderr
    rejected = one_line_error(run(served.env, "health", "summary", "--token", "fo_abc_wrong", cwd=here))
    assert rejected.startswith(f"error: token rejected by {served.url}: ")
    no_token = {k: v for k, v in served.env.items() if k != "FLEETOPS_TOKEN"}
    assert "no API token" in one_line_error(run(no_token, "incidents", "list", cwd=here))
    assert one_line_error(run(served.env, "nodes", "list", "--cluster", "nope", cwd=here)) == (
        "error: filter cluster: no cluster named 'nope'"
    )
    assert "'bogus' is not a node state" in one_line_error(
        run(served.env, "nodes", "list", "--state", "bogus", cwd=here)
    )
    assert "incidents" not in one_line_error(
        run(served.env, "incidents", "list", "--status", "bogus", cwd=here)
    )
    assert "node nope: no such node" in one_line_error(run(served.env, "health", "node", "nope", cwd=here))
    assert not (here / "var").exists()


def test_profiles_choose_the_server_and_token(served: Served) -> None:
    token_file = served.workdir / "admin.token"
    token_file.write_text(served.env["FLEETOPS_TOKEN"] + "\n")
    Path(served.env["FLEETOPS_CLI_CONFIG"]).write_text(
        f'default_profile = "broken"\n[profiles.prod]\nserver = "{served.url}"\ntoken_file = "{token_file}"\n'
        '[profiles.broken]\nserver = "http://127.0.0.1:9"\ntoken = "fo_x_y"\n'
    )
    bare = {k: v for k, v in served.env.items() if k not in ("FLEETOPS_URL", "FLEETOPS_TOKEN")}
    assert run(bare, "nodes", "list", "--profile", "prod", "--json", cwd=served.workdir).returncode == 0
    assert run(bare | {"FLEETOPS_PROFILE": "prod"}, "nodes", "list", cwd=served.workdir).returncode == 0
    assert "cannot reach http://127.0.0.1:9" in one_line_error(run(bare, "nodes", "list", cwd=served.workdir))
    unknown = one_line_error(run(bare, "nodes", "list", "--profile", "nope", cwd=served.workdir))
    assert "profile 'nope': not in" in unknown and "broken, prod" in unknown


def test_token_create_report_audit_and_help(served: Served) -> None:
    home = Path(served.server_env["FLEETOPS_DATABASE_URL"].removeprefix("sqlite:///")).parent
    run(served.server_env, "sim", "fleet", "--nodes", "1500", "--load", cwd=home)
    token = run(
        served.server_env, "token", "create", "--role", "customer", "--customer", "helix-ai", cwd=home
    )
    assert token.returncode == 0 and token.stdout.startswith("fo_")
    unknown = run(
        served.server_env, "token", "create", "--role", "customer", "--customer", "nobody", cwd=home
    )
    assert unknown.returncode == 2 and "customer nobody" in unknown.stderr
    report = json.loads(run(served.env, "inventory", "report", "--json", cwd=served.workdir).stdout)["items"]
    assert {r["cluster"] for r in report} == {"orbit-phx-4-05", "helix-osl-1-07"}
    audit = run(served.env, "audit", "list", "--action", "token.create", "--json", cwd=served.workdir)
    events = json.loads(audit.stdout)["items"]
    assert [e["changes"]["role"] for e in events] == ["admin", "customer"]  # the fixture's, then this one
    assert "--server" in run(served.env, "clusters", "list", "--help", cwd=served.workdir).stdout
    prefix = token.stdout.strip().split("_")[1]
    assert run(served.server_env, "token", "revoke", prefix, cwd=home).returncode == 0
    revoked = run(served.env, "audit", "list", "--action", "token.revoke", "--json", cwd=served.workdir)
    assert json.loads(revoked.stdout)["items"]
    assert run(served.server_env, "token", "revoke", "nope", cwd=home).returncode == 2
