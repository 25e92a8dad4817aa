"""Subscriber rows."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from worker.models import Schedule, Subscriber
from worker.store.db import chunks
from worker.store.tables import subscribers, subscribers_version


def save(conn: Connection, subscriber: Subscriber, now: datetime) -> tuple[Subscriber, bool]:
    """Insert, or update the rules of the same address; returns (stored, created).

    An existing row keeps its status: an import never re-subscribes someone who left.
    """
    created, _ = save_many(conn, [subscriber], now)
    stored = by_email(conn, subscriber.email)
    assert stored is not None
    return stored, created == 1


SAVE_BATCH = 1000  # subscribers per statement when importing a file


def save_many(conn: Connection, batch: Sequence[Subscriber], now: datetime) -> tuple[int, int]:
    """`save` for a batch: a lookup per SAVE_BATCH addresses, one INSERT, one UPDATE;
    returns (created, updated)."""
    emails = [s.email.lower() for s in batch]
    existing: dict[str, int] = {}
    for some in chunks(emails, SAVE_BATCH):
        rows = conn.execute(sa.select(subscribers.c.email, subscribers.c.id)
                            .where(subscribers.c.email.in_(some)))
        existing.update((row.email, row.id) for row in rows)
    new = [{"email": s.email.lower(), "created_at": now, "updated_at": now, **_values(s)}
           for s in batch if s.email.lower() not in existing]
    changed = [{"row_id": existing[s.email.lower()], "updated_at": now, **_values(s)}
               for s in batch if s.email.lower() in existing]
    if new:
        conn.execute(subscribers.insert(), new)
    if changed:
        for row in changed:
            row["file_reminders"] = row.pop("reminders")
        conn.execute(
            subscribers.update().where(subscribers.c.id == sa.bindparam("row_id"))
            .values({**{k: sa.bindparam(k) for k in changed[0]
                        if k not in ("row_id", "file_reminders")},
                     # like the status: a file may turn reminders off, never back on (the
                     # subscriber may have turned them off on the preferences page)
                     "reminders": sa.and_(subscribers.c.reminders,
                                          sa.bindparam("file_reminders"))}),
            changed,
        )
    return len(new), len(changed)


def save_all(conn: Connection, people: Sequence[Subscriber], now: datetime,
             progress: Callable[[int], None] = lambda _: None) -> tuple[int, int]:
    """`save_many` in batches, telling `progress` how many each batch saved; returns
    (created, updated)."""
    created = updated = 0
    for batch in chunks(people, SAVE_BATCH):
        added, changed = save_many(conn, batch, now)
        created, updated = created + added, updated + changed
        progress(len(batch))
    return created, updated


def by_email(conn: Connection, email: str) -> Subscriber | None:
    row = conn.execute(
        sa.select(subscribers).where(subscribers.c.email == email.strip().lower())
    ).first()
    return None if row is None else from_row(row)


def by_id(conn: Connection, subscriber_id: int) -> Subscriber | None:
    return by_ids(conn, [subscriber_id]).get(subscriber_id)


def by_ids(conn: Connection, subscriber_ids: Collection[int]) -> dict[int, Subscriber]:
    rows = conn.execute(sa.select(subscribers).where(subscribers.c.id.in_(list(subscriber_ids))))
    return {r.id: from_row(r) for r in rows}


def version(conn: Connection) -> int:
    """Bumped by the database on every write to subscribers (triggers, migration 0009)."""
    return int(conn.execute(sa.select(subscribers_version.c.version)).scalar_one())


def listing(conn: Connection) -> list[Subscriber]:
    return [from_row(r) for r in conn.execute(sa.select(subscribers)
                                              .order_by(subscribers.c.email))]


def each_active(conn: Connection) -> Iterator[Subscriber]:
    """The active subscribers one at a time, read in batches (server-side on PostgreSQL):
    a list of 100,000 held every one of them at once while the index was built."""
    query = sa.select(subscribers).where(subscribers.c.status == "active") \
        .order_by(subscribers.c.id)
    with conn.execute(query.execution_options(yield_per=2000)) as rows:  # not the connection's
        yield from (from_row(row) for row in rows)


def remove(conn: Connection, email: str) -> bool:
    """Delete the subscriber with their pending deliveries and digests."""
    result = conn.execute(subscribers.delete().where(subscribers.c.email == email.lower()))
    return result.rowcount > 0


def create_pending(conn: Connection, subscriber: Subscriber, now: datetime) -> Subscriber:
    """A web sign-up: stored unconfirmed, matched nothing until confirmed."""
    email = subscriber.email.lower()
    conn.execute(subscribers.insert().values(
        email=email, created_at=now, updated_at=now, status="pending", **_values(subscriber)))
    stored = by_email(conn, email)
    assert stored is not None
    return stored


def update_rules(conn: Connection, subscriber_id: int, rules: Subscriber, now: datetime) -> None:
    conn.execute(subscribers.update().where(subscribers.c.id == subscriber_id)
                 .values(updated_at=now, **_values(rules)))


def set_status(conn: Connection, subscriber_id: int, status: str, now: datetime,
               only_from: tuple[str, ...] = ()) -> bool:
    """Change the status (only from the given ones, if any); True if it changed."""
    query = subscribers.update().where(subscribers.c.id == subscriber_id)
    if only_from:
        query = query.where(subscribers.c.status.in_(only_from))
    return conn.execute(query.values(status=status, updated_at=now)).rowcount > 0


def expire_pending(conn: Connection, before: datetime) -> int:
    """Forget sign-ups never confirmed since `before`. By the last change, not the row's
    age: someone who left long ago and signs up again has their days to confirm."""
    stale = sa.and_(subscribers.c.status == "pending", subscribers.c.updated_at < before)
    # A DELETE of nothing still fires PostgreSQL's statement trigger, which would make
    # every worker rebuild its matching index after each web sign-up.
    if not conn.scalar(sa.select(sa.exists().where(stale))):
        return 0
    return conn.execute(subscribers.delete().where(stale)).rowcount


def record_hard_bounce(conn: Connection, subscriber_id: int, suspend_after: int) -> bool:
    """Count a permanent rejection; suspend at the limit. True if now suspended."""
    conn.execute(
        subscribers.update().where(subscribers.c.id == subscriber_id)
        .values(hard_bounces=subscribers.c.hard_bounces + 1)
    )
    conn.execute(
        subscribers.update()
        .where(subscribers.c.id == subscriber_id,
               subscribers.c.hard_bounces >= suspend_after,
               subscribers.c.status == "active")
        .values(status="suspended")
    )
    status = conn.scalar(sa.select(subscribers.c.status).where(subscribers.c.id == subscriber_id))
    return status == "suspended"


def _values(s: Subscriber) -> dict[str, Any]:
    return {
        "name": s.name,
        "districts": list(s.districts),
        "categories": list(s.categories),
        "keywords": list(s.keywords),
        "exclude": list(s.exclude),
        "frequency": s.schedule.frequency,
        "send_at": s.schedule.at.strftime("%H:%M"),
        "weekday": s.schedule.weekday,
        "timezone": s.schedule.timezone,
        "min_amount": s.min_amount,
        "stages": list(s.stages),
        "industries": list(s.industries),
        "reminders": s.reminders,
    }


def from_row(row: Any) -> Subscriber:
    return Subscriber(
        email=row.email, name=row.name, districts=tuple(row.districts),
        categories=tuple(row.categories), keywords=tuple(row.keywords),
        exclude=tuple(row.exclude),
        schedule=Schedule(row.frequency, time.fromisoformat(row.send_at), row.weekday,
                          row.timezone),
        id=row.id, status=row.status, created_at=row.created_at,
        min_amount=row.min_amount, stages=tuple(row.stages or ()),
        industries=tuple(row.industries or ()), reminders=bool(row.reminders),
    )
