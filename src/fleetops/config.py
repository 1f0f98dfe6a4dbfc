"""Settings: one validated tree fed by FLEETOPS_* environment variables and an optional TOML file."""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from fleetops.errors import InvalidInput


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FLEETOPS_", env_nested_delimiter="__", extra="forbid")

    database_url: str = Field(
        default="sqlite:///var/fleetops.db",
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


def _file_values(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle).get("fleetops", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"config file {path}: {exc}") from exc


def load(path: str | os.PathLike[str] | None = None) -> Settings:
    """Build settings from the TOML file (FLEETOPS_CONFIG or `path`) overridden by environment variables."""
    file = path or os.environ.get("FLEETOPS_CONFIG")
    values = _file_values(Path(file)) if file else {}
    env_keys = {k.removeprefix("FLEETOPS_").lower() for k in os.environ if k.startswith("FLEETOPS_")}
    try:
        return Settings(**{k: v for k, v in values.items() if k not in env_keys})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        got = first.get("input")
        raise InvalidInput(f"configuration: field {where}: {first['msg']} (got {got!r})") from exc


@lru_cache(maxsize=1)
def settings() -> Settings:
    return load()
