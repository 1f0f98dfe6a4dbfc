"""The drift report: fleetops vs NetBox vs what both agreed at the last sync (the link's base), so each
difference says who moved: NetBox (an edit there), fleetops (not pushed yet), or both (a conflict).
And model completeness per pod: the share of nodes with serial, rack, position, status, in NetBox, and
cabled in NetBox as planned (cable_drift.py) where the plan has cables for them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.assets import cable_drift, cabling
from fleetops.assets.netbox_model import ENDPOINT, KINDS, desired
from fleetops.assets.netbox_sync import NetBox, compared, links, remote_fields
from fleetops.inventory.models import Node, Rack

# A field difference is named for what an operator fixes: placement is rack and position together.
FIELD_KIND = {"serial": "serial", "rack": "placement", "position": "placement", "status": "status"}


@dataclass(frozen=True)
class Drift:
    kind: str  # missing_in_netbox, missing_in_fleetops, serial, placement, status, cabling, conflict, pending
    object: str  # devices, gpus, racks, sites, cables
    key: str
    detail: str


def _fields(
    kind: str, key: str, local: dict[str, Any], base: dict[str, Any], theirs: dict[str, Any]
) -> list[Drift]:
    found = []
    for field, mine in local.items():
        was, now = base.get(field), theirs.get(field)
        if mine == now:
            continue
        said = f"{field}: fleetops {mine!r}, NetBox {now!r}, last synced {was!r}"
        if mine != was and now != was:
            found.append(Drift("conflict", kind, key, said))
        elif now != was:
            found.append(Drift(FIELD_KIND.get(field, field), kind, key, said))
        else:
            found.append(Drift("pending", kind, key, said))
    return found


def report(session: Session, netbox: NetBox) -> list[Drift]:
    want, linked = desired(session), links(session)
    keys = {k: {link.netbox_id: key for key, link in linked[k].items()} for k in KINDS}
    found: list[Drift] = []
    gone: set[str] = set()  # devices missing in NetBox: their GPUs went with them (NetBox cascades)
    switches = cabling.switches(session)  # made in NetBox for the cabling plan
    for kind in KINDS:
        remote = {o["id"]: o for o in netbox.list(ENDPOINT[kind])}
        for key, fields in want[kind].items():
            link = linked[kind].get(key)
            if kind == "gpus" and fields["device"] in gone:
                continue
            if link is None or link.netbox_id not in remote:
                if kind == "devices":
                    gone.add(key)
                why = "never pushed" if link is None else f"NetBox id {link.netbox_id} is gone"
                found.append(Drift("missing_in_netbox", kind, key, why))
                continue
            theirs = remote_fields(kind, remote[link.netbox_id], keys)
            found += _fields(kind, key, compared(kind, fields), link.base, theirs)
        for netbox_id, obj in remote.items():
            if keys[kind].get(netbox_id) not in want[kind] and not (
                kind == "devices" and obj.get("name") in switches
            ):
                found.append(
                    Drift("missing_in_fleetops", kind, str(obj.get("name")), f"NetBox id {netbox_id}")
                )
    return found + [Drift(*f) for f in cable_drift.report(session, netbox)]


def completeness(
    session: Session, gone: frozenset[str] = frozenset(), drifted: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """Per pod: nodes, how many are complete (serial, rack, position, status, and the device in NetBox:
    pushed, and not among the serials the drift report found `gone` from NetBox since; a node the cabling
    plan has cables for, each of them pushed and not among the planned cables found `drifted`). A node
    with no cable planned is judged without cabling; `cabling` says how many of the pod's planned nodes
    are cabled as planned."""
    in_netbox = set(links(session, "devices")["devices"]) - gone
    cabled = cable_drift.cabled(session, drifted)
    pods: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    stmt = select(Rack.pod, Node.hostname, Node.serial, Node.position, Node.state).join(
        Rack, Rack.id == Node.rack_id
    )
    for pod, hostname, serial, position, state in session.execute(stmt):
        count, wired = pods[pod or "(no pod)"], cabled.get(hostname, True)
        count[0] += 1
        count[1] += bool(serial and position is not None and state and serial in in_netbox and wired)
        count[2] += hostname in cabled
        count[3] += hostname in cabled and wired
    return [
        {"pod": pod, "nodes": n, "complete": c, "share": c / n,
         "cabling": f"{w} of {p} planned nodes cabled" if p else "no cables planned"}
        for pod, (n, c, p, w) in sorted(pods.items())
    ]  # fmt: skip
