"""Investor facts on items; min_amount, stages and industries rules on subscribers

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 21:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("facts", sa.JSON(), nullable=True))
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("min_amount", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("stages", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("industries", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.drop_column("industries")
        batch_op.drop_column("stages")
        batch_op.drop_column("min_amount")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("facts")
