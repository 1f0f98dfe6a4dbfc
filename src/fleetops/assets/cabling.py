"""The cabling plan: which port of a node or switch is cabled to which, imported from a CSV, JSON or YAML
file in one transaction (the first bad record refuses the whole file, naming its line or record and the
field; a re-import changes nothing) and pushed to NetBox by netbox_cables.py.

A cable is keyed by its a end, so a re-imported row finds its cable. A port is on one cable at most, in the
plan as it stands after the file. A node end names an inventory node (a typo is refused, not taken for a
switch); every cable has a node on one end at least: a switch NetBox lacks is created at that node's site.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.assets.feeds import csv_records
from fleetops.assets.models import Cable
from fleetops.audit.service import Change, record
from fleetops.errors import InvalidInput
from fleetops.inventory import reading
from fleetops.inventory.models import Node

COUNTS = ("created", "updated", "unchanged")
Name = Field(default=None, min_length=1, max_length=200)


class CableRecord(BaseModel):
    """One row of the plan: each end is a node's hostname or a switch's name, and a port."""

    model_config = ConfigDict(extra="forbid")
    a_node: str | None = Name
    a_switch: str | None = Name
    a_port: str = Field(min_length=1, max_length=100)
    b_node: str | None = Name
    b_switch: str | None = Name
    b_port: str = Field(min_length=1, max_length=100)
    type: str | None = Field(default=None, max_length=50)
    label: str | None = Field(default=None, max_length=100)


def read(text: str, fmt: str, source: str) -> list[tuple[str, Mapping[str, Any]]]:
    """(where, raw record) for every cable of the file: "line N" in a CSV, "record N" in JSON or YAML."""
    try:
        data = text.encode()
    except UnicodeEncodeError as exc:  # a lone surrogate in a JSON string: PostgreSQL cannot store it
        raise InvalidInput(f"{source}: character {exc.start + 1} is not text (a lone surrogate)") from None
    if fmt == "csv":
        return list(csv_records(text, source))
    if fmt not in ("json", "yaml"):
        raise InvalidInput(f"{source}: unknown format {fmt!r}: use csv, json or yaml")
    data = reading.load(data, fmt, source)
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise InvalidInput(f"{source}: expected a list of cables (a_node or a_switch, a_port, b_..., type)")
    return [(f"record {n}", r) for n, r in enumerate(data, start=1)]


def _cable(source: str, where: str, raw: Mapping[str, Any], nodes: set[str]) -> dict[str, Any]:
    """The row as Cable's columns, or InvalidInput naming the file, the line and the field."""
    values = {}
    for column, value in raw.items():
        if isinstance(value, dict | list):
            raise InvalidInput(f"{source} {where}: field {column}: expected text")
        if value is not None and str(value).strip():
            values[column] = str(value).strip()
    try:
        row = CableRecord.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "record"
        raise InvalidInput(f"{source} {where}: field {field}: {first['msg']}") from None
    out: dict[str, Any] = {"type": row.type, "label": row.label}
    for side in "ab":
        node, switch = getattr(row, f"{side}_node"), getattr(row, f"{side}_switch")
        if (node is None) == (switch is None):
            raise InvalidInput(
                f"{source} {where}: field {side}_node: give {side}_node or {side}_switch, once"
            )
        if node is not None and node not in nodes:
            raise InvalidInput(f"{source} {where}: field {side}_node: no node {node!r}")
        if switch in nodes:
            raise InvalidInput(
                f"{source} {where}: field {side}_switch: {switch!r} is a node: use {side}_node"
            )
        out |= {f"{side}_device": node or switch, f"{side}_switch": node is None}
        out[f"{side}_port"] = getattr(row, f"{side}_port")
    if out["a_switch"] and out["b_switch"]:
        raise InvalidInput(f"{source} {where}: field a_switch: a cable needs a node on one end")
    if (out["a_device"], out["a_port"]) == (out["b_device"], out["b_port"]):
        raise InvalidInput(f"{source} {where}: field b_port: a cable from a port to itself")
    return out


def apply(
    session: Session, actor: str, source: str, rows: Iterable[tuple[str, Mapping[str, Any]]]
) -> dict[str, int]:
    """Every row checked before any is written; the caller's transaction holds all of it or none."""
    nodes = set(session.scalars(select(Node.hostname)))
    current = {(c.a_device, c.a_port): c for c in session.scalars(select(Cable))}
    planned: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
    for where, raw in rows:
        values = _cable(source, where, raw, nodes)
        key = (values["a_device"], values["a_port"])
        if key in planned:
            raise InvalidInput(f"{source} {where}: field a_port: {key[0]}:{key[1]} also at {planned[key][0]}")
        planned[key] = (where, values)
    if not planned:
        raise InvalidInput(f"{source}: no cables")
    taken = {
        end: f"the planned cable from {key[0]}:{key[1]}"
        for key, cable in current.items()
        if key not in planned
        for end in (key, (cable.b_device, cable.b_port))
    }
    for where, values in planned.values():
        for side in "ab":
            end = (values[f"{side}_device"], values[f"{side}_port"])
            if end in taken:
                raise InvalidInput(
                    f"{source} {where}: field {side}_port: {end[0]}:{end[1]} is on {taken[end]}"
                )
            taken[end] = where
    counts: Counter[str] = Counter()
    for key, (_, values) in planned.items():
        cable = current.get(key)
        if cable is None:
            session.add(Cable(**values))
            counts["created"] += 1
        elif any(getattr(cable, column) != value for column, value in values.items()):
            for column, value in values.items():
                setattr(cable, column, value)
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    done = {k: counts[k] for k in COUNTS}
    if counts["created"] or counts["updated"]:
        record(session, actor, Change("cabling.import", "cabling", source, done))
    return done


def switches(session: Session) -> set[str]:
    """The switches the plan names: the sync creates those NetBox lacks, and the drift report does not
    count them missing in fleetops."""
    found = set(session.scalars(select(Cable.a_device).where(Cable.a_switch)))
    return found | set(session.scalars(select(Cable.b_device).where(Cable.b_switch)))


def import_file(session: Session, actor: str, source: str, fmt: str, text: str) -> dict[str, int]:
    return apply(session, actor, source, read(text, fmt, source))
