"""health: qualification requests become agent requests with a kind (qualify, reset_gpu), one table for
everything the control plane asks of an agent

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

import fleetops.db.base

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("gpu_index", sa.Integer(), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("requested_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("closed_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["node_id"], ["node.id"], name=op.f("fk_agent_request_node_id_node"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["qualification_run.id"],
            name=op.f("fk_agent_request_result_id_qualification_run"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_request")),
    )
    with op.batch_alter_table("agent_request", schema=None) as batch_op:
        batch_op.create_index("ix_agent_request_node_open", ["node_id", "closed_at"], unique=False)
    # Same ids, so a request id an agent or an operator already holds keeps meaning the same request.
    op.execute(
        """
        INSERT INTO agent_request (id, node_id, kind, gpu_index, duration_s, requested_at, requested_by,
                                   reason, closed_at, outcome, detail, result_id)
        SELECT q.id, q.node_id, 'qualify', NULL, q.duration_s, q.requested_at, q.requested_by, q.reason,
               q.fulfilled_at,
               CASE WHEN q.fulfilled_at IS NULL THEN NULL
                    WHEN r.passed THEN 'passed' ELSE 'failed' END,
               COALESCE(r.reason, ''), q.result_id
        FROM qualification_request q LEFT JOIN qualification_run r ON r.id = q.result_id
        """
    )
    _restart_ids("agent_request")
    with op.batch_alter_table("qualification_request", schema=None) as batch_op:
        batch_op.drop_index("ix_qualification_request_node_open")
    op.drop_table("qualification_request")


def _restart_ids(table: str) -> None:
    """PostgreSQL's id sequence does not know of rows inserted with their ids; SQLite needs nothing."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false) "
            f"FROM {table}"
        )


def downgrade() -> None:
    op.create_table(
        "qualification_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("fulfilled_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("result_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["node_id"], ["node.id"], name=op.f("fk_qualification_request_node_id_node"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["qualification_run.id"],
            name=op.f("fk_qualification_request_result_id_qualification_run"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qualification_request")),
    )
    with op.batch_alter_table("qualification_request", schema=None) as batch_op:
        batch_op.create_index("ix_qualification_request_node_open", ["node_id", "fulfilled_at"], unique=False)
    # GPU reset requests have no home before 0008: they are dropped with the table.
    op.execute(
        """
        INSERT INTO qualification_request (id, node_id, requested_at, requested_by, reason, duration_s,
                                           fulfilled_at, result_id)
        SELECT id, node_id, requested_at, requested_by, reason, COALESCE(duration_s, 60), closed_at, result_id
        FROM agent_request WHERE kind = 'qualify'
        """
    )
    _restart_ids("qualification_request")
    with op.batch_alter_table("agent_request", schema=None) as batch_op:
        batch_op.drop_index("ix_agent_request_node_open")
    op.drop_table("agent_request")
