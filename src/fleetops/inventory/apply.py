"""Create-or-update of inventory records in bulk, inside the caller's transaction.

The import command, the API's create and update, and the simulator all go through `apply_document`,
so a duplicate serial or a dangling reference is refused the same way everywhere. Hot path for
10,000-node imports: set-based selects by natural key and executemany writes, never one ORM object
per row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any, Literal, Protocol, cast

from sqlalchemy import bindparam, delete, select, tuple_, update
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.audit.service import Change, record_many
from fleetops.db import bulk
from fleetops.errors import Conflict, InvalidInput, NotFound
from fleetops.inventory.fsm import check_transition
from fleetops.inventory.kinds import KINDS, ORDER, Kind
from fleetops.inventory.models import Gpu, Node
from fleetops.inventory.schemas import Document, GpuRecord, NodeRecord, Record

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


class Seen:
    """Natural keys and unique values already met in the file, kept across its chunks."""

    def __init__(self) -> None:
        self.values: dict[str, dict[Any, int]] = {}
        self.count = 0

    def check(self, kind: Kind, records: Sequence[Record]) -> None:
        for offset, rec in enumerate(records, start=self.count):
            key = tuple(getattr(rec, k) for k in kind.key)
            for name in (*kind.key, *kind.unique):
                value = key if name in kind.key else getattr(rec, name)
                seen = self.values.setdefault(name, {})
                if value in seen:
                    shown = "/".join(map(str, value)) if isinstance(value, tuple) else value
                    raise InvalidInput(
                        f"{kind.name} #{offset + 1} ({'/'.join(map(str, key))}): field {name}: "
                        f"duplicate {shown!r} (also record #{seen[value] + 1})"
                    )
                seen[value] = offset
        self.count += len(records)


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
    session: Session,
    actor: str,
    kind: Kind,
    records: Sequence[Record],
    mode: Mode,
    result: ApplyResult,
    seen: Seen | None = None,
) -> None:
    """Apply one chunk of one kind: checked against the chunks before it (`seen`) and the database."""
    (seen or Seen()).check(kind, records)
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
    table: Any = kind.model.__table__
    if creates:
        # Core, not the ORM's bulk path: a third of the write time of a 100,000-node import went to its
        # per-row bookkeeping. Time stamps are given, as PostgreSQL's JSON insert applies no defaults.
        now = clock.now()
        rows = [_row(kind, r) | {"created_at": now, "updated_at": now} for r in creates]
        bulk.insert(session.connection(), table, rows)
    if updates:
        rows = [{**_row(kind, r), "_id": r["_id"]} for r in updates]
        stmt = update(table).where(table.c.id == bindparam("_id"))
        session.connection().execute(stmt, rows)
    record_many(session, actor, changes)
    result.created[kind.name] += len(creates)
    result.updated[kind.name] += len(updates)


class Source(Protocol):
    """Records by kind, a chunk at a time (`Document`, or a file being read: `reading.RawDocument`)."""

    def chunks(self, plural: str) -> Iterator[list[Record]]: ...

    def gpu_owners(self) -> tuple[set[str], set[str]]: ...


@dataclass
class Whole:
    """A validated Document as a source: small inputs (API records, tests, the simulator's staging)."""

    doc: Document

    def chunks(self, plural: str) -> Iterator[list[Record]]:
        records = getattr(self.doc, plural)
        for part in _chunks(records):
            yield list(part)

    def gpu_owners(self) -> tuple[set[str], set[str]]:
        listed = [n for n in self.doc.nodes if n.gpus is not None]
        return {n.hostname for n in listed}, {g.uuid for n in listed for g in n.gpus or ()}


def _apply_node_gpus(
    session: Session,
    actor: str,
    nodes: Sequence[NodeRecord],
    owners: tuple[set[str], set[str]],
    result: ApplyResult,
    seen: Seen,
) -> None:
    """Listed GPUs are authoritative for their node: upsert them and remove the ones no longer listed.
    `owners` are the hostnames listing GPUs and the UUIDs listed in the whole file, not just this chunk,
    so a GPU moving between two nodes of the file is moved, not deleted and created again."""
    listed = [n for n in nodes if n.gpus is not None]
    if not listed:
        return
    gpus = [
        GpuRecord(uuid=g.uuid, node=n.hostname, index=g.index, serial=g.serial)
        for n in listed
        for g in n.gpus or ()
    ]
    hostnames, keep = owners
    kind = KINDS["gpu"]
    moved = {
        k: row
        for k, row in fetch_by_keys(session, kind, ((g.uuid,) for g in gpus)).items()
        if row["node"] not in hostnames
    }
    if moved:
        uuid, row = next(iter(moved.items()))
        raise Conflict(f"gpu {uuid[0]}: field uuid: already installed in node {row['node']}")
    stale_stmt = select(Gpu.id, Gpu.uuid).join(Node, Gpu.node_id == Node.id)
    stale = []
    for part in _chunks(sorted({n.hostname for n in listed})):
        rows = session.execute(stale_stmt.where(Node.hostname.in_(part))).all()
        stale += [(gid, uuid) for gid, uuid in rows if uuid not in keep]
    for part in _chunks(stale):
        session.execute(delete(Gpu).where(Gpu.id.in_([gid for gid, _ in part])))
    record_many(session, actor, (Change("gpu.delete", "gpu", uuid, {}) for _, uuid in stale))
    result.deleted["gpu"] += len(stale)
    for part in _chunks(gpus):
        apply_kind(session, actor, kind, part, "upsert", result, seen)


def apply_document(
    session: Session,
    actor: str,
    doc: Document | Source,
    mode: Mode = "upsert",
    progress: Callable[[int], None] | None = None,
) -> ApplyResult:
    """Apply every record of `doc` in dependency order, a chunk at a time; any error aborts the caller's
    whole transaction. `progress(n)` is told of every n nodes applied with their GPUs (the bulk of it)."""
    source = Whole(doc) if isinstance(doc, Document) else doc
    result = ApplyResult()
    owners = source.gpu_owners()
    gpus_seen = Seen()
    for name in ORDER:
        kind, seen = KINDS[name], Seen()
        for chunk in source.chunks(kind.plural):
            apply_kind(session, actor, kind, chunk, mode, result, seen)
            if name == "node":
                _apply_node_gpus(session, actor, cast(list[NodeRecord], chunk), owners, result, gpus_seen)
                if progress is not None:
                    progress(len(chunk))
    return result
