"""Reading what firmware a BMC says its server runs: the UpdateService's `FirmwareInventory` (DMTF
`SoftwareInventory` members: Id, Name, Version, SoftwareId, RelatedItem), else the two versions every
ComputerSystem and Manager carry themselves (`BiosVersion`, `FirmwareVersion`).

The fallback exists because not every Redfish service serves the collection: the sushy-tools emulator
links `FirmwareInventory` from its UpdateService and answers 404 for it, and older BMCs omit it. An
entry whose BMC states no version is left out rather than stored as "" (it would match no range and
look known). Which entry is the BIOS, the BMC or a GPU is the security domain's reading, not this one's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fleetops.errors import ExternalError

UPDATE_SERVICE = "/redfish/v1/UpdateService"
FIRMWARE_INVENTORY = f"{UPDATE_SERVICE}/FirmwareInventory"
Get = Callable[[str], dict[str, Any]]


@dataclass(frozen=True)
class Firmware:
    """One firmware component as the BMC lists it; `path` is where it was read (its `@odata.id`)."""

    id: str
    name: str
    version: str
    software_id: str | None = None
    related: tuple[str, ...] = ()
    path: str = ""


def _missing(error: ExternalError) -> bool:
    return error.details.get("status") in (404, 405, 501)


def inventory(get: Get) -> list[Firmware] | None:
    """The FirmwareInventory members, or None when the service serves no such collection."""
    try:
        link = (get(UPDATE_SERVICE).get("FirmwareInventory") or {}).get("@odata.id") or FIRMWARE_INVENTORY
        members = get(link).get("Members") or []
    except ExternalError as error:
        if _missing(error):
            return None
        raise
    found = []
    for member in members:
        body = get(member["@odata.id"])
        version = str(body.get("Version") or "").strip()
        if not version:
            continue
        related = tuple(item["@odata.id"] for item in body.get("RelatedItem") or [] if "@odata.id" in item)
        found.append(
            Firmware(
                id=str(body.get("Id") or member["@odata.id"].rsplit("/", 1)[-1]),
                name=str(body.get("Name") or body.get("Id") or ""),
                version=version,
                software_id=body.get("SoftwareId") or None,
                related=related,
                path=member["@odata.id"],
            )
        )
    return found


def stated(get: Get, system_path: str) -> list[Firmware]:
    """The system's own `BiosVersion` ("BIOS") and its managers' `FirmwareVersion` ("BMC" for the one
    manager most servers have, else each manager's Id), where stated."""
    body, found = get(system_path), []
    if body.get("BiosVersion"):
        bios = str(body["BiosVersion"])
        found.append(Firmware("BIOS", "BIOS", bios, related=(system_path,), path=system_path))
    links = [link["@odata.id"] for link in body.get("Links", {}).get("ManagedBy", [])]
    for path in links:
        manager = get(path)
        if manager.get("FirmwareVersion"):
            name = "BMC" if len(links) == 1 else str(manager.get("Id") or path.rsplit("/", 1)[-1])
            version = str(manager["FirmwareVersion"])
            found.append(Firmware(name, f"{name} firmware", version, related=(path,), path=path))
    return found


def read(get: Get, system_path: str) -> list[Firmware]:
    """The BMC's whole inventory, else what the system and its managers state. The inventory is the
    BMC's, not the system's: an HGX server's GPUs sit under a baseboard system of their own, so entries
    are not filtered by system (a BMC serving several servers would give each the whole list)."""
    listed = inventory(get)
    return stated(get, system_path) if listed is None else listed
