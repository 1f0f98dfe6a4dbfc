"""The audit of an inventory change: a row per record, or for a file, one entry naming it and one per
chunk of its GPUs.

A file (or a generated fleet) is audited as one `inventory.import` entry naming it (size, SHA-256, the
counts) plus the records themselves, except GPUs: eight of every nine records of a fleet, they are listed
in one `gpu.import` entry per chunk instead of a row each. Nodes keep a row each: the node page and the
supplier uptime replay read a node's history from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import Enum
from typing import Any

from sqlalchemy.orm import Session

from fleetops.audit.service import Change, record_many
from fleetops.inventory.kinds import Kind

Row = dict[str, Any]  # a validated record, field by field (a node's `gpus` stay `GpuEntry`s)


def jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


class Audit:
    """The audit of one `apply_document`: a row per change, or, for GPUs of a file, one entry per chunk."""

    def __init__(self, session: Session, actor: str, origin: dict[str, Any] | None) -> None:
        self.session, self.actor, self.origin = session, actor, origin

    def batched(self, kind: Kind) -> bool:
        return self.origin is not None and kind.name == "gpu"

    def record(
        self, kind: Kind, created: Sequence[Row], updated: dict[str, Any], deleted: Sequence[str]
    ) -> None:
        if self.batched(kind):
            listed = {"created": [r["uuid"] for r in created], "updated": updated, "deleted": list(deleted)}
            entry = {"source": self.origin["source"] if self.origin else None, **_nonempty(listed)}
            if created or updated or deleted:
                record_many(
                    self.session, self.actor, [Change("gpu.import", "gpu", _target(self.origin), entry)]
                )
            return
        changes = [
            *(
                Change(f"{kind.name}.create", kind.name, _key_text(kind, r), _fields(kind, r))
                for r in created
            ),
            *(Change(f"{kind.name}.update", kind.name, key, diff) for key, diff in updated.items()),
            *(Change(f"{kind.name}.delete", kind.name, key, {}) for key in deleted),
        ]
        record_many(self.session, self.actor, changes)

    def summary(self, counts: dict[str, dict[str, int]]) -> None:
        if self.origin is not None:
            entry = self.origin | counts
            record_many(
                self.session, self.actor, [Change("inventory.import", "file", _target(self.origin), entry)]
            )


def _target(origin: dict[str, Any] | None) -> str:
    return str((origin or {}).get("source", ""))[:200]


def _nonempty(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if v}


def _key_text(kind: Kind, rec: Row) -> str:
    return "/".join(str(rec[k]) for k in kind.key)


def _fields(kind: Kind, rec: Row) -> dict[str, Any]:
    return {f: jsonable(rec[f]) for f in kind.record_fields}
