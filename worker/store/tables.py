"""Table definitions; the migrations in store/migrations must produce exactly these."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC out; stored as naive UTC so SQLite and PostgreSQL agree."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware one")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

sources = sa.Table(
    "sources", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    sa.Column("last_polled_at", UTCDateTime),
    sa.Column("last_success_at", UTCDateTime),
    sa.Column("last_error", sa.Text),
    sa.Column("failure_streak", sa.Integer, nullable=False, server_default="0"),
    sa.Column("content_hash", sa.String(64)),  # of the last body, for servers without ETag
    sa.Column("empty_streak", sa.Integer, nullable=False, server_default="0"),
    sa.Column("gone_since", UTCDateTime),  # answered 404 / 410 since then
)

items = sa.Table(
    "items", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("source_id", sa.String(64), sa.ForeignKey("sources.id"), nullable=False),
    sa.Column("guid", sa.String(500), nullable=False),
    sa.Column("url", sa.Text, nullable=False, unique=True),
    sa.Column("fingerprint", sa.String(64), nullable=False, unique=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("published_at", UTCDateTime, nullable=False),
    sa.Column("category", sa.String(16), nullable=False),
    sa.Column("districts", sa.JSON, nullable=False),  # [[name, [origins…]], …]
    sa.Column("first_seen_at", UTCDateTime, nullable=False),
    sa.Column("issuer", sa.Text, nullable=False, server_default=""),  # policies only
    sa.Column("doc_number", sa.String(100), nullable=False, server_default=""),
    sa.Column("doc_types", sa.JSON),
    sa.Column("minhash", sa.LargeBinary),  # title signature for near-duplicate search
    # False: the source printed no date; published_at is when the item was first seen
    sa.Column("dated", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("facts", sa.JSON),  # worker/facts; null: stored before facts were read
    sa.UniqueConstraint("source_id", "guid"),
)

# The same story seen again in another source: listed under the item it duplicates.
item_sources = sa.Table(
    "item_sources", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id"), nullable=False),
    sa.Column("source_id", sa.String(64), nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("seen_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("item_id", "source_id"),
)

subscribers = sa.Table(
    "subscribers", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),  # stored lower-case
    sa.Column("name", sa.Text, nullable=False, server_default=""),
    sa.Column("districts", sa.JSON, nullable=False),
    sa.Column("categories", sa.JSON, nullable=False),
    sa.Column("keywords", sa.JSON, nullable=False),
    sa.Column("exclude", sa.JSON, nullable=False),
    sa.Column("frequency", sa.String(16), nullable=False),
    sa.Column("send_at", sa.String(5), nullable=False),  # HH:MM local
    sa.Column("weekday", sa.Integer, nullable=False, server_default="0"),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("min_amount", sa.Float),  # yuan
    sa.Column("stages", sa.JSON),
    sa.Column("industries", sa.JSON),
    # deadline reminders of policies they received (worker/reminders.py)
    sa.Column("reminders", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("status", sa.String(16), nullable=False, server_default="active"),
    sa.Column("hard_bounces", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

digests = sa.Table(
    "digests", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("subscriber_id", sa.Integer,
              sa.ForeignKey("subscribers.id", ondelete="CASCADE"), nullable=False),
    sa.Column("period_key", sa.String(40), nullable=False),
    # pending → sending → sent | failed; sending past its lease is taken again
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("claimed_at", UTCDateTime),
    sa.Column("next_attempt_at", UTCDateTime),  # after a transient failure
    sa.Column("sent_at", UTCDateTime),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.UniqueConstraint("subscriber_id", "period_key"),
)

deliveries = sa.Table(
    "deliveries", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("subscriber_id", sa.Integer,
              sa.ForeignKey("subscribers.id", ondelete="CASCADE"), nullable=False),
    sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id"), nullable=False),
    sa.Column("keywords", sa.JSON, nullable=False),
    sa.Column("districts", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("digest_id", sa.Integer, sa.ForeignKey("digests.id", ondelete="SET NULL"),
              index=True),
    sa.Column("delivered_at", UTCDateTime),
    sa.UniqueConstraint("subscriber_id", "item_id"),
)

# A policy's deadline, reminded to a subscriber it reached: planned when the digest that
# carried it was sent, mailed in a digest row of its own ("r:<id>"), so the same claim,
# lease and outcomes apply. One row per (subscriber, item, days before): never twice.
reminders = sa.Table(
    "reminders", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("subscriber_id", sa.Integer,
              sa.ForeignKey("subscribers.id", ondelete="CASCADE"), nullable=False),
    sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id"), nullable=False),
    sa.Column("days_before", sa.Integer, nullable=False),
    sa.Column("deadline", sa.Date, nullable=False),
    sa.Column("due_at", UTCDateTime, nullable=False, index=True),
    sa.Column("lapse_at", UTCDateTime, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("digest_id", sa.Integer, sa.ForeignKey("digests.id", ondelete="SET NULL"),
              index=True),
    sa.Column("sent_at", UTCDateTime),
    sa.UniqueConstraint("subscriber_id", "item_id", "days_before"),
)

# Something wrong with the service as a whole that ops must fix (e.g. the SMTP server
# refusing to send for us): raised once, shown by `radar status`, cleared when it works.
conditions = sa.Table(
    "conditions", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("since", UTCDateTime, nullable=False),
    sa.Column("last_seen_at", UTCDateTime, nullable=False),
)

# One row (id 1): bumped by triggers (migration 0009) on every write to subscribers, so a
# process can keep its matching index while the number it read last is still there.
subscribers_version = sa.Table(
    "subscribers_version", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
)

# A bounce read from a delivery-status notification (`radar bounces import`): one row per
# recipient and bounced mail, so importing the same DSN again counts nothing twice.
bounces = sa.Table(
    "bounces", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(64), nullable=False, unique=True),  # worker/mail/dsn.py
    sa.Column("recipient", sa.String(320), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # 5.1.1
    sa.Column("kind", sa.String(16), nullable=False),  # hard | policy | message | unclear
    sa.Column("counted", sa.Boolean, nullable=False),  # a hard bounce of a subscriber
    sa.Column("diagnostic", sa.Text, nullable=False, server_default=""),
    sa.Column("dsn_message_id", sa.Text),
    sa.Column("subscriber_id", sa.Integer,
              sa.ForeignKey("subscribers.id", ondelete="SET NULL")),
    sa.Column("digest_id", sa.Integer, sa.ForeignKey("digests.id", ondelete="SET NULL")),
    sa.Column("imported_at", UTCDateTime, nullable=False),
)
