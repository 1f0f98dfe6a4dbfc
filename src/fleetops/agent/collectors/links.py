"""Network links from sysfs: every InfiniBand port and every physical Ethernet interface, with its state and
the counters the link catalog names (catalog/links.yaml).

Reading plain files, not `perfquery` or `ethtool`: sysfs is there on every node with no tool installed and
no MAD traffic on the fabric, and costs a few hundred microseconds a cycle. Virtual interfaces (loopback,
bridges, veth pairs, ifb) have no `device` link and are skipped: a container starting flips a veth's
carrier, which says nothing about the fabric. IPoIB interfaces are skipped too: their port is read as one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fleetops.agent.collectors import CollectorUnavailable
from fleetops.catalog.links import LinkEntry, default_links

# ports/N/state reads "4: ACTIVE"; operstate reads "up". Anything else is a link that is not passing traffic.
_UP = {"ACTIVE", "up"}
# An IPoIB interface (ARPHRD_INFINIBAND) rides an InfiniBand port already read under class/infiniband.
_IPOIB = "32"


@dataclass(frozen=True, slots=True)
class LinkReading:
    name: str  # "mlx5_0/1" for an InfiniBand port, "eth0" for an interface
    fabric: str  # "infiniband" or "ethernet"
    state: str
    counters: dict[str, int] = field(default_factory=dict)

    @property
    def up(self) -> bool:
        return self.state in _UP


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:  # a counter the driver does not expose, or a port that vanished mid-read
        return None


def _counters(folder: Path, names: set[str]) -> dict[str, int]:
    found = {}
    for name in sorted(names):
        text = _read(folder / name)
        if text is not None and text.isdigit():
            found[name] = int(text)
    return found


class SysfsLinks:
    """The collector: `read_links()` once a cycle; `root` is "/sys" on a node, a folder in the tests."""

    name = "links"

    def __init__(self, root: Path = Path("/sys"), catalog: dict | None = None) -> None:
        self.root = Path(root)
        entries: list[LinkEntry] = list((catalog or default_links()).values())
        self.ib_counters = {c for e in entries for c in e.infiniband}
        self.eth_counters = {c for e in entries for c in e.ethernet}

    def start(self) -> None:
        if not (self.root / "class" / "net").is_dir():
            raise CollectorUnavailable(f"links: {self.root / 'class' / 'net'} is not readable here")

    def read_links(self) -> list[LinkReading]:
        return self._infiniband() + self._ethernet()

    def _infiniband(self) -> list[LinkReading]:
        found = []
        for port in sorted((self.root / "class" / "infiniband").glob("*/ports/*")):
            state = (_read(port / "state") or "unknown").split(":")[-1].strip()
            counters = _counters(port / "counters", self.ib_counters)
            found.append(LinkReading(f"{port.parent.parent.name}/{port.name}", "infiniband", state, counters))
        return found

    def _ethernet(self) -> list[LinkReading]:
        found = []
        for iface in sorted((self.root / "class" / "net").iterdir()):
            if not (iface / "device").exists() or _read(iface / "type") == _IPOIB:
                continue
            state = _read(iface / "operstate") or "unknown"
            found.append(LinkReading(iface.name, "ethernet", state, _counters(iface, self.eth_counters)))
        return found
