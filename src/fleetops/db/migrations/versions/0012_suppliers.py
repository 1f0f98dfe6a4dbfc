"""suppliers: scorecards, technical requirements and acknowledgements; okr key results

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

import fleetops.db.base

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supplier_requirement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        sa.Column("published_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_requirement")),
        sa.UniqueConstraint("version", name=op.f("uq_supplier_requirement_version")),
    )
    op.create_table(
        "supplier_requirement_ack",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requirement_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=False),
        sa.Column("acknowledged_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["supplier_requirement.id"],
            name=op.f("fk_supplier_requirement_ack_requirement_id_supplier_requirement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
            name=op.f("fk_supplier_requirement_ack_supplier_id_supplier"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_requirement_ack")),
        sa.UniqueConstraint(
            "requirement_id", "supplier_id", name=op.f("uq_supplier_requirement_ack_requirement_id_supplier_id")
        ),
    )
    op.create_table(
        "okr_pager_baseline",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("imported_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_okr_pager_baseline")),
    )
    with op.batch_alter_table("supplier_requirement_ack", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supplier_requirement_ack_supplier_id"), ["supplier_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("okr_pager_baseline")
    op.drop_table("supplier_requirement_ack")
    op.drop_table("supplier_requirement")
