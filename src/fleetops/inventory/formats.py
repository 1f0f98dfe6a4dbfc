"""Inventory files: YAML, JSON and CSV read (`reading`) into one document and written back losslessly.

CSV holds every kind in one sheet: a `kind` column, then the union of all kinds' fields; a node's GPUs
are `gpu` rows naming their node. Spreadsheet users filter on `kind`.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.errors import InvalidInput
from fleetops.inventory.audited import jsonable
from fleetops.inventory.kinds import KINDS, ORDER
from fleetops.inventory.models import Gpu, Node
from fleetops.inventory.reading import quote_cell, read
from fleetops.inventory.schemas import Document

FORMATS = ("yaml", "json", "csv")
GPU_FIELDS = ("uuid", "index", "serial")


def format_of(path: Path, explicit: str | None = None) -> str:
    fmt = (explicit or path.suffix.lstrip(".")).lower().replace("yml", "yaml")
    if fmt not in FORMATS:
        raise InvalidInput(f"{path}: unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    return fmt


def _csv_columns() -> list[str]:
    columns = ["kind"]
    for name in ORDER:
        columns += [f for f in KINDS[name].record_fields if f not in columns]
    return columns + [f for f in ("node", *GPU_FIELDS) if f not in columns]


def parse(data: bytes | str, fmt: str, source: str = "input") -> Document:
    """A whole file validated at once (small files, tests); imports go through `reading.read`, which
    validates while applying. Every failure is `InvalidInput` naming the file, line or record."""
    return read(data, fmt, source).validate()


def export(session: Session) -> dict[str, list[dict[str, Any]]]:
    """The whole inventory as plain data, ordered by natural key so exports diff cleanly."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name in ORDER:
        kind = KINDS[name]
        rows = session.execute(kind.view().order_by(*kind.key_columns())).mappings()
        out[kind.plural] = [
            {f: jsonable(row[f]) for f in kind.record_fields if row[f] is not None} for row in rows
        ]
    gpus: dict[str, list[dict[str, Any]]] = defaultdict(list)
    stmt = select(Node.hostname, Gpu.uuid, Gpu.index, Gpu.serial).join(Node, Gpu.node_id == Node.id)
    for hostname, uuid, index, serial in session.execute(stmt.order_by(Node.hostname, Gpu.index)):
        gpus[hostname].append({"index": index, "uuid": uuid} | ({"serial": serial} if serial else {}))
    for node in out["nodes"]:
        if node["hostname"] in gpus:
            node["gpus"] = gpus[node["hostname"]]
    return out


def _json_value(value: Any) -> Any:
    """Dates and enumerations as the API writes them (a generated fleet holds `date`s)."""
    if isinstance(value, date | Enum):
        return jsonable(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _cells(record: dict[str, Any]) -> dict[str, Any]:
    return {k: quote_cell(v) for k, v in record.items() if k != "gpus"}


def dump(data: dict[str, list[dict[str, Any]]], fmt: str) -> str:
    """Text in `fmt`. CSV cells a spreadsheet would run as formulas are quoted (`reading.quote_cell`),
    which the CSV reader undoes: the stored value round-trips exactly."""
    if fmt == "json":
        return json.dumps(data, indent=1, default=_json_value) + "\n"
    if fmt == "yaml":
        return yaml.safe_dump(data, sort_keys=False)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_csv_columns(), lineterminator="\n")
    writer.writeheader()
    plurals = {k.plural: k.name for k in KINDS.values()}
    for plural, records in data.items():
        for rec in records:
            writer.writerow(_cells({"kind": plurals[plural], **rec}))
            for gpu in rec.get("gpus") or []:
                writer.writerow(_cells({"kind": "gpu", "node": rec["hostname"], **gpu}))
    return buffer.getvalue()
