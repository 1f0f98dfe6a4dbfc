"""A bounded on-disk queue of reports, so a control-plane outage loses nothing (up to the cap, and says so).

One file per report, named by a sequence number so a directory listing is the delivery order. Files are
written to a temporary name, fsynced and renamed into place: a crash leaves either the whole report or
nothing, never half a JSON document. Over the file or byte cap the oldest reports go first (fresh health
matters more than old), and the count of dropped reports is kept on disk and shown by `spool status`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_SUFFIX = ".json"
_DROPPED = "dropped.count"
_POISONED = "poison"


@dataclass(frozen=True, slots=True)
class SpoolItem:
    path: Path
    data: bytes


@dataclass(frozen=True, slots=True)
class SpoolStatus:
    files: int
    bytes: int
    dropped: int
    poisoned: int
    oldest: str | None


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".tmp-{path.name}")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


class Spool:
    def __init__(self, directory: Path, max_files: int = 10_000, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.directory = Path(directory)
        self.max_files = max_files
        self.max_bytes = max_bytes
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / _POISONED).mkdir(exist_ok=True)
        for leftover in self.directory.glob(".tmp-*"):
            leftover.unlink(missing_ok=True)  # a write interrupted by a crash: never a whole report
        existing = self._files()
        self._next = int(existing[-1].name.split("-", 1)[0]) + 1 if existing else 1

    def _files(self) -> list[Path]:
        return sorted(p for p in self.directory.iterdir() if p.suffix == _SUFFIX and p.name[0].isdigit())

    def put(self, data: bytes, report_id: str) -> Path:
        path = self.directory / f"{self._next:020d}-{report_id}{_SUFFIX}"
        self._next += 1
        _write_atomically(path, data)
        self._enforce_caps()
        return path

    def _enforce_caps(self) -> None:
        files = self._files()
        sizes = [p.stat().st_size for p in files]
        total, dropped = sum(sizes), 0
        while files and (len(files) > self.max_files or total > self.max_bytes):
            total -= sizes.pop(0)
            files.pop(0).unlink(missing_ok=True)
            dropped += 1
        if dropped:
            self._add_dropped(dropped)

    def _add_dropped(self, count: int) -> None:
        _write_atomically(self.directory / _DROPPED, str(self.dropped + count).encode())

    @property
    def dropped(self) -> int:
        try:
            return int((self.directory / _DROPPED).read_text().strip() or 0)
        except (OSError, ValueError):
            return 0

    def peek(self, limit: int) -> list[SpoolItem]:
        """The oldest `limit` reports, in order; a file that vanished meanwhile is skipped."""
        items = []
        for path in self._files()[:limit]:
            try:
                items.append(SpoolItem(path, path.read_bytes()))
            except FileNotFoundError:
                continue
        return items

    def ack(self, items: list[SpoolItem]) -> None:
        for item in items:
            item.path.unlink(missing_ok=True)

    def poison(self, item: SpoolItem, reason: str) -> None:
        """Move a report the server will never accept out of the queue, with the reason beside it."""
        target = self.directory / _POISONED / item.path.name
        os.replace(item.path, target)
        _write_atomically(target.with_suffix(".reason"), reason.encode())

    def __len__(self) -> int:
        return len(self._files())

    def status(self) -> SpoolStatus:
        files = self._files()
        poisoned = sum(1 for p in (self.directory / _POISONED).iterdir() if p.suffix == _SUFFIX)
        return SpoolStatus(
            files=len(files),
            bytes=sum(p.stat().st_size for p in files),
            dropped=self.dropped,
            poisoned=poisoned,
            oldest=files[0].name if files else None,
        )
