"""The XID catalog: one versioned data file (xid.yaml), checked at load, shared by agent and control plane.

The data, not code, says what an XID means, so an operator can correct a row with a one-line review and a
bad row (an action name nobody handles) stops the process at start instead of mis-routing a fault at 3 am.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from fleetops.errors import InvalidInput
from fleetops.wire import Action, FaultOwner, RecoveryAction, Severity

CATALOG_PATH = Path(__file__).with_name("xid.yaml")

# NVIDIA's resolution bucket names as they appear in the catalog; a typo in the data file is caught here.
NVIDIA_BUCKETS = frozenset(
    {
        "IGNORE",
        "RESTART_APP",
        "RESET_GPU",
        "RESTART_BM",
        "RESTART_VM",
        "CONTACT_SUPPORT",
        "CHECK_MECHANICALS",
        "UPDATE_SWFW",
        "CHECK_UVM",
        "XID_154",
        "WORKFLOW_XID_45",
        "WORKFLOW_XID_48",
        "WORKFLOW_NVLINK_ERR",
        "WORKFLOW_NVLINK5_ERR",
    }
)

_RECOVERY_TO_ACTION = {
    RecoveryAction.NONE: Action.NONE,
    RecoveryAction.GPU_RESET: Action.RESET_GPU,
    RecoveryAction.DRAIN_P2P: Action.DRAIN_P2P,
    RecoveryAction.DRAIN_AND_RESET: Action.DRAIN_AND_RESET,
    RecoveryAction.NODE_REBOOT: Action.REBOOT_NODE,
}

# nvmlDeviceGpuRecoveryAction_t codes as printed by XID 154 ("... to 0x2 (Node Reboot Required)").
_RECOVERY_CODES = {
    0: RecoveryAction.NONE,
    1: RecoveryAction.GPU_RESET,
    2: RecoveryAction.NODE_REBOOT,
    3: RecoveryAction.DRAIN_P2P,
    4: RecoveryAction.DRAIN_AND_RESET,
}
# Drivers have spelled the target differently ("OS Reboot", "PF FLR"): words are the fallback for the code.
_RECOVERY_WORDS = (
    (re.compile(r"drain\s*(?:p2p\s*)?and\s*reset", re.I), RecoveryAction.DRAIN_AND_RESET),
    (re.compile(r"drain\s*p2p", re.I), RecoveryAction.DRAIN_P2P),
    (re.compile(r"(?:node|os|system)\s*reboot", re.I), RecoveryAction.NODE_REBOOT),
    (re.compile(r"(?:gpu\s*)?reset|flr", re.I), RecoveryAction.GPU_RESET),
    (re.compile(r"\bnone\b", re.I), RecoveryAction.NONE),
)
_RECOVERY_TARGET = re.compile(r"\bto\s+(?:0x(?P<code>[0-9a-f]+))?\s*(?:\((?P<words>[^)]*)\))?", re.I)


@dataclass(frozen=True, slots=True)
class XidEntry:
    code: int
    mnemonic: str
    meaning: str
    owner: FaultOwner
    action: Action
    severity: Severity
    nvidia_action: str
    nvidia_investigatory: str = ""
    note: str = ""
    solo_action: Action | None = None  # when no other XID for the same GPU comes with it
    # Why remediation deliberately does something else than `action`, naming what it does instead; the
    # policy loader refuses a rule that differs from `action` without one (fleetops.remediation.policy).
    policy_note: str = ""
    known: bool = True

    @property
    def title(self) -> str:
        return f"XID {self.code} {self.mnemonic}" if self.known else f"unknown XID {self.code}"


@dataclass(frozen=True, slots=True)
class XidCatalog:
    version: str
    source: str
    entries: dict[int, XidEntry]

    def lookup(self, code: int) -> XidEntry:
        """The entry for `code`; an XID missing from the catalog is kept and shown as unknown."""
        entry = self.entries.get(code)
        if entry is not None:
            return entry
        return XidEntry(
            code=code,
            mnemonic="UNKNOWN",
            meaning=f"unknown XID {code}: not in catalog {self.version}; see {self.source}",
            owner=FaultOwner.UNKNOWN,
            action=Action.CONTACT_SUPPORT,
            severity=Severity.WARNING,
            nvidia_action="",
            known=False,
        )


def _enum(kind: type, value: Any, where: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidInput(f"{where}: {value!r} is not a known {kind.__name__} (one of: {allowed})") from None


def _entry(code: Any, row: Any, path: Path) -> XidEntry:
    where = f"{path.name}: xids.{code}"
    if not isinstance(code, int) or not isinstance(row, dict):
        raise InvalidInput(f"{where}: each XID must be an integer key mapping to a table")
    missing = {"mnemonic", "meaning", "owner", "action", "severity", "nvidia_action"} - row.keys()
    if missing:
        raise InvalidInput(f"{where}: missing {', '.join(sorted(missing))}")
    unknown = row.keys() - {f.name for f in XidEntry.__dataclass_fields__.values()}
    if unknown:
        raise InvalidInput(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    bucket = row["nvidia_action"]
    if bucket and bucket not in NVIDIA_BUCKETS:  # "" where NVIDIA's table gives none
        raise InvalidInput(f"{where}.nvidia_action: {bucket!r} is not an NVIDIA resolution bucket")
    solo = row.get("solo_action")
    return XidEntry(
        code=code,
        mnemonic=str(row["mnemonic"]),
        meaning=str(row["meaning"]),
        owner=_enum(FaultOwner, row["owner"], f"{where}.owner"),
        action=_enum(Action, row["action"], f"{where}.action"),
        severity=_enum(Severity, row["severity"], f"{where}.severity"),
        nvidia_action=str(row["nvidia_action"]),
        nvidia_investigatory=str(row.get("nvidia_investigatory", "")),
        note=str(row.get("note", "")),
        solo_action=None if solo is None else _enum(Action, solo, f"{where}.solo_action"),
        policy_note=str(row.get("policy_note", "")),
    )


def read_catalog(path: Path, rows: str, title: str) -> dict[str, Any]:
    """The YAML of a catalog (this one, links.yaml): a mapping citing its `version` and `source`, with its
    rows under `rows`; anything else raises `InvalidInput` naming the file."""
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"{path}: cannot read the {title} ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get(rows), dict):
        raise InvalidInput(f"{path.name}: expected a mapping with `version`, `source` and `{rows}`")
    for key in ("version", "source"):
        if not data.get(key):
            raise InvalidInput(f"{path.name}: `{key}` is required (the catalog must cite its source)")
    return data


def load_catalog(path: Path = CATALOG_PATH) -> XidCatalog:
    """Read and check the catalog; a bad row raises `InvalidInput` naming the file, XID and field."""
    data = read_catalog(path, "xids", "XID catalog")
    entries = {code: _entry(code, row, path) for code, row in data["xids"].items()}
    return XidCatalog(version=str(data["version"]), source=str(data["source"]), entries=entries)


@cache
def default_catalog() -> XidCatalog:
    return load_catalog()


def parse_recovery_action(message: str) -> RecoveryAction | None:
    """The target of an XID 154 line ("GPU recovery action changed from 0x0 (None) to 0x2 (Node Reboot
    Required)"): the numeric code wins, the words are the fallback; None when the text names neither."""
    match = _RECOVERY_TARGET.search(message)
    if match is None:
        return None
    code = match.group("code")
    if code is not None and int(code, 16) in _RECOVERY_CODES:
        return _RECOVERY_CODES[int(code, 16)]
    words = match.group("words") or ""
    for pattern, action in _RECOVERY_WORDS:
        if pattern.search(words):
            return action
    return None


def recovery_to_action(recovery: RecoveryAction) -> Action:
    return _RECOVERY_TO_ACTION[recovery]


def resolve_action(entry: XidEntry, recovery: RecoveryAction | None) -> Action:
    """The driver's own statement (XID 154) beats the catalog's generic advice for the same GPU."""
    return entry.action if recovery is None else recovery_to_action(recovery)


__all__ = [
    "CATALOG_PATH",
    "XidCatalog",
    "XidEntry",
    "default_catalog",
    "load_catalog",
    "parse_recovery_action",
    "recovery_to_action",
    "resolve_action",
]
