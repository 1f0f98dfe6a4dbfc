"""What is running where: each node's kernel, GPU driver, VBIOS, BMC and BIOS firmware, kept current
from the sources that already reach fleetops.

    GPU driver   the agent's reports (`NodeReport.driver_version`), through health ingest
    VBIOS        the agent's reports (`GpuReading.vbios_version`, NVML), one row per GPU (`gpu<index>`)
    kernel       Lynis scans (`linux_kernel_release`, uname -r), through the security imports
    firmware     the node's BMC (Redfish FirmwareInventory, else BiosVersion / FirmwareVersion)

A version is written only when it changes (`seen_at`: since when) or its confirmation is older than
`CONFIRM_EVERY` (`checked_at`), so the agents' report stream, every 30 s per node, costs one indexed read
per ingest batch and almost never a write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, select, tuple_
from sqlalchemy.orm import Session

from fleetops.adapters.redfish.firmware import Firmware
from fleetops.auth.principal import Principal
from fleetops.db import bulk
from fleetops.errors import NotFound
from fleetops.inventory.models import Node
from fleetops.security.choices import Component
from fleetops.security.models import NodeSoftware as S
from fleetops.security.scope import visible_to
from fleetops.wire import GpuReading

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


def observe_drivers(session: Session, drivers: list[tuple[int, str]], now: datetime) -> int:
    """The GPU driver versions of a batch of agent reports, (node id, version) each."""
    seen = [Version(node_id, Component.GPU_DRIVER, DRIVER, version, "agent") for node_id, version in drivers]
    return observe(session, seen, now)


def observe_vbios(session: Session, gpus: list[tuple[int, list[GpuReading]]], now: datetime) -> int:
    """The VBIOS of each GPU of a batch of agent reports, (node id, its GPU readings) each. A GPU whose
    agent predates the field, or whose NVML refused the call, says nothing and changes nothing."""
    seen = [
        Version(node_id, Component.VBIOS, f"gpu{gpu.index}", gpu.vbios_version, "agent")
        for node_id, readings in gpus
        for gpu in readings
        if gpu.vbios_version
    ]
    return observe(session, seen, now)


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
