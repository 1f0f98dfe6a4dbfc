"""security: software and firmware inventory, console and update-run additions

node_software.checked_at (when a source last confirmed a version; seen_at stays the first sighting) and
an index on security_finding.package for "which nodes run this package" (the bulletin assessment).

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

import fleetops.db.base

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("node_software") as batch:
        batch.add_column(sa.Column("checked_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True))
    op.create_index(op.f("ix_security_finding_package"), "security_finding", ["package"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_security_finding_package"), table_name="security_finding")
    with op.batch_alter_table("node_software") as batch:
        batch.drop_column("checked_at")
