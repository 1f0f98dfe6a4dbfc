"""assets: lifecycle from purchase order to retirement, feeds, SLA timers, NetBox sync

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

import fleetops.db.base

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "asset_feed_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("succeeded_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failed_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_feed_run")),
        sa.UniqueConstraint("source", name=op.f("uq_asset_feed_run_source")),
    )
    op.create_table(
        "asset_netbox_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("netbox_id", sa.Integer(), nullable=False),
        sa.Column("base", sa.JSON(), nullable=False),
        sa.Column("synced_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_netbox_link")),
        sa.UniqueConstraint("kind", "key", name=op.f("uq_asset_netbox_link_kind_key")),
    )
    op.create_table(
        "asset_sla_breach",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("timer", sa.String(length=50), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=False),
        sa.Column("started_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("found_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("routed", sa.String(length=300), nullable=False),
        sa.Column("alert_fingerprint", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_sla_breach")),
        sa.UniqueConstraint("timer", "subject", name=op.f("uq_asset_sla_breach_timer_subject")),
    )
    op.create_table(
        "asset_vendor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("onboarding_started_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("onboarded_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_vendor")),
        sa.UniqueConstraint("name", name=op.f("uq_asset_vendor_name")),
    )
    op.create_table(
        "asset_spare",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("part", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("optic", "cable", "psu", "gpu", "other", name="partkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("reorder_point", sa.Integer(), nullable=False),
        sa.Column("usage_per_day", sa.Float(), nullable=False),
        sa.Column("created_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_asset_spare_site_id_site")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_spare")),
        sa.UniqueConstraint("site_id", "part", name=op.f("uq_asset_spare_site_id_part")),
    )
    op.create_index(op.f("ix_asset_spare_site_id"), "asset_spare", ["site_id"], unique=False)
    op.create_table(
        "asset_cluster_board",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("issue_key", sa.String(length=50), nullable=False),
        sa.Column("created_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["cluster.id"], name=op.f("fk_asset_cluster_board_cluster_id_cluster")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_cluster_board")),
        sa.UniqueConstraint("cluster_id", name=op.f("uq_asset_cluster_board_cluster_id")),
    )
    op.create_table(
        "asset_purchase_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("cluster_id", sa.Integer(), nullable=True),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Float(), nullable=False),
        sa.Column("ordered_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["cluster.id"], name=op.f("fk_asset_purchase_order_cluster_id_cluster")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_asset_purchase_order_site_id_site")),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["asset_vendor.id"], name=op.f("fk_asset_purchase_order_vendor_id_asset_vendor")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_purchase_order")),
        sa.UniqueConstraint("number", name=op.f("uq_asset_purchase_order_number")),
    )
    op.create_index(
        op.f("ix_asset_purchase_order_cluster_id"), "asset_purchase_order", ["cluster_id"], unique=False
    )
    op.create_index(
        op.f("ix_asset_purchase_order_site_id"), "asset_purchase_order", ["site_id"], unique=False
    )
    op.create_index(
        op.f("ix_asset_purchase_order_vendor_id"), "asset_purchase_order", ["vendor_id"], unique=False
    )
    op.create_table(
        "asset_invoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("po_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("serials", sa.JSON(), nullable=False),
        sa.Column("issued_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["po_id"], ["asset_purchase_order.id"], name=op.f("fk_asset_invoice_po_id_asset_purchase_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_invoice")),
        sa.UniqueConstraint("number", name=op.f("uq_asset_invoice_number")),
    )
    op.create_index(op.f("ix_asset_invoice_po_id"), "asset_invoice", ["po_id"], unique=False)
    op.create_table(
        "asset_shipment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("po_id", sa.Integer(), nullable=False),
        sa.Column("shipped_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("netbox_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["po_id"], ["asset_purchase_order.id"], name=op.f("fk_asset_shipment_po_id_asset_purchase_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_shipment")),
        sa.UniqueConstraint("number", name=op.f("uq_asset_shipment_number")),
    )
    op.create_index(op.f("ix_asset_shipment_po_id"), "asset_shipment", ["po_id"], unique=False)
    op.create_table(
        "asset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=100), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("server", "gpu", "switch", "part", name="assetkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "ordered",
                "shipped",
                "delivered",
                "received",
                "racked",
                "deployed",
                "repair",
                "rma",
                "retired",
                name="assetstate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("po_id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("node_id", sa.Integer(), nullable=True),
        sa.Column("ordered_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("shipped_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("received_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("racked_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deployed_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("retired_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["node_id"], ["node.id"], name=op.f("fk_asset_node_id_node")),
        sa.ForeignKeyConstraint(
            ["po_id"], ["asset_purchase_order.id"], name=op.f("fk_asset_po_id_asset_purchase_order")
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"], ["asset_shipment.id"], name=op.f("fk_asset_shipment_id_asset_shipment")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_asset_site_id_site")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset")),
        sa.UniqueConstraint("serial", name=op.f("uq_asset_serial")),
    )
    op.create_index(op.f("ix_asset_node_id"), "asset", ["node_id"], unique=False)
    op.create_index(op.f("ix_asset_po_id"), "asset", ["po_id"], unique=False)
    op.create_index(op.f("ix_asset_shipment_id"), "asset", ["shipment_id"], unique=False)
    op.create_index(op.f("ix_asset_site_id"), "asset", ["site_id"], unique=False)
    op.create_index(op.f("ix_asset_state"), "asset", ["state"], unique=False)
    op.create_table(
        "asset_repair_ticket",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("alert_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("routed_at", fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("receiver", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name=op.f("fk_asset_repair_ticket_asset_id_asset")
        ),
        sa.ForeignKeyConstraint(["node_id"], ["node.id"], name=op.f("fk_asset_repair_ticket_node_id_node")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_repair_ticket")),
    )
    op.create_index(
        op.f("ix_asset_repair_ticket_alert_fingerprint"),
        "asset_repair_ticket",
        ["alert_fingerprint"],
        unique=False,
    )
    op.create_index(
        op.f("ix_asset_repair_ticket_asset_id"), "asset_repair_ticket", ["asset_id"], unique=False
    )
    op.create_index(op.f("ix_asset_repair_ticket_node_id"), "asset_repair_ticket", ["node_id"], unique=False)
    op.create_table(
        "asset_transition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("at", fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=True),
        sa.Column("to_state", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["asset.id"], name=op.f("fk_asset_transition_asset_id_asset")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_transition")),
    )
    op.create_index(op.f("ix_asset_transition_asset_id"), "asset_transition", ["asset_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_asset_transition_asset_id"), table_name="asset_transition")
    op.drop_table("asset_transition")
    op.drop_index(op.f("ix_asset_repair_ticket_node_id"), table_name="asset_repair_ticket")
    op.drop_index(op.f("ix_asset_repair_ticket_asset_id"), table_name="asset_repair_ticket")
    op.drop_index(op.f("ix_asset_repair_ticket_alert_fingerprint"), table_name="asset_repair_ticket")
    op.drop_table("asset_repair_ticket")
    op.drop_index(op.f("ix_asset_state"), table_name="asset")
    op.drop_index(op.f("ix_asset_site_id"), table_name="asset")
    op.drop_index(op.f("ix_asset_shipment_id"), table_name="asset")
    op.drop_index(op.f("ix_asset_po_id"), table_name="asset")
    op.drop_index(op.f("ix_asset_node_id"), table_name="asset")
    op.drop_table("asset")
    op.drop_index(op.f("ix_asset_shipment_po_id"), table_name="asset_shipment")
    op.drop_table("asset_shipment")
    op.drop_index(op.f("ix_asset_invoice_po_id"), table_name="asset_invoice")
    op.drop_table("asset_invoice")
    op.drop_index(op.f("ix_asset_purchase_order_vendor_id"), table_name="asset_purchase_order")
    op.drop_index(op.f("ix_asset_purchase_order_site_id"), table_name="asset_purchase_order")
    op.drop_index(op.f("ix_asset_purchase_order_cluster_id"), table_name="asset_purchase_order")
    op.drop_table("asset_purchase_order")
    op.drop_table("asset_cluster_board")
    op.drop_index(op.f("ix_asset_spare_site_id"), table_name="asset_spare")
    op.drop_table("asset_spare")
    op.drop_table("asset_vendor")
    op.drop_table("asset_sla_breach")
    op.drop_table("asset_netbox_link")
    op.drop_table("asset_feed_run")
