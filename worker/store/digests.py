"""Deliveries (subscriber × item) and digests (subscriber × period) with their state.

A digest goes pending → sending → sent | failed. Sending is a lease: a digest left in
`sending` longer than the lease (its worker died) is claimed again, so nothing is lost.
Only the deliveries a digest actually carried are marked delivered with it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Generator, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from worker.models import Entry, Match, Subscriber
from worker.store import items as item_rows
from worker.store import subscribers as subscriber_rows
from worker.store.db import chunks, insert_ignoring_conflicts
from worker.store.tables import deliveries, digests, subscribers


@dataclass(frozen=True)
class DigestContents:
    id: int
    subscriber: Subscriber
    period_key: str
    created_at: datetime
    attempts: int
    entries: tuple[Entry, ...]


def add_matches(conn: Connection, matches: Iterable[Match], now: datetime) -> None:
    """Record what each subscriber should get; a pair already recorded is left alone."""
    rows = [{"subscriber_id": m.subscriber_id, "item_id": m.item_id,
             "keywords": list(m.keywords), "districts": list(m.districts), "created_at": now}
            for m in matches]
    if rows:
        conn.execute(insert_ignoring_conflicts(conn, deliveries), rows)


@dataclass(frozen=True)
class Waiting:
    """A subscriber with deliveries in no digest yet."""

    subscriber: Subscriber
    first_delivery_id: int
    oldest: datetime


def waiting(conn: Connection, email: str | None = None) -> Generator[Waiting, None, None]:
    """Active subscribers with deliveries in no digest yet: the first id and oldest time;
    one at a time (a list held 100,000 subscribers at once)."""
    first = (
        sa.select(deliveries.c.subscriber_id,
                  sa.func.min(deliveries.c.id).label("first_delivery"),
                  sa.func.min(deliveries.c.created_at).label("oldest"))
        .where(deliveries.c.digest_id.is_(None), deliveries.c.delivered_at.is_(None))
        .group_by(deliveries.c.subscriber_id)
        .subquery()
    )
    query = (
        sa.select(subscribers, first.c.first_delivery, first.c.oldest)
        .join(first, first.c.subscriber_id == subscribers.c.id)
        .where(subscribers.c.status == "active")
        .order_by(subscribers.c.id)
    )
    if email is not None:
        query = query.where(subscribers.c.email == email.lower())
    with conn.execute(query.execution_options(yield_per=2000)) as rows:  # not the connection's
        yield from (Waiting(subscriber_rows.from_row(r), r.first_delivery, _utc(r.oldest))
                    for r in rows)


def _utc(value: datetime) -> datetime:
    # An aggregate loses the column's type decorator: naive UTC comes back.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Plan:
    """Open (or top up) this subscriber's digest for this period, with what waited until
    `cutoff`."""

    subscriber_id: int
    period_key: str
    cutoff: datetime


OPEN_BATCH = 1000  # subscribers per statement


def open_digests(conn: Connection, plans: Sequence[Plan], now: datetime
                 ) -> dict[tuple[int, str], int]:
    """The pending digest of each plan, with the waiting deliveries attached; a period whose
    digest was already claimed or sent is left out (what waits goes in the next one).

    Set-based: one INSERT, one locking SELECT and one UPDATE per batch of subscribers.
    """
    opened: dict[tuple[int, str], int] = {}
    for batch in chunks(plans, OPEN_BATCH):
        conn.execute(insert_ignoring_conflicts(conn, digests), [
            {"subscriber_id": p.subscriber_id, "period_key": p.period_key, "state": "pending",
             "created_at": now} for p in batch])
        # Lock the rows so a concurrent claim cannot start sending while we attach.
        rows = conn.execute(
            sa.select(digests.c.id, digests.c.subscriber_id, digests.c.period_key, digests.c.state)
            .where(sa.tuple_(digests.c.subscriber_id, digests.c.period_key)
                   .in_([(p.subscriber_id, p.period_key) for p in batch]))
            .with_for_update()
        )
        pending = {(r.subscriber_id, r.period_key): int(r.id) for r in rows
                   if r.state == "pending"}
        by_cutoff: dict[datetime, dict[int, int]] = {}  # cutoff → subscriber → digest
        for p in batch:
            if (p.subscriber_id, p.period_key) in pending:
                by_cutoff.setdefault(p.cutoff, {})[p.subscriber_id] = \
                    pending[(p.subscriber_id, p.period_key)]
        for cutoff, digest_of in by_cutoff.items():  # subscribers due at once share one
            conn.execute(
                deliveries.update()
                .where(deliveries.c.subscriber_id.in_(list(digest_of)),
                       deliveries.c.digest_id.is_(None), deliveries.c.delivered_at.is_(None),
                       deliveries.c.created_at <= cutoff)
                .values(digest_id=sa.select(digests.c.id).where(
                    digests.c.subscriber_id == deliveries.c.subscriber_id,
                    digests.c.id.in_(list(digest_of.values()))).scalar_subquery()))
        opened.update(pending)
    return opened


def sendable(
    conn: Connection, now: datetime, lease: timedelta, email: str | None = None,
    most: int | None = None,
) -> list[int]:
    """Digests to send (the `most` oldest): pending, or their sender's lease ran out."""
    query = sa.select(digests.c.id).where(_claimable(now, lease)).order_by(digests.c.id) \
        .limit(most)
    if email is not None:
        query = query.join(subscribers, subscribers.c.id == digests.c.subscriber_id).where(
            subscribers.c.email == email.lower()
        )
    return list(conn.scalars(query))


def claim(conn: Connection, digest_ids: Collection[int], now: datetime, lease: timedelta
          ) -> list[int]:
    """Take these digests for sending, in one statement; returns the ids this worker got
    (another worker has the rest, or they are done)."""
    if not digest_ids:
        return []
    result = conn.execute(
        digests.update()
        .where(digests.c.id.in_(list(digest_ids)), _claimable(now, lease))
        .values(state="sending", claimed_at=now, attempts=digests.c.attempts + 1)
        .returning(digests.c.id)
    )
    return sorted(result.scalars())


def _claimable(now: datetime, lease: timedelta) -> sa.ColumnElement[bool]:
    retry_time_reached = sa.or_(digests.c.next_attempt_at.is_(None),
                                digests.c.next_attempt_at <= now)
    return sa.or_(
        sa.and_(digests.c.state == "pending", retry_time_reached),
        sa.and_(digests.c.state == "sending", digests.c.claimed_at < now - lease),
    )


ReadItems = Callable[[Connection, Iterable[int]], dict[int, item_rows.Published]]


def contents(conn: Connection, digest_ids: Collection[int],
             read_items: ReadItems = item_rows.with_others) -> list[DigestContents]:
    """What each digest carries, in id order: a few statements for the whole batch."""
    rows = list(conn.execute(sa.select(digests).where(digests.c.id.in_(list(digest_ids)))
                             .order_by(digests.c.id)))
    readers = subscriber_rows.by_ids(conn, {r.subscriber_id for r in rows})
    entries: dict[int | None, list[Entry]] = {}
    for digest_id, entry in _entries(conn, read_items,
                                     deliveries.c.digest_id.in_(list(digest_ids))):
        entries.setdefault(digest_id, []).append(entry)
    return [DigestContents(r.id, readers[r.subscriber_id], r.period_key, r.created_at,
                           r.attempts, tuple(entries.get(r.id, ())))
            for r in rows]  # the foreign key cascades deletes: every subscriber is there


def undelivered(conn: Connection, subscriber_id: int) -> list[Entry]:
    """What the subscriber's next mail would carry: matched, not yet delivered."""
    in_failed_digest = deliveries.c.digest_id.in_(
        sa.select(digests.c.id).where(digests.c.state == "failed")
    )
    # `NOT (NULL IN …)` is NULL, not true: deliveries in no digest need their own branch.
    not_failed = sa.or_(deliveries.c.digest_id.is_(None), sa.not_(in_failed_digest))
    return [e for _, e in _entries(conn, item_rows.with_others,
                                   deliveries.c.subscriber_id == subscriber_id, not_failed)]


def _entries(conn: Connection, read_items: ReadItems, *where: sa.ColumnElement[bool]
             ) -> list[tuple[int | None, Entry]]:
    """(the digest it is in, the entry), in delivery order. Each item is read once: read
    with every delivery, it was most of a batch's loading time (profiled at 30,000)."""
    rows = list(conn.execute(
        sa.select(deliveries.c.id, deliveries.c.item_id, deliveries.c.keywords,
                  deliveries.c.districts, deliveries.c.digest_id)
        .where(deliveries.c.delivered_at.is_(None), *where)
        .order_by(deliveries.c.id)
    ))
    ids = {r.item_id for r in rows}
    stored = read_items(conn, ids)
    return [(r.digest_id, Entry(r.id, stored[r.item_id][0], tuple(r.keywords),
                                tuple(r.districts), also_in=stored[r.item_id][1]))
            for r in rows]


def unsent_since(conn: Connection, before: datetime) -> int:
    """Digests created before `before` that are still not sent (nor failed)."""
    return int(conn.scalar(
        sa.select(sa.func.count()).select_from(digests)
        .where(digests.c.state.in_(["pending", "sending"]), digests.c.created_at < before)
    ) or 0)


def state_counts(conn: Connection, since: datetime) -> dict[str, int]:
    rows = conn.execute(
        sa.select(digests.c.state, sa.func.count())
        .where(digests.c.created_at >= since).group_by(digests.c.state)
    )
    return {state: n for state, n in rows}
