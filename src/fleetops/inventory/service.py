"""Inventory use-cases: scoped reads with cursor pagination, create/update, the trackability report."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select, func, inspect, select
from sqlalchemy.orm import Session

from fleetops.auth.principal import Principal
from fleetops.db.ids import as_id
from fleetops.errors import InvalidInput, NotFound
from fleetops.inventory.apply import ApplyResult, apply_document
from fleetops.inventory.audited import jsonable
from fleetops.inventory.choices import ClusterState, Orchestrator
from fleetops.inventory.kinds import KINDS, Kind
from fleetops.inventory.models import Cluster, Contract, Customer, Supplier
from fleetops.inventory.schemas import Document, GpuRecord, Record
from fleetops.inventory.scope import visible

MAX_LIMIT = 1000


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None
    total: int | None = None  # counted on a first page that is not the last, so a reader can say "N of M"


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cursor {cursor!r}: not a cursor this API issued") from exc


def scoped_view(kind: Kind, principal: Principal) -> Select[Any]:
    stmt = kind.view()
    rule = visible(kind.name, principal)
    return stmt if rule is None else stmt.where(rule)


def _filtered(kind: Kind, stmt: Select[Any], filters: Mapping[str, str | None]) -> Select[Any]:
    for name, value in filters.items():
        if value is None:
            continue
        if name not in kind.filters:
            known = ", ".join(sorted(kind.filters)) or "none"
            raise InvalidInput(f"filter {name!r}: {kind.plural} can be filtered by {known}")
        stmt = stmt.where(kind.filters[name] == value)
    return stmt


def check_filter_values(
    session: Session, principal: Principal, kind: Kind, filters: Mapping[str, str | None]
) -> None:
    """A filter naming nothing is a typo, not an empty fleet: `--cluster nope` or `--state bogus` is
    refused naming the field. A record the caller may not see reads like a missing one (no probing)."""
    for name, value in filters.items():
        if value is None or name not in kind.filters:
            continue
        choices = getattr(kind.filters[name].type, "enum_class", None)
        if choices is not None:
            if value not in {c.value for c in choices}:
                known = ", ".join(c.value for c in choices)
                raise InvalidInput(f"filter {name}: {value!r} is not a {kind.name} {name} (one of: {known})")
        elif name in KINDS and not _exists(session, principal, KINDS[name], value):
            raise InvalidInput(f"filter {name}: no {name} named {value!r}")


def _exists(session: Session, principal: Principal, kind: Kind, key: str) -> bool:
    column = kind.key_columns()[-1]
    return session.execute(scoped_view(kind, principal).where(column == key).limit(1)).first() is not None


def list_rows(
    session: Session,
    principal: Principal,
    kind: Kind,
    filters: Mapping[str, str | None] | None = None,
    *,
    cursor: str | None = None,
    limit: int = 100,
) -> Page:
    """A page of the kind's scoped read view, each row as the database gave it (datetimes, enums): the API
    encodes these straight to JSON, which at 500 nodes saves the ~4 ms that converting every value first
    costs (`list_records`)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit {limit}: must be between 1 and {MAX_LIMIT}")
    filters = filters or {}
    filtered = _filtered(kind, scoped_view(kind, principal), filters)
    stmt = filtered.where(kind.model.id > decode_cursor(cursor)) if cursor else filtered
    result = session.execute(stmt.order_by(kind.model.id).limit(limit + 1))
    keys = list(result.keys())
    rows = [dict(zip(keys, row, strict=True)) for row in result.all()]
    if len(rows) <= limit:
        return Page(rows, None, None if cursor else len(rows))
    total = None if cursor else _count(session, principal, kind, filters, filtered)
    return Page(rows[:limit], encode_cursor(rows[limit - 1]["id"]), total)


def list_records(
    session: Session,
    principal: Principal,
    kind: Kind,
    filters: Mapping[str, str | None] | None = None,
    *,
    cursor: str | None = None,
    limit: int = 100,
) -> Page:
    """`list_rows` with every value JSON-ready (ISO dates, enum values), for templates and printing."""
    page = list_rows(session, principal, kind, filters, cursor=cursor, limit=limit)
    items = [{k: jsonable(v) for k, v in row.items()} for row in page.items]
    return Page(items, page.next_cursor, page.total)


def _count(
    session: Session,
    principal: Principal,
    kind: Kind,
    filters: Mapping[str, str | None],
    filtered: Select[Any],
) -> int:
    """How many records match. Unfiltered and unscoped, the view has exactly one row per row of the kind's
    table, so the table is counted alone: 0.2 ms instead of 2.6 ms over the joined view at 10,000 nodes."""
    if all(v is None for v in filters.values()) and visible(kind.name, principal) is None and _whole(kind):
        return session.scalar(select(func.count()).select_from(kind.model)) or 0
    return session.scalar(select(func.count()).select_from(filtered.subquery())) or 0


def _whole(kind: Kind) -> bool:
    """Whether the view's joins keep every row of the kind's table, once: each joins a primary key, outer,
    or inner along a NOT NULL foreign key (which the database enforces) of a table that is itself whole."""
    partial = set()
    for target, onclause, *outer in kind.joins:
        ref, key = onclause.left, onclause.right
        if not key.primary_key:
            return False
        if outer:
            partial.add(inspect(target).selectable)
        elif ref.nullable or not ref.foreign_keys or ref.table in partial:
            return False
    return True


def get_record(session: Session, principal: Principal, kind: Kind, record_id: int) -> dict[str, Any]:
    """One record by id; another tenant's id reads exactly like a missing one (404, never 403)."""
    row = session.execute(scoped_view(kind, principal).where(kind.model.id == record_id)).mappings().first()
    if row is None:
        raise NotFound(f"{kind.name} {record_id}: no such {kind.name}")
    return {k: jsonable(v) for k, v in row.items()}


def _document(kind: Kind, record: Record) -> Document:
    if isinstance(record, GpuRecord):
        raise InvalidInput("gpus are created with their node: list them in the node's gpus field")
    return Document.model_validate({kind.plural: [record]})


def create_record(session: Session, principal: Principal, kind: Kind, record: Record) -> dict[str, Any]:
    principal.require_writer()
    apply_document(session, principal.actor, _document(kind, record), mode="create")
    return _reread(session, principal, kind, record)


def update_record(
    session: Session, principal: Principal, kind: Kind, record_id: int, patch: Mapping[str, Any]
) -> dict[str, Any]:
    principal.require_writer()
    current = get_record(session, principal, kind, record_id)
    merged = {f: current[f] for f in kind.record_fields} | dict(patch)
    if any(merged[k] != current[k] for k in kind.key):
        raise InvalidInput(
            f"{kind.name} {record_id}: field {kind.key[-1]}: the natural key cannot be changed"
        )
    try:
        record = kind.record.model_validate(merged)
    except ValidationError as exc:
        raise InvalidInput(describe_validation(kind.name, record_id, exc)) from exc
    apply_document(session, principal.actor, _document(kind, record), mode="update")
    return get_record(session, principal, kind, record_id)


def _reread(session: Session, principal: Principal, kind: Kind, record: Record) -> dict[str, Any]:
    columns = kind.key_columns()
    stmt = scoped_view(kind, principal)
    for column, name in zip(columns, kind.key, strict=True):
        stmt = stmt.where(column == getattr(record, name))
    row = session.execute(stmt).mappings().one()
    return {k: jsonable(v) for k, v in row.items()}


def describe_validation(kind: str, where: object, exc: ValidationError) -> str:
    """One line naming the record and the first bad field, the way the CLI and API report it."""
    first = exc.errors()[0]
    location = ".".join(str(p) for p in first["loc"]) or "record"
    return f"{kind} {where}: field {location}: {first['msg']}"


def apply(session: Session, principal: Principal, doc: Document) -> ApplyResult:
    principal.require_writer()
    return apply_document(session, principal.actor, doc)


def untracked_clusters(session: Session) -> list[dict[str, Any]]:
    """Clusters missing a customer, supplier or contract detail, and legacy bare-metal Slurm ones."""
    stmt = select(
        Cluster.name,
        Cluster.state,
        Cluster.orchestrator,
        Supplier.name,
        Customer.name,
        Contract.name,
        Contract.customer_id,
        Cluster.customer_id,
    ).select_from(Cluster)
    stmt = (
        stmt.outerjoin(Supplier, Cluster.supplier_id == Supplier.id)
        .outerjoin(Customer, Cluster.customer_id == Customer.id)
        .outerjoin(Contract, Cluster.contract_id == Contract.id)
    )
    stmt = stmt.where(Cluster.state != ClusterState.DECOMMISSIONED).order_by(Cluster.name)
    report = []
    for row in session.execute(stmt):
        name, state, orchestrator, supplier, customer, contract, contract_cust, cluster_cust = row
        problems = [
            f"missing {what}"
            for what, value in (("supplier", supplier), ("customer", customer), ("contract", contract))
            if value is None
        ]
        if contract is not None and contract_cust != cluster_cust:
            problems.append(f"contract {contract} belongs to another customer")
        if orchestrator is Orchestrator.SLURM_BARE_METAL:
            problems.append("orchestrator slurm-bare-metal is non-compliant")
        if problems:
            report.append({"cluster": name, "state": state.value, "problems": problems})
    return report


def find(session: Session, principal: Principal, kind: Kind, name_or_id: str) -> dict[str, Any]:
    """One record by natural key (name, hostname, UUID) or by numeric id, within the caller's scope."""
    column = kind.key_columns()[-1]
    row = session.execute(scoped_view(kind, principal).where(column == name_or_id)).mappings().first()
    if row is not None:
        return {k: jsonable(v) for k, v in row.items()}
    record_id = as_id(name_or_id)
    if record_id is not None:
        return get_record(session, principal, kind, record_id)
    raise NotFound(f"{kind.name} {name_or_id}: no such {kind.name}")
