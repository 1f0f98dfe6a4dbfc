"""Settings: the file and FLEETOPS_* variables, and the policy files they point at."""

from __future__ import annotations

import pytest

from fleetops import config
from fleetops.alerts import policy
from fleetops.errors import InvalidInput


def test_environment_overrides_the_file_and_bad_values_name_the_field(tmp_path, monkeypatch):
    path = tmp_path / "fleetops.toml"
    path.write_text('[fleetops]\nport = 9001\nhost = "0.0.0.0"\n')
    monkeypatch.setenv("FLEETOPS_PORT", "9002")
    loaded = config.load(path)
    assert (loaded.port, loaded.host) == (9002, "0.0.0.0")
    monkeypatch.setenv("FLEETOPS_PORT", "abc")
    with pytest.raises(InvalidInput, match="environment variable FLEETOPS_PORT: key port"):
        config.load(path)


def test_alert_routes_come_from_the_configured_file(monkeypatch, tmp_path):
    routes = tmp_path / "routes.yaml"
    routes.write_text(
        "route: {receiver: everything}\nreceivers: [{name: everything, kind: jira, url: http://j}]\n"
    )
    monkeypatch.setenv("FLEETOPS_ALERT_ROUTES", str(routes))
    config.settings.cache_clear()
    policy.default_routes.cache_clear()
    try:
        assert [r.name for r in policy.default_routes().receivers] == ["everything"]
    finally:
        monkeypatch.delenv("FLEETOPS_ALERT_ROUTES")
        config.settings.cache_clear()
        policy.default_routes.cache_clear()
    assert "oncall-pager" in [r.name for r in policy.default_routes().receivers]
