"""What is running where: each node's kernel, GPU driver, VBIOS, BMC and BIOS firmware, kept current
from the sources that already reach fleetops.

    GPU driver   the agent's reports (`NodeReport.driver_version`), through health ingest
    VBIOS        the agent's reports (`GpuReading.vbios_version`, NVML), one row per GPU (`gpu<index>`)
    kernel       Lynis scans (`linux_kernel_release`, uname -r), through the security imports
    firmware     the node's BMC (Redfish FirmwareInventory, else BiosVersion / FirmwareVersion)

A version is written only when it changes (`seen_at`: since when) or its confirmation is older than
`CONFIRM_EVERY` (`checked_at`), and each API process remembers what it stored (`Confirmed`), so the
agents' report stream, every 30 s per node, costs a read only for a node whose versions changed or whose
confirmation is due, and almost never a write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from weakref import WeakKeyDictionary

from sqlalchemy import Table, event, select, tuple_
from sqlalchemy.orm import Session

from fleetops.adapters.redfish.firmware import Firmware
from fleetops.auth.principal import Principal
from fleetops.db import bulk
from fleetops.errors import NotFound
from fleetops.inventory.models import Node
from fleetops.security.choices import Component
from fleetops.security.models import NodeSoftware as S
from fleetops.security.scope import visible_to
from fleetops.wire import NodeReport

TABLE = cast(Table, S.__table__)
KEY = ("node_id", "component", "name")
CONFIRM_EVERY = timedelta(hours=1)
DRIVER, KERNEL = "nvidia", "linux"  # the names under which the one driver and the one kernel are kept


@dataclass(frozen=True)
class Version:
    """One sighting: node `node_id` runs `name` of `component` at `version`, according to `source`."""

    node_id: int
    component: Component
    name: str
    version: str
    source: str


def observe(session: Session, seen: list[Version], now: datetime) -> int:
    """Store the sightings that change something; returns how many rows were written."""
    latest = {(v.node_id, v.component.value, v.name[:200]): v for v in seen if v.version.strip()}
    if not latest:
        return 0
    stored: dict[tuple[int, str, str], tuple[str, datetime, datetime | None]] = {}
    keys = list(latest)
    for chunk in bulk.chunks(keys):
        rows = session.execute(
            select(S.node_id, S.component, S.name, S.version, S.seen_at, S.checked_at).where(
                tuple_(S.node_id, S.component, S.name).in_(chunk)
            )
        )
        for node_id, component, name, version, seen_at, checked_at in rows:
            stored[node_id, component, name] = (version, seen_at, checked_at)
    writes = []
    for key, sighting in latest.items():
        version = sighting.version.strip()[:200]
        before = stored.get(key)
        if before is not None and before[0] == version and (before[2] or before[1]) > now - CONFIRM_EVERY:
            continue
        since = before[1] if before is not None and before[0] == version else now
        writes.append(
            {
                "node_id": key[0],
                "component": key[1],
                "name": key[2],
                "version": version,
                "source": sighting.source,
                "seen_at": since,
                "checked_at": now,
            }
        )
    bulk.upsert(session.connection(), TABLE, writes, keys=KEY)
    return len(writes)


def reported(node_id: int, report: NodeReport) -> list[Version]:
    """What an agent report says runs on its node: the GPU driver, and each GPU's VBIOS. A GPU whose agent
    predates the field, or whose NVML refused the call, says nothing and changes nothing."""
    seen = [Version(node_id, Component.GPU_DRIVER, DRIVER, report.driver_version, "agent")]
    seen += [
        Version(node_id, Component.VBIOS, f"gpu{gpu.index}", gpu.vbios_version, "agent")
        for gpu in report.gpus
        if gpu.vbios_version
    ]
    return [v for v in seen if v.version]


class Confirmed:
    """What this process last stored per node, as a hash of the node's versions and when, so the report
    stream (every node every 30 s, 9 versions each with VBIOS) skips the read of unchanged nodes until the
    hourly confirmation is due. Filled only after the ingest transaction commits. Another API process
    may store a change this one has not seen: a node that changes and then changes back within the hour,
    reporting through two processes, keeps the middle version for at most `CONFIRM_EVERY`. Kept per
    engine, so a process that opens another database (the tests, the simulator) starts with none."""

    def __init__(self) -> None:
        self.by_engine: WeakKeyDictionary[Any, dict[int, tuple[int, datetime]]] = WeakKeyDictionary()

    def observe(self, session: Session, reports: list[tuple[int, NodeReport]], now: datetime) -> int:
        """Store the versions of a batch of agent reports that change something; returns rows written."""
        stored = self.by_engine.setdefault(session.get_bind(), {})
        due, marks = [], {}
        for node_id, report in reports:
            versions = reported(node_id, report)
            mark = hash(tuple(v.version for v in versions))
            last = stored.get(node_id)
            if last is None or last[0] != mark or last[1] <= now - CONFIRM_EVERY:
                due += versions
                marks[node_id] = (mark, now)
        if not due:
            return 0
        written = observe(session, due, now)
        event.listen(session, "after_commit", lambda _: stored.update(marks), once=True)
        return written


_GPU = re.compile(r"gpu|vbios", re.IGNORECASE)
_BIOS = re.compile(r"bios|uefi", re.IGNORECASE)
_BMC = re.compile(r"bmc|idrac|ilo|xcc|manager", re.IGNORECASE)


def component_of(firmware: Firmware) -> Component:
    """Which component a BMC's inventory entry is, from what it is related to and what it is called."""
    words = " ".join((firmware.id, firmware.name, firmware.software_id or ""))
    related = " ".join(firmware.related)
    if _GPU.search(words) or "/Processors/GPU" in related:
        return Component.VBIOS
    if _BIOS.search(words) or related.endswith("/Bios"):
        return Component.BIOS
    if _BMC.search(words) or "/Managers/" in related:
        return Component.BMC
    return Component.FIRMWARE


def from_firmware(node_id: int, listed: list[Firmware]) -> list[Version]:
    return [Version(node_id, component_of(f), f.id, f.version, "redfish") for f in listed]


def node_software(session: Session, who: Principal, hostname: str) -> list[dict[str, Any]]:
    """A node's inventory, for those who may see the node."""
    stmt = select(Node.id).where(Node.hostname == hostname)
    scope = visible_to(who, Node.id, Node.cluster_id)
    node_id = session.scalar(stmt if scope is None else stmt.where(scope))
    if node_id is None:
        raise NotFound(f"node {hostname}: no such node")
    rows = session.scalars(select(S).where(S.node_id == node_id).order_by(S.component, S.name))
    return [
        {
            "component": row.component,
            "name": row.name,
            "version": row.version,
            "source": row.source,
            "seen_at": row.seen_at,
            "checked_at": row.checked_at,
        }
        for row in rows
    ]
