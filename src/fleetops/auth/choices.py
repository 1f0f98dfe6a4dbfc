"""Roles: what a token may do, from full control down to one tenant's read-only view."""

from __future__ import annotations

from fleetops.choices import Choice


class Role(Choice):
    ADMIN = "admin", "Admin", "red"
    OPERATOR = "operator", "Operator", "orange"
    VIEWER = "viewer", "Viewer", "blue"
    SECURITY = "security", "Security", "purple"  # staff who may also see confidential security incidents
    CUSTOMER = "customer", "Customer", "green"
    SUPPLIER = "supplier", "Supplier", "green"
    AGENT = "agent", "Node agent", "grey"
    RELAY = "relay", "Report relay", "grey"
    SALES = "sales", "Sales", "purple"

    @property
    def can_write_inventory(self) -> bool:
        return self in (Role.ADMIN, Role.OPERATOR)

    @property
    def tenant_scoped(self) -> bool:
        """Sees only its own rows; a relay owns none (it may only forward agents' reports), nor does sales
        (it reads the supplier scorecards and nothing else: never staff, wherever a view asks)."""
        return self in (Role.CUSTOMER, Role.SUPPLIER, Role.AGENT, Role.RELAY, Role.SALES)
