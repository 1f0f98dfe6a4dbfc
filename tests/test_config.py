"""Settings: the file and FLEETOPS_* variables, and the policy files they point at."""

from __future__ import annotations

import pytest

from fleetops import config
from fleetops.alerts import policy
from fleetops.errors import InvalidInput
from fleetops.sim.live import DEMO_ROUTES


def test_environment_overrides_the_file_and_bad_values_name_the_field(tmp_path, monkeypatch):
    path = tmp_path / "fleetops.toml"
    path.write_text('[fleetops]\nport = 9001\nhost = "0.0.0.0"\n')
    monkeypatch.setenv("FLEETOPS_PORT", "9002")
    loaded = config.load(path)
    assert (loaded.port, loaded.host) == (9002, "0.0.0.0")
    monkeypatch.setenv("FLEETOPS_PORT", "abc")
    with pytest.raises(InvalidInput, match="field port"):
        config.load(path)


def test_alert_routes_come_from_the_configured_file(monkeypatch):
    monkeypatch.setenv("FLEETOPS_ALERT_ROUTES", str(DEMO_ROUTES))
    config.settings.cache_clear()
    policy.default_routes.cache_clear()
    try:
        slack = {r.name: r for r in policy.default_routes().receivers}["customer-slack"]
        assert slack.urls["default"].startswith("https://hooks.slack.invalid/")
    finally:
        monkeypatch.delenv("FLEETOPS_ALERT_ROUTES")
        config.settings.cache_clear()
        policy.default_routes.cache_clear()
    assert {r.name: r for r in policy.default_routes().receivers}["customer-slack"].urls == {}
