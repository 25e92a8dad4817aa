"""A version of the subscribers, bumped by the database on every write to them

Service mode keeps the matching index between polls while no subscriber changed (issue
18). Triggers bump the version, so no write can forget to: imports, the web forms,
unsubscribes, bounce suspensions, removals, expiry of unconfirmed sign-ups, and whatever
is added later.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_BUMP = "UPDATE subscribers_version SET version = version + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        "subscribers_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscribers_version")),
    )
    op.execute("INSERT INTO subscribers_version (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        # Once per transaction: every UPDATE of the one row within a transaction walks the
        # row versions it left before (an import of 100,000 subscribers took 64 s instead
        # of 11 s). A transaction-local setting remembers that this one has bumped.
        op.execute(f"""CREATE FUNCTION radar_subscribers_changed() RETURNS trigger
                       LANGUAGE plpgsql AS $$
                       BEGIN
                         IF current_setting('radar.subscribers_bumped', true)
                            IS DISTINCT FROM txid_current()::text THEN
                           {_BUMP};
                           PERFORM set_config('radar.subscribers_bumped',
                                              txid_current()::text, true);
                         END IF;
                         RETURN NULL;
                       END $$""")
        # once per statement: an import of 100,000 rows bumps it once per batch
        op.execute("""CREATE TRIGGER subscribers_changed
                      AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON subscribers
                      FOR EACH STATEMENT EXECUTE FUNCTION radar_subscribers_changed()""")
        return
    for event in ("INSERT", "UPDATE", "DELETE"):  # SQLite has row triggers only
        op.execute(f"""CREATE TRIGGER subscribers_{event.lower()}
                       AFTER {event} ON subscribers BEGIN {_BUMP}; END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER subscribers_changed ON subscribers")
        op.execute("DROP FUNCTION radar_subscribers_changed()")
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER subscribers_{event}")
    op.drop_table("subscribers_version")
