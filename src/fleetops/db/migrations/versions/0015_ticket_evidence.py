"""remediation: a handed-over run counts the findings its ticket carries, so new evidence reaches the
supplier on the same ticket

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("remediation_run") as batch:
        batch.add_column(sa.Column("told", sa.Integer(), server_default="0", nullable=False))
    # Runs already holding a ticket: what they know is on it.
    op.execute("UPDATE remediation_run SET told = findings WHERE ticket IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("remediation_run") as batch:
        batch.drop_column("told")
