"""The diff of an add-on change, pointer by pointer, as the audit log and the API show it."""

from __future__ import annotations

from typing import Any

from fleetops.addons.pointer import pointer_of


def diff(old: Any, new: Any, path: tuple[str, ...] = ()) -> dict[str, list[Any]]:
    """`{pointer: [before, after]}` for every leaf that changed; a key present on one side only is
    reported with None on the other. Lists are compared whole (their order is meaningful)."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes: dict[str, list[Any]] = {}
        for key in sorted(set(old) | set(new), key=str):
            changes |= diff(old.get(key), new.get(key), (*path, str(key)))
        return changes
    return {} if old == new else {pointer_of(path): [old, new]}
