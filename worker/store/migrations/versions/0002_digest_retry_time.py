"""digests.next_attempt_at: a transient send failure waits before the next attempt

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 21:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("digests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_digests_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("digests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digests_state"))
        batch_op.drop_column("next_attempt_at")
