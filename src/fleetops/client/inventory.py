"""Inventory over the API: every kind addressed by natural key or id, listed with paging, and whole files
in and out."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel

from fleetops.client.session import Page, Session, validated
from fleetops.inventory.formats import format_of
from fleetops.inventory.kinds import Kind
from fleetops.inventory.schemas import read_model

UPLOAD_CHUNK = 256 * 1024


class Records:
    """One inventory kind (`client.nodes`, `client.clusters`...). Records come back as the kind's read
    model (`NodeRead`...): the import record's fields plus id, timestamps and derived names."""

    def __init__(self, session: Session, kind: Kind) -> None:
        self._session, self.kind = session, kind
        self.model = read_model(kind.record, kind.extra)
        self.path = f"/{kind.plural}"
        self._read = validated(self.model)

    def _parse(self, data: Any) -> Any:
        return self.model.model_validate(data)

    def _at(self, key: str | int) -> str:
        return f"{self.path}/{quote(str(key), safe='')}"

    def page(self, *, cursor: str | None = None, limit: int = 100, **filters: str | None) -> Page[Any]:
        """One page, for callers that keep their own place (`page.next_cursor`)."""
        return self._session.page(self.path, {**filters, "limit": limit}, self._read, cursor)

    def pages(self, *, limit: int | None = None, **filters: str | None) -> Iterator[Page[Any]]:
        return self._session.pages(self.path, filters, self._read, limit)

    def list(self, *, limit: int | None = None, **filters: str | None) -> Iterator[Any]:
        """Every matching record (or the first `limit`), fetching pages as the caller iterates."""
        return self._session.items(self.path, filters, self._read, limit)

    def get(self, key: str | int) -> Any:
        """By natural key (hostname, name, UUID) or id."""
        return self._parse(self._session.json("GET", self._at(key)))

    def create(self, record: BaseModel | Mapping[str, Any]) -> Any:
        body = record.model_dump(mode="json", exclude_none=True) if isinstance(record, BaseModel) else record
        return self._parse(self._session.json("POST", self.path, json=body))

    def update(self, key: str | int, **changes: Any) -> Any:
        return self._parse(self._session.json("PATCH", self._at(key), json=changes))


class Inventory:
    """Whole-inventory operations: import a file (one transaction on the server), export, the report."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def import_text(
        self, text: str, fmt: str = "yaml", progress: Callable[[int, int], None] | None = None
    ) -> dict[str, dict[str, int]]:
        """Created/updated/unchanged per kind; any error in the file writes nothing. `progress(sent, total)`
        follows the upload; the server then applies the file in one transaction."""
        data = text.encode("utf-8")

        def chunks() -> Iterator[bytes]:
            for start in range(0, len(data), UPLOAD_CHUNK):
                yield data[start : start + UPLOAD_CHUNK]
                if progress:
                    progress(min(start + UPLOAD_CHUNK, len(data)), len(data))

        headers = {"Content-Type": "text/csv" if fmt == "csv" else f"application/{fmt}"}
        headers["Content-Length"] = str(len(data))
        return dict(
            self._session.json(
                "POST", "/inventory/import", params={"format": fmt}, content=chunks(), headers=headers
            )
        )

    def import_file(
        self, path: Path, fmt: str | None = None, progress: Callable[[int, int], None] | None = None
    ) -> dict[str, dict[str, int]]:
        return self.import_text(path.read_text(encoding="utf-8"), format_of(path, fmt), progress)

    def export(self, fmt: str = "yaml") -> str:
        return self._session.request("GET", "/inventory/export", params={"format": fmt}).text

    def untracked_clusters(self) -> list[dict[str, Any]]:
        return list(self._session.json("GET", "/reports/untracked-clusters")["items"])
