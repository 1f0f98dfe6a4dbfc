"""assets: the NetBox pull's cursor, how far it has read NetBox's change log

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

import fleetops.db.base

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "asset_netbox_cursor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("moved_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_netbox_cursor")),
        sa.UniqueConstraint("source", name=op.f("uq_asset_netbox_cursor_source")),
    )


def downgrade() -> None:
    op.drop_table("asset_netbox_cursor")
