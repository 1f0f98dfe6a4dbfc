"""`fleetops config check` and the start-up check of `serve`: references between the settings, the routing
tree and the inventory, refused in one line naming the file and key."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from fleetops import config
from fleetops.backends.check import check, errors
from tests.factories import load, two_tenant_fleet

CONFIGURED = """
[fleetops.redfish.suppliers.acme]
username = "root"
password = "x"

[fleetops.redfish.sites.aus1]
username = "root"
password = "y"

[fleetops.clusters.alpha.kubernetes]
kubeconfig = "/etc/fleetops/alpha.kubeconfig"

[fleetops.clusters.beta.kubernetes]
in_cluster = true
"""


@pytest.fixture
def configure(tmp_path, monkeypatch):
    """Settings from a file named by FLEETOPS_CONFIG, as the server reads them (undone after the test)."""

    def settings_from(text: str) -> config.Settings:
        path = tmp_path / "fleetops.toml"
        path.write_text(text)
        monkeypatch.setenv("FLEETOPS_CONFIG", str(path))
        return config.load(path)

    return settings_from


def test_every_active_cluster_needs_its_scheduler_and_every_site_bmc_credentials(
    database, tmp_path, configure
):
    load(database, two_tenant_fleet())
    found = errors(check(configure(CONFIGURED), database))
    assert [f.message for f in found] == [
        "key clusters.beta: cluster beta (slurm-on-kubernetes) has no slurm scheduler"
    ]
    assert found[0].where == str(tmp_path / "fleetops.toml")
    bare = errors(check(configure("[fleetops]\n"), database))
    keys = {f.message.split(":")[0] for f in bare}
    assert keys == {"key clusters.alpha", "key clusters.beta", "key redfish"}
    fixed = CONFIGURED + '\n[fleetops.clusters.beta.slurm]\nconf = "/etc/slurm/beta.conf"\n'
    assert errors(check(configure(fixed), database)) == []


def test_receivers_named_in_settings_must_exist_with_the_right_kind(configure):
    text = (
        '[fleetops.remediation]\npager = "supplier-slack"\n'
        '[fleetops.notify.routing_keys]\nnight-pager = "k"\n'
    )
    found = [f.message for f in errors(check(configure(text), None))]
    assert found == [
        "key remediation.pager: 'supplier-slack' must be a pagerduty receiver (a slack receiver)",
        "key notify.routing_keys.night-pager: no pagerduty receiver 'night-pager'",
    ]


def test_serve_refuses_a_cluster_without_a_scheduler_in_one_line(sqlite_database, tmp_path):
    load(sqlite_database, two_tenant_fleet())
    path = tmp_path / "fleetops.toml"
    path.write_text(CONFIGURED)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLEETOPS_")} | {
        "FLEETOPS_CONFIG": str(path),
        "FLEETOPS_DATABASE_URL": str(sqlite_database.engine.url),
    }
    for command in (["serve"], ["config", "check"]):
        done = subprocess.run(
            [sys.executable, "-m", "fleetops.cli.main", *command],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode != 0, done.stdout
        lines = [line for line in done.stderr.splitlines() if "clusters.beta" in line]
        assert len(lines) == 1 and f"{path}: key clusters.beta: cluster beta" in lines[0], done.stderr
