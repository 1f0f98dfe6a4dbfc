"""security: access review, access requests and grants, security incidents, emergency updates

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

import fleetops.db.base

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "security_access_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(length=200), nullable=False),
        sa.Column("system", sa.String(length=20), nullable=False),
        sa.Column("access", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("hours", sa.Double(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "requested",
                "granted",
                "denied",
                "expired",
                "revoked",
                name="requeststate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_access_request")),
    )
    op.create_index(
        "ix_security_access_request_due", "security_access_request", ["state", "expires_at"], unique=False
    )
    op.create_index(
        op.f("ix_security_access_request_user"), "security_access_request", ["user"], unique=False
    )
    op.create_table(
        "security_access_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("taken_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("taken_by", sa.String(length=200), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("baseline", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_access_snapshot")),
        sa.UniqueConstraint("digest", name=op.f("uq_security_access_snapshot_digest")),
    )
    op.create_table(
        "security_incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column(
            "priority",
            sa.Enum("P0", "P1", "P2", "P3", name="priority", native_enum=False, length=4),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum(
                "declared",
                "investigating",
                "contained",
                "resolved",
                "closed",
                name="incidentstate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.Column("customers", sa.String(length=500), nullable=False),
        sa.Column("declared_by", sa.String(length=200), nullable=False),
        sa.Column("declared_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("responded_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("contained_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("commander", sa.String(length=200), nullable=True),
        sa.Column("communications", sa.String(length=200), nullable=True),
        sa.Column("technical_lead", sa.String(length=200), nullable=True),
        sa.Column("root_cause", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_incident")),
    )
    op.create_index(
        op.f("ix_security_incident_confidential"), "security_incident", ["confidential"], unique=False
    )
    op.create_table(
        "security_access_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "standing_production",
                "wildcard_root",
                "long_session",
                "no_mfa",
                "unknown_user",
                name="flagkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["security_access_snapshot.id"],
            name=op.f("fk_security_access_flag_snapshot_id_security_access_snapshot"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_access_flag")),
    )
    op.create_index(
        op.f("ix_security_access_flag_snapshot_id"), "security_access_flag", ["snapshot_id"], unique=False
    )
    op.create_table(
        "security_access_reach",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=100), nullable=True),
        sa.Column("system", sa.String(length=20), nullable=False),
        sa.Column("via", sa.String(length=300), nullable=False),
        sa.Column("target", sa.String(length=300), nullable=False),
        sa.Column("login", sa.String(length=100), nullable=True),
        sa.Column("standing", sa.Boolean(), nullable=False),
        sa.Column("wildcard", sa.Boolean(), nullable=False),
        sa.Column("session_hours", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["security_access_snapshot.id"],
            name=op.f("fk_security_access_reach_snapshot_id_security_access_snapshot"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_access_reach")),
    )
    op.create_index(
        op.f("ix_security_access_reach_snapshot_id"), "security_access_reach", ["snapshot_id"], unique=False
    )
    op.create_table(
        "security_access_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("opened_by", sa.String(length=200), nullable=False),
        sa.Column("opened_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("signed_off_by", sa.String(length=200), nullable=True),
        sa.Column("signed_off_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["security_access_snapshot.id"],
            name=op.f("fk_security_access_review_snapshot_id_security_access_snapshot"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_access_review")),
        sa.UniqueConstraint("quarter", name=op.f("uq_security_access_review_quarter")),
    )
    op.create_table(
        "security_incident_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["security_incident.id"],
            name=op.f("fk_security_incident_event_incident_id_security_incident"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_incident_event")),
    )
    op.create_index(
        op.f("ix_security_incident_event_incident_id"),
        "security_incident_event",
        ["incident_id"],
        unique=False,
    )
    op.create_table(
        "security_access_review_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("user", sa.String(length=200), nullable=True),
        sa.Column(
            "decision",
            sa.Enum("pending", "done", "keep", "revoke", name="reviewdecision", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["security_access_review.id"],
            name=op.f("fk_security_access_review_item_review_id_security_access_review"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_access_review_item")),
    )
    op.create_index(
        op.f("ix_security_access_review_item_review_id"),
        "security_access_review_item",
        ["review_id"],
        unique=False,
    )
    op.create_table(
        "security_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("bulletin", sa.String(length=200), nullable=False),
        sa.Column("max_drained", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "planned", "running", "paused", "completed", name="runstate", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("started_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["cluster.id"], name=op.f("fk_security_update_cluster_id_cluster")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_update")),
        sa.UniqueConstraint("name", name=op.f("uq_security_update_name")),
    )
    op.create_index(op.f("ix_security_update_cluster_id"), "security_update", ["cluster_id"], unique=False)
    op.create_table(
        "security_update_node",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("update_id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("hostname", sa.String(length=200), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "draining",
                "updating",
                "qualifying",
                "resuming",
                "done",
                "failed",
                name="step",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("due_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("lease_expires_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["node_id"], ["node.id"], name=op.f("fk_security_update_node_node_id_node")),
        sa.ForeignKeyConstraint(
            ["update_id"],
            ["security_update.id"],
            name=op.f("fk_security_update_node_update_id_security_update"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_update_node")),
        sa.UniqueConstraint("update_id", "node_id", name=op.f("uq_security_update_node_update_id_node_id")),
    )
    op.create_index("ix_security_update_node_due", "security_update_node", ["state", "due_at"], unique=False)
    op.create_index(
        op.f("ix_security_update_node_update_id"), "security_update_node", ["update_id"], unique=False
    )
    op.create_table(
        "security_update_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("update_id", sa.Integer(), nullable=False),
        sa.Column("update_node_id", sa.Integer(), nullable=False),
        sa.Column("hostname", sa.String(length=200), nullable=False),
        sa.Column("at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column(
            "from_state",
            sa.Enum(
                "pending",
                "draining",
                "updating",
                "qualifying",
                "resuming",
                "done",
                "failed",
                name="step",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "to_state",
            sa.Enum(
                "pending",
                "draining",
                "updating",
                "qualifying",
                "resuming",
                "done",
                "failed",
                name="step",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["update_id"],
            ["security_update.id"],
            name=op.f("fk_security_update_step_update_id_security_update"),
        ),
        sa.ForeignKeyConstraint(
            ["update_node_id"],
            ["security_update_node.id"],
            name=op.f("fk_security_update_step_update_node_id_security_update_node"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_update_step")),
    )
    op.create_index(
        op.f("ix_security_update_step_update_id"), "security_update_step", ["update_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_security_update_step_update_id"), table_name="security_update_step")
    op.drop_table("security_update_step")
    op.drop_index(op.f("ix_security_update_node_update_id"), table_name="security_update_node")
    op.drop_index("ix_security_update_node_due", table_name="security_update_node")
    op.drop_table("security_update_node")
    op.drop_index(op.f("ix_security_update_cluster_id"), table_name="security_update")
    op.drop_table("security_update")
    op.drop_index(op.f("ix_security_access_review_item_review_id"), table_name="security_access_review_item")
    op.drop_table("security_access_review_item")
    op.drop_index(op.f("ix_security_incident_event_incident_id"), table_name="security_incident_event")
    op.drop_table("security_incident_event")
    op.drop_table("security_access_review")
    op.drop_index(op.f("ix_security_access_reach_snapshot_id"), table_name="security_access_reach")
    op.drop_table("security_access_reach")
    op.drop_index(op.f("ix_security_access_flag_snapshot_id"), table_name="security_access_flag")
    op.drop_table("security_access_flag")
    op.drop_index(op.f("ix_security_incident_confidential"), table_name="security_incident")
    op.drop_table("security_incident")
    op.drop_table("security_access_snapshot")
    op.drop_index(op.f("ix_security_access_request_user"), table_name="security_access_request")
    op.drop_index("ix_security_access_request_due", table_name="security_access_request")
    op.drop_table("security_access_request")
