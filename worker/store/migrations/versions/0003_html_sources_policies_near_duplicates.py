"""HTML sources (content hash, empty streak), policy metadata, near-duplicate signatures

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 21:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("empty_streak", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issuer", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(
            sa.Column("doc_number", sa.String(length=100), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("doc_types", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("minhash", sa.LargeBinary(), nullable=True))
    op.create_table(
        "item_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_sources_item_id_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_sources")),
        sa.UniqueConstraint("item_id", "source_id", name=op.f("uq_item_sources_item_id_source_id")),
    )


def downgrade() -> None:
    op.drop_table("item_sources")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("minhash")
        batch_op.drop_column("doc_types")
        batch_op.drop_column("doc_number")
        batch_op.drop_column("issuer")
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_column("empty_streak")
        batch_op.drop_column("content_hash")
