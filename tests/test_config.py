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


def test_errors_name_the_file_line_and_key(tmp_path):
    path = tmp_path / "fleetops.toml"
    path.write_text('[fleetops]\nport = 8000\n\n[fleetops.redfish.default]\npassword = "p"\n')
    with pytest.raises(InvalidInput) as unknown:
        config.load(path)
    assert str(unknown.value).startswith(f"{path}:4: key redfish.default.username: Field required")
    path.write_text('[fleetops]\n[fleetops.redfish.default]\nusername = "r"\npassword = "p"\nverfy_tls = 1\n')
    with pytest.raises(InvalidInput, match=rf"^{path}:5: key redfish.default.verfy_tls: Extra inputs"):
        config.load(path)
    path.write_text('[fleetops]\n[fleetops.deploy]\nburn_in_s = "long"\n')
    with pytest.raises(InvalidInput, match=rf"^{path}:3: key deploy.burn_in_s: Input should be a valid"):
        config.load(path)
    path.write_text('[fleetops]\n[fleetops.redfish.default]\nusername = "root"\n')
    with pytest.raises(InvalidInput, match=rf"^{path}:2: key redfish.default.password: Field required$"):
        config.load(path)
    path.write_text('[fleetops.provisioner]\nkind = "virtual_media"\n')
    with pytest.raises(InvalidInput, match="provisioner kind virtual_media needs image_url"):
        config.load(path)
    path.write_text("[fleetops]\nport = \n")
    with pytest.raises(InvalidInput, match=rf"^config file {path}: "):
        config.load(path)


def test_secrets_come_from_files_and_never_show(tmp_path, monkeypatch):
    secret = tmp_path / "bmc-password"
    secret.write_text("hunter2-bmc\n")
    path = tmp_path / "fleetops.toml"
    path.write_text(f'[fleetops.redfish.default]\nusername = "root"\npassword_file = "{secret}"\n')
    monkeypatch.setenv("FLEETOPS_NOTIFY__JIRA_TOKEN_FILE", str(secret))
    loaded = config.load(path)
    assert loaded.redfish.default is not None
    assert loaded.redfish.default.password.get_secret_value() == "hunter2-bmc"
    token = loaded.notify.jira_token
    assert token is not None and token.get_secret_value() == "hunter2-bmc"
    assert "hunter2" not in repr(loaded) and "hunter2" not in loaded.model_dump_json()
    secret.unlink()
    with pytest.raises(InvalidInput, match=r":3: key redfish.default.password_file: cannot read .*password"):
        config.load(path)
    path.write_text(f'[fleetops.notify]\njira_token = "inline"\njira_token_file = "{secret}"\n')
    monkeypatch.delenv("FLEETOPS_NOTIFY__JIRA_TOKEN_FILE")
    with pytest.raises(InvalidInput, match="key notify.jira_token: given both inline and as a file"):
        config.load(path)
