"""The one-host compose file (deploy/compose): no Docker daemon runs here, so it is read as data and
checked for what a person starting it relies on."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.packaging.deployfiles import DEPLOY, FLEETOPS_UID, secret_files, unknown_settings

COMPOSE = DEPLOY / "compose"


def _compose() -> dict[str, Any]:
    return yaml.safe_load((COMPOSE / "compose.yaml").read_text())  # `<<` merges are resolved here


def test_postgres_api_worker_and_migration_are_there() -> None:
    services = _compose()["services"]
    assert set(services) == {"postgres", "migrate", "api", "worker"}
    assert services["migrate"]["command"] == ["fleetops", "db", "upgrade"]
    assert services["api"]["command"] == ["fleetops", "serve", "--no-worker"]
    assert services["worker"]["command"] == ["fleetops", "worker"]


def test_fleetops_services_run_as_the_image_user_without_privileges() -> None:
    services = _compose()["services"]
    for name in ("migrate", "api", "worker"):
        service = services[name]
        uid = int(str(service["user"]).split(":")[0])
        assert uid == FLEETOPS_UID and uid != 0, name
        assert service["cap_drop"] == ["ALL"] and service["read_only"] is True, name


def test_the_api_starts_after_the_migration_and_checks_readiness() -> None:
    services = _compose()["services"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("api", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "/readyz" in " ".join(services["api"]["healthcheck"]["test"])


def test_the_configuration_reads_the_secrets_compose_mounts() -> None:
    compose = _compose()
    toml = (COMPOSE / compose["configs"]["fleetops"]["file"]).read_text()
    assert unknown_settings(toml) == []
    service = compose["services"]["api"]
    config = service["configs"][0]
    assert service["environment"]["FLEETOPS_CONFIG"] == config["target"]
    for path in secret_files(toml):
        secret = Path(path)
        assert secret.parent == Path("/run/secrets") and secret.name in service["secrets"]
        assert secret.name in compose["secrets"]


def test_make_secrets_writes_a_url_carrying_the_postgres_password(tmp_path: Path) -> None:
    shutil.copytree(COMPOSE, tmp_path / "compose")
    script = tmp_path / "compose" / "make-secrets.sh"
    subprocess.run([script], check=True, capture_output=True)
    secrets = tmp_path / "compose" / "secrets"
    password = (secrets / "postgres_password").read_text().strip()
    url = (secrets / "database_url").read_text().strip()
    assert len(password) >= 32
    assert url == f"postgresql+psycopg://fleetops:{password}@postgres:5432/fleetops"
    assert stat.S_IMODE((secrets / "database_url").stat().st_mode) == 0o400
    if os.geteuid() == 0:
        assert (secrets / "database_url").stat().st_uid == FLEETOPS_UID
    subprocess.run([script], check=True, capture_output=True)  # a second run keeps the password
    assert (secrets / "postgres_password").read_text().strip() == password
    for name, secret in _compose()["secrets"].items():
        assert (tmp_path / "compose" / secret["file"]).exists(), name
