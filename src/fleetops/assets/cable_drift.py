"""Cabling drift: the plan (asset_cable) against NetBox's cables, each cable as its set of ends
(device, port), a node's device named by its hostname whatever NetBox calls it. A planned cable NetBox
lacks is missing there; a NetBox cable the plan lacks is missing in fleetops; a planned port NetBox
cables elsewhere is one drift, "cabling", naming both (the NetBox cable is not reported twice). And
which nodes are cabled as planned, for model completeness."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.adapters.netbox.client import choice, ref_id
from fleetops.assets.models import Cable, NetboxLink
from fleetops.inventory.models import Node

if TYPE_CHECKING:
    from fleetops.assets.netbox_sync import NetBox

End = tuple[str, str]
Found = tuple[str, str, str, str]  # drift.Drift's fields: kind, object, key, detail


def key(cable: Cable) -> str:
    return f"{cable.a_device}:{cable.a_port}"


def _said(ends: Iterable[End]) -> str:
    return " ↔ ".join(f"{device}:{port}" for device, port in sorted(ends))


def _hostnames(session: Session) -> dict[int, str]:
    """NetBox device id → the node's hostname, for every node pushed."""
    serials = {serial: hostname for serial, hostname in session.execute(select(Node.serial, Node.hostname))}
    links = session.scalars(select(NetboxLink).where(NetboxLink.kind == "devices"))
    return {link.netbox_id: serials[link.key] for link in links if link.key in serials}


def _end(termination: dict[str, Any], names: dict[int, str]) -> End:
    port = termination.get("object") or {}
    device = port.get("device") or {}
    return names.get(ref_id(device), device.get("name", "?")), str(port.get("name", termination["object_id"]))


def report(session: Session, netbox: NetBox) -> list[Found]:
    names = _hostnames(session)
    theirs: dict[int, tuple[frozenset[End], Any]] = {}
    for obj in netbox.list("dcim/cables"):
        terms = obj.get("a_terminations", []) + obj.get("b_terminations", [])
        kind = choice(obj.get("type"))  # null when not set
        theirs[obj["id"]] = frozenset(_end(t, names) for t in terms), kind or None
    by_ends = {ends: cid for cid, (ends, _) in theirs.items()}
    on_port = {end: cid for cid, (ends, _) in theirs.items() for end in ends}
    found: list[Found] = []
    explained: set[int] = set()
    for cable in session.scalars(select(Cable).order_by(Cable.id)):
        mine = frozenset({(cable.a_device, cable.a_port), (cable.b_device, cable.b_port)})
        if mine in by_ends:
            explained.add(cid := by_ends[mine])
            if cable.type and theirs[cid][1] != cable.type:
                said = f"{_said(mine)} type: fleetops {cable.type!r}, NetBox {theirs[cid][1]!r}"
                found.append(("cabling", "cables", key(cable), said))
            continue
        elsewhere = sorted({on_port[end] for end in mine if end in on_port})
        if elsewhere:
            explained |= set(elsewhere)
            there = "; ".join(f"{_said(theirs[cid][0])} (NetBox id {cid})" for cid in elsewhere)
            found.append(("cabling", "cables", key(cable), f"fleetops {_said(mine)}, NetBox {there}"))
            continue
        why = "never pushed" if cable.netbox_id is None else f"NetBox id {cable.netbox_id} is gone"
        found.append(("missing_in_netbox", "cables", key(cable), f"{_said(mine)}: {why}"))
    for cid, (ends, _) in theirs.items():
        if cid not in explained:
            found.append(("missing_in_fleetops", "cables", _said(ends), f"NetBox id {cid}"))
    return found


def cabled(session: Session, drifted: frozenset[str] = frozenset()) -> dict[str, bool]:
    """Node hostname → whether every cable planned for it is in NetBox as planned: pushed and, when a
    drift report was read (`drifted`: the keys of the planned cables it found drifting), not drifting.
    A node with no cable planned is not listed."""
    nodes: dict[str, bool] = defaultdict(lambda: True)
    for cable in session.scalars(select(Cable)):
        fine = cable.netbox_id is not None and key(cable) not in drifted
        for device, is_switch in ((cable.a_device, cable.a_switch), (cable.b_device, cable.b_switch)):
            if not is_switch:
                nodes[device] &= fine
    return dict(nodes)
