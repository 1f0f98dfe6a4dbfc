"""Moving an add-on's settings from one version to another, or refusing to with the reason.

Each version lists, per older version it upgrades from, JSON-Patch-like steps (`move`, `remove`, `add`)
and `refuse` steps that stop the upgrade while a pointer still holds a value a person must rewrite.
The result is checked against the new version's schema before anything is stored.
"""

from __future__ import annotations

import copy
from typing import Any

from fleetops.addons import pointer
from fleetops.addons.catalog import Addon
from fleetops.errors import InvalidInput


def _step(settings: dict[str, Any], op: dict[str, Any], where: str) -> None:
    kind, path = op["op"], op["path"]
    if kind == "refuse":
        if pointer.get(settings, path) is not pointer.MISSING:
            raise InvalidInput(f"{where}: refused at {path}: {' '.join(op['reason'].split())}", pointer=path)
    elif kind == "move":
        value = pointer.pop(settings, op["from"])
        if value is not pointer.MISSING:
            pointer.put(settings, path, value)
    elif kind == "remove":
        pointer.pop(settings, path)
    elif kind == "add":
        if pointer.get(settings, path) is pointer.MISSING:
            pointer.put(settings, path, copy.deepcopy(op["value"]))
    else:
        raise InvalidInput(f"{where}: unknown upgrade step {kind!r}")


def migrate(addon: Addon, old: str, new: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Settings of `old` as `new` expects them; the same version returns them unchanged."""
    where = f"add-on {addon.name} {old} → {new}"
    target = addon.version(new)
    if old == new:
        return settings
    if old not in target.upgrade_from:
        paths = ", ".join(sorted(target.upgrade_from)) or "none"
        raise InvalidInput(
            f"{where}: no upgrade path at /version (to {new} from: {paths})", pointer="/version"
        )
    moved = copy.deepcopy(settings)
    for op in target.upgrade_from[old]:
        _step(moved, op, where)
    target.check(moved, where)
    return moved
