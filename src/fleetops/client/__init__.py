"""`fleetops.client`: script the fleet over the API the way the CLI does (typed records, paging followed
for you, every refusal one `ApiError`).

    from fleetops.client import Client

    with Client() as fleet:  # --server/--token equivalents, FLEETOPS_URL/TOKEN, or a cli.toml profile
        for node in fleet.nodes.list(cluster="stream-k8s", state="ready"):
            print(node.hostname, node.rack)
"""

from __future__ import annotations

from types import TracebackType

import httpx

from fleetops.client.errors import ApiError, BadAnswer, ClientError, NotConfigured, Unreachable
from fleetops.client.inventory import Inventory, Records
from fleetops.client.operations import Alerts, Audit, Deployments, Health, Incidents, Remediation
from fleetops.client.profiles import Profile, config_path, resolve
from fleetops.client.session import Page, Session
from fleetops.inventory.kinds import KINDS

__all__ = [
    "ApiError",
    "BadAnswer",
    "Client",
    "ClientError",
    "NotConfigured",
    "Page",
    "Profile",
    "Unreachable",
    "config_path",
]


class Client:
    """One fleetops server. Each inventory kind is an attribute by its plural (`nodes`, `clusters`,
    `sites`...); the other domains are `inventory`, `deployments`, `incidents`, `alerts`, `health`,
    `remediation` and `audit`."""

    suppliers: Records
    regions: Records
    sites: Records
    racks: Records
    customers: Records
    contracts: Records
    clusters: Records
    nodes: Records
    gpus: Records

    def __init__(
        self,
        server: str | None = None,
        token: str | None = None,
        *,
        profile: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
    ) -> None:
        chosen = resolve(server, token, profile)
        self.session = Session(chosen.server, chosen.token, transport=transport, timeout=timeout)
        self.server = self.session.server
        for kind in KINDS.values():
            setattr(self, kind.plural, Records(self.session, kind))
        self.inventory = Inventory(self.session)
        self.deployments = Deployments(self.session)
        self.incidents = Incidents(self.session)
        self.alerts = Alerts(self.session)
        self.health = Health(self.session)
        self.remediation = Remediation(self.session)
        self.audit = Audit(self.session)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
