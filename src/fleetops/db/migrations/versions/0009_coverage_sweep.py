"""health: the coverage sweep remembers when it last ran, so silence that began while the control plane
was down is not counted against the nodes

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

import fleetops.db.base

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coverage_sweep",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("swept_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resumed_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("down_s", sa.Float(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_sweep")),
    )


def downgrade() -> None:
    op.drop_table("coverage_sweep")
