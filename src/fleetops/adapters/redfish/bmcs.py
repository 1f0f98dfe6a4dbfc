"""Finding a node's BMC and system from its inventory `bmc_address`, one client per BMC endpoint.

Deploy (power-on) and remediation (restart, power cycle) both address nodes this way, so it lives
with the adapter rather than in either domain.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from fleetops.adapters.redfish import PowerControl
from fleetops.errors import ExternalError

Client = TypeVar("Client", bound=PowerControl)


def locate(bmc_address: str) -> tuple[str, str | None]:
    """`https://bmc-x` (its only system) or `http://host:port/redfish/v1/Systems/ID` (one of many)."""
    parts = urlsplit(bmc_address if "://" in bmc_address else f"https://{bmc_address}")
    base = f"{parts.scheme}://{parts.netloc}"
    return base, parts.path if parts.path.startswith("/redfish/v1/Systems/") else None


@dataclass
class Bmcs(Generic[Client]):
    """Generic in the client, so a step that needs virtual media gets its client back with that type."""

    connect: Callable[[str], Client]
    _clients: dict[str, Client] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def system(self, hostname: str, bmc_address: str | None) -> tuple[Client, str]:
        """The client for the node's BMC and the node's system on it; errors name the node and field."""
        if not bmc_address:
            raise ExternalError(f"node {hostname}: field bmc_address: missing", retryable=False)
        base, system = locate(bmc_address)
        with self._lock:
            client = self._clients.get(base) or self._clients.setdefault(base, self.connect(base))
        if system is None:
            found = client.systems()
            if len(found) != 1:
                raise ExternalError(
                    f"node {hostname}: BMC {base} lists {len(found)} systems; "
                    "put the system path in bmc_address",
                    retryable=False,
                )
            system = found[0]
        return client, system
