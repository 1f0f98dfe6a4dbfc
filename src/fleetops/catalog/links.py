"""The network link catalog (links.yaml): what each passive link finding means, whose it is and what to do.

Kept beside the XID catalog and checked at load the same way: a row naming an owner, action or severity
nobody knows, or a finding kind the wire does not carry, stops the agent at start rather than mis-routing
a flapping link at 3 am.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fleetops.catalog import _enum, read_catalog
from fleetops.errors import InvalidInput
from fleetops.wire import Action, FaultOwner, FindingKind, Severity

LINKS_PATH = Path(__file__).with_name("links.yaml")
_FIELDS = {"title", "meaning", "owner", "action", "severity", "infiniband", "ethernet"}


@dataclass(frozen=True, slots=True)
class LinkEntry:
    kind: FindingKind
    title: str
    meaning: str
    owner: FaultOwner
    action: Action
    severity: Severity
    infiniband: tuple[str, ...]  # counters under ports/N/counters whose rise raises this finding
    ethernet: tuple[str, ...]  # files under /sys/class/net/IFACE whose rise raises it


def _counters(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.isidentifier() for v in value):
        raise InvalidInput(f"{where}: expected a list of sysfs counter names")
    return tuple(value)


def _entry(name: Any, row: Any, path: Path) -> LinkEntry:
    where = f"{path.name}: links.{name}"
    if not isinstance(row, dict):
        raise InvalidInput(f"{where}: each link finding must map to a table")
    if missing := _FIELDS - row.keys():
        raise InvalidInput(f"{where}: missing {', '.join(sorted(missing))}")
    if unknown := row.keys() - _FIELDS:
        raise InvalidInput(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    return LinkEntry(
        kind=_enum(FindingKind, name, f"{where}"),
        title=str(row["title"]),
        meaning=str(row["meaning"]),
        owner=_enum(FaultOwner, row["owner"], f"{where}.owner"),
        action=_enum(Action, row["action"], f"{where}.action"),
        severity=_enum(Severity, row["severity"], f"{where}.severity"),
        infiniband=_counters(row["infiniband"], f"{where}.infiniband"),
        ethernet=_counters(row["ethernet"], f"{where}.ethernet"),
    )


def load_links(path: Path = LINKS_PATH) -> dict[FindingKind, LinkEntry]:
    """Read and check the catalog; a bad row raises `InvalidInput` naming the file, entry and field."""
    data = read_catalog(path, "links", "link catalog")
    entries = [_entry(name, row, path) for name, row in data["links"].items()]
    return {entry.kind: entry for entry in entries}


@cache
def default_links() -> dict[FindingKind, LinkEntry]:
    return load_links()
