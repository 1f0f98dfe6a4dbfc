"""What the deployment files are checked against: the settings, CLI options and user fleetops itself
defines, so a renamed setting or option breaks a test here instead of a deployment."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer.main
import yaml

from fleetops.agent.cli import app as agent_app
from fleetops.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
FLEETOPS_UID = 10001  # the image's USER (Dockerfile); manifests and compose run as the same uid
FILE_SUFFIX = "_file"


def yaml_documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def agent_run_envvars() -> set[str]:
    """The environment variables `fleetops-agent run` reads (its options' envvar)."""
    command = typer.main.get_command(agent_app).commands["run"]  # type: ignore[attr-defined]
    return {param.envvar for param in command.params if param.envvar}


def unknown_settings(toml_text: str) -> list[str]:
    """Keys of a fleetops TOML file that are not settings (a `<key>_file` stands for `<key>`)."""
    tables = tomllib.loads(toml_text)
    assert set(tables) == {"fleetops"}, f"tables {sorted(tables)}: fleetops reads [fleetops] only"
    return list(_unknown(tables["fleetops"], Settings, "fleetops"))


def _unknown(values: dict[str, Any], model: Any, where: str) -> Iterator[str]:
    fields = model.model_fields
    for key, value in values.items():
        stem = key.removesuffix(FILE_SUFFIX)
        if stem not in fields:
            yield f"{where}.{key}"
        elif isinstance(value, dict) and hasattr(fields[stem].annotation, "model_fields"):
            yield from _unknown(value, fields[stem].annotation, f"{where}.{key}")


def secret_files(toml_text: str) -> list[str]:
    """The paths named by `<key>_file` keys, at any depth."""

    def walk(values: dict[str, Any]) -> Iterator[str]:
        for key, value in values.items():
            if isinstance(value, dict):
                yield from walk(value)
            elif key.endswith(FILE_SUFFIX):
                yield value

    return list(walk(tomllib.loads(toml_text)["fleetops"]))
