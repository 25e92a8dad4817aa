"""Conditions of the service as a whole that ops must fix, e.g. the SMTP server refusing
to send for us. Raised by whoever meets it, cleared by whoever sees it work again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from worker.store.db import insert_ignoring_conflicts
from worker.store.tables import conditions

MAIL_REFUSED = "mail-refused"  # the SMTP server refuses to send for us


@dataclass(frozen=True)
class Condition:
    name: str
    message: str
    since: datetime
    last_seen_at: datetime


def raise_condition(conn: Connection, name: str, message: str, now: datetime) -> bool:
    """Record the condition (or that it still holds); True if it is new."""
    created = conn.execute(insert_ignoring_conflicts(conn, conditions).values(
        name=name, message=message[:2000], since=now, last_seen_at=now))
    if created.rowcount == 1:
        return True
    conn.execute(conditions.update().where(conditions.c.name == name)
                 .values(message=message[:2000], last_seen_at=now))
    return False


def clear(conn: Connection, name: str) -> bool:
    """It works again; True if the condition was there."""
    return conn.execute(conditions.delete().where(conditions.c.name == name)).rowcount == 1


def active(conn: Connection) -> list[Condition]:
    rows = conn.execute(sa.select(conditions).order_by(conditions.c.since))
    return [Condition(r.name, r.message, r.since, r.last_seen_at) for r in rows]
