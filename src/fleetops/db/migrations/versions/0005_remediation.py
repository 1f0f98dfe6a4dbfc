"""remediation: runs, steps, faults, cluster settings, breakers, switches

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

import fleetops.db.base

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "remediation_breaker",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("closed", "open", name="breakerstate", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("tripped_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("reset_by", sa.String(length=200), nullable=True),
        sa.Column("reset_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remediation_breaker")),
        sa.UniqueConstraint("scope", "subject_id", name=op.f("uq_remediation_breaker_scope_subject_id")),
    )
    op.create_table(
        "remediation_switch",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("on", sa.Boolean(), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.Column("changed_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_remediation_switch")),
    )
    op.create_table(
        "remediation_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("allowed_actions", sa.JSON(), nullable=True),
        sa.Column("approval_required", sa.JSON(), nullable=False),
        sa.Column("maintenance_windows", sa.JSON(), nullable=False),
        sa.Column("notify", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["cluster.id"],
            name=op.f("fk_remediation_settings_cluster_id_cluster"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remediation_settings")),
        sa.UniqueConstraint("cluster_id", name=op.f("uq_remediation_settings_cluster_id")),
    )
    op.create_table(
        "remediation_fault",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("gpu_index", sa.Integer(), nullable=True),
        sa.Column("check", sa.String(length=64), nullable=False),
        sa.Column("xid", sa.Integer(), nullable=True),
        sa.Column("seen_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["node_id"], ["node.id"], name=op.f("fk_remediation_fault_node_id_node"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remediation_fault")),
        sa.UniqueConstraint("key", name=op.f("uq_remediation_fault_key")),
    )
    with op.batch_alter_table("remediation_fault", schema=None) as batch_op:
        batch_op.create_index(
            "ix_remediation_fault_gpu", ["node_id", "gpu_index", "xid", "seen_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_remediation_fault_run_id"), ["run_id"], unique=False)

    op.create_table(
        "remediation_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("hostname", sa.String(length=200), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=True),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.Column("gpu_index", sa.Integer(), nullable=True),
        sa.Column("check", sa.String(length=64), nullable=False),
        sa.Column("xid", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("rule", sa.String(length=100), nullable=False),
        sa.Column(
            "fault_class",
            sa.Enum("software", "hardware", "application", name="faultclass", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "quarantined",
                "draining",
                "acting",
                "verifying",
                "resolved",
                "escalated",
                "cancelled",
                name="runstate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("step_calls", sa.Integer(), nullable=False),
        sa.Column("step_started_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("rung", sa.Integer(), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("drained_by_us", sa.Boolean(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("human", sa.Boolean(), nullable=False),
        sa.Column("approved_by", sa.String(length=200), nullable=True),
        sa.Column("due_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_expires_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("ticket", sa.String(length=100), nullable=True),
        sa.Column("detected_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("quarantined_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("drained_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acted_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("verified_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("back_in_service_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_id"], ["node.id"], name=op.f("fk_remediation_run_node_id_node"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remediation_run")),
    )
    with op.batch_alter_table("remediation_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_remediation_run_cluster_id"), ["cluster_id"], unique=False)
        batch_op.create_index("ix_remediation_run_due", ["state", "due_at"], unique=False)
        batch_op.create_index("ix_remediation_run_node_state", ["node_id", "state"], unique=False)
        batch_op.create_index(batch_op.f("ix_remediation_run_supplier_id"), ["supplier_id"], unique=False)

    op.create_table(
        "remediation_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("approver", sa.String(length=200), nullable=True),
        sa.Column("from_state", sa.String(length=32), nullable=False),
        sa.Column("to_state", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["remediation_run.id"],
            name=op.f("fk_remediation_step_run_id_remediation_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remediation_step")),
    )
    with op.batch_alter_table("remediation_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_remediation_step_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_remediation_step_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    op.drop_table("remediation_step")
    with op.batch_alter_table("remediation_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remediation_run_supplier_id"))
        batch_op.drop_index("ix_remediation_run_node_state")
        batch_op.drop_index("ix_remediation_run_due")
        batch_op.drop_index(batch_op.f("ix_remediation_run_cluster_id"))

    op.drop_table("remediation_run")
    with op.batch_alter_table("remediation_fault", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remediation_fault_run_id"))
        batch_op.drop_index("ix_remediation_fault_gpu")

    op.drop_table("remediation_fault")
    op.drop_table("remediation_settings")
    op.drop_table("remediation_switch")
    op.drop_table("remediation_breaker")
