"""Create-or-update of inventory records in bulk, inside the caller's transaction.

The import command, the API's create and update, and the simulator all go through `apply_document`,
so a duplicate serial or a dangling reference is refused the same way everywhere. Hot path for
10,000-node imports: set-based selects by natural key and executemany writes, never one ORM object
per row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any, Literal

from sqlalchemy import bindparam, delete, insert, select, tuple_, update
from sqlalchemy.orm import Session

from fleetops.audit.service import Change, record_many
from fleetops.errors import Conflict, InvalidInput, NotFound
from fleetops.inventory.fsm import check_transition
from fleetops.inventory.kinds import KINDS, ORDER, Kind
from fleetops.inventory.models import Gpu, Node
from fleetops.inventory.schemas import Document, GpuRecord, Record

Mode = Literal["upsert", "create", "update"]
CHUNK = 2000
Key = tuple[Any, ...]


@dataclass
class ApplyResult:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    deleted: Counter[str] = field(default_factory=Counter)

    def summary(self) -> dict[str, dict[str, int]]:
        return {name: dict(getattr(self, name)) for name in ("created", "updated", "unchanged", "deleted")}


def jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


def _label(kind: Kind, key: Key) -> str:
    return f"{kind.name} {'/'.join(str(k) for k in key)}"


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def fetch_by_keys(session: Session, kind: Kind, keys: Iterable[Key]) -> dict[Key, dict[str, Any]]:
    """Read-view rows of `kind` whose natural key is among `keys`."""
    keys = list(dict.fromkeys(keys))
    columns = kind.key_columns()
    found: dict[Key, dict[str, Any]] = {}
    for part in _chunks(keys):
        where = columns[0].in_([k[0] for k in part]) if len(columns) == 1 else tuple_(*columns).in_(part)
        for row in session.execute(kind.view().where(where)).mappings():
            found[kind.key_of(row)] = dict(row)
    return found


def _check_unique_in_file(kind: Kind, records: Sequence[Record]) -> None:
    for name in (*kind.key, *kind.unique):
        seen: dict[Any, int] = {}
        for i, rec in enumerate(records):
            key = tuple(getattr(rec, k) for k in kind.key)
            value = key if name in kind.key else getattr(rec, name)
            if value in seen:
                shown = "/".join(map(str, value)) if isinstance(value, tuple) else value
                raise InvalidInput(
                    f"{kind.name} #{i + 1} ({'/'.join(map(str, key))}): field {name}: "
                    f"duplicate {shown!r} (also record #{seen[value] + 1})"
                )
            seen[value] = i


def _check_unique_in_db(session: Session, kind: Kind, records: Sequence[Record]) -> None:
    for name in kind.unique:
        column = getattr(kind.model, name)
        key_column = getattr(kind.model, kind.key[0])
        by_value = {getattr(r, name): tuple(getattr(r, k) for k in kind.key) for r in records}
        for part in _chunks(list(by_value)):
            for value, owner in session.execute(select(column, key_column).where(column.in_(part))):
                if (owner,) != by_value[value]:
                    label = _label(kind, by_value[value])
                    raise Conflict(f"{label}: field {name}: {value!r} already belongs to {kind.name} {owner}")


def _resolve_refs(session: Session, kind: Kind, recs: list[dict[str, Any]]) -> None:
    """Replace each reference's names with the target's id, in place; unknown names are refused."""
    for ref in kind.refs:
        target = KINDS[ref.target]
        wanted = {tuple(r[f] for f in ref.fields) for r in recs if r[ref.fields[-1]] is not None}
        ids = {k: row["id"] for k, row in fetch_by_keys(session, target, wanted).items()}
        for r in recs:
            value = tuple(r[f] for f in ref.fields)
            if r[ref.fields[-1]] is None:
                r[ref.column] = None
            elif value in ids:
                r[ref.column] = ids[value]
            else:
                shown = "/".join(str(v) for v in value)
                label = _label(kind, tuple(r[k] for k in kind.key))
                raise InvalidInput(f"{label}: field {ref.fields[-1]}: unknown {ref.target} {shown!r}")


def _row(kind: Kind, rec: dict[str, Any]) -> dict[str, Any]:
    ref_fields = {f for ref in kind.refs for f in ref.fields}
    row = {f: rec[f] for f in kind.record_fields if f not in ref_fields}
    row.update({ref.column: rec[ref.column] for ref in kind.refs})
    return row


def apply_kind(
    session: Session, actor: str, kind: Kind, records: Sequence[Record], mode: Mode, result: ApplyResult
) -> None:
    _check_unique_in_file(kind, records)
    _check_unique_in_db(session, kind, records)
    existing = fetch_by_keys(session, kind, (tuple(getattr(r, k) for k in kind.key) for r in records))
    creates, updates, changes = [], [], []
    for rec in records:
        new = rec.model_dump(exclude={"gpus"})
        key = tuple(new[k] for k in kind.key)
        old = existing.get(key)
        if old is None:
            if mode == "update":
                raise NotFound(f"{_label(kind, key)}: no such record")
            creates.append(new)
            changes.append(
                Change(
                    f"{kind.name}.create",
                    kind.name,
                    "/".join(map(str, key)),
                    {f: jsonable(v) for f, v in new.items()},
                )
            )
            continue
        if mode == "create":
            raise Conflict(f"{_label(kind, key)}: already exists")
        diff = {f: [jsonable(old[f]), jsonable(new[f])] for f in kind.record_fields if old[f] != new[f]}
        if not diff:
            result.unchanged[kind.name] += 1
            continue
        if "state" in diff:
            check_transition(kind.name, "/".join(map(str, key)), old["state"], new["state"])
        new["_id"] = old["id"]
        updates.append(new)
        changes.append(Change(f"{kind.name}.update", kind.name, "/".join(map(str, key)), diff))
    _resolve_refs(session, kind, creates + updates)
    if creates:
        session.execute(insert(kind.model), [_row(kind, r) for r in creates])
    if updates:
        table: Any = kind.model.__table__
        rows = [{**_row(kind, r), "_id": r["_id"]} for r in updates]
        stmt = update(table).where(table.c.id == bindparam("_id"))
        session.connection().execute(stmt, rows)
    record_many(session, actor, changes)
    result.created[kind.name] += len(creates)
    result.updated[kind.name] += len(updates)


def _apply_node_gpus(session: Session, actor: str, doc: Document, result: ApplyResult) -> None:
    """Listed GPUs are authoritative for their node: upsert them and remove the ones no longer listed."""
    listed = [n for n in doc.nodes if n.gpus is not None]
    if not listed:
        return
    gpus = [
        GpuRecord(uuid=g.uuid, node=n.hostname, index=g.index, serial=g.serial)
        for n in listed
        for g in n.gpus or ()
    ]
    hostnames = {n.hostname for n in listed}
    kind = KINDS["gpu"]
    moved = {
        k: row
        for k, row in fetch_by_keys(session, kind, ((g.uuid,) for g in gpus)).items()
        if row["node"] not in hostnames
    }
    if moved:
        uuid, row = next(iter(moved.items()))
        raise Conflict(f"gpu {uuid[0]}: field uuid: already installed in node {row['node']}")
    keep = {g.uuid for g in gpus}
    stale_stmt = select(Gpu.id, Gpu.uuid).join(Node, Gpu.node_id == Node.id)
    stale = []
    for part in _chunks(sorted(hostnames)):
        rows = session.execute(stale_stmt.where(Node.hostname.in_(part))).all()
        stale += [(gid, uuid) for gid, uuid in rows if uuid not in keep]
    for part in _chunks(stale):
        session.execute(delete(Gpu).where(Gpu.id.in_([gid for gid, _ in part])))
    record_many(session, actor, (Change("gpu.delete", "gpu", uuid, {}) for _, uuid in stale))
    result.deleted["gpu"] += len(stale)
    apply_kind(session, actor, kind, gpus, "upsert", result)


def apply_document(session: Session, actor: str, doc: Document, mode: Mode = "upsert") -> ApplyResult:
    """Apply every record of `doc` in dependency order; any error aborts the caller's whole transaction."""
    result = ApplyResult()
    for name in ORDER:
        kind = KINDS[name]
        records = getattr(doc, kind.plural)
        if records:
            apply_kind(session, actor, kind, records, mode, result)
    _apply_node_gpus(session, actor, doc, result)
    return result
