"""The add-on catalog as data (catalog.yaml): versions, defaults, orchestrators and settings schemas.

Settings are checked against each version's JSON Schema (Draft 2020-12) and every failure is reported
with its JSON pointer, so a customer, the CLI and the console all read where their settings went wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from fleetops.addons.pointer import MISSING, get, parts_of, pointer_of
from fleetops.errors import InvalidInput
from fleetops.inventory.choices import Orchestrator
from fleetops.remediation.schemas import SettingsUpdate

CATALOG = Path(__file__).with_name("catalog.yaml")
# Settings that live in another domain's service, by the name catalog.yaml gives them in `settings_from`.
SETTINGS_FROM: dict[str, type[SettingsUpdate]] = {"remediation": SettingsUpdate}
OWN_SWITCH = "enabled"  # the add-on's own switch, never one of its settings


@dataclass(frozen=True, eq=False)  # hashed by identity: one validator per loaded version
class Version:
    number: str
    schema: dict[str, Any]
    upgrade_from: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    settings_from: str | None = None

    def check(self, settings: dict[str, Any], where: str, base: tuple[str, ...] = ("settings",)) -> None:
        """Refuse settings the schema does not allow, naming every failing JSON pointer (under `base`,
        where the settings sit in the request)."""
        errors = sorted(_validator(self).iter_errors(settings), key=lambda e: [str(p) for p in e.path])
        if errors:
            found = "; ".join(f"{pointer_of((*base, *e.absolute_path))}: {e.message}" for e in errors)
            first = pointer_of((*base, *errors[0].absolute_path))
            raise InvalidInput(f"{where}: settings refused at {found}", pointer=first)

    def defaults(self) -> dict[str, Any]:
        return {k: p["default"] for k, p in self.schema.get("properties", {}).items() if "default" in p}

    def setting(self, settings: dict[str, Any], where: str) -> Any:
        """The setting at JSON pointer `where`, else the schema's default there (a nested one too, which
        `defaults` does not fill in), else None when this version has no such setting."""
        found = get(settings, where)
        if found is not MISSING:
            return found
        node = self.schema
        for part in parts_of(where):
            node = node.get("properties", {}).get(part, {})
        return node.get("default")


@dataclass(frozen=True)
class Addon:
    name: str
    description: str
    default: bool
    orchestrators: tuple[Orchestrator, ...]
    versions: dict[str, Version]
    conflicts: tuple[dict[str, str], ...] = ()

    @property
    def latest(self) -> Version:
        return self.versions[max(self.versions, key=_semver)]

    def version(self, number: str) -> Version:
        if number not in self.versions:
            known = ", ".join(sorted(self.versions, key=_semver))
            raise InvalidInput(f"add-on {self.name}: no version {number!r} at /version (known: {known})")
        return self.versions[number]

    def supports(self, orchestrator: Orchestrator | str) -> bool:
        return Orchestrator(orchestrator) in self.orchestrators


def _semver(number: str) -> tuple[int, ...]:
    return tuple(int(part) for part in number.split("."))


@cache
def _validator(version: Version) -> Draft202012Validator:
    return Draft202012Validator(version.schema)


def _merged(own: dict[str, Any], settings_from: str) -> dict[str, Any]:
    """The other domain's settings schema, less its on/off switch, plus the add-on's own properties."""
    base = SETTINGS_FROM[settings_from].model_json_schema()
    base["properties"].pop(OWN_SWITCH, None)
    base["properties"].update(own.get("properties", {}))
    return base


def _version(addon: str, number: str, raw: dict[str, Any]) -> Version:
    schema = raw.get("schema", {"type": "object"})
    source = raw.get("settings_from")
    if source is not None:
        if source not in SETTINGS_FROM:
            raise InvalidInput(
                f"{CATALOG.name}: /{addon}/versions/{number}/settings_from: unknown {source!r}"
            )
        schema = _merged(schema, source)
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = f"/{addon}/versions/{number}/schema{pointer_of(exc.absolute_path)}"
        raise InvalidInput(f"{CATALOG.name}: {where}: {exc.message}") from exc
    return Version(number, schema, raw.get("upgrade_from", {}), source)


def parse(document: dict[str, Any]) -> dict[str, Addon]:
    addons = {}
    for name, raw in document.items():
        versions = {str(n): _version(name, str(n), v or {}) for n, v in raw["versions"].items()}
        for number, version in versions.items():
            for old in version.upgrade_from:
                if old not in versions:
                    where = f"/{name}/versions/{number}/upgrade_from/{old}"
                    raise InvalidInput(f"{CATALOG.name}: {where}: no such version")
        addons[name] = Addon(
            name=name,
            description=" ".join(str(raw.get("description", "")).split()),
            default=bool(raw["default"]),
            orchestrators=tuple(Orchestrator(o) for o in raw["orchestrators"]),
            versions=versions,
            conflicts=tuple(raw.get("conflicts", ())),
        )
    return addons


@cache
def catalog() -> dict[str, Addon]:
    return parse(yaml.safe_load(CATALOG.read_text(encoding="utf-8")))


def addon(name: str) -> Addon:
    if name not in catalog():
        known = ", ".join(sorted(catalog()))
        raise InvalidInput(f"add-on {name!r} at /addon: not in the catalog (known: {known})")
    return catalog()[name]
