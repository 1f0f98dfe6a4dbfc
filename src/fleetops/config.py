"""Settings: one validated tree fed by an optional TOML file and FLEETOPS_* environment variables.

Any key may be given as `<key>_file` instead (the file's content is the value, trailing newline dropped):
how secrets arrive from Kubernetes Secrets, systemd credentials or Docker secrets without being written
in the file. Errors name the file, line and key (or the variable), like `promtool check config`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from fleetops.backends.settings import (
    Assets,
    ClusterBackends,
    Deploy,
    Notify,
    Provisioner,
    Redfish,
    Remediation,
    Updates,
)
from fleetops.errors import InvalidInput
from fleetops.observability.settings import Observability
from fleetops.security.settings import Security

PREFIX = "FLEETOPS_"
FILE_SUFFIX = "_file"


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    database_url: SecretStr = Field(
        default=SecretStr("sqlite:///var/fleetops.db"),
        description="SQLAlchemy URL: sqlite:///path (embedded, WAL) or postgresql+psycopg://...",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    audit_retention_days: int = Field(default=400, ge=90, description="ClusterMAX expects at least 90 days")
    log_level: str = "INFO"
    log_json: bool = True
    access_log: bool = Field(
        default=False,
        description="A log line per HTTP request; off by default: 10,000 agents make 333 requests a second",
    )
    slow_transaction_ms: float | None = Field(
        default=None,
        gt=0,
        description="Log each database transaction that ran longer than this, with the function that opened "
        "it: on SQLite a long transaction is what makes agent reports wait for the write lock",
    )
    alert_routes: str | None = Field(
        default=None, description="The alert routing tree (YAML); default: the shipped alerts/routes.yaml"
    )
    alert_rules: str | None = Field(
        default=None, description="The correlation rules (YAML); default: the shipped alerts/rules.yaml"
    )
    ingest_window_ms: float = Field(
        default=50,
        ge=0,
        le=1000,
        description="How long agent report POSTs wait to share one transaction (group commit)",
    )
    ingest_in_flight: int | None = Field(
        default=None,
        ge=1,
        le=16,
        description="How many report groups may be stored at once (default: 2 on PostgreSQL, 1 on SQLite)",
    )
    api_processes: int = Field(
        default=1,
        ge=1,
        le=64,
        description="API processes `fleetops serve` runs (PostgreSQL only: SQLite has a single writer)",
    )
    simulate: bool = Field(
        default=False,
        description="Drive deployments and repairs with simulated backends (the demo); never in production",
    )
    sim_state: str = Field(
        default="var/sim-world.json",
        description="Where the simulated backends keep their state, so it survives a worker restart",
    )
    redfish: Redfish = Redfish()
    provisioner: Provisioner | None = None
    clusters: dict[str, ClusterBackends] = Field(default={}, description="Each cluster's scheduler, by name")
    notify: Notify = Notify()
    deploy: Deploy = Deploy()
    remediation: Remediation = Remediation()
    assets: Assets = Assets()
    security: Security = Security()
    observability: Observability = Observability()
    updates: Updates = Updates()


class Source:
    """Where each value came from, so an error can point at the file's line or at the variable."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.text = path.read_text() if path else ""
        self.from_env: dict[tuple[str, ...], str] = {}

    def where(self, loc: tuple[str, ...]) -> str:
        for length in range(len(loc), 0, -1):
            if loc[:length] in self.from_env:
                return f"environment variable {self.from_env[loc[:length]]}"
        line = _line_of(self.text, loc)
        return f"{self.path}:{line}" if self.path and line else str(self.path or "defaults")


_HEADER = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+")
_KEY = re.compile(r"^\s*([A-Za-z0-9_.\-\"' ]+?)\s*=")


def _parts(dotted: str) -> list[str]:
    return [part.strip().strip("\"'") for part in dotted.split(".")]


def _line_of(text: str, loc: tuple[str, ...]) -> int | None:
    """The line defining the key at `loc` (under [fleetops]), or the closest enclosing table's line."""
    want = ["fleetops", *loc]
    best, best_len, table = None, 0, []
    for number, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header:
            table, path = _parts(header.group(1)), _parts(header.group(1))
        else:
            key = _KEY.match(line)
            if not key:
                continue
            path = [*table, *_parts(key.group(1))]
        path = [p.removesuffix(FILE_SUFFIX) if i == len(path) - 1 else p for i, p in enumerate(path)]
        if want[: len(path)] == path and len(path) > best_len:
            best, best_len = number, len(path)
    return best


def _file_values(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"config file {path}: {exc}") from exc
    unknown = sorted(set(data) - {"fleetops"})
    if unknown:
        raise InvalidInput(f"config file {path}: table [{unknown[0]}]: unknown (use [fleetops])")
    return data.get("fleetops", {})


def _env_values(source: Source) -> dict[str, Any]:
    """FLEETOPS_A__B=value → {a: {b: value}}, for the settings' own keys only (others belong to the agent,
    the CLI or the tests). JSON objects and lists are parsed, as pydantic-settings did."""
    known = set(Settings.model_fields)
    values: dict[str, Any] = {}
    for name, raw in os.environ.items():
        if not name.startswith(PREFIX):
            continue
        keys = tuple(k.lower() for k in name.removeprefix(PREFIX).split("__"))
        if keys[0].removesuffix(FILE_SUFFIX) not in known:
            continue
        value: Any = raw
        if raw[:1] in "{[":
            with contextlib.suppress(ValueError):
                value = json.loads(raw)
        node = values
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
        source.from_env[tuple(k.removesuffix(FILE_SUFFIX) for k in keys)] = name
    return values


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        stem = key.removesuffix(FILE_SUFFIX)
        # A variable overrides the file whether either gives the value inline or as a file.
        for dropped in {stem, stem + FILE_SUFFIX} - {key}:
            merged.pop(dropped, None)
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_files(values: dict[str, Any], source: Source, loc: tuple[str, ...] = ()) -> dict[str, Any]:
    """Replace every `<key>_file` by the file's content under `<key>`."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            out[key] = _read_files(value, source, (*loc, key))
            continue
        stem = key.removesuffix(FILE_SUFFIX)
        if stem == key or not isinstance(value, str):
            out[key] = value
            continue
        here = (*loc, stem)
        if stem in values:
            raise InvalidInput(f"{source.where(here)}: key {'.'.join(here)}: given both inline and as a file")
        try:
            out[stem] = Path(value).read_text().rstrip("\n")
        except OSError as exc:
            raise InvalidInput(
                f"{source.where(here)}: key {'.'.join(here)}{FILE_SUFFIX}: cannot read {value}: "
                f"{exc.strerror}"
            ) from exc
    return out


def load(path: str | os.PathLike[str] | None = None) -> Settings:
    """Build settings from the TOML file (`path` or FLEETOPS_CONFIG) overridden by environment variables."""
    file = path or os.environ.get("FLEETOPS_CONFIG")
    source = Source(Path(file) if file else None)
    values = _file_values(Path(file)) if file else {}
    values = _read_files(_merge(values, _env_values(source)), source)
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(str(p) for p in first["loc"])
        got = "" if first["type"] == "missing" else f" (got {first.get('input')!r})"
        if {"password", "token", "database_url"} & set(loc) or loc[:1] == ("notify",):
            got = ""  # never echo what may be a secret
        raise InvalidInput(f"{source.where(loc)}: key {'.'.join(loc)}: {first['msg']}{got}") from exc


@lru_cache(maxsize=1)
def settings() -> Settings:
    return load()
