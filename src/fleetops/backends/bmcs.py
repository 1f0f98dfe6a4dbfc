"""Logging in to a node's BMC with the credentials of its site, else its supplier, else the default
(`[fleetops.redfish]`). The BMC address stays in the inventory; a BMC is matched to its node (and so
its site and supplier) the first time it is reached, and clients are kept per BMC (`adapters.redfish.bmcs`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from fleetops.adapters.redfish.bmcs import locate
from fleetops.adapters.redfish.client import RedfishClient
from fleetops.backends.settings import Redfish
from fleetops.db.session import Database
from fleetops.errors import NotConfigured
from fleetops.inventory.models import Node, Rack, Site, Supplier


@dataclass
class BmcLogin:
    redfish: Redfish
    database: Database

    def _owner(self, base_url: str) -> tuple[str | None, str | None, str]:
        """The site and supplier of a node behind this BMC, and its hostname for messages."""
        host = base_url.split("://", 1)[-1]
        with self.database.transaction() as session:
            rows = session.execute(
                select(Node.bmc_address, Node.hostname, Site.name, Supplier.name)
                .join(Rack, Rack.id == Node.rack_id)
                .join(Site, Site.id == Rack.site_id)
                .join(Supplier, Supplier.id == Site.supplier_id)
                .where(Node.bmc_address.contains(host))
            ).all()
        # `contains` narrows; the address must locate to this very BMC (bmc-n1 is not bmc-n10).
        mine = [row for row in rows if locate(row[0])[0] == base_url]
        return (mine[0][2], mine[0][3], mine[0][1]) if mine else (None, None, base_url)

    def __call__(self, base_url: str) -> RedfishClient:
        site, supplier, who = self._owner(base_url)
        login = self.redfish.credentials(site, supplier)
        if login is None:
            raise NotConfigured(
                f"node {who}: no BMC credentials for site {site or '-'} or supplier {supplier or '-'} "
                "([fleetops.redfish] sites, suppliers or default)"
            )
        return RedfishClient(
            base_url, login.username, login.password.get_secret_value(), verify=login.verify_tls
        )
