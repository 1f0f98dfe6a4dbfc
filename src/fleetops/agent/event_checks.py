"""Findings from kernel events and GPU presence: XIDs through the catalog, fatal driver lines, lost GPUs.

Kept apart from the per-reading checks because these read the catalog and reconcile several sources
(an XID 79, a "fallen off the bus" line and an NVML GPU_IS_LOST are one fault, reported once).
"""

from __future__ import annotations

from collections.abc import Iterable

from fleetops.catalog import XidCatalog, recovery_to_action, resolve_action
from fleetops.wire import (
    Action,
    DriverEvent,
    FaultOwner,
    Finding,
    FindingKind,
    GpuReading,
    RecoveryAction,
    Severity,
    XidEvent,
)

_ACTION_SEVERITY = {
    Action.RESET_GPU: Severity.CRITICAL,
    Action.DRAIN_AND_RESET: Severity.CRITICAL,
    Action.REBOOT_NODE: Severity.CRITICAL,
    Action.DRAIN_P2P: Severity.WARNING,
}
_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}
_DRIVER_ACTIONS = {
    "fallen_off_bus": Action.REBOOT_NODE,
    "init_failed": Action.REBOOT_NODE,
    "gpu_lost": Action.REBOOT_NODE,
    "sanity_check_failed": Action.REBOOT_NODE,
    "uvm_fatal": Action.REBOOT_NODE,
    "probe_failed": Action.REBOOT_NODE,
}


def _finding(
    kind: FindingKind, action: Action, summary: str, gpu: GpuReading | None, **details: object
) -> Finding:
    return Finding(
        kind=kind,
        severity=_ACTION_SEVERITY.get(action, Severity.WARNING),
        action=action,
        summary=summary,
        gpu_index=None if gpu is None else gpu.index,
        gpu_uuid=None if gpu is None else gpu.uuid,
        owner=FaultOwner.HARDWARE,
        details=details,
    )


def check_presence(
    gpus: list[GpuReading], expected: int | None, drivers: Iterable[DriverEvent], xids: Iterable[XidEvent]
) -> list[Finding]:
    found = []
    if expected is not None and len(gpus) < expected:
        found.append(
            _finding(
                FindingKind.GPU_MISSING,
                Action.REBOOT_NODE,
                f"{len(gpus)} of {expected} GPUs visible",
                None,
                visible=len(gpus),
                expected=expected,
            )
        )
    fallen: dict[str, int | None] = {}
    for gpu in gpus:
        if gpu.lost:
            fallen[gpu.pci_bus_id or f"index-{gpu.index}"] = gpu.index
    for event in drivers:
        if event.kind == "fallen_off_bus":
            fallen.setdefault(event.pci_bus_id or "unknown", event.gpu_index)
    for xid in xids:
        if xid.code == 79:
            fallen.setdefault(xid.pci_bus_id or "unknown", xid.gpu_index)
    by_index = {gpu.index: gpu for gpu in gpus}
    for bus, index in fallen.items():
        gpu = by_index.get(index) if index is not None else None
        found.append(
            _finding(
                FindingKind.FALLEN_OFF_BUS,
                Action.REBOOT_NODE,
                f"GPU at {bus} has fallen off the bus",
                gpu,
                pci_bus_id=bus,
            )
        )
    return found


def check_driver_events(drivers: Iterable[DriverEvent]) -> list[Finding]:
    found = []
    for event in drivers:
        if event.kind == "fallen_off_bus":
            continue  # reported once, by check_presence
        action = _DRIVER_ACTIONS.get(event.kind, Action.CONTACT_SUPPORT)
        found.append(
            Finding(
                kind=FindingKind.DRIVER_ERROR,
                severity=_ACTION_SEVERITY.get(action, Severity.WARNING),
                action=action,
                summary=f"driver: {event.kind}: {event.message[:200]}",
                gpu_index=event.gpu_index,
                owner=FaultOwner.DRIVER_SYSTEM,
                details={"kind": event.kind, "pci_bus_id": event.pci_bus_id},
            )
        )
    return found


def _gpu(xid: XidEvent) -> str | int | None:
    return xid.gpu_index if xid.gpu_index is not None else xid.pci_bus_id


def _stated_recovery(xids: list[XidEvent]) -> dict[str | int | None, RecoveryAction]:
    """The latest XID 154 recovery action per GPU (by index, else bus id)."""
    stated: dict[str | int | None, RecoveryAction] = {}
    for xid in sorted(xids, key=lambda event: event.occurred_at):
        if xid.code == 154 and xid.recovery_action is not None:
            stated[_gpu(xid)] = xid.recovery_action
    return stated


def check_xids(xids: list[XidEvent], catalog: XidCatalog) -> list[Finding]:
    """One finding per XID, from the catalog; a driver-stated recovery (XID 154) for the same GPU
    replaces the catalog's generic action, an XID with no other for its GPU takes the catalog's
    `solo_action` where NVIDIA gives one (XID 45), and unknown codes are kept as "unknown XID n"."""
    stated = _stated_recovery(xids)
    codes: dict[str | int | None, set[int]] = {}
    for xid in xids:
        if xid.code != 154:  # informational about another XID: it keeps no XID company
            codes.setdefault(_gpu(xid), set()).add(xid.code)
    found = []
    for xid in xids:
        entry = catalog.lookup(xid.code)
        recovery = xid.recovery_action if xid.code == 154 else stated.get(_gpu(xid))
        action = resolve_action(entry, recovery)
        solo = entry.solo_action if codes.get(_gpu(xid)) == {xid.code} else None  # a lone 154 has none
        if solo is not None and recovery is None:
            action = solo
        if xid.code == 154 and recovery is None:
            action = Action.INVESTIGATE_SOFTWARE  # a 154 whose message we could not read
        severity = max(entry.severity, _ACTION_SEVERITY.get(action, Severity.INFO), key=_SEVERITY_RANK.get)
        if recovery is not None and recovery_to_action(recovery) == Action.NONE and xid.code == 154:
            severity = Severity.INFO
        found.append(
            Finding(
                kind=FindingKind.XID,
                severity=severity,
                action=action,
                xid=xid.code,
                owner=entry.owner,
                summary=f"{entry.title}: {entry.meaning}"
                + (f"; no other XID for this GPU ({entry.note})" if solo else "")
                + (f" ({xid.message[:160]})" if xid.message else ""),
                gpu_index=xid.gpu_index,
                details={
                    "pci_bus_id": xid.pci_bus_id,
                    "pid": xid.pid,
                    "process": xid.process_name,
                    "catalog_action": entry.action.value,
                    "known": entry.known,
                    "recovery_action": None if recovery is None else recovery.value,
                    "solo": solo is not None,
                },
            )
        )
    return found
