"""remediation: a run's latest sighting of its fault (one life per fault: re-reports are evidence)

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

import fleetops.db.base

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("remediation_run") as batch:
        batch.add_column(
            sa.Column("last_seen_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("remediation_run") as batch:
        batch.drop_column("last_seen_at")
