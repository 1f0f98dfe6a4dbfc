"""Who is asking: the role and, for tenant roles, which customer, supplier or node they are bound to."""

from __future__ import annotations

from dataclasses import dataclass

from fleetops.auth.choices import Role
from fleetops.errors import Forbidden

# The only paths a sales token is answered on: the supplier scorecards (API and console).
SALES_PATHS = ("/api/v1/scorecards", "/scorecards")


@dataclass(frozen=True)
class Principal:
    role: Role
    name: str
    customer_id: int | None = None
    supplier_id: int | None = None
    node_id: int | None = None

    @property
    def actor(self) -> str:
        return f"{self.role.value}:{self.name}"

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"role {self.role.value} may not do this (needs one of: {allowed})")

    def require_writer(self) -> None:
        self.require(Role.ADMIN, Role.OPERATOR)

    def require_staff(self) -> None:
        """Fleet-wide views (audit log, reports) are for the operator's own people, never tenants."""
        self.require(Role.ADMIN, Role.OPERATOR, Role.VIEWER, Role.SECURITY)

    def require_path(self, path: str) -> None:
        """A sales token reads the scorecards and is refused everywhere else, before any view decides
        what a non-staff role may see (several treat any tenant-scoped role as a customer or supplier)."""
        if self.role is Role.SALES and not any(path == p or path.startswith(p + "/") for p in SALES_PATHS):
            raise Forbidden(f"role sales may read only the supplier scorecards, not {path}")


SYSTEM = Principal(role=Role.ADMIN, name="fleetops")
