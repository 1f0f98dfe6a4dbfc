"""The agent's systemd unit, checked by systemd's own verifier and against the options the agent reads."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

from fleetops.agent.node import AgentConfig
from tests.packaging.deployfiles import DEPLOY, agent_run_envvars

UNIT = DEPLOY / "systemd" / "fleetops-agent.service"
ENV_EXAMPLE = DEPLOY / "systemd" / "agent.env.example"
INSTALLED_AT = "/opt/fleetops-agent/bin/fleetops-agent"


def _service() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text())
    return parser["Service"]


def _environment() -> dict[str, str]:
    """Environment= lines (configparser keeps only the last of repeated keys, so read them directly)."""
    lines = [line.removeprefix("Environment=") for line in UNIT.read_text().splitlines()]
    return dict(line.split("=", 1) for line in lines if line.startswith("FLEETOPS_"))


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze absent")
def test_systemd_verifies_the_unit_without_a_warning(tmp_path: Path) -> None:
    """ExecStart must exist for `verify`: point it at a real executable in a copy of the unit."""
    agent = shutil.which("fleetops-agent") or str(Path(__file__).parents[2] / ".venv/bin/fleetops-agent")
    assert Path(agent).exists()
    copy = tmp_path / UNIT.name
    copy.write_text(UNIT.read_text().replace(INSTALLED_AT, agent))
    done = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == ""


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze absent")
def test_the_verifier_reports_an_unknown_key(tmp_path: Path) -> None:
    """Unknown keys are warnings with exit code 0, which is why the test above reads stderr."""
    copy = tmp_path / UNIT.name
    copy.write_text(UNIT.read_text().replace("[Service]\n", "[Service]\nRestartSecs=5\n"))
    copy.write_text(copy.read_text().replace(INSTALLED_AT, "/bin/true"))
    done = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True)
    assert "RestartSecs" in done.stderr


def test_the_unit_runs_the_installed_agent_and_keeps_its_state() -> None:
    service = _service()
    assert service["ExecStart"] == f"{INSTALLED_AT} run"
    assert service["Restart"] == "always"
    spool = Path(_environment()["FLEETOPS_AGENT_SPOOL_DIR"])
    assert spool == AgentConfig().spool_dir
    # ProtectSystem=strict leaves writable only the StateDirectory (/var/lib/<name>): the spool lives there.
    assert spool.parent == Path("/var/lib") / service["StateDirectory"]
    # These would hide /dev/kmsg or the GPUs from the agent.
    assert service.get("ProtectKernelLogs", "no") == "no"
    assert service.get("PrivateDevices", "no") == "no"


def test_every_variable_set_for_the_agent_is_one_it_reads() -> None:
    example = [line.split("=", 1)[0] for line in ENV_EXAMPLE.read_text().splitlines() if "=" in line]
    example = [name for name in example if not name.startswith("#")]
    assert "FLEETOPS_AGENT_TOKEN" in example
    assert set(_environment()) | set(example) <= agent_run_envvars()
    assert _service()["EnvironmentFile"] == "/etc/fleetops-agent/agent.env"
