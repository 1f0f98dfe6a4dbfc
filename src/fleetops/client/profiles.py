"""Where the client finds its server and token: flags, then environment, then a named profile.

`--server`/`--token` beat `FLEETOPS_URL`/`FLEETOPS_TOKEN`, which beat the profile (`--profile`,
`FLEETOPS_PROFILE`, or the file's `default_profile`) in `~/.config/fleetops/cli.toml` (or
`FLEETOPS_CLI_CONFIG`), the way kubectl and amtool layer theirs, so one file serves many fleets and a
one-off flag never needs an edit.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fleetops.client.errors import NotConfigured

DEFAULT_SERVER = "http://127.0.0.1:8000"  # where `fleetops serve` listens by default


@dataclass(frozen=True)
class Profile:
    server: str
    token: str | None
    name: str | None = None


def config_path(env: Mapping[str, str] = os.environ) -> Path:
    if env.get("FLEETOPS_CLI_CONFIG"):
        return Path(env["FLEETOPS_CLI_CONFIG"]).expanduser()
    base = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "fleetops" / "cli.toml"


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise NotConfigured(f"{path}: {exc}") from None


def _section(path: Path, data: dict[str, Any], name: str) -> dict[str, Any]:
    profiles = data.get("profiles", {})
    if name not in profiles:
        known = ", ".join(sorted(profiles)) or "none"
        raise NotConfigured(f"profile {name!r}: not in {path} (profiles there: {known})")
    return dict(profiles[name])


def _token_file(path: Path, name: str, value: str) -> str:
    file = (path.parent / Path(value).expanduser()).resolve()
    try:
        return file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise NotConfigured(f"profile {name!r}: token_file {file}: {exc.strerror}") from None


def resolve(
    server: str | None = None,
    token: str | None = None,
    profile: str | None = None,
    env: Mapping[str, str] = os.environ,
) -> Profile:
    path = config_path(env)
    name = profile or env.get("FLEETOPS_PROFILE")
    data = _read(path) if name or path.exists() else {}
    name = name or data.get("default_profile")
    section = _section(path, data, name) if name else {}
    if not token and not env.get("FLEETOPS_TOKEN") and section.get("token_file"):
        section["token"] = _token_file(path, name or "", section["token_file"])
    return Profile(
        server=(server or env.get("FLEETOPS_URL") or section.get("server") or DEFAULT_SERVER).rstrip("/"),
        token=token or env.get("FLEETOPS_TOKEN") or section.get("token"),
        name=name,
    )
