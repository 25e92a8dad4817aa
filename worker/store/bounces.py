"""Bounces read from delivery-status notifications: each recorded once, by its key.

A hard bounce of a subscriber counts exactly as a 5xx at RCPT does in the session
(`subscribers.record_hard_bounce`: suspended at `mail.suspend_after_bounces`); the same DSN
imported again finds its key and counts nothing. When the DSN returned our Message-ID,
the digest it bounced is found and the bounce written on its `last_error`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from worker.store import subscribers as subscriber_rows
from worker.store.db import insert_ignoring_conflicts
from worker.store.tables import bounces, digests, subscribers

DIGESTS_LOOKED_AT = 500  # a subscriber's newest digests searched for the bounced one

State = Literal["counted", "noted", "duplicate", "unknown"]


@dataclass(frozen=True)
class Bounce:
    key: str
    addresses: tuple[str, ...]  # lower-case; the subscriber is looked up in this order
    status: str
    kind: str
    hard: bool  # counts towards suspension (when it is a subscriber's)
    diagnostic: str
    dsn_message_id: str
    original_message_id: str  # "" when the DSN did not return the bounced mail's headers


@dataclass(frozen=True)
class Recorded:
    state: State  # counted: a hard bounce counted; noted: stored, not counted
    subscriber: str | None = None
    hard_bounces: int = 0  # the subscriber's count after this one
    suspended: bool = False  # the subscriber is suspended (now or before)
    digest_id: int | None = None


@dataclass(frozen=True)
class _Subscriber:
    id: int
    email: str


def record(conn: Connection, bounce: Bounce, suspend_after: int, now: datetime,
           message_id_of: Callable[[str], str]) -> Recorded:
    """Store the bounce once and count it if it is a subscriber's hard bounce.

    `message_id_of(digest_key)` gives the Message-ID a digest was sent with."""
    who = _subscriber(conn, bounce.addresses)
    digest_id = None
    if who is not None and bounce.original_message_id:
        digest_id = _digest(conn, who.id, bounce.original_message_id, message_id_of)
    # RETURNING, not rowcount: psycopg reports -1 for an insert that returned the new id
    inserted = conn.execute(insert_ignoring_conflicts(conn, bounces).values(
        key=bounce.key, recipient=bounce.addresses[0][:320], status=bounce.status[:16],
        kind=bounce.kind, counted=bounce.hard and who is not None,
        diagnostic=bounce.diagnostic[:2000], dsn_message_id=bounce.dsn_message_id or None,
        subscriber_id=None if who is None else who.id, digest_id=digest_id, imported_at=now,
    ).returning(bounces.c.id)).scalar_one_or_none()
    if inserted is None:
        return Recorded("duplicate", None if who is None else who.email, digest_id=digest_id)
    if who is None:
        return Recorded("unknown")
    if digest_id is not None:
        conn.execute(digests.update().where(digests.c.id == digest_id).values(
            last_error=f"bounced after acceptance: {bounce.status} {bounce.diagnostic}"[:2000]))
    suspended = False
    if bounce.hard:
        suspended = subscriber_rows.record_hard_bounce(conn, who.id, suspend_after)
    count, status = conn.execute(sa.select(subscribers.c.hard_bounces, subscribers.c.status)
                                 .where(subscribers.c.id == who.id)).one()
    return Recorded("counted" if bounce.hard else "noted", who.email, count,
                    suspended or status == "suspended", digest_id)


def _subscriber(conn: Connection, addresses: Sequence[str]) -> _Subscriber | None:
    """Addresses are stored lower-case; the first address given that is a subscriber's."""
    if not addresses:
        return None
    rows = conn.execute(sa.select(subscribers.c.id, subscribers.c.email)
                        .where(subscribers.c.email.in_([a.lower() for a in addresses])))
    found = {r.email: _Subscriber(r.id, r.email) for r in rows}
    return next((found[a.lower()] for a in addresses if a.lower() in found), None)


def _digest(conn: Connection, subscriber_id: int, original_message_id: str,
            message_id_of: Callable[[str], str]) -> int | None:
    """The subscriber's digest sent with this Message-ID (compared without its domain:
    the From domain may have changed since)."""
    wanted = _local_part(original_message_id)
    rows = conn.execute(sa.select(digests.c.id, digests.c.period_key)
                        .where(digests.c.subscriber_id == subscriber_id)
                        .order_by(digests.c.id.desc()).limit(DIGESTS_LOOKED_AT))
    for row in rows:
        if _local_part(message_id_of(f"{subscriber_id}:{row.period_key}")) == wanted:
            return int(row.id)
    return None


def _local_part(message_id: str) -> str:
    return message_id.strip().strip("<>").rpartition("@")[0].lower()
