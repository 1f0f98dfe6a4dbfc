"""Create-or-update of inventory records in bulk, inside the caller's transaction.

The import command, the API's create and update, and the simulator all go through `apply_document`,
so a duplicate serial or a dangling reference is refused the same way everywhere. Hot path for
100,000-node imports: records as plain dicts, set-based selects by natural key (none at all against a
kind whose table was empty when the import began), and the DB-API's executemany on column tuples
(`bulk.insert_rows`), never one ORM object or SQLAlchemy parameter dict per row.

The audit of a file is `audited.Audit`'s: one entry naming it, its GPUs listed by chunk.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Literal, Protocol

from sqlalchemy import bindparam, delete, select, tuple_, update
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.cycles import collector_paused
from fleetops.db import bulk
from fleetops.errors import Conflict, InvalidInput, NotFound
from fleetops.inventory.audited import Audit, Row, jsonable
from fleetops.inventory.fsm import check_transition
from fleetops.inventory.kinds import KINDS, ORDER, Kind
from fleetops.inventory.models import Gpu, Node
from fleetops.inventory.schemas import Document

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

    def check(self, kind: Kind, records: Sequence[Row]) -> None:
        """A set comparison per chunk; only a chunk holding a duplicate is walked to name it."""
        for name in (kind.key[0], *kind.unique):
            get = _key_getter(kind) if name == kind.key[0] else itemgetter(name)
            values = list(map(get, records))
            seen = self.values.setdefault(name, {})
            if len(set(values)) != len(values) or not seen.keys().isdisjoint(values):
                self._name_duplicate(kind, name, records, values, seen)
            seen.update(zip(values, range(self.count, self.count + len(values)), strict=True))
        self.count += len(records)

    def _name_duplicate(
        self, kind: Kind, name: str, records: Sequence[Row], values: list[Any], seen: dict[Any, int]
    ) -> None:
        earlier = dict(seen)
        for offset, (rec, value) in enumerate(zip(records, values, strict=True), start=self.count):
            if value in earlier:
                key = "/".join(str(rec[k]) for k in kind.key)
                shown = "/".join(map(str, value)) if isinstance(value, tuple) else value
                raise InvalidInput(
                    f"{kind.name} #{offset + 1} ({key}): field {name}: "
                    f"duplicate {shown!r} (also record #{earlier[value] + 1})"
                )
            earlier[value] = offset


def _key_getter(kind: Kind) -> Callable[[Row], Key]:
    """A record's natural key as a tuple, at C speed (`itemgetter` of one field gives no tuple)."""
    if len(kind.key) == 1:
        (name,) = kind.key
        return lambda rec: (rec[name],)
    return itemgetter(*kind.key)


def _check_unique_in_db(session: Session, kind: Kind, records: Sequence[Row]) -> None:
    for name in kind.unique:
        column = getattr(kind.model, name)
        key_column = getattr(kind.model, kind.key[0])
        by_value = {r[name]: tuple(r[k] for k in kind.key) for r in records}
        for part in _chunks(list(by_value)):
            for value, owner in session.execute(select(column, key_column).where(column.in_(part))):
                if (owner,) != by_value[value]:
                    label = _label(kind, by_value[value])
                    raise Conflict(f"{label}: field {name}: {value!r} already belongs to {kind.name} {owner}")


def _ids(session: Session, kind: Kind, keys: Iterable[Key], tables: Tables) -> dict[Key, int]:
    """Ids by natural key, each read once per import (`tables.ids`): a GPU chunk's nodes were read with
    their chunk. Read from the kind's own table when its key is one of its columns (a node's hostname),
    not through the joined read view."""
    known = tables.ids.setdefault(kind.name, {})
    missing = [k for k in keys if k not in known]
    table: Any = kind.model.__table__
    if len(kind.key) > 1 or kind.key[0] not in table.c:
        known.update({k: row["id"] for k, row in fetch_by_keys(session, kind, missing).items()})
        return known
    column = table.c[kind.key[0]]
    for part in _chunks([k[0] for k in missing]):
        found = session.execute(select(table.c.id, column).where(column.in_(part)))
        known.update({(key,): id_ for id_, key in found})
    return known


def _resolve_refs(session: Session, kind: Kind, recs: list[dict[str, Any]], tables: Tables) -> None:
    """Replace each reference's names with the target's id, in place; unknown names are refused."""
    for ref in kind.refs:
        target = KINDS[ref.target]
        wanted = {tuple(r[f] for f in ref.fields) for r in recs if r[ref.fields[-1]] is not None}
        ids = _ids(session, target, wanted, tables)
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


def _columns(kind: Kind) -> tuple[str, ...]:
    """The table columns a record fills: its own fields, and the ids its references resolve to."""
    ref_fields = {f for ref in kind.refs for f in ref.fields}
    return (*(f for f in kind.record_fields if f not in ref_fields), *(ref.column for ref in kind.refs))


@dataclass
class Tables:
    """What one import knows of the tables: the kinds whose table was empty when it began (nothing there
    to update or collide with but the file's own earlier chunks, which `Seen` checks: their rows are not
    looked up at all), and the ids of the records referred to so far."""

    empty: set[str] = field(default_factory=set)
    ids: dict[str, dict[Key, int]] = field(default_factory=dict)

    @classmethod
    def read(cls, session: Session) -> Tables:
        return cls(
            {n for n, k in KINDS.items() if session.execute(select(k.model.id).limit(1)).first() is None}
        )


def apply_kind(
    session: Session,
    audit: Audit,
    kind: Kind,
    records: Sequence[Row],
    mode: Mode,
    result: ApplyResult,
    seen: Seen | None = None,
    tables: Tables | None = None,
) -> None:
    """Apply one chunk of one kind: checked against the chunks before it (`seen`) and the database."""
    (seen or Seen()).check(kind, records)
    fresh = tables is not None and kind.name in tables.empty
    if not fresh:
        _check_unique_in_db(session, kind, records)
    existing = {} if fresh else fetch_by_keys(session, kind, map(_key_getter(kind), records))
    creates, updates, diffs = [], [], {}
    for rec in records:
        key = tuple(rec[k] for k in kind.key)
        old = existing.get(key)
        if old is None:
            if mode == "update":
                raise NotFound(f"{_label(kind, key)}: no such record")
            creates.append(rec)
            continue
        if mode == "create":
            raise Conflict(f"{_label(kind, key)}: already exists")
        diff = {f: [jsonable(old[f]), jsonable(rec[f])] for f in kind.record_fields if old[f] != rec[f]}
        if not diff:
            result.unchanged[kind.name] += 1
            continue
        if "state" in diff:
            check_transition(kind.name, "/".join(map(str, key)), old["state"], rec["state"])
        updates.append(rec | {"_id": old["id"]})
        diffs["/".join(map(str, key))] = diff
    _resolve_refs(session, kind, creates + updates, tables or Tables())
    table: Any = kind.model.__table__
    columns = _columns(kind)
    if creates:
        # Time stamps are given once, as PostgreSQL's JSON insert applies no defaults.
        now = clock.now()
        rows = [tuple(map(r.__getitem__, columns)) for r in creates]
        bulk.insert_rows(session.connection(), table, columns, rows, {"created_at": now, "updated_at": now})
    if updates:
        stmt = update(table).where(table.c.id == bindparam("_id"))
        session.connection().execute(stmt, [{c: r[c] for c in (*columns, "_id")} for r in updates])
    audit.record(kind, creates, diffs, ())
    result.created[kind.name] += len(creates)
    result.updated[kind.name] += len(updates)


class Source(Protocol):
    """Records by kind, a chunk at a time (`Document`, or a file being read: `reading.RawDocument`), and
    where they came from (None for the API's records: audited one row each)."""

    origin: dict[str, Any] | None

    def chunks(self, plural: str) -> Iterator[list[Row]]: ...

    def gpu_owners(self) -> tuple[set[str], set[str]]: ...


@dataclass
class Whole:
    """A validated Document as a source: small inputs (API records, tests, the simulator's staging)."""

    doc: Document
    origin: dict[str, Any] | None = None

    def chunks(self, plural: str) -> Iterator[list[Row]]:
        records = getattr(self.doc, plural)
        for part in _chunks(records):
            yield [dict(r) for r in part]

    def gpu_owners(self) -> tuple[set[str], set[str]]:
        listed = [n for n in self.doc.nodes if n.gpus is not None]
        return {n.hostname for n in listed}, {g.uuid for n in listed for g in n.gpus or ()}


@dataclass
class Context:
    """What every chunk of one `apply_document` shares."""

    session: Session
    audit: Audit
    result: ApplyResult
    tables: Tables
    gpus_seen: Seen = field(default_factory=Seen)


def _apply_node_gpus(ctx: Context, nodes: Sequence[Row], owners: tuple[set[str], set[str]]) -> None:
    """Listed GPUs are authoritative for their node: upsert them and remove the ones no longer listed.
    `owners` are the hostnames listing GPUs and the UUIDs listed in the whole file, not just this chunk,
    so a GPU moving between two nodes of the file is moved, not deleted and created again."""
    listed = [n for n in nodes if n["gpus"] is not None]
    if not listed:
        return
    gpus = [
        {"uuid": g.uuid, "node": n["hostname"], "index": g.index, "serial": g.serial}
        for n in listed
        for g in n["gpus"]
    ]
    kind, session = KINDS["gpu"], ctx.session
    _ids(session, KINDS["node"], [(n["hostname"],) for n in listed], ctx.tables)  # one read, not one a chunk
    if "gpu" not in ctx.tables.empty:
        _check_moves_and_delete_stale(ctx, listed, gpus, owners)
    for part in _chunks(gpus):
        apply_kind(session, ctx.audit, kind, part, "upsert", ctx.result, ctx.gpus_seen, ctx.tables)


def _check_moves_and_delete_stale(
    ctx: Context, listed: Sequence[Row], gpus: Sequence[Row], owners: tuple[set[str], set[str]]
) -> None:
    hostnames, keep = owners
    kind, session = KINDS["gpu"], ctx.session
    moved = {
        k: row
        for k, row in fetch_by_keys(session, kind, ((g["uuid"],) for g in gpus)).items()
        if row["node"] not in hostnames
    }
    if moved:
        uuid, row = next(iter(moved.items()))
        raise Conflict(f"gpu {uuid[0]}: field uuid: already installed in node {row['node']}")
    stale_stmt = select(Gpu.id, Gpu.uuid).join(Node, Gpu.node_id == Node.id)
    stale = []
    for part in _chunks(sorted({n["hostname"] for n in listed})):
        rows = session.execute(stale_stmt.where(Node.hostname.in_(part))).all()
        stale += [(gid, uuid) for gid, uuid in rows if uuid not in keep]
    for part in _chunks(stale):
        session.execute(delete(Gpu).where(Gpu.id.in_([gid for gid, _ in part])))
    ctx.audit.record(kind, (), {}, [uuid for _, uuid in stale])
    ctx.result.deleted["gpu"] += len(stale)


def apply_document(
    session: Session,
    actor: str,
    doc: Document | Source,
    mode: Mode = "upsert",
    progress: Callable[[int], None] | None = None,
) -> ApplyResult:
    """Apply every record of `doc` in dependency order, a chunk at a time; any error aborts the caller's
    whole transaction. `progress(n)` is told of every n nodes applied with their GPUs (the bulk of it)."""
    with collector_paused():
        return _apply(session, actor, Whole(doc) if isinstance(doc, Document) else doc, mode, progress)


def _apply(
    session: Session, actor: str, source: Source, mode: Mode, progress: Callable[[int], None] | None
) -> ApplyResult:
    ctx = Context(session, Audit(session, actor, source.origin), ApplyResult(), Tables.read(session))
    owners = source.gpu_owners()
    for name in ORDER:
        kind, seen = KINDS[name], Seen()
        for chunk in source.chunks(kind.plural):
            apply_kind(session, ctx.audit, kind, chunk, mode, ctx.result, seen, ctx.tables)
            if name == "node":
                _apply_node_gpus(ctx, chunk, owners)
                if progress is not None:
                    progress(len(chunk))
    ctx.audit.summary(ctx.result.summary())
    return ctx.result
