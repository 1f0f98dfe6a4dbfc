"""health: agent reports, rejections, node and GPU health, findings, health changes

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import fleetops.db.base

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('health_rejection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('received_at', fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('report_id', sa.String(length=64), nullable=True),
    sa.Column('hostname', sa.String(length=256), nullable=True),
    sa.Column('node_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['node_id'], ['node.id'], name=op.f('fk_health_rejection_node_id_node'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_health_rejection'))
    )
    with op.batch_alter_table('health_rejection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_health_rejection_node_id'), ['node_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_health_rejection_reason'), ['reason'], unique=False)
        batch_op.create_index(batch_op.f('ix_health_rejection_received_at'), ['received_at'], unique=False)

    op.create_table('health_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.String(length=36), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('agent_version', sa.String(length=64), nullable=False),
    sa.Column('collected_at', fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_at', fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('skew_s', sa.Float(), nullable=False),
    sa.Column('clock_skewed', sa.Boolean(), nullable=False),
    sa.Column('gpu_count', sa.Integer(), nullable=False),
    sa.Column('finding_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['node_id'], ['node.id'], name=op.f('fk_health_report_node_id_node'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_health_report')),
    sa.UniqueConstraint('report_id', name=op.f('uq_health_report_report_id'))
    )
    with op.batch_alter_table('health_report', schema=None) as batch_op:
        batch_op.create_index('ix_health_report_node_received', ['node_id', 'received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_health_report_received_at'), ['received_at'], unique=False)

    op.create_table('node_health',
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('since', fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('why', sa.Text(), nullable=False),
    sa.Column('last_report_at', fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_collected_at', fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_report_id', sa.String(length=36), nullable=True),
    sa.Column('open_findings', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['node_id'], ['node.id'], name=op.f('fk_node_health_node_id_node'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('node_id', name=op.f('pk_node_health'))
    )
    with op.batch_alter_table('node_health', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_node_health_last_report_at'), ['last_report_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_node_health_state'), ['state'], unique=False)

    op.create_table('gpu_health',
    sa.Column('gpu_id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('since', fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('why', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['gpu_id'], ['gpu.id'], name=op.f('fk_gpu_health_gpu_id_gpu'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['node_id'], ['node.id'], name=op.f('fk_gpu_health_node_id_node'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('gpu_id', name=op.f('pk_gpu_health'))
    )
    with op.batch_alter_table('gpu_health', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gpu_health_node_id'), ['node_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_gpu_health_state'), ['state'], unique=False)

    op.create_table('health_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('gpu_id', sa.Integer(), nullable=True),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('why', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['gpu_id'], ['gpu.id'], name=op.f('fk_health_change_gpu_id_gpu'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['node_id'], ['node.id'], name=op.f('fk_health_change_node_id_node'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_health_change'))
    )
    with op.batch_alter_table('health_change', schema=None) as batch_op:
        batch_op.create_index('ix_health_change_node_at', ['node_id', 'at'], unique=False)

    op.create_table('health_finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('gpu_id', sa.Integer(), nullable=True),
    sa.Column('gpu_index', sa.Integer(), nullable=True),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('check', sa.String(length=64), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('xid', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('owner', sa.String(length=32), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('reported_by', sa.String(length=200), nullable=False),
    sa.Column('report_id', sa.String(length=36), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('opened_at', fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', fleetops.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', fleetops.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_why', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['gpu_id'], ['gpu.id'], name=op.f('fk_health_finding_gpu_id_gpu'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['node_id'], ['node.id'], name=op.f('fk_health_finding_node_id_node'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_health_finding'))
    )
    with op.batch_alter_table('health_finding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_health_finding_check'), ['check'], unique=False)
        batch_op.create_index(batch_op.f('ix_health_finding_gpu_id'), ['gpu_id'], unique=False)
        batch_op.create_index('ix_health_finding_node_open', ['node_id', 'resolved_at'], unique=False)
        batch_op.create_index('ix_health_finding_opened', ['opened_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('health_finding', schema=None) as batch_op:
        batch_op.drop_index('ix_health_finding_opened')
        batch_op.drop_index('ix_health_finding_node_open')
        batch_op.drop_index(batch_op.f('ix_health_finding_gpu_id'))
        batch_op.drop_index(batch_op.f('ix_health_finding_check'))

    op.drop_table('health_finding')
    with op.batch_alter_table('health_change', schema=None) as batch_op:
        batch_op.drop_index('ix_health_change_node_at')

    op.drop_table('health_change')
    with op.batch_alter_table('gpu_health', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gpu_health_state'))
        batch_op.drop_index(batch_op.f('ix_gpu_health_node_id'))

    op.drop_table('gpu_health')
    with op.batch_alter_table('node_health', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_node_health_state'))
        batch_op.drop_index(batch_op.f('ix_node_health_last_report_at'))

    op.drop_table('node_health')
    with op.batch_alter_table('health_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_health_report_received_at'))
        batch_op.drop_index('ix_health_report_node_received')

    op.drop_table('health_report')
    with op.batch_alter_table('health_rejection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_health_rejection_received_at'))
        batch_op.drop_index(batch_op.f('ix_health_rejection_reason'))
        batch_op.drop_index(batch_op.f('ix_health_rejection_node_id'))

    op.drop_table('health_rejection')
