"""addons: per-cluster add-on state and settings

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

import fleetops.db.base

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cluster_addon",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("addon", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["cluster.id"], name=op.f("fk_cluster_addon_cluster_id_cluster"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cluster_addon")),
        sa.UniqueConstraint("cluster_id", "addon", name=op.f("uq_cluster_addon_cluster_id_addon")),
    )
    op.create_index(op.f("ix_cluster_addon_cluster_id"), "cluster_addon", ["cluster_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_cluster_addon_cluster_id"), table_name="cluster_addon")
    op.drop_table("cluster_addon")
