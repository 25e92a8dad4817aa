"""Item rows: what is already known, inserting new ones, reading them back."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from worker.dedupe import KnownKeys
from worker.models import DistrictTag, Item
from worker.store.db import insert_ignoring_conflicts
from worker.store.tables import items

_CHUNK = 500  # stay under SQLite's bound-parameter limit
T = TypeVar("T")


def known(conn: Connection, wanted: KnownKeys) -> KnownKeys:
    """Which of the wanted keys the store already holds."""
    found = KnownKeys()
    for chunk in _chunks(wanted.urls):
        found.urls.update(conn.scalars(sa.select(items.c.url).where(items.c.url.in_(chunk))))
    for chunk in _chunks(wanted.fingerprints):
        found.fingerprints.update(conn.scalars(
            sa.select(items.c.fingerprint).where(items.c.fingerprint.in_(chunk))
        ))
    for pairs in _chunks(wanted.guids):
        rows = conn.execute(
            sa.select(items.c.source_id, items.c.guid)
            .where(sa.tuple_(items.c.source_id, items.c.guid).in_(pairs))
        )
        found.guids.update((r.source_id, r.guid) for r in rows)
    return found


def insert(conn: Connection, new: Sequence[Item], now: datetime) -> list[Item]:
    """Store items; one another worker stored meanwhile is skipped. Returns them with ids."""
    stored = []
    for item in new:
        statement = insert_ignoring_conflicts(conn, items).values(
            source_id=item.source_id, guid=item.guid, url=item.url,
            fingerprint=item.fingerprint, title=item.title, summary=item.summary,
            published_at=item.published, category=item.category,
            districts=[[t.district, list(t.origins)] for t in item.districts],
            first_seen_at=now,
        ).returning(items.c.id)
        item_id = conn.execute(statement).scalar()
        if item_id is not None:
            stored.append(replace(item, id=item_id))
    return stored


def by_ids(conn: Connection, ids: Iterable[int]) -> dict[int, Item]:
    out: dict[int, Item] = {}
    for chunk in _chunks(set(ids)):
        for row in conn.execute(sa.select(items).where(items.c.id.in_(chunk))):
            out[row.id] = from_row(row)
    return out


def from_row(row: Any) -> Item:
    return Item(
        source_id=row.source_id, guid=row.guid, url=row.url, title=row.title,
        summary=row.summary, published=row.published_at, category=row.category,
        districts=tuple(DistrictTag(name, tuple(origins)) for name, origins in row.districts),
        fingerprint=row.fingerprint, id=row.id,
    )


def _chunks(values: Iterable[T]) -> Iterable[list[T]]:
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) == _CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch
