"""Deadline reminders: the reminders table and a subscriber's reminders switch

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminders", sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("days_before", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("lapse_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("digest_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["subscriber_id"], ["subscribers.id"],
                                name=op.f("fk_reminders_subscriber_id_subscribers"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"],
                                name=op.f("fk_reminders_item_id_items")),
        sa.ForeignKeyConstraint(["digest_id"], ["digests.id"],
                                name=op.f("fk_reminders_digest_id_digests"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
        sa.UniqueConstraint("subscriber_id", "item_id", "days_before",
                            name=op.f("uq_reminders_subscriber_id_item_id_days_before")),
    )
    op.create_index(op.f("ix_reminders_due_at"), "reminders", ["due_at"])
    op.create_index(op.f("ix_reminders_digest_id"), "reminders", ["digest_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_reminders_digest_id"), table_name="reminders")
    op.drop_index(op.f("ix_reminders_due_at"), table_name="reminders")
    op.drop_table("reminders")
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.drop_column("reminders")
