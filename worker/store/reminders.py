"""Deadline reminder rows: planned when a digest is sent, opened into reminder mails when
due, marked sent with their mail. The mail is a digest row keyed "r:<first reminder id>",
so claiming, leases, retries and failures are the digests' own (store/digests.py)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from worker.models import Entry
from worker.reminders import Planned, reminder_key
from worker.store import items as item_rows
from worker.store.db import insert_ignoring_conflicts
from worker.store.tables import digests, items, reminders, subscribers


def schedule(conn: Connection, subscriber_id: int, planned: Sequence[Planned],
             now: datetime) -> None:
    """Store planned reminders (worker/reminders.py); a (subscriber, item, days) already
    planned is left alone."""
    if planned:
        conn.execute(insert_ignoring_conflicts(conn, reminders),
                     [_row(subscriber_id, p, now) for p in planned])


def _row(subscriber_id: int, p: Planned, now: datetime) -> dict[str, object]:
    return {"subscriber_id": subscriber_id, "item_id": p.item_id, "days_before": p.days_before,
            "deadline": p.deadline, "due_at": p.due_at, "lapse_at": p.lapse_at,
            "created_at": now}


def open_due(conn: Connection, now: datetime) -> int:
    """Put every due reminder in a pending reminder mail of its subscriber (one mail per
    subscriber for what is due together); returns how many mails were opened."""
    due = list(conn.execute(
        sa.select(reminders.c.id, reminders.c.subscriber_id)
        .join(subscribers, subscribers.c.id == reminders.c.subscriber_id)
        .where(reminders.c.digest_id.is_(None), reminders.c.sent_at.is_(None),
               reminders.c.due_at <= now, reminders.c.lapse_at > now,
               subscribers.c.status == "active", subscribers.c.reminders.is_(True))
        .order_by(reminders.c.id)))
    ids_of: dict[int, list[int]] = {}
    for row in due:
        ids_of.setdefault(row.subscriber_id, []).append(row.id)
    if not ids_of:
        return 0
    keys = {subscriber: reminder_key(ids[0]) for subscriber, ids in ids_of.items()}
    conn.execute(insert_ignoring_conflicts(conn, digests), [
        {"subscriber_id": s, "period_key": key, "state": "pending", "created_at": now}
        for s, key in keys.items()])
    opened = conn.execute(
        sa.select(digests.c.id, digests.c.subscriber_id)
        .where(sa.tuple_(digests.c.subscriber_id, digests.c.period_key).in_(keys.items()),
               digests.c.state == "pending")
        .with_for_update())
    for row in opened:
        conn.execute(reminders.update()
                     .where(reminders.c.id.in_(ids_of[row.subscriber_id]),
                            reminders.c.digest_id.is_(None))
                     .values(digest_id=row.id))
    return len(keys)


@dataclass(frozen=True)
class Carried:
    """An unsent reminder attached to a mail, as planned (the pipeline decides whether it
    still goes out: not lapsed, the item still naming that deadline)."""

    mail: int
    entry: Entry  # `delivery_id` is the reminder's id
    planned_for: date
    lapse_at: datetime


def carried(conn: Connection, digest_ids: Collection[int]) -> list[Carried]:
    """The unsent reminders of these mails, soonest deadline first."""
    rows = conn.execute(
        sa.select(reminders.c.id.label("reminder_id"), reminders.c.digest_id.label("mail"),
                  reminders.c.deadline.label("planned_for"),
                  reminders.c.lapse_at.label("lapses"), items)
        .join(items, items.c.id == reminders.c.item_id)
        .where(reminders.c.digest_id.in_(list(digest_ids)), reminders.c.sent_at.is_(None))
        .order_by(reminders.c.deadline, reminders.c.id))
    return [Carried(r.mail, Entry(r.reminder_id, item_rows.from_row(r), (), ()),
                    r.planned_for, r.lapses) for r in rows]


def mark_sent(conn: Connection, reminder_ids: Sequence[int], now: datetime) -> None:
    """In the transaction that marks their mail sent."""
    if reminder_ids:
        conn.execute(reminders.update().where(reminders.c.id.in_(list(reminder_ids)))
                     .values(sent_at=now))
