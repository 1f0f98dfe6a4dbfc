"""An emergency update run for real: `backends.wiring.install` builds the engine from settings (the
cluster's Slurm from `[fleetops.clusters]`, the commands from `[fleetops.updates]`), the worker's
`security.updates.tick` drives it, and a real slurmctld with four slurmd answers the drains and resumes.

The update and qualify commands are real programs: each writes what Slurm said of its node, and how many
nodes Slurm held drained, at the moment it ran. So the test reads from Slurm itself that every node was
drained while it was updated, that the cap held, and that every node came back.
"""

from __future__ import annotations

import contextlib
import importlib
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from fleetops.adapters.slurm.client import SlurmClient
from fleetops.audit.models import AuditEvent
from fleetops.auth.principal import SYSTEM
from fleetops.backends import wiring
from fleetops.config import Settings
from fleetops.db.session import Database
from fleetops.deploy import decommission
from fleetops.deploy import engine as deploy_engine
from fleetops.remediation import engine as remediation_engine
from fleetops.security.updates import engine as updates_engine
from fleetops.security.updates import service
from fleetops.security.updates.choices import RunState, Step
from tests.factories import load, make_node, two_tenant_fleet
from tests.integration.slurm_cluster import local_slurm, unavailable
from tests.integration.test_slurm import wait_accepts_work

pytestmark = pytest.mark.integration
NODES = ("node001", "node002", "node003", "node004")
HOOK = """#!/bin/sh
# {what} HOSTNAME [BULLETIN]: what Slurm says of the node, and how many nodes it holds drained, now
export SLURM_CONF={conf}
state=$(scontrol -o show node "$1" | tr ' ' '\\n' | grep '^State=')
drained=$(sinfo -h -N -t drain -o %N | sort -u | wc -l)
echo "{what} $1 $state drained=$drained $2" >> {log}
{fail}
"""


@pytest.fixture(scope="module")
def slurm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SlurmClient, Path]]:
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    directory = tmp_path_factory.mktemp("slurm-update")
    with local_slurm(directory, nodes=NODES) as client:
        yield client, directory / "slurm.conf"


def hook(directory: Path, what: str, conf: Path, fail_on: str = "") -> Path:
    fail = f'if [ "$1" = "{fail_on}" ]; then echo "burn-in failed on $1" >&2; exit 3; fi' if fail_on else ""
    path = directory / f"{what}.sh"
    path.write_text(HOOK.format(what=what, conf=conf, log=directory / "hooks.log", fail=fail))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def edge_fleet() -> dict[str, Any]:
    fleet = two_tenant_fleet()
    fleet["clusters"].append(
        {
            "name": "edge",
            "orchestrator": "slurm-bare-metal",
            "state": "active",
            "supplier": "acme",
            "site": "dfw1",
        }
    )
    fleet["nodes"] += [make_node(n, cluster="edge", position=i + 10) for i, n in enumerate(NODES)]
    return fleet


@pytest.fixture
def installed(sqlite_database, slurm, monkeypatch) -> Iterator[tuple[Database, Path]]:
    """The production wiring installed for this test only (every holder it fills is restored after)."""
    client, conf = slurm
    for node in NODES:
        client.resume(node)
        assert wait_accepts_work(client, node)
    load(sqlite_database, edge_fleet())
    for module in (deploy_engine, remediation_engine, updates_engine):
        monkeypatch.setattr(module.INSTALLED, "engine", None)
    monkeypatch.setattr(decommission, "_hooks", None)
    with contextlib.suppress(ImportError, AttributeError):  # the firmware reader, where install fills one
        monkeypatch.setattr(importlib.import_module("fleetops.security.firmware"), "_reader", None)
    yield sqlite_database, conf


def configure(conf: Path, directory: Path, fail_on: str = "") -> Settings:
    update, qualify = hook(directory, "update", conf), hook(directory, "qualify", conf, fail_on)
    return Settings.model_validate(
        {
            "clusters": {"edge": {"slurm": {"conf": str(conf)}}},
            "updates": {
                "clusters": {
                    "edge": {
                        "update": f"{update} {{hostname}} {{bulletin}}",
                        "qualify": f"{qualify} {{hostname}}",
                    }
                }
            },
        }
    )


def run_update(database: Database, name: str, ticks: int = 40) -> None:
    with database.transaction() as session:
        service.plan(
            session, SYSTEM, name, "edge", "CVE-2026-4242 (embargoed kernel LPE)", max_drained_pct=50
        )
        service.move(session, SYSTEM, name, RunState.RUNNING, "embargo lifted: coordinated deployment")
    for _ in range(ticks):
        if not updates_engine.tick(database):  # the worker's task, through the installed engine
            break


def lines(directory: Path) -> list[list[str]]:
    return [line.split() for line in (directory / "hooks.log").read_text().splitlines()]


def test_an_update_drains_updates_qualifies_and_resumes_in_real_slurm(installed, slurm, tmp_path):
    database, conf = installed
    client, _ = slurm
    wiring.install(configure(conf, tmp_path), database)
    run_update(database, "edge-cve")
    log = lines(tmp_path)
    assert sorted(n for what, n, *_ in log if what == "update") == list(NODES)
    assert sorted(n for what, n, *_ in log if what == "qualify") == list(NODES)
    for what, node, state, drained, *_ in log:
        assert "DRAIN" in state, f"{what} ran on {node} while Slurm said {state}"
        assert 1 <= int(drained.removeprefix("drained=")) <= 2  # the cap: 50 % of 4
    assert [" ".join(b) for what, _, _, _, *b in log if what == "update"] == [
        "CVE-2026-4242 (embargoed kernel LPE)"
    ] * 4
    for node in NODES:
        assert not client.status(node).drained
        assert node not in client.drain_reasons()
    with database.transaction() as session:
        run = service.get(session, SYSTEM, "edge-cve")
        assert run.state is RunState.COMPLETED and run.finished_at is not None
        steps = service.timeline(session, run)
        assert len(steps) == 4 * 5
        audited = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("security_update.%"))
        )
        assert audited == len(steps) + 2 + 1  # every step, plus plan, start and the engine's completion


def test_a_failed_qualification_pauses_the_run_and_leaves_its_node_drained_in_slurm(
    installed, slurm, tmp_path
):
    database, conf = installed
    client, _ = slurm
    wiring.install(configure(conf, tmp_path, fail_on="node002"), database)
    run_update(database, "edge-broken")
    with database.transaction() as session:
        run = service.get(session, SYSTEM, "edge-broken")
        assert run.state is RunState.PAUSED and "node002" in (run.reason or "")
        states = {n.hostname: n.state for n in service.nodes(session, run)}
    assert states["node001"] is Step.DONE and states["node002"] is Step.FAILED
    assert states["node003"] is Step.PENDING and states["node004"] is Step.PENDING  # none drained after
    assert client.status("node002").drained and "edge-broken" in client.drain_reasons()["node002"]
    assert [n for n in NODES if client.status(n).drained] == ["node002"]
    client.resume("node002")
