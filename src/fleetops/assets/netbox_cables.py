"""The cabling plan pushed to NetBox after the devices: each end's device (a node's, pushed by the sync
before; a switch NetBox lacks is created, role `switch`, at the site of the node it is cabled to), its
interface (dcim/interfaces, created when missing) and the cable (dcim/cables, a_terminations to
b_terminations), in the sync's all-or-none batches, each batch's audit entry carrying NetBox's request id.

A cable NetBox already holds between the same two interfaces is adopted. A planned cable linked before is
not pushed again, even gone from NetBox: the drift report names it, as it does a deleted device. A port
NetBox holds cabled elsewhere is left as it is and reported (drift `cabling`), never recabled."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fleetops.adapters.netbox.client import ref_id
from fleetops.assets import cabling, netbox_refs
from fleetops.assets.models import Cable, NetboxLink
from fleetops.assets.netbox_batches import audited, filtered, in_parallel
from fleetops.assets.netbox_model import UNSPECIFIED
from fleetops.db.session import Database
from fleetops.inventory.models import Node, Rack, Site

if TYPE_CHECKING:  # the sync calls this module after its devices
    from fleetops.assets.netbox_sync import NetBox

SWITCH_TYPE = f"{UNSPECIFIED}/switch"
SWITCH_ROLE = {"switch": {"name": "Switch", "slug": "switch", "color": "2196f3"}}
INTERFACE_TYPE = "other"  # NetBox requires a type; the plan does not say the port's optics


def push(database: Database, netbox: NetBox, actor: str, batch: int, concurrency: int) -> Counter[str]:
    done: Counter[str] = Counter()
    with database.transaction() as session:
        todo = [
            (c.id, c.a_device, c.a_port, c.b_device, c.b_port, c.type, c.label)
            for c in session.scalars(select(Cable).where(Cable.netbox_id.is_(None)))
        ]
        switch = cabling.switches(session)
        devices, sites, at = _placed(session)
    if not todo:
        return done
    ready = [c for c in todo if all(d in devices or d in switch for d in (c[1], c[3]))]
    if len(ready) < len(todo):
        done["cables waiting"] = len(todo) - len(ready)  # a node not in NetBox yet: the next sync
    wanted = {d: at[n] for c in ready for d, n in ((c[1], c[3]), (c[3], c[1])) if d in switch}
    devices |= _switches(database, netbox, actor, {n: sites[s] for n, s in wanted.items()}, batch, done)
    ends = {(devices[d], port) for c in ready for d, port in ((c[1], c[2]), (c[3], c[4]))}
    ports = _interfaces(netbox, sorted({d for d, _ in ends}))
    missing = sorted(ends - set(ports))
    payloads = [{"device": d, "name": port, "type": INTERFACE_TYPE} for d, port in missing]
    made = _create(database, netbox, actor, "dcim/interfaces", missing, payloads, batch, concurrency)
    ports |= {key: {"id": i} for key, i in made.items()}
    done.update({"interfaces created": len(made)} if made else {})
    adopt: dict[int, int] = {}
    create: list[tuple[int, dict[str, Any]]] = []
    for cid, a, a_port, b, b_port, kind, label in ready:
        one, other = ports[(devices[a], a_port)], ports[(devices[b], b_port)]
        if one.get("cable") and ref_id(one["cable"]) == ref_id(other.get("cable")):
            adopt[cid] = ref_id(one["cable"])
        elif one.get("cable") or other.get("cable"):
            done["cables left"] += 1  # cabled elsewhere in NetBox: the drift report says where
        else:
            ends_of = {f"{s}_terminations": [{"object_type": "dcim.interface", "object_id": p["id"]}]
                       for s, p in (("a", one), ("b", other))}  # fmt: skip
            extra = {k: v for k, v in (("type", kind), ("label", label)) if v}
            create.append((cid, ends_of | extra | {"status": "connected"}))
    if adopt:
        with database.transaction() as session:
            _link(session, adopt)
            audited(session, actor, "adopted", "dcim/cables", list(adopt), netbox.last_request_id)
        done["cables adopted"] = len(adopt)
    keys, payloads = [k for k, _ in create], [p for _, p in create]
    made = _create(database, netbox, actor, "dcim/cables", keys, payloads, batch, concurrency, _link)
    done.update({"cables created": len(made)} if made else {})
    return done


def _placed(session: Session) -> tuple[dict[str, int], dict[str, int], dict[str, str]]:
    """Node hostname → its device's NetBox id (pushed ones), site name → NetBox id, hostname → site."""
    linked = {
        (link.kind, link.key): link.netbox_id
        for link in session.scalars(select(NetboxLink).where(NetboxLink.kind.in_(("devices", "sites"))))
    }
    nodes = session.execute(
        select(Node.hostname, Node.serial, Site.name)
        .join(Rack, Rack.id == Node.rack_id)
        .join(Site, Site.id == Rack.site_id)
    ).all()
    devices = {h: linked[("devices", s)] for h, s, _ in nodes if ("devices", s) in linked}
    sites = {key: i for (kind, key), i in linked.items() if kind == "sites"}
    return devices, sites, {h: site for h, _, site in nodes}


def _switches(
    database: Database, netbox: NetBox, actor: str, wanted: dict[str, int], batch: int, done: Counter[str]
) -> dict[str, int]:
    """Switch name → NetBox id, found by name or created (wanted: name → its NetBox site id)."""
    names = sorted(wanted)
    found = {d["name"]: d["id"] for d in filtered(netbox, "dcim/devices", "name", names)}
    missing = [name for name in names if name not in found]
    if missing:
        kind = netbox_refs.ensure(netbox, {n: {"device_type": SWITCH_TYPE} for n in missing})["device_types"]
        role = netbox_refs.find_or_create(netbox, "dcim/device-roles", SWITCH_ROLE, "slug")["switch"]
        payloads = [
            {"name": n, "site": wanted[n], "device_type": kind[SWITCH_TYPE], "role": role, "status": "active"}
            for n in missing
        ]
        found |= _create(database, netbox, actor, "dcim/devices", missing, payloads, batch, 1)
        done["switches created"] = len(missing)
    return found


def _interfaces(netbox: NetBox, device_ids: list[int]) -> dict[tuple[int, str], dict[str, Any]]:
    """(device id, interface name) → the interface as NetBox has it (its `cable`, if any)."""
    return {
        (ref_id(i["device"]), i["name"]): i
        for i in filtered(netbox, "dcim/interfaces", "device_id", device_ids)
    }


def _link(session: Session, ids: dict[Any, int]) -> None:
    for cable_id, netbox_id in ids.items():
        session.execute(update(Cable).where(Cable.id == cable_id).values(netbox_id=netbox_id))


def _create(
    database: Database,
    netbox: NetBox,
    actor: str,
    endpoint: str,
    keys: list[Any],
    payloads: list[dict[str, Any]],
    batch: int,
    concurrency: int,
    linked: Callable[[Session, dict[Any, int]], None] | None = None,
) -> dict[Any, int]:
    """key → NetBox id of each object created, batch by batch; each landed batch's audit entry (and,
    with `linked`, what fleetops keeps of it) committed as it lands."""
    parts = [(keys[s : s + batch], payloads[s : s + batch]) for s in range(0, len(keys), batch)]
    made: dict[Any, int] = {}
    writes = [p for _, p in parts]
    for n, rid, objects in in_parallel(netbox, netbox.bulk_create, endpoint, writes, concurrency):
        ids = {key: obj["id"] for key, obj in zip(parts[n][0], objects, strict=True)}
        with database.transaction() as session:
            if linked is not None:
                linked(session, ids)
            audited(session, actor, "created", endpoint, list(ids), rid)
        made |= ids
    return made
