"""What fleetops says NetBox should hold: regions, sites, racks, devices (keyed by serial, so a shipped
server is the same device once racked and named) and GPUs as inventory items, with the lifecycle → status
mapping. A device names its device type as "<manufacturer>/<model>" (the purchase order's vendor and the
asset's model; a node with no asset: "unspecified/<GPU model> server") and the one role NetBox requires."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.assets.choices import AssetKind, AssetState
from fleetops.assets.fsm import DATE_OF
from fleetops.assets.models import Asset, PurchaseOrder, Vendor
from fleetops.inventory.choices import NodeState
from fleetops.inventory.models import Gpu, Node, Rack, Region, Site

A, N = AssetState, NodeState
STATUS_OF_ASSET = {
    A.ORDERED: "planned", A.SHIPPED: "planned", A.DELIVERED: "inventory", A.RECEIVED: "inventory",
    A.RACKED: "staged", A.DEPLOYED: "active", A.REPAIR: "failed", A.RMA: "failed",
    A.RETIRED: "decommissioning",
}  # fmt: skip
STATUS_OF_NODE = {
    N.PLANNED: "planned", N.RACKED: "staged", N.PROVISIONING: "staged", N.QUALIFYING: "staged",
    N.READY: "active", N.CORDONED: "active", N.DRAINING: "active", N.REPAIR: "failed", N.RMA: "failed",
    N.DECOMMISSIONED: "decommissioning",
}  # fmt: skip
KINDS = ("regions", "sites", "racks", "devices", "gpus")
ROLE = "gpu-server"
UNSPECIFIED = "unspecified"  # the manufacturer of a node fleetops knows no purchase for
ENDPOINT = {
    "regions": "dcim/regions",
    "sites": "dcim/sites",
    "racks": "dcim/racks",
    "devices": "dcim/devices",
    "gpus": "dcim/inventory-items",
}
# The fields a drift check compares, per kind, in fleetops' terms (a rack by "site/rack", not NetBox's id).
COMPARED = {
    "regions": ("name",), "sites": ("name",), "racks": ("name", "site"), "gpus": ("serial", "device"),
    "devices": ("name", "serial", "rack", "position", "status"),
}  # fmt: skip


# What identifies an object on both sides when fleetops holds no link to it yet (references by key).
NATURAL = {
    "regions": ("slug",), "sites": ("slug",), "racks": ("site", "name"), "devices": ("serial",),
    "gpus": ("device", "name"),
}  # fmt: skip


def slug(name: str) -> str:
    """NetBox's slug alphabet: lower-case letters, digits, - and _."""
    return re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-")


def desired(session: Session, *only: str) -> dict[str, dict[str, dict[str, Any]]]:
    """kind → key → fields, references by fleetops key (resolved to NetBox ids when pushed); with `only`,
    just those kinds built (the pull compares devices, and a fleet's GPUs are 80,000 of them)."""
    out: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in KINDS}
    wanted = set(only or KINDS)
    if "regions" in wanted:
        for (name,) in session.execute(select(Region.name)):
            out["regions"][name] = {"name": name, "slug": slug(name)}
    if "sites" in wanted:
        for name, region in session.execute(select(Site.name, Region.name).join(Region)):
            out["sites"][name] = {"name": name, "slug": slug(name), "region": region}
    if "racks" in wanted:
        racks = select(Rack.name, Site.name).join(Site, Site.id == Rack.site_id)
        for rack, site in session.execute(racks):
            out["racks"][f"{site}/{rack}"] = {"name": rack, "site": site}
    if "devices" in wanted:
        out["devices"] = _devices(session)
    if "gpus" in wanted:
        gpus = select(Node.serial, Gpu.index, Gpu.serial).join(Node, Node.id == Gpu.node_id)
        for node_serial, index, gpu_serial in session.execute(gpus):
            out["gpus"][f"{node_serial}/gpu{index}"] = {
                "name": f"GPU{index}",
                "serial": gpu_serial,
                "device": node_serial,
            }
    return out


def _devices(session: Session) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    assets = {a.serial: a for a in session.scalars(select(Asset).where(Asset.kind == AssetKind.SERVER))}
    orders = {
        po: (site, vendor)
        for po, site, vendor in session.execute(
            select(PurchaseOrder.id, Site.name, Vendor.name)
            .join(Vendor, Vendor.id == PurchaseOrder.vendor_id)
            .outerjoin(Site, Site.id == PurchaseOrder.site_id)
        )
    }
    nodes = select(
        Node.serial, Node.hostname, Node.position, Node.state, Node.gpu_model, Rack.name, Site.name
    )
    for serial, hostname, position, state, gpu_model, rack, site in session.execute(
        nodes.join(Rack, Rack.id == Node.rack_id).join(Site, Site.id == Rack.site_id)
    ):
        asset = assets.pop(serial, None)
        made_by = f"{orders[asset.po_id][1]}/{asset.model}" if asset else f"{UNSPECIFIED}/{gpu_model} server"
        out[serial] = _device(hostname, serial, site, f"{site}/{rack}", position, made_by) | {
            "status": STATUS_OF_ASSET[asset.state] if asset else STATUS_OF_NODE[state],
            "custom_fields": _dates(asset),
        }
    for serial, asset in assets.items():  # shipped or in stock, not yet a node: planned/inventory in NetBox
        at, vendor = orders[asset.po_id]
        if at is not None:
            out[serial] = _device(serial, serial, at, None, None, f"{vendor}/{asset.model}") | {
                "status": STATUS_OF_ASSET[asset.state], "custom_fields": _dates(asset),
            }  # fmt: skip
    return out


def _device(
    name: str, serial: str, site: str, rack: str | None, position: int | None, device_type: str
) -> dict[str, Any]:
    """NetBox requires a device type and a role, and a face for a device at a position in a rack."""
    return {
        "name": name, "serial": serial, "site": site, "rack": rack, "position": position,
        "face": "front" if position is not None else "", "device_type": device_type, "role": ROLE,
    }  # fmt: skip


def _dates(asset: Asset | None) -> dict[str, str | None]:
    if asset is None:
        return {}
    return {f"fleetops_{c}": (v.isoformat() if (v := getattr(asset, c)) else None) for c in DATE_OF.values()}
