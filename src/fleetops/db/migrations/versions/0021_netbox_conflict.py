"""assets: the NetBox change a device's open conflict is about, read again by each pull until settled

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("asset_netbox_link", sa.Column("conflict", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("asset_netbox_link") as batch:
        batch.drop_column("conflict")
