"""Bounces imported from delivery-status notifications, each once

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bounces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("diagnostic", sa.Text(), nullable=False, server_default=""),
        sa.Column("dsn_message_id", sa.Text(), nullable=True),
        sa.Column("subscriber_id", sa.Integer(), nullable=True),
        sa.Column("digest_id", sa.Integer(), nullable=True),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["subscriber_id"], ["subscribers.id"],
                                name=op.f("fk_bounces_subscriber_id_subscribers"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["digest_id"], ["digests.id"],
                                name=op.f("fk_bounces_digest_id_digests"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bounces")),
        sa.UniqueConstraint("key", name=op.f("uq_bounces_key")),
    )


def downgrade() -> None:
    op.drop_table("bounces")
