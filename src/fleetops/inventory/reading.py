"""Inventory files in: UTF-8 checked, duplicate keys and headers refused, records kept raw until applied.

A careless export is refused with its file and line rather than imported half-right: bytes that are not
UTF-8 (a Latin-1 spreadsheet), a YAML key or CSV header given twice (which used to be last-wins), an empty
file (which used to import nothing and exit 0). YAML goes through libyaml (`CSafeLoader`), ~3.5x the pure
Python loader. Records stay the parser's plain dicts until `RawDocument.chunks` validates them a chunk at
a time, so a 100,000-node file never holds 900,000 validated records at once.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterator
from itertools import compress
from typing import Any

import yaml
from pydantic import ValidationError
from yaml.composer import Composer

from fleetops.cycles import collector_paused
from fleetops.errors import InvalidInput
from fleetops.inventory.kinds import BY_PLURAL, KINDS
from fleetops.inventory.schemas import Document, Record
from fleetops.wire import MAX_DEPTH, check_depth

CHUNK = 2000  # records validated and written at a time: bounds memory, keeps statements large
_STEP = 1 << 20
_BOM = codecs.BOM_UTF8
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def check_utf8(data: bytes, source: str) -> None:
    """Refuse bytes that are not UTF-8, naming the line and column; decoded a MiB at a time, never copied."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    for start in range(0, len(data), _STEP):
        try:
            decoder.decode(view[start : start + _STEP], final=start + _STEP >= len(data))
        except UnicodeDecodeError as exc:
            at = start + exc.start
            line, column = data.count(b"\n", 0, at) + 1, at - data.rfind(b"\n", 0, at)
            raise InvalidInput(
                f"{source} line {line}: not UTF-8 (byte 0x{data[at]:02x} at column {column}); "
                "save the file as UTF-8"
            ) from None


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """libyaml's safe loader refusing a key given twice in one mapping (PyYAML keeps the last silently).
    Keys are interned: a fleet file repeats the same dozen keys 900,000 times."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        # Only the mapping's own keys: one may override a key merged in with `<<: *defaults`.
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key_node.value = key = sys.intern(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"line {line}: key {key!r} appears twice in one mapping (also line {seen[key]})",
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]


class _Streaming(_Loader):
    """The same loader composing one record of a top-level list at a time (PyYAML's composer over libyaml's
    events): libyaml's own composer builds the whole file's node tree first, 3.8 GiB for a 100,000-node
    file. At 20,000 nodes: 151 MiB instead of 841, and 4.7 s of CPU instead of 5.2."""

    compose_node = Composer.compose_node
    compose_scalar_node = Composer.compose_scalar_node
    compose_sequence_node = Composer.compose_sequence_node
    compose_mapping_node = Composer.compose_mapping_node

    def document(self) -> Any:
        self.anchors: dict[str, yaml.Node] = {}
        self.get_event()  # the stream's start
        if self.check_event(yaml.StreamEndEvent):
            return None
        self.get_event()  # the document's start
        top = self.peek_event()
        plain = isinstance(top, yaml.MappingStartEvent) and top.anchor is None and top.implicit
        data = self._kinds() if plain else self._one()
        self.get_event()  # the document's end
        if not self.check_event(yaml.StreamEndEvent):
            raise yaml.composer.ComposerError(
                "expected a single document", None, "but found another", self.peek_event().start_mark
            )
        return data

    def _kinds(self) -> dict[Any, Any]:
        """The top mapping, its lists read record by record; a key given twice is refused as below."""
        self.get_event()
        data: dict[Any, Any] = {}
        lines: dict[Any, int] = {}
        while not self.check_event(yaml.MappingEndEvent):
            node = self.compose_node(None, None)  # type: ignore[arg-type]
            key, line = self.construct_document(node), node.start_mark.line + 1
            if not isinstance(key, str):
                raise yaml.constructor.ConstructorError(None, None, f"line {line}: key {key!r} is not text")
            if key in lines:
                why = f"line {line}: key {key!r} appears twice in one mapping (also line {lines[key]})"
                raise yaml.constructor.ConstructorError(None, None, why)
            lines[key] = line
            start = self.peek_event()
            if isinstance(start, yaml.SequenceStartEvent) and start.anchor is None:
                self.get_event()
                items = data[key] = []
                while not self.check_event(yaml.SequenceEndEvent):
                    items.append(self._one())
                self.get_event()
            else:
                data[key] = self._one()
        self.get_event()
        return data

    def _one(self) -> Any:
        return self.construct_document(self.compose_node(None, None))  # type: ignore[arg-type]


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    built = dict(pairs)
    if len(built) != len(pairs):
        seen: set[str] = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise ValueError(f"key {twice!r} appears twice in one object")
    return built


def _csv(data: bytes | str, source: str) -> dict[str, Any]:
    """Rows by kind; a node's GPUs are `gpu` rows naming it. Read row by row from the bytes."""
    stream = io.StringIO(data) if isinstance(data, str) else io.TextIOWrapper(io.BytesIO(data), "utf-8")
    reader = csv.reader(stream)
    header = next(reader, None) or []
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise InvalidInput(f"{source} line 1: column {repeated[0]!r} appears twice in the header")
    columns = [sys.intern(name.strip()) for name in header]
    if "kind" not in columns:
        raise InvalidInput(f"{source} line 1: no 'kind' column in the header")
    plurals = {k.name: k.plural for k in KINDS.values()}
    records: dict[str, list[dict[str, Any]]] = defaultdict(list)
    gpus: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line, row in enumerate(reader, start=2):
        if len(row) > len(columns):
            raise InvalidInput(f"{source} line {line}: {len(row)} values for {len(columns)} columns")
        values = dict(compress(zip(columns, row, strict=False), row))  # empty cells dropped, at C speed
        joined = "\0".join(row)
        if joined.startswith("'") or "\0'" in joined:  # a cell starting with a quote: rare, walked
            values = {c: unquote_cell(v) for c, v in values.items()}
        kind = values.pop("kind", "").strip()
        if kind == "gpu":
            gpus[values.pop("node", "")].append(values)
        elif kind in plurals:
            records[plurals[kind]].append(values)
        else:
            raise InvalidInput(f"{source} line {line}: field kind: {kind!r} is not an inventory kind")
    for node in records.get("nodes", []):
        node["gpus"] = gpus.pop(node.get("hostname", ""), None)
    if gpus:
        raise InvalidInput(f"{source}: field node: GPUs name unknown node {next(iter(gpus))!r}")
    return dict(records)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def quote_cell(value: Any) -> Any:
    """A cell a spreadsheet would run as a formula, prefixed with `'` (OWASP, CSV injection). A value
    already starting with `'` gets one more, so `unquote_cell` gives every stored value back exactly."""
    if isinstance(value, str) and value.startswith((*FORMULA_START, "'")):
        return "'" + value
    return value


def unquote_cell(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith((*FORMULA_START, "'")) else value


_DEEP_BLOCK = re.compile(rb"^(?:[ \t]|- ){200,}", re.MULTILINE)


def check_nesting(data: bytes, fmt: str, source: str) -> None:
    """Refuse a JSON or YAML file nested too deep before a parser recurses into it. libyaml composes
    recursively in C: 100,000 nested `[` crashed the process (a segmentation fault, not an exception), and
    PyYAML's pure-Python loader raises RecursionError. Flow nesting past `wire.MAX_DEPTH` is refused, and
    block nesting indented 200 deep. The inventory reader and the alert policy files both check here."""
    label = fmt.upper()
    check_depth(data, source, label)
    if fmt != "json" and _DEEP_BLOCK.search(data):
        raise InvalidInput(
            f"{source}: {label} nested deeper than {MAX_DEPTH} levels (a line indented 200 deep)"
        )


def load(data: bytes | str, fmt: str, source: str) -> Any:
    """The file's plain data; every failure is `InvalidInput` naming the file and, where known, the line."""
    if isinstance(data, bytes):
        check_utf8(data, source)
        data = data.removeprefix(_BOM)
    if not data or data.isspace():
        raise InvalidInput(f"{source}: the file is empty")
    if fmt != "csv":
        check_nesting(data.encode() if isinstance(data, str) else data, fmt, source)
    try:
        with collector_paused():
            return _parse(data, fmt, source)
    except (ValueError, yaml.YAMLError, csv.Error) as exc:
        raise InvalidInput(f"{source}: malformed {fmt.upper()}: {exc}".splitlines()[0]) from exc


def _parse(data: bytes | str, fmt: str, source: str) -> Any:
    if fmt == "csv":
        return _csv(data, source)
    if fmt == "json":
        return json.loads(data, object_pairs_hook=_no_duplicate_keys)
    loader = _Streaming(data)
    try:
        return loader.document()
    finally:
        loader.dispose()


class RawDocument:
    """A parsed file, validated kind by kind and chunk by chunk as `apply_document` writes it."""

    def __init__(self, raw: Any, source: str, origin: dict[str, Any] | None = None) -> None:
        if not isinstance(raw, dict):
            raise InvalidInput(
                f"{source}: expected a mapping of kinds (suppliers, sites, nodes...) at the top"
            )
        unknown = [k for k in raw if k not in Document.model_fields]
        if unknown:
            raise InvalidInput(f"{source}: field {unknown[0]}: not an inventory kind")
        for plural, records in raw.items():
            if not isinstance(records, list) and records is not None:
                raise InvalidInput(f"{source}: field {plural}: expected a list of records")
        self.raw: dict[str, list[Any]] = {k: v for k, v in raw.items() if v}
        self.source = source
        self.origin = {"source": source, **(origin or {})}  # named in the import's audit entry
        if not self.raw:
            raise InvalidInput(f"{source}: no records")

    def count(self, plural: str) -> int:
        return len(self.raw.get(plural, ()))

    def chunks(self, plural: str) -> Iterator[list[dict[str, Any]]]:
        """Validated records of one kind, CHUNK at a time, as dicts of their fields (what `apply` reads)."""
        for records in self._validated(plural):
            yield [dict(record) for record in records]

    def _validated(self, plural: str) -> Iterator[list[Record]]:
        """The raw dicts are let go once validated."""
        model = BY_PLURAL[plural].record
        items = self.raw.get(plural, [])
        for start in range(0, len(items), CHUNK):
            chunk = []
            for index in range(start, min(start + CHUNK, len(items))):
                item, items[index] = items[index], None
                try:
                    chunk.append(model.model_validate(item))
                except ValidationError as exc:
                    raise InvalidInput(f"{self.source}: {where(plural, index, item, exc)}") from exc
            yield chunk

    def gpu_owners(self) -> tuple[set[str], set[str]]:
        """The hostnames listing GPUs and every GPU UUID listed, read before any record is validated."""
        listed = [n for n in self.raw.get("nodes", ()) if isinstance(n, dict) and n.get("gpus") is not None]
        gpus = [g for n in listed if isinstance(n["gpus"], list) for g in n["gpus"] if isinstance(g, dict)]
        return {str(n.get("hostname")).strip() for n in listed}, {str(g.get("uuid")).strip() for g in gpus}

    def validate(self) -> Document:
        """The whole file as one Document (small files, tests): the same errors as `chunks`."""
        return Document.model_validate(
            {p: [r for c in self._validated(p) for r in c] for p in Document.model_fields}
        )


def where(plural: str, index: int, item: Any, exc: ValidationError) -> str:
    """Name the record by its key, not just its position: 'nodes #12 (gpu-a-0012): field serial: ...'."""
    first = exc.errors()[0]
    key = item.get("hostname") or item.get("name") if isinstance(item, dict) else None
    field = ".".join(str(p) for p in first["loc"]) or "record"
    return f"{plural} #{index + 1}{f' ({key})' if key else ''}: field {field}: {first['msg']}"


def read(data: bytes | str, fmt: str, source: str = "input") -> RawDocument:
    """The file parsed; its size and SHA-256 go into the import's audit entry, to tell which file it was."""
    raw = data.encode() if isinstance(data, str) else data
    origin = {"format": fmt, "bytes": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}
    return RawDocument(load(data, fmt, source), source, origin)
