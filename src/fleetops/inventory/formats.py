"""Inventory files: YAML, JSON and CSV read into one `Document` and written back losslessly.

CSV holds every kind in one sheet: a `kind` column, then the union of all kinds' fields; a node's GPUs
are `gpu` rows naming their node. Spreadsheet users filter on `kind`.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.errors import InvalidInput
from fleetops.inventory.apply import jsonable
from fleetops.inventory.kinds import KINDS, ORDER
from fleetops.inventory.models import Gpu, Node
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


def _from_csv(text: str) -> dict[str, Any]:
    data: dict[str, list[dict[str, Any]]] = defaultdict(list)
    gpus: dict[str, list[dict[str, Any]]] = defaultdict(list)
    plurals = {k.name: k.plural for k in KINDS.values()}
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        kind = (row.pop("kind", None) or "").strip()
        values = {k: v for k, v in row.items() if k is not None and v not in ("", None)}
        if kind == "gpu":
            gpus[values.pop("node", "")].append(values)
        elif kind in plurals and kind != "gpu":
            data[plurals[kind]].append(values)
        else:
            raise InvalidInput(f"CSV line {line}: field kind: {kind!r} is not an inventory kind")
    for node in data.get("nodes", []):
        node["gpus"] = gpus.pop(node.get("hostname", ""), None)
    if gpus:
        raise InvalidInput(f"CSV: field node: GPUs name unknown node {next(iter(gpus))!r}")
    return dict(data)


def parse(text: str, fmt: str, source: str = "input") -> Document:
    try:
        if fmt == "csv":
            raw = _from_csv(text)
        elif fmt == "json":
            raw = json.loads(text)
        else:
            raw = yaml.safe_load(text)
    except (ValueError, yaml.YAMLError, csv.Error) as exc:
        raise InvalidInput(f"{source}: malformed {fmt.upper()}: {exc}".splitlines()[0]) from exc
    if not isinstance(raw, dict):
        raise InvalidInput(f"{source}: expected a mapping of kinds (suppliers, sites, nodes...) at the top")
    try:
        return Document.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput(f"{source}: {_where(raw, exc)}") from exc


def _where(raw: dict[str, Any], exc: ValidationError) -> str:
    """Name the record by its key, not just its position: 'nodes #12 (gpu-a-0012): field serial: ...'."""
    first = exc.errors()[0]
    loc = list(first["loc"])
    if len(loc) >= 2 and isinstance(loc[1], int):
        plural, index = str(loc[0]), int(loc[1])
        item = raw.get(plural, [])[index] if isinstance(raw.get(plural), list) else {}
        key = item.get("hostname") or item.get("name") if isinstance(item, dict) else None
        field = ".".join(str(p) for p in loc[2:]) or "record"
        return f"{plural} #{index + 1}{f' ({key})' if key else ''}: field {field}: {first['msg']}"
    return f"field {'.'.join(str(p) for p in loc) or 'document'}: {first['msg']}"


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


def dump(data: dict[str, list[dict[str, Any]]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data, indent=1) + "\n"
    if fmt == "yaml":
        return yaml.safe_dump(data, sort_keys=False)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_csv_columns(), lineterminator="\n")
    writer.writeheader()
    plurals = {k.plural: k.name for k in KINDS.values()}
    for plural, records in data.items():
        for rec in records:
            writer.writerow({"kind": plurals[plural], **{k: v for k, v in rec.items() if k != "gpus"}})
            for gpu in rec.get("gpus") or []:
                writer.writerow({"kind": "gpu", "node": rec["hostname"], **gpu})
    return buffer.getvalue()
