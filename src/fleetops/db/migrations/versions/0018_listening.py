"""health: the API's heartbeat in the coverage sweep's row, so a worker sweeping while the API is down
marks no node silent

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

import fleetops.db.base

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("coverage_sweep") as batch:
        batch.add_column(sa.Column("heard_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("coverage_sweep") as batch:
        batch.drop_column("heard_at")
