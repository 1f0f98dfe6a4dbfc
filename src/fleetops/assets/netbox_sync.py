"""Push fleetops' model to NetBox in all-or-none batches, each batch's links committed as it lands, so a
NetBox outage mid-sync leaves fleetops consistent and the next sync resumes at the first unwritten batch.

An object both sides changed since the last sync is a conflict: left as it is on both sides and reported
by the drift report, never overwritten. An object only NetBox changed is never reverted: the fields NetBox
owns were pulled into fleetops before the push (netbox_pull.py), the others are reported as drift."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import suppress
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.adapters.netbox.client import choice, ref_id
from fleetops.assets import netbox_cables, netbox_cursor, netbox_refs
from fleetops.assets.models import Asset, NetboxLink, Shipment
from fleetops.assets.netbox_batches import audited, filtered, in_parallel
from fleetops.assets.netbox_model import COMPARED, ENDPOINT, KINDS, NATURAL, desired
from fleetops.db.bulk import chunks
from fleetops.db.session import Database
from fleetops.errors import FleetopsError

REFS = {
    "sites": {"region": "regions"},
    "racks": {"site": "sites"},
    "devices": {"site": "sites", "rack": "racks", "device_type": "device_types", "role": "roles"},
    "gpus": {"device": "devices"},
}


class NetBox(Protocol):
    @property
    def last_request_id(self) -> str | None: ...  # of this thread's last request

    def bulk_create(self, endpoint: str, objects: list[dict[str, Any]]) -> list[dict[str, Any]]: ...
    def bulk_update(self, endpoint: str, objects: list[dict[str, Any]]) -> list[dict[str, Any]]: ...
    def list(self, endpoint: str, after: int = 0, **filters: Any) -> Iterator[dict[str, Any]]: ...  # shadows
    def latest_id(self, endpoint: str) -> int: ...


def compared(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {f: fields.get(f) for f in COMPARED[kind]}


def remote_fields(
    kind: str, obj: dict[str, Any], keys: dict[str, dict[int, str]], fields: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A NetBox object in fleetops' terms: references (an id, or NetBox's nested {"id": ...}) as keys."""
    out = {}
    for field in fields or COMPARED[kind]:
        value = obj.get(field)
        if field in REFS.get(kind, {}) and value is not None:
            value = keys[REFS[kind][field]].get(ref_id(value))
        out[field] = choice(value)  # NetBox's status is {"value", "label"}
    return out


def links(session: Session, *only: str) -> dict[str, dict[str, NetboxLink]]:
    """kind → key → link, every kind present; with `only`, just those kinds read (a fleet's GPU links are
    80,000 rows the pull and the completeness page have no use for)."""
    found: dict[str, dict[str, NetboxLink]] = {k: {} for k in KINDS}
    for link in session.scalars(select(NetboxLink).where(NetboxLink.kind.in_(only or KINDS))):
        found[link.kind][link.key] = link
    return found


def _payload(kind: str, fields: dict[str, Any], ids: dict[str, dict[str, int]]) -> dict[str, Any]:
    out = dict(fields)
    for field, target in REFS.get(kind, {}).items():
        out[field] = ids[target].get(fields[field]) if fields.get(field) is not None else None
    return out


def fetch(netbox: NetBox, kind: str, netbox_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Only the NetBox objects asked for, by id: an incremental sync reads what it may change."""
    return {o["id"]: o for o in filtered(netbox, ENDPOINT[kind], "id", netbox_ids)}


def sync(
    database: Database, netbox: NetBox, actor: str, batch: int = 500, concurrency: int = 1
) -> Counter[str]:
    """`concurrency` batches of a kind in flight at once: NetBox's time per object is its own, so more
    of its workers at once is what shortens a first sync (bench/bench_assets.py)."""
    done: Counter[str] = Counter()
    with suppress(FleetopsError):  # a token that may not read the change log still pushes; the pull says so
        netbox_cursor.start(database, netbox)  # before the first write: NetBox's edits from now on are pulled
    with database.transaction() as session:
        want, linked = desired(session), links(session)
    ids = {k: {key: link.netbox_id for key, link in linked[k].items()} for k in KINDS}
    ids |= netbox_refs.ensure(netbox, want["devices"])
    for kind in KINDS:
        creates = [key for key in want[kind] if key not in linked[kind]]
        if creates:
            adopted = _adopt(database, netbox, actor, kind, {k: want[kind][k] for k in creates}, ids)
            linked[kind] |= adopted
            creates = [key for key in creates if key not in adopted]
            done.update({f"{kind} adopted": len(adopted)} if adopted else {})
        parts = [creates[start : start + batch] for start in range(0, len(creates), batch)]
        payloads = [[_payload(kind, want[kind][k], ids) for k in part] for part in parts]
        for n, rid, made in in_parallel(netbox, netbox.bulk_create, ENDPOINT[kind], payloads, concurrency):
            rows = [
                (key, obj["id"], compared(kind, want[kind][key]))
                for key, obj in zip(parts[n], made, strict=True)
            ]
            _landed(database, actor, kind, rows, rid, "created")
            ids[kind].update({key: i for key, i, _ in rows})
            done[f"{kind} created"] += len(rows)
        changes = _changes(netbox, kind, want[kind], linked[kind], ids, done)
        moves = [changes[start : start + batch] for start in range(0, len(changes), batch)]
        payloads = [[_payload(kind, want[kind][k], ids) | {"id": i} for k, i, _ in part] for part in moves]
        for n, rid, _ in in_parallel(netbox, netbox.bulk_update, ENDPOINT[kind], payloads, concurrency):
            _landed(database, actor, kind, moves[n], rid, "updated")
            done[f"{kind} updated"] += len(moves[n])
    _asns_in_netbox(database)  # before the cables: a cable NetBox refuses must not hold back the ASN timer
    return done + netbox_cables.push(database, netbox, actor, batch, concurrency)  # after the devices


def _adopt(
    database: Database,
    netbox: NetBox,
    actor: str,
    kind: str,
    unlinked: dict[str, dict[str, Any]],
    ids: dict[str, dict[str, int]],
) -> dict[str, NetboxLink]:
    """Objects NetBox already holds under the same natural key (a device's serial, a rack's site and
    name...) are linked, not created again: a NetBox kept by hand before fleetops, or a batch that landed
    though its answer was lost (a timeout), would otherwise refuse the whole batch as duplicates. The
    link's base is fleetops' own fields: where NetBox says otherwise, the drift report shows it as an
    edit made in NetBox for a person to settle, and the sync does not overwrite it."""
    keys = {k: {i: key for key, i in ids[k].items()} for k in KINDS}
    linked_ids = set(ids[kind].values())
    theirs = {
        tuple(remote_fields(kind, obj, keys, NATURAL[kind]).values()): obj
        for obj in netbox.list(ENDPOINT[kind])
        if obj["id"] not in linked_ids
    }
    found = {
        key: theirs[natural]
        for key, fields in unlinked.items()
        if (natural := tuple(fields.get(f) for f in NATURAL[kind])) in theirs
    }
    rows = [(key, obj["id"], compared(kind, unlinked[key])) for key, obj in found.items()]
    if rows:
        _landed(database, actor, kind, rows, netbox.last_request_id, "adopted")
        ids[kind].update({key: i for key, i, _ in rows})
    return {key: NetboxLink(kind=kind, key=key, netbox_id=i, base=base) for key, i, base in rows}


def _changes(
    netbox: NetBox,
    kind: str,
    want: dict[str, dict[str, Any]],
    linked: dict[str, NetboxLink],
    ids: dict[str, dict[str, int]],
    done: Counter[str],
) -> list[tuple[str, int, dict[str, Any]]]:
    """What fleetops changed since the last sync and NetBox did not: (key, NetBox id, new base)."""
    moved = {
        key: link for key, link in linked.items() if key in want and compared(kind, want[key]) != link.base
    }
    remote = fetch(netbox, kind, sorted(link.netbox_id for link in moved.values()))
    keys = {k: {i: key for key, i in ids[k].items()} for k in KINDS}
    changes = []
    for key, link in moved.items():
        if link.netbox_id not in remote:
            continue  # gone in NetBox: the drift report says so
        local, theirs = compared(kind, want[key]), remote_fields(kind, remote[link.netbox_id], keys)
        if theirs != link.base and theirs != local:
            done["conflicts left"] += 1
            continue
        changes.append((key, link.netbox_id, local))
    return changes


def _landed(
    database: Database, actor: str, kind: str, rows: list[Any], request_id: str | None, how: str
) -> None:
    """One batch NetBox took: its links and base, and one audit entry carrying NetBox's request id. Only
    the batch's own links are read: reading every link of the kind per batch made a first sync quadratic
    (80,000 GPU links read 800 times, a third of a core beside NetBox at 10,000 nodes)."""
    now = clock.now()
    with database.transaction() as session:
        keys = [row[0] for row in rows]
        current = {
            link.key: link
            for part in chunks(keys)
            for link in session.scalars(
                select(NetboxLink).where(NetboxLink.kind == kind, NetboxLink.key.in_(part))
            )
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
        audited(session, actor, how, ENDPOINT[kind], keys, request_id)


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
