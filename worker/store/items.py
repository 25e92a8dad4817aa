"""Item rows: what is already known, inserting new ones, reading them back."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from worker.dedupe import KnownKeys
from worker.models import DistrictTag, Evidence, Facts, Item, TagOrigin
from worker.store.db import chunks, insert_ignoring_conflicts
from worker.store.tables import item_sources, items

_CHUNK = 500  # stay under SQLite's bound-parameter limit


def known(conn: Connection, wanted: KnownKeys) -> KnownKeys:
    """Which of the wanted keys the store already holds."""
    found = KnownKeys()
    for chunk in chunks(wanted.urls, _CHUNK):
        found.urls.update(conn.scalars(sa.select(items.c.url).where(items.c.url.in_(chunk))))
    for chunk in chunks(wanted.fingerprints, _CHUNK):
        found.fingerprints.update(conn.scalars(
            sa.select(items.c.fingerprint).where(items.c.fingerprint.in_(chunk))
        ))
    for pairs in chunks(wanted.guids, _CHUNK):
        rows = conn.execute(
            sa.select(items.c.source_id, items.c.guid)
            .where(sa.tuple_(items.c.source_id, items.c.guid).in_(pairs))
        )
        found.guids.update((r.source_id, r.guid) for r in rows)
    return found


@dataclass(frozen=True)
class StoredTitle:
    """A stored item with its title signature (None: stored without one)."""

    id: int
    item: Item
    minhash: bytes | None


def insert(conn: Connection, new: Sequence[Item], now: datetime) -> list[Item]:
    """Store items (without title signatures); one another worker stored meanwhile is
    skipped. Returns them with ids."""
    ids = insert_many(conn, [(item, None) for item in new], now)
    return [replace(item, id=ids[item.url]) for item in new if item.url in ids]


def insert_many(conn: Connection, batch: Sequence[tuple[Item, bytes | None]], now: datetime
                ) -> dict[str, int]:
    """Insert items with their title signatures in one statement, skipping any already
    stored; url → id of the rows actually inserted."""
    if not batch:
        return {}
    statement = insert_ignoring_conflicts(conn, items).returning(items.c.id, items.c.url)
    rows = conn.execute(statement, [{
        "source_id": item.source_id, "guid": item.guid, "url": item.url,
        "fingerprint": item.fingerprint, "title": item.title, "summary": item.summary,
        "published_at": item.published, "category": item.category,
        "districts": [[t.district, list(t.origins),
                       [[e.name, e.kind, e.origin] for e in t.evidence]]
                      for t in item.districts],
        "first_seen_at": now, "issuer": item.issuer, "doc_number": item.doc_number,
        "doc_types": list(item.doc_types), "minhash": minhash, "dated": item.dated,
        "facts": facts_json(item.facts),
    } for item, minhash in batch])
    return {row.url: row.id for row in rows}


def recent(conn: Connection, since: datetime, after_id: int = 0) -> list[StoredTitle]:
    """Items first seen since `since` (with an id above `after_id`), with their title
    signatures (near-duplicate search)."""
    rows = conn.execute(sa.select(items).where(items.c.first_seen_at >= since,
                                               items.c.id > after_id))
    return [StoredTitle(r.id, from_row(r), r.minhash) for r in rows]


def original_of(conn: Connection, item: Item) -> tuple[int, str] | None:
    """The stored item with this URL or story: (id, source id)."""
    row = conn.execute(
        sa.select(items.c.id, items.c.source_id)
        .where(sa.or_(items.c.url == item.url, items.c.fingerprint == item.fingerprint))
        .order_by(items.c.id).limit(1)
    ).first()
    return None if row is None else (row.id, row.source_id)


def add_alias(conn: Connection, item_id: int, duplicate: Item, now: datetime) -> None:
    """Record that another source published the stored item `item_id` too."""
    conn.execute(insert_ignoring_conflicts(conn, item_sources).values(
        item_id=item_id, source_id=duplicate.source_id, url=duplicate.url,
        title=duplicate.title, seen_at=now,
    ))


def also_in(conn: Connection, item_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """item id → the other sources that published it."""
    out: dict[int, list[str]] = {}
    for chunk in chunks(set(item_ids), _CHUNK):
        rows = conn.execute(sa.select(item_sources.c.item_id, item_sources.c.source_id)
                            .where(item_sources.c.item_id.in_(chunk))
                            .order_by(item_sources.c.id))
        for row in rows:
            out.setdefault(row.item_id, []).append(row.source_id)
    return {k: tuple(v) for k, v in out.items()}


Published = tuple[Item, tuple[str, ...]]  # a stored item, the other sources that have it


def with_others(conn: Connection, item_ids: Iterable[int]) -> dict[int, Published]:
    """Each stored item with the other sources that published it too (`also_in`)."""
    wanted = set(item_ids)
    found, others = by_ids(conn, wanted), also_in(conn, wanted)
    return {i: (item, others.get(i, ())) for i, item in found.items()}


def by_ids(conn: Connection, item_ids: Iterable[int]) -> dict[int, Item]:
    out: dict[int, Item] = {}
    for chunk in chunks(set(item_ids), _CHUNK):
        out.update((row.id, from_row(row))
                   for row in conn.execute(sa.select(items).where(items.c.id.in_(chunk))))
    return out


def from_row(row: Any) -> Item:
    return Item(
        source_id=row.source_id, guid=row.guid, url=row.url, title=row.title,
        summary=row.summary, published=row.published_at, category=row.category,
        districts=tuple(_tag(*stored) for stored in row.districts),
        fingerprint=row.fingerprint, id=row.id, issuer=row.issuer,
        doc_number=row.doc_number, doc_types=tuple(row.doc_types or ()), dated=row.dated,
        facts=facts_from_json(row.facts),
    )


def facts_json(facts: Facts) -> dict[str, Any]:
    out = {k: v for k, v in asdict(facts).items() if v not in (None, "", ())}
    if facts.deadline is not None:
        out["deadline"] = facts.deadline.isoformat()
    return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


def facts_from_json(stored: dict[str, Any] | None) -> Facts:
    """Facts as stored; an item stored before facts were read has none (`radar facts
    refresh` reads them)."""
    if not stored:
        return Facts()
    values = dict(stored)
    if values.get("deadline"):
        values["deadline"] = date.fromisoformat(values["deadline"])
    for key in ("amounts", "industries"):
        values[key] = tuple(values.get(key) or ())
    return Facts(**values)


def _tag(district: str, origins: list[TagOrigin], evidence: list[list[str]] | None = None
         ) -> DistrictTag:
    """A stored tag; rows stored before tags kept their evidence have none."""
    return DistrictTag(district, tuple(origins),
                       tuple(Evidence(n, k, o) for n, k, o in evidence or ()))  # type: ignore[arg-type]


def refresh_facts(conn: Connection, read: Callable[[Item], Facts], every: bool = False) -> int:
    """Read the facts of stored items again (those stored before facts were read, or every
    item); returns how many were updated."""
    updated, after = 0, 0
    while True:  # in batches by id: a large store is not loaded whole
        query = sa.select(items).where(items.c.id > after).order_by(items.c.id).limit(_CHUNK)
        if not every:
            query = query.where(items.c.facts.is_(None))
        rows = list(conn.execute(query))
        if not rows:
            return updated
        conn.execute(items.update().where(items.c.id == sa.bindparam("row_id"))
                     .values(facts=sa.bindparam("read")),
                     [{"row_id": r.id, "read": facts_json(read(from_row(r)))} for r in rows])
        updated, after = updated + len(rows), rows[-1].id
