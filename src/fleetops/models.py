"""Every table of fleetops, imported once so Alembic and `create_all` see the whole schema."""

import fleetops.addons.models
import fleetops.alerts.models
import fleetops.assets.models
import fleetops.audit.models
import fleetops.auth.models
import fleetops.deploy.models
import fleetops.health.models
import fleetops.inventory.models
import fleetops.okr.models
import fleetops.remediation.models
import fleetops.security.access.models
import fleetops.security.incidents.models
import fleetops.security.models
import fleetops.security.updates.models
import fleetops.suppliers.models  # noqa: F401
