"""assets: the cabling plan, each planned cable's two ends and the NetBox cable it became

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

import fleetops.db.base

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "asset_cable",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("a_device", sa.String(length=200), nullable=False),
        sa.Column("a_switch", sa.Boolean(), nullable=False),
        sa.Column("a_port", sa.String(length=100), nullable=False),
        sa.Column("b_device", sa.String(length=200), nullable=False),
        sa.Column("b_switch", sa.Boolean(), nullable=False),
        sa.Column("b_port", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=50), nullable=True),
        sa.Column("label", sa.String(length=100), nullable=True),
        sa.Column("netbox_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_cable")),
        sa.UniqueConstraint("a_device", "a_port", name=op.f("uq_asset_cable_a_device_a_port")),
        sa.UniqueConstraint("b_device", "b_port", name=op.f("uq_asset_cable_b_device_b_port")),
    )


def downgrade() -> None:
    op.drop_table("asset_cable")
