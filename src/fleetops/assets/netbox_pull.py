"""Pull NetBox's edits back into fleetops, through fleetops' own rules; a field both sides changed is a
conflict, reported and left alone on both sides.

NetBox is the source of truth for where a device is (rack and position: the DCIM team racks and moves
hardware) and, for a device that is an asset, its status (the team marks a unit staged, active, failed,
decommissioned). The rest stays fleetops': the serial (the device's identity, from the vendor's ASN and
the node's own BMC: a serial edited in NetBox is a typo or another chassis), the name (the hostname), and
the status of a node with no asset (its state machine, driven by health and remediation); those NetBox
edits stay drift for a person.

The pull reads NetBox's change log (`core/object-changes`: device updates after the cursor, by id), then
the devices it names, and compares each pulled field three ways (fleetops, NetBox, the link's base):
only NetBox moved → applied (placement by the inventory's own update, status by the asset's lifecycle
move, both audited, with NetBox's request id and user in a `netbox.pulled` entry); both moved → a
conflict; fleetops' own pushes change nothing. Each group of fields is one transaction; the cursor moves
after all of them, so an outage resumes where it stopped. A conflict is kept on the device's link and the
device read again by every pull until it is settled: when fleetops moves back, NetBox's edit is then
applied like any other (the change log will not show it twice); when NetBox does, it is gone.

Devices created or deleted in NetBox are not pulled: a node enters fleetops from the inventory and the
procurement feeds, and leaves by decommissioning, not because a row appeared or vanished in NetBox; both
are in the drift report (`missing_in_fleetops`, `missing_in_netbox`) for a person.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.assets import fsm, lifecycle, netbox_cursor
from fleetops.assets.choices import AssetKind, AssetState
from fleetops.assets.models import Asset, NetboxLink
from fleetops.assets.netbox_cursor import CHANGES
from fleetops.assets.netbox_model import KINDS, STATUS_OF_ASSET, desired
from fleetops.assets.netbox_sync import NetBox, compared, fetch, links, remote_fields
from fleetops.audit.service import Change, record
from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.db.session import Database
from fleetops.errors import FleetopsError, InvalidInput
from fleetops.inventory import service as inventory
from fleetops.inventory.kinds import KINDS as RECORDS
from fleetops.inventory.models import Node

PULLED = {"placement": ("rack", "position"), "status": ("status",)}  # NetBox's truth, by what moves together


def pull(database: Database, netbox: NetBox, actor: str) -> Counter[str]:
    done: Counter[str] = Counter()
    netbox_cursor.start(database, netbox)
    with database.transaction() as session:
        last = netbox_cursor.position(session) or 0
        linked = links(session, "racks", "devices")  # a device's rack is compared by its key
    by_id = {link.netbox_id: link for link in linked["devices"].values()}
    latest = {i: link.conflict for i, link in by_id.items() if link.conflict}  # read again until settled
    for change in netbox.list(CHANGES, after=last, changed_object_type="dcim.device", action="update"):
        last = max(last, change["id"])
        link = by_id.get(change["changed_object_id"])
        if link is not None and change.get("request_id") != link.request_id:  # not fleetops' own push
            latest[link.netbox_id] = _said(change)
    remote = fetch(netbox, "devices", sorted(latest))
    if remote:
        keys = {k: {link.netbox_id: key for key, link in linked[k].items()} for k in KINDS}
        with database.transaction() as session:
            want = desired(session, "devices")["devices"]
        for netbox_id, obj in remote.items():
            link = by_id[netbox_id]
            if link.key in want:
                local, theirs = compared("devices", want[link.key]), remote_fields("devices", obj, keys)
                done.update(_one(database, actor, link, latest[netbox_id], local, theirs))
    with database.transaction() as session:
        netbox_cursor.move(session, last)
    return done


def _said(change: dict[str, Any]) -> dict[str, Any]:
    """What the pull keeps of a NetBox change: who made it, in which request, when."""
    return {
        "request_id": change.get("request_id"),
        "netbox_user": change.get("user_name"),
        "time": change["time"],
    }


def _one(
    database: Database, actor: str, link: NetboxLink, change: dict[str, Any], local: dict[str, Any],
    theirs: dict[str, Any],
) -> set[str]:  # fmt: skip
    """One device, each group of pulled fields on its own (a refused status does not hold back a move):
    applied, agreed or in conflict. What became of the device, for the counts. A conflict already known
    and unchanged is not reported again."""
    said = {"request_id": change["request_id"], "netbox_user": change["netbox_user"], "pulled_by": actor}
    who = Principal(role=Role.OPERATOR, name=f"netbox/{change['netbox_user'] or 'unknown'}")
    at, outcomes = datetime.fromisoformat(change["time"]), set()
    conflicts: dict[str, dict[str, Any]] = {}
    for fields in PULLED.values():
        now, was, mine = ({f: side.get(f) for f in fields} for side in (theirs, link.base, local))
        if now == was:
            continue
        if mine != was and mine != now:
            conflicts |= {f: {"fleetops": mine[f], "netbox": now[f], "base": was[f]} for f in fields}
            continue
        try:
            with database.transaction() as session:
                if now != mine:
                    _apply(session, who, link.key, now, at, said)
                    moved = {f: [was[f], now[f]] for f in fields}
                    record(
                        session,
                        who.actor,
                        Change("netbox.pulled", "device", link.key, said | {"fields": moved}),
                    )
                    outcomes.add("devices pulled")
                agreed = session.get(NetboxLink, link.id)
                if agreed is not None:  # the base takes NetBox's value: the push leaves it
                    agreed.base = agreed.base | now
        except FleetopsError as refused:
            _audit(database, who, link.key, said | {"fields": now, "refused": refused.message}, "refused")
            outcomes.add("devices refused")
    held = change | {"fields": conflicts} if conflicts else None
    if held != link.conflict:
        if held is not None:
            _audit(database, who, link.key, said | {"fields": conflicts}, "conflict")
            outcomes.add("conflicts found")
        with database.transaction() as session:
            kept = session.get(NetboxLink, link.id)
            if kept is not None:
                kept.conflict = held
    return outcomes


def _audit(database: Database, who: Principal, serial: str, entry: dict[str, Any], result: str) -> None:
    with database.transaction() as session:
        record(session, who.actor, Change("netbox.pulled", "device", serial, entry, result))


def _apply(
    session: Session, who: Principal, serial: str, fields: dict[str, Any], at: datetime, said: dict[str, Any]
) -> None:
    if "rack" in fields:
        node_id = session.scalar(select(Node.id).where(Node.serial == serial))
        if node_id is None or fields["rack"] is None:
            why = (
                "no inventory node has this serial"
                if node_id is None
                else "NetBox puts it in no rack fleetops holds"
            )
            raise InvalidInput(f"device {serial}: field rack: {why}")
        site, rack = fields["rack"].split("/", 1)
        patch = {"site": site, "rack": rack, "position": fields["position"]}
        inventory.update_record(session, who, RECORDS["node"], node_id, patch)
    if "status" in fields:
        asset = session.scalar(select(Asset).where(Asset.serial == serial, Asset.kind == AssetKind.SERVER))
        if asset is None:
            raise InvalidInput(
                f"device {serial}: field status: a node with no asset keeps fleetops' state, not NetBox's"
            )
        target = _state(serial, AssetState(asset.state), fields["status"])
        reason = f"NetBox: {said['netbox_user']} set status {fields['status']} (request {said['request_id']})"
        lifecycle.move(session, who.actor, asset, target, at=at, reason=reason)


def _state(serial: str, current: AssetState, status: str) -> AssetState:
    """The lifecycle state NetBox's status means from here: of the states that show as that status, the
    first the transition table allows (`failed` is repair before RMA); none allowed is refused by it."""
    candidates = [state for state in AssetState if STATUS_OF_ASSET[state] == status]
    if not candidates:
        raise InvalidInput(
            f"device {serial}: field status: NetBox's {status!r} is no fleetops lifecycle state"
        )
    allowed = [state for state in candidates if state in fsm.TRANSITIONS[current]]
    if not allowed:
        fsm.check(serial, current, candidates[0])
    return allowed[0]
