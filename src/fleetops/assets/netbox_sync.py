"""Push fleetops' model to NetBox in all-or-none batches, each batch's links committed as it lands, so a
NetBox outage mid-sync leaves fleetops consistent and the next sync resumes at the first unwritten batch.

An object both sides changed since the last sync is a conflict: left as it is on both sides and reported
by the drift report, never overwritten. An object only NetBox changed is reported, not reverted."""

from __future__ import annotations

from collections import Counter
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.assets.models import Asset, NetboxLink, Shipment
from fleetops.assets.netbox_model import COMPARED, ENDPOINT, KINDS, desired
from fleetops.audit.service import Change, record
from fleetops.db.session import Database

REFS = {
    "racks": {"site": "sites"},
    "devices": {"site": "sites", "rack": "racks"},
    "gpus": {"device": "devices"},
}


class NetBox(Protocol):
    last_request_id: str | None

    def list(self, endpoint: str, **filters: Any) -> Any: ...
    def bulk_create(self, endpoint: str, objects: list[dict[str, Any]]) -> list[dict[str, Any]]: ...
    def bulk_update(self, endpoint: str, objects: list[dict[str, Any]]) -> list[dict[str, Any]]: ...


def compared(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {f: fields.get(f) for f in COMPARED[kind]}


def remote_fields(kind: str, obj: dict[str, Any], keys: dict[str, dict[int, str]]) -> dict[str, Any]:
    """A NetBox object in fleetops' terms: references (an id, or NetBox's nested {"id": ...}) as keys."""
    out = {}
    for field in COMPARED[kind]:
        value = obj.get(field)
        if field in REFS.get(kind, {}) and value is not None:
            value = keys[REFS[kind][field]].get(value["id"] if isinstance(value, dict) else value)
        if isinstance(value, dict) and "value" in value:  # NetBox's status is {"value", "label"}
            value = value["value"]
        out[field] = value
    return out


def links(session: Session) -> dict[str, dict[str, NetboxLink]]:
    found: dict[str, dict[str, NetboxLink]] = {k: {} for k in KINDS}
    for link in session.scalars(select(NetboxLink)):
        found[link.kind][link.key] = link
    return found


def _payload(kind: str, fields: dict[str, Any], ids: dict[str, dict[str, int]]) -> dict[str, Any]:
    out = dict(fields)
    for field, target in REFS.get(kind, {}).items():
        out[field] = ids[target].get(fields[field]) if fields.get(field) is not None else None
    return out


def sync(database: Database, netbox: NetBox, actor: str, batch: int = 500) -> Counter[str]:
    done: Counter[str] = Counter()
    with database.transaction() as session:
        want, linked = desired(session), links(session)
    ids = {k: {key: link.netbox_id for key, link in linked[k].items()} for k in KINDS}
    for kind in KINDS:
        keys = {k: {i: key for key, i in ids[k].items()} for k in KINDS}
        remote = {o["id"]: o for o in netbox.list(ENDPOINT[kind])}
        creates = [key for key in want[kind] if key not in linked[kind]]
        for start in range(0, len(creates), batch):
            part = creates[start : start + batch]
            made = netbox.bulk_create(ENDPOINT[kind], [_payload(kind, want[kind][k], ids) for k in part])
            rows = [
                (key, obj["id"], compared(kind, want[kind][key])) for key, obj in zip(part, made, strict=True)
            ]
            _landed(database, actor, kind, rows, netbox.last_request_id, "created")
            ids[kind].update({key: i for key, i, _ in rows})
            done[f"{kind} created"] += len(rows)
        changes = []
        for key, link in linked[kind].items():
            if key not in want[kind] or link.netbox_id not in remote:
                continue  # gone on one side: the drift report says which
            local, theirs = compared(kind, want[kind][key]), remote_fields(kind, remote[link.netbox_id], keys)
            if local == link.base:
                continue
            if theirs != link.base and theirs != local:
                done["conflicts left"] += 1
                continue
            changes.append((key, link.netbox_id, local))
        for start in range(0, len(changes), batch):
            part = changes[start : start + batch]
            netbox.bulk_update(
                ENDPOINT[kind], [_payload(kind, want[kind][k], ids) | {"id": i} for k, i, _ in part]
            )
            _landed(database, actor, kind, part, netbox.last_request_id, "updated")
            done[f"{kind} updated"] += len(part)
    _asns_in_netbox(database)
    return done


def _landed(
    database: Database, actor: str, kind: str, rows: list[Any], request_id: str | None, how: str
) -> None:
    """One batch NetBox took: its links and base, and one audit entry carrying NetBox's request id."""
    now = clock.now()
    with database.transaction() as session:
        current = {
            link.key: link for link in session.scalars(select(NetboxLink).where(NetboxLink.kind == kind))
        }
        for key, netbox_id, base in rows:
            link = current.get(key)
            if link is None:
                session.add(
                    NetboxLink(
                        kind=kind,
                        key=key,
                        netbox_id=netbox_id,
                        base=base,
                        synced_at=now,
                        request_id=request_id,
                    )
                )
            else:
                link.base, link.synced_at, link.request_id = base, now, request_id
        change = {"objects": len(rows), "request_id": request_id, "keys": [r[0] for r in rows[:20]]}
        record(session, actor, Change(f"netbox.{how}", "netbox", ENDPOINT[kind], change))


def _asns_in_netbox(database: Database) -> None:
    """An ASN is in NetBox once every server it shipped has its device there (the 4 h timer stops)."""
    with database.transaction() as session:
        devices = set(session.scalars(select(NetboxLink.key).where(NetboxLink.kind == "devices")))
        waiting = session.execute(
            select(Shipment.id, Asset.serial)
            .join(Asset, Asset.shipment_id == Shipment.id)
            .where(Shipment.netbox_at.is_(None), Asset.kind == "server")
        ).all()
        missing = {sid for sid, serial in waiting if serial not in devices}
        ready = {sid for sid, _ in waiting} - missing
        if ready:
            session.execute(update(Shipment).where(Shipment.id.in_(ready)).values(netbox_at=clock.now()))
