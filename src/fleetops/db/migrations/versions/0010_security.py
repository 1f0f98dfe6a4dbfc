"""security: scanner imports (accepted and refused), findings on an SLA clock, each node's software and
firmware versions

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

import fleetops.db.base

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "node_software",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("component", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("seen_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_id"], ["node.id"], name=op.f("fk_node_software_node_id_node"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_node_software")),
        sa.UniqueConstraint(
            "node_id", "component", "name", name=op.f("uq_node_software_node_id_component_name")
        ),
    )
    op.create_index("ix_node_software_component_name", "node_software", ["component", "name"], unique=False)
    op.create_table(
        "security_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column(
            "scanner",
            sa.Enum(
                "trivy",
                "kube-bench",
                "openscap",
                "lynis",
                "fleetops",
                name="scanner",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "accepted",
                "unchanged",
                "rejected",
                "absent",
                name="importoutcome",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.Column(
            "asset_kind",
            sa.Enum("node", "image", "cluster", name="assetkind", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("asset", sa.String(length=300), nullable=True),
        sa.Column("node_id", sa.Integer(), nullable=True),
        sa.Column("cluster_id", sa.Integer(), nullable=True),
        sa.Column("profile", sa.String(length=200), nullable=True),
        sa.Column("rules_pass", sa.Integer(), nullable=True),
        sa.Column("rules_applicable", sa.Integer(), nullable=True),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("opened", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Integer(), nullable=False),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["cluster.id"],
            name=op.f("fk_security_import_cluster_id_cluster"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["node_id"], ["node.id"], name=op.f("fk_security_import_node_id_node"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_import")),
    )
    op.create_index(
        "ix_security_import_asset", "security_import", ["asset_kind", "asset", "scanner"], unique=False
    )
    op.create_index(op.f("ix_security_import_cluster_id"), "security_import", ["cluster_id"], unique=False)
    op.create_index(
        "ix_security_import_node_scanner",
        "security_import",
        ["node_id", "scanner", "received_at"],
        unique=False,
    )
    op.create_index(op.f("ix_security_import_received_at"), "security_import", ["received_at"], unique=False)
    op.create_table(
        "security_finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "asset_kind",
            sa.Enum("node", "image", "cluster", name="assetkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("asset", sa.String(length=300), nullable=False),
        sa.Column(
            "scanner",
            sa.Enum(
                "trivy",
                "kube-bench",
                "openscap",
                "lynis",
                "fleetops",
                name="scanner",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("check_id", sa.String(length=200), nullable=False),
        sa.Column("package", sa.String(length=200), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=True),
        sa.Column("cluster_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column(
            "severity",
            sa.Enum(
                "critical", "high", "medium", "low", "unknown", name="severity", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("open", "fixed", "accepted", name="findingstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("installed_version", sa.String(length=200), nullable=True),
        sa.Column("fixed_version", sa.String(length=200), nullable=True),
        sa.Column("first_seen", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("fixed_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.Column("accepted_until", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("accepted_reason", sa.Text(), nullable=True),
        sa.Column("accepted_by", sa.String(length=200), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["cluster.id"],
            name=op.f("fk_security_finding_cluster_id_cluster"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["security_import.id"],
            name=op.f("fk_security_finding_import_id_security_import"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["node_id"], ["node.id"], name=op.f("fk_security_finding_node_id_node"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_finding")),
        sa.UniqueConstraint(
            "asset_kind",
            "asset",
            "scanner",
            "check_id",
            "package",
            name=op.f("uq_security_finding_asset_kind_asset_scanner_check_id_package"),
        ),
    )
    op.create_index(op.f("ix_security_finding_check_id"), "security_finding", ["check_id"], unique=False)
    op.create_index(op.f("ix_security_finding_cluster_id"), "security_finding", ["cluster_id"], unique=False)
    op.create_index(op.f("ix_security_finding_due_at"), "security_finding", ["due_at"], unique=False)
    op.create_index(op.f("ix_security_finding_node_id"), "security_finding", ["node_id"], unique=False)
    op.create_index(
        "ix_security_finding_status_severity", "security_finding", ["status", "severity"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_security_finding_status_severity", table_name="security_finding")
    op.drop_index(op.f("ix_security_finding_node_id"), table_name="security_finding")
    op.drop_index(op.f("ix_security_finding_due_at"), table_name="security_finding")
    op.drop_index(op.f("ix_security_finding_cluster_id"), table_name="security_finding")
    op.drop_index(op.f("ix_security_finding_check_id"), table_name="security_finding")
    op.drop_table("security_finding")
    op.drop_index(op.f("ix_security_import_received_at"), table_name="security_import")
    op.drop_index("ix_security_import_node_scanner", table_name="security_import")
    op.drop_index(op.f("ix_security_import_cluster_id"), table_name="security_import")
    op.drop_index("ix_security_import_asset", table_name="security_import")
    op.drop_table("security_import")
    op.drop_index("ix_node_software_component_name", table_name="node_software")
    op.drop_table("node_software")
