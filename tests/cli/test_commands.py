"""The CLI's commands in this process, against the real app (`harness.remote_cli`): what an operator
types and reads, without a server process per test. `test_cli.py` runs the real processes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner, Result

from fleetops.cli.main import app
from fleetops.remediation.choices import RunState
from tests.cli.harness import remote_cli  # noqa: F401 - the fixture
from tests.remediation.conftest import bed  # noqa: F401 - the fixture

runner = CliRunner()


def fleetops(*args: str) -> Result:
    return runner.invoke(app, list(args), prog_name="fleetops")


def one_line_error(result: Result) -> str:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert result.stdout == ""
    return result.stderr.strip()


@pytest.mark.parametrize(
    "args,said,command",
    [
        (["nodes", "list", "--limit", "0"], "Invalid value for '--limit'", "nodes list"),
        (["nodes", "list", "--limit", "many"], "Invalid value for '--limit'", "nodes list"),
        (["nodes", "list", "--bogus"], "No such option: --bogus", "nodes list"),
        (["nodez", "list"], "No such command 'nodez'. Did you mean 'nodes'?", ""),
        (["remediation", "cancel"], "Missing argument 'run_id'", "remediation cancel"),
        (["customers", "list", "--supplier", "acme"], "No such option: --supplier", "customers list"),
        (["clusters", "list", "--cluster", "alpha"], "No such option: --cluster", "clusters list"),
    ],
)
def test_a_usage_error_is_one_stderr_line_and_exit_2(args: list[str], said: str, command: str) -> None:
    line = one_line_error(fleetops(*args))
    assert line.startswith(f"error: {said}"), line
    assert line.endswith(f"(see {' '.join(['fleetops', command]).strip()} --help)"), line


def test_a_group_without_a_command_still_shows_its_help() -> None:
    result = fleetops("sites")
    assert "list" in result.output and "show" in result.output and "error:" not in result.output


@pytest.mark.usefixtures("remote_cli", "fleet")
def test_suppliers_sites_and_customers_list_and_show() -> None:
    sites = json.loads(fleetops("sites", "list", "--supplier", "globex", "--json").stdout)["items"]
    assert [(s["name"], s["supplier"], s["region"]) for s in sites] == [("aus1", "globex", "us-south")]
    suppliers = fleetops("suppliers", "list", "--limit", "1")
    assert "acme" in suppliers.stdout and "globex" not in suppliers.stdout
    assert suppliers.stderr.strip() == "showing 1 of 2; --limit or --all"
    customer = json.loads(fleetops("customers", "show", "umbrella", "--json").stdout)
    assert customer["name"] == "umbrella" and set(customer) >= {"id", "contact_email", "created_at"}
    by_id = json.loads(fleetops("customers", "show", str(customer["id"]), "--json").stdout)
    assert by_id == customer
    assert one_line_error(fleetops("sites", "show", "nope")) == "error: site nope: no such site"
    assert "--region" in fleetops("sites", "list", "--help").stdout


@pytest.mark.usefixtures("remote_cli")
def test_a_person_approves_cancels_and_reports_a_repair(bed) -> None:  # noqa: F811 - the fixture
    bed.world.scheduler.fail_next, bed.world.scheduler.retryable = 1, False  # the drain fails: a person
    [escalated] = bed.finding("a001", xid=79)
    bed.play(60)
    assert bed.run(escalated).state is RunState.ESCALATED
    done = fleetops("remediation", "repaired", str(escalated), "--note", "reseated GPU 0")
    assert done.exit_code == 0 and done.stdout.startswith(f"run {escalated} on a001: verifying")
    refused = one_line_error(fleetops("remediation", "repaired", str(escalated)))
    assert refused == f"error: remediation run {escalated}: field state: verifying; only escalated runs"

    [acting] = bed.finding("b000", xid=79)
    bed.play(30)
    approved = json.loads(fleetops("remediation", "approve", str(acting), "--json").stdout)
    assert approved["id"] == acting and approved["approved_by"]
    cancelled = json.loads(
        fleetops("remediation", "cancel", str(acting), "--reason", "drill", "--json").stdout
    )
    assert cancelled["state"] == "cancelled" and bed.run(acting).state is RunState.CANCELLED
    again = one_line_error(fleetops("remediation", "cancel", str(acting)))
    assert "already cancelled, cannot cancel" in again
    assert one_line_error(fleetops("remediation", "approve", "999")).startswith("error: ")
