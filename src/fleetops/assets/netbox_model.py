"""What fleetops says NetBox should hold: sites, racks, devices (keyed by serial, so a shipped server is
the same device once racked and named) and GPUs as inventory items, with the lifecycle → status mapping."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.assets.choices import AssetKind, AssetState
from fleetops.assets.fsm import DATE_OF
from fleetops.assets.models import Asset, PurchaseOrder
from fleetops.inventory.choices import NodeState
from fleetops.inventory.models import Gpu, Node, Rack, Site

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
KINDS = ("sites", "racks", "devices", "gpus")
ENDPOINT = {
    "sites": "dcim/sites",
    "racks": "dcim/racks",
    "devices": "dcim/devices",
    "gpus": "dcim/inventory-items",
}
# The fields a drift check compares, per kind, in fleetops' terms (a rack by "site/rack", not NetBox's id).
COMPARED = {
    "sites": ("name",), "racks": ("name", "site"), "gpus": ("serial", "device"),
    "devices": ("name", "serial", "rack", "position", "status"),
}  # fmt: skip


def desired(session: Session) -> dict[str, dict[str, dict[str, Any]]]:
    """kind → key → fields, references by fleetops key (resolved to NetBox ids when pushed)."""
    out: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in KINDS}
    for (name,) in session.execute(select(Site.name)):
        out["sites"][name] = {"name": name, "slug": name.lower()}
    for rack, site in session.execute(select(Rack.name, Site.name).join(Site, Site.id == Rack.site_id)):
        out["racks"][f"{site}/{rack}"] = {"name": rack, "site": site}
    assets = {a.serial: a for a in session.scalars(select(Asset).where(Asset.kind == AssetKind.SERVER))}
    nodes = select(Node.serial, Node.hostname, Node.position, Node.state, Rack.name, Site.name)
    for serial, hostname, position, state, rack, site in session.execute(
        nodes.join(Rack, Rack.id == Node.rack_id).join(Site, Site.id == Rack.site_id)
    ):
        asset = assets.pop(serial, None)
        status = STATUS_OF_ASSET[asset.state] if asset else STATUS_OF_NODE[state]
        out["devices"][serial] = {
            "name": hostname, "serial": serial, "site": site, "rack": f"{site}/{rack}", "position": position,
            "status": status, "custom_fields": _dates(asset),
        }  # fmt: skip
    sites = dict(
        session.execute(
            select(PurchaseOrder.id, Site.name).join(Site, Site.id == PurchaseOrder.site_id)
        ).all()
    )
    for serial, asset in assets.items():  # shipped or in stock, not yet a node: planned/inventory in NetBox
        site = sites.get(asset.po_id)
        if site is not None:
            out["devices"][serial] = {
                "name": serial, "serial": serial, "site": site, "rack": None, "position": None,
                "status": STATUS_OF_ASSET[asset.state], "custom_fields": _dates(asset),
            }  # fmt: skip
    gpus = select(Node.serial, Gpu.index, Gpu.serial).join(Node, Node.id == Gpu.node_id)
    for node_serial, index, serial in session.execute(gpus):
        out["gpus"][f"{node_serial}/gpu{index}"] = {
            "name": f"GPU{index}",
            "serial": serial,
            "device": node_serial,
        }
    return out


def _dates(asset: Asset | None) -> dict[str, str | None]:
    if asset is None:
        return {}
    return {f"fleetops_{c}": (v.isoformat() if (v := getattr(asset, c)) else None) for c in DATE_OF.values()}
