"""Source rows: caching validators and error state per source."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from worker.models import Source, Validators
from worker.store.tables import items, sources


@dataclass(frozen=True)
class SourceStatus:
    id: str
    url: str
    last_success_at: datetime | None
    last_error: str | None
    failure_streak: int
    items_stored: int
    empty_streak: int = 0
    gone_since: datetime | None = None


@dataclass(frozen=True)
class PollState:
    """What the last poll left for the next one."""

    validators: Validators
    content_hash: str | None
    empty_streak: int
    first_poll: bool = False  # never polled successfully: its backlog is not news


def sync(conn: Connection, configured: Sequence[Source]) -> None:
    """Make sure every configured source has a row; a changed URL forgets its validators."""
    existing = {r.id: r.url for r in conn.execute(sa.select(sources.c.id, sources.c.url))}
    for source in configured:
        if source.id not in existing:
            conn.execute(sources.insert().values(id=source.id, name=source.name, url=source.url))
        elif existing[source.id] != source.url:
            conn.execute(
                sources.update().where(sources.c.id == source.id)
                .values(name=source.name, url=source.url, etag=None, last_modified=None,
                        content_hash=None)
            )


def poll_state(conn: Connection, source_id: str) -> PollState:
    row = conn.execute(sa.select(sources).where(sources.c.id == source_id)).first()
    return _NEVER_POLLED if row is None else _state(row)


def poll_states(conn: Connection) -> dict[str, PollState]:
    """Every stored source's state in one query (a poll of 500 sources read them one by
    one: 500 statements)."""
    return {row.id: _state(row) for row in conn.execute(sa.select(sources))}


def _state(row: Any) -> PollState:
    return PollState(Validators(row.etag, row.last_modified), row.content_hash,
                     row.empty_streak, first_poll=row.last_success_at is None)


_NEVER_POLLED = PollState(Validators(), None, 0, first_poll=True)


def record_success(
    conn: Connection, source_id: str, validators: Validators, now: datetime,
    content_hash: str | None = None, empty_streak: int = 0,
) -> None:
    conn.execute(
        sources.update().where(sources.c.id == source_id).values(
            etag=validators.etag, last_modified=validators.last_modified,
            last_polled_at=now, last_success_at=now, last_error=None, failure_streak=0,
            content_hash=content_hash, empty_streak=empty_streak, gone_since=None,
        )
    )


def record_failure(conn: Connection, source_id: str, error: str, now: datetime) -> int:
    """Record the error; returns the failure streak including this one."""
    conn.execute(
        sources.update().where(sources.c.id == source_id).values(
            last_polled_at=now, last_error=error[:2000],
            failure_streak=sources.c.failure_streak + 1,
        )
    )
    return int(conn.execute(
        sa.select(sources.c.failure_streak).where(sources.c.id == source_id)
    ).scalar_one())


def mark_gone(conn: Connection, source_id: str, now: datetime) -> bool:
    """Record that the source answers 404 / 410; True the first time (to tell ops once)."""
    changed = conn.execute(
        sources.update().where(sources.c.id == source_id, sources.c.gone_since.is_(None))
        .values(gone_since=now)
    )
    return changed.rowcount == 1


def statuses(conn: Connection) -> list[SourceStatus]:
    counts = (
        sa.select(items.c.source_id, sa.func.count().label("n"))
        .group_by(items.c.source_id).subquery()
    )
    query = (
        sa.select(sources, sa.func.coalesce(counts.c.n, 0).label("n"))
        .outerjoin(counts, counts.c.source_id == sources.c.id)
        .order_by(sources.c.id)
    )
    return [
        SourceStatus(r.id, r.url, r.last_success_at, r.last_error, r.failure_streak, r.n,
                     r.empty_streak, r.gone_since)
        for r in conn.execute(query)
    ]
