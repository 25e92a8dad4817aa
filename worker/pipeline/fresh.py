"""Which fetched items are stored as new, and which are recorded as copies of a story
already known: decided in memory by `plan_new` (pure), applied by `store_new`.

A copy is an item of one source whose title is a near-duplicate of a recent item another
source gave, or an exact copy (same URL or story) of one: it is listed under the item it
repeats ("另见"), not stored again. Items of the same source are never merged by
likeness: two different titles on one list page are two items ("…人民政府办公室2019年…
年度报告" is not "…2019年…年度报告"). Every merge is logged with both titles.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from datasketch import MinHash
from sqlalchemy.engine import Connection

from worker.models import Item
from worker.neardup import Known, NearDuplicates, signature, to_bytes
from worker.runtime import RecentTitles
from worker.store import items as item_rows

log = logging.getLogger("radar.pipeline")


@dataclass(frozen=True)
class Copy:
    """An item that repeats the stored item `of_stored` (its id; its title `original`)."""

    item: Item
    of_stored: int
    original: str


@dataclass(frozen=True)
class NewItems:
    new: tuple[tuple[Item, MinHash], ...]  # to insert, with their title signatures
    copies: tuple[Copy, ...]


def plan_new(fresh: Sequence[Item], recent: NearDuplicates) -> NewItems:
    """Near-duplicates of recent items of other sources become copies; the rest are new."""
    new: list[tuple[Item, MinHash]] = []
    copies: list[Copy] = []
    for item in fresh:
        minhash = signature(item.title)
        original = recent.match(item, minhash, other_sources_only=True)
        if original is None:
            new.append((item, minhash))
        else:
            copies.append(Copy(item, original, recent.get(original).item.title))
    return NewItems(tuple(new), tuple(copies))


def store_new(conn: Connection, recent: RecentTitles, fresh: Sequence[Item],
              elsewhere: Sequence[Item], now: datetime) -> list[Item]:
    """Insert the new items in one statement and record the copies under what they repeat.
    Returns the items this call stored, with their ids (another worker may have stored
    some meanwhile)."""
    for exact in elsewhere:
        original = item_rows.original_of(conn, exact)
        if original is not None and original[1] != exact.source_id:
            item_rows.add_alias(conn, original[0], exact, now)
            log.info("source %s: %r (%s) is item %d of source %s: listed under it",
                     exact.source_id, exact.title, exact.url, original[0], original[1])
        else:  # its own earlier item under another address, or gone meanwhile
            log.info("source %s: %r (%s) has the URL or story title of stored item %s: "
                     "not stored again", exact.source_id, exact.title, exact.url,
                     original[0] if original else "(none found)")
    if not fresh:
        return []
    plan = plan_new(fresh, recent.index(conn, now))
    ids = item_rows.insert_many(conn, [(i, to_bytes(m)) for i, m in plan.new], now)
    stored = []
    for item, minhash in plan.new:
        if item.url in ids:
            new = replace(item, id=ids[item.url])
            recent.add(Known(ids[item.url], new, minhash))
            stored.append(new)
    for copy in plan.copies:
        item_rows.add_alias(conn, copy.of_stored, copy.item, now)
        log.info("source %s: %r is the same story as item %d %r: listed under it",
                 copy.item.source_id, copy.item.title, copy.of_stored, copy.original)
    return stored
