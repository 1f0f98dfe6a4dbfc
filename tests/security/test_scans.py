"""The agent's own scans end to end against the real app: a scanner that is installed is run and its file
imported; one that is not is recorded as absent (never clean) and the node stays stale; the deploy gate
and the cluster scores read the imported CIS scans."""

from __future__ import annotations

import stat
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from fleetops.agent.cli import app as agent_cli
from fleetops.agent.scans import DATASTREAM, PROFILE, SCANNERS, HostScanner, HostScans, openscap, run_scanner
from fleetops.auth.choices import Role
from fleetops.auth.principal import SYSTEM
from fleetops.clock import ManualClock
from fleetops.db.session import Database
from fleetops.deploy.backends import StepContext
from fleetops.deploy.choices import BringupState
from fleetops.deploy.hardening import HardeningFailed, ScanGate
from fleetops.deploy.models import NodeBringup
from fleetops.security import freshness, hardening
from tests.factories import bearer, token
from tests.security.scans import FIXTURES, cis_scan, post_scan
from tests.statements import recorded
from tests.suppliers import records

IDLE = [SimpleNamespace(compute_processes=0, lost=False)]


def fake_scanner(tmp_path: Path, fixture: str) -> Path:
    """An executable that writes `fixture` to the file after --output, as trivy would."""
    script = tmp_path / "fake-trivy"
    script.write_text(
        f'#!/bin/sh\nwhile [ "$1" != --output ]; do shift; done\ncp {FIXTURES / fixture} "$2"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_installed_scanners_are_imported_and_absent_ones_reported_absent(
    fleet: Database, client: TestClient, tmp_path: Path, manual_clock: ManualClock
) -> None:
    agent_token = token(fleet, Role.AGENT, node_id=1)  # a000
    trivy = HostScanner(
        "trivy",
        str(fake_scanner(tmp_path, "trivy-rootfs.json")),
        lambda exe, out: [str(exe), "--output", str(out)],
        ".json",
    )
    lynis = HostScanner("lynis", "lynis-not-installed-here", lambda exe, out: [str(exe)], ".dat")
    scans = HostScans(
        "http://testserver", agent_token, tmp_path / "spool", scanners=(lynis, trivy), client=client
    )
    scans.tick([SimpleNamespace(compute_processes=1, lost=False)])
    assert scans.running is None  # a workload holds the GPUs: no scan
    scans.tick(IDLE)
    assert scans.running is not None
    scans.running.join(30)
    scans.tick(IDLE)  # not due again today: uploads what waits
    log = client.get("/api/v1/security/imports", headers=bearer(token(fleet, Role.VIEWER))).json()
    assert sorted((i["scanner"], i["outcome"], i["asset"]) for i in log) == [
        ("lynis", "absent", "a000"),
        ("trivy", "accepted", "a000"),
    ]
    assert (
        next(i for i in log if i["outcome"] == "absent")["detail"]
        == "absent: lynis-not-installed-here not found on PATH"
    )
    assert list((tmp_path / "spool" / "scans").iterdir()) == []  # sent, so no longer kept


def test_a_node_whose_scanners_are_all_absent_stays_stale(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]], manual_clock: ManualClock
) -> None:
    agent = bearer(token(fleet, Role.AGENT, node_id=2))  # a001
    for scanner in ("openscap", "lynis", "trivy"):
        body = {"scanner": scanner, "status": "absent", "detail": "not found on PATH"}
        assert client.post("/api/v1/security/absences", json=body, headers=agent).status_code == 201
    freshness.tick(fleet)
    rows = {
        r["hostname"]: r["stale"]
        for r in client.get("/api/v1/security/freshness", headers=tokens["viewer"]).json()
    }
    assert rows["a001"] is True


def context(node_id: int, hostname: str, started: object) -> StepContext:
    return StepContext(
        bringup_id=1,
        hostname=hostname,
        node_id=node_id,
        bmc_address=None,
        gpu_model="H100",
        gpu_count=8,
        cluster="alpha",
        orchestrator="kubernetes",
        image="img",
        profile="k8s-cis",
        step=BringupState.HARDENING,
        attempt=1,
        calls=0,
        step_started_at=started,  # type: ignore[arg-type]
    )


def test_the_gate_waits_for_a_scan_names_failing_rules_and_passes_a_clean_one(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]], manual_clock: ManualClock
) -> None:
    gate, ctx = ScanGate(), context(1, "a000", manual_clock.now())
    assert gate.run(ctx).done is False  # no scan yet: wait
    post_scan(client, tokens["operator"], "openscap", "xccdf-results.xml")
    with pytest.raises(HardeningFailed) as failed:
        gate.run(ctx)
    assert failed.value.details["controls"] == ["xccdf_org.ssgproject.content_rule_sshd_disable_root_login"]
    assert "Disable SSH Root Login" in failed.value.message
    manual_clock.advance(60)
    fixed = (
        (FIXTURES / "xccdf-results.xml")
        .read_bytes()
        .replace(b"<result>fail</result>", b"<result>pass</result>")
    )
    post_scan(client, tokens["operator"], "openscap", "fixed.xml", fixed)
    done = gate.run(ctx)
    assert done.done and (done.evidence["rules_passed"], done.evidence["rules_applicable"]) == (3, 3)
    scores = client.get("/api/v1/security/hardening", headers=tokens["viewer"]).json()
    alpha = next(c for c in scores["clusters"] if c["cluster"] == "alpha")
    assert (alpha["scanned"], alpha["passed"], alpha["applicable"], alpha["hardened"]) == (
        1,
        3,
        3,
        False,
    )  # 1 of 3 nodes
    assert scores["clusters_hardened"] == {"hardened": 0, "total": 2, "share": 0.0}


def test_a_scan_where_no_rule_applied_does_not_pass_the_gate(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]], manual_clock: ManualClock
) -> None:
    data = (FIXTURES / "xccdf-results.xml").read_bytes()
    for verdict in (b"<result>fail</result>", b"<result>pass</result>"):
        data = data.replace(verdict, b"<result>notapplicable</result>")
    post_scan(client, tokens["operator"], "openscap", "debian.xml", data)
    with pytest.raises(HardeningFailed) as failed:
        ScanGate().run(context(1, "a000", manual_clock.now()))
    assert failed.value.details["controls"] == ["no-applicable-rule"]


def test_the_new_deployments_goal_counts_only_the_callers_nodes(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]], manual_clock: ManualClock
) -> None:
    """a000 (alpha) and b000 (beta) each brought up; only a000 passed a CIS scan since it enrolled."""
    bring_up(fleet, ("a000", "b000"), manual_clock.now())
    post_scan(client, tokens["operator"], "openscap", "a000.xml", cis_scan(), host="a000")
    expected = {"viewer": (1, 2), "initech": (1, 1), "acme": (1, 1), "umbrella": (0, 1), "globex": (0, 1)}
    for who, (hardened, total) in expected.items():
        goal = client.get("/api/v1/security/hardening", headers=tokens[who]).json()
        assert goal["new_deployments_hardened"]["hardened"] == hardened, who
        assert goal["new_deployments_hardened"]["total"] == total, who


def bring_up(database: Database, hosts: tuple[str, ...], at: datetime) -> None:
    """A ready bring-up of each of `hosts`, enrolled and ready at `at`."""
    with database.transaction() as session:
        for host in hosts:
            records.bringup(session, host, at, "ready", rollout=f"r-{host}", ready_at=at)


def test_the_new_deployments_goal_agrees_with_the_gate_in_as_many_statements_for_any_bring_ups(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]], manual_clock: ManualClock
) -> None:
    """a000 clean since it enrolled (hardened); a001 clean only before it enrolled; a002 failing; b000 with
    no rule applicable: 1 of 4, as the gate's verdict says for each, read in the same few statements."""
    post_scan(client, tokens["operator"], "openscap", "early.xml", cis_scan(), host="a001")
    manual_clock.advance(60)
    bring_up(fleet, ("a000", "a001"), manual_clock.now())
    statements = count_statements(fleet, manual_clock)
    bring_up(fleet, ("a002", "b000"), manual_clock.now())
    post_scan(client, tokens["operator"], "openscap", "a000.xml", cis_scan(), host="a000")
    post_scan(client, tokens["operator"], "openscap", "a002.xml", cis_scan(passing=False), host="a002")
    unfit = cis_scan().replace(b"<result>pass</result>", b"<result>notapplicable</result>")
    post_scan(client, tokens["operator"], "openscap", "b000.xml", unfit, host="b000")
    with fleet.transaction() as session:
        ready = session.execute(select(NodeBringup.node_id, NodeBringup.enrolled_at)).all()
        gate = sorted(hardening.verdict(session, node, enrolled).hardened for node, enrolled in ready)
    assert gate == [False, False, False, True]
    assert count_statements(fleet, manual_clock) == statements
    goal = client.get("/api/v1/security/hardening", headers=tokens["viewer"]).json()
    assert goal["new_deployments_hardened"] == {"hardened": 1, "total": 4, "share": 0.25}


def count_statements(database: Database, manual_clock: ManualClock) -> int:
    """How many statements `hardening.goals` runs for the staff's view of the last day."""
    with recorded(database.engine) as ran, database.transaction() as session:
        hardening.goals(session, SYSTEM, manual_clock.now() - timedelta(days=1))
    return len(ran)


def test_the_agents_oscap_evaluates_the_profile_and_datastream_it_is_set_to(tmp_path: Path) -> None:
    """`--scan-profile` / `--scan-datastream` reach oscap's command line; the defaults are the CIS
    Level 1 server profile of SSG's Ubuntu 22.04 datastream."""
    oscap = tmp_path / "oscap"
    oscap.write_text(
        '#!/bin/sh\nargs="$*"\nwhile [ "$1" != --results-arf ]; do shift; done\necho "$args" > "$2"\n'
    )
    oscap.chmod(0o755)
    debian = "/usr/share/xml/scap/ssg/content/ssg-debian12-ds.xml"
    level2 = "xccdf_org.ssgproject.content_profile_cis_level2_server"
    for scanner, profile, datastream in (
        (openscap(level2, debian), level2, debian),
        (SCANNERS[0], PROFILE, DATASTREAM),
    ):
        outcome = run_scanner(scanner, tmp_path, which=lambda _: str(oscap))
        assert outcome.status == "done" and outcome.path is not None, outcome.detail
        command = ["xccdf", "eval", "--profile", profile, "--results-arf", str(outcome.path), datastream]
        assert outcome.path.read_text().split() == command
        outcome.path.unlink()
    assert PROFILE.endswith("cis_level1_server") and DATASTREAM.endswith("ssg-ubuntu2204-ds.xml")
    shown = CliRunner().invoke(agent_cli, ["run", "--help"], env={"COLUMNS": "200"}).output
    assert "FLEETOPS_AGENT_SCAN_PROFILE" in shown and "FLEETOPS_AGENT_SCAN_DATASTREAM" in shown
