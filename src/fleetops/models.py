"""Every table of fleetops, imported once so Alembic and `create_all` see the whole schema."""

from fleetops.audit.models import AuditEvent
from fleetops.auth.models import ApiToken
from fleetops.deploy.models import BringupTransition, Decommission, NodeBringup, Rollout
from fleetops.inventory.models import Cluster, Contract, Customer, Gpu, Node, Rack, Region, Site, Supplier

__all__ = [
    "ApiToken",
    "AuditEvent",
    "BringupTransition",
    "Decommission",
    "NodeBringup",
    "Rollout",
    "Cluster",
    "Contract",
    "Customer",
    "Gpu",
    "Node",
    "Rack",
    "Region",
    "Site",
    "Supplier",
]
