"""What an importer makes of a scanner file, and the one refusal every importer raises.

Importers are pure: bytes in, a `Report` out, nothing stored. A refusal names the file and where in it
(a JSON pointer, an XML path, a line), so the sender can find the fault without reading fleetops' code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from fleetops.errors import InvalidInput
from fleetops.security.choices import Scanner, Severity


class ImportRefused(InvalidInput):
    code = "import_refused"
    title = "Scanner file refused"

    def __init__(self, filename: str, where: str, why: str) -> None:
        super().__init__(f"{filename}: {where or '/'}: {why}", file=filename, where=where or "/")
        self.filename, self.where, self.why = filename, where or "/", why


class Item(NamedTuple):
    """One vulnerability or failed rule as the scanner states it. A tuple, not a dataclass: a day's
    imports build hundreds of thousands of them, and a frozen dataclass took twice as long to make."""

    check_id: str
    title: str
    severity: Severity
    package: str = ""
    installed_version: str | None = None
    fixed_version: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.check_id, self.package


@dataclass
class Report:
    """A parsed file: its findings, and what it says about the asset it describes."""

    scanner: Scanner
    items: dict[tuple[str, str], Item] = field(default_factory=dict)
    host: str | None = None  # the host the file names (XCCDF target, Lynis hostname)
    host_where: str = ""  # where it names it, for a refusal of an unknown host
    image: str | None = None  # a container image scanned by Trivy
    profile: str | None = None
    rules_pass: int | None = None
    rules_applicable: int | None = None
    kernel: str | None = None  # the kernel release the scan saw (Lynis `linux_kernel_release`)

    def add(self, item: Item) -> None:
        """A key stated twice (one package in two lockfiles, one Lynis test twice) is one finding."""
        self.items.setdefault(item.key, item)


def text(value: object, limit: int) -> str:
    """A scanner's string cut to its column's width."""
    return str(value)[:limit]
