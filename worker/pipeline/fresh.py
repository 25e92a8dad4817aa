"""Which fetched items are stored as new, and which are recorded as copies of a story
already known: decided in memory by `plan_new` (pure), applied by `store_new`.

A copy is an item whose title is a near-duplicate of a recent stored item, or of an
earlier item of the same batch, or an exact copy (same URL or story) of an item another
source gave; it is listed under the item it repeats ("另见"), not stored again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from datasketch import MinHash
from sqlalchemy.engine import Connection

from worker.models import Item
from worker.neardup import Known, NearDuplicates, signature, to_bytes
from worker.runtime import RecentTitles
from worker.store import items as item_rows


@dataclass(frozen=True)
class Copy:
    """An item that repeats a stored item (`of_stored`, its id) or a new one of the same
    batch (`of_new`, its position in `NewItems.new`)."""

    item: Item
    of_stored: int | None = None
    of_new: int | None = None


@dataclass(frozen=True)
class NewItems:
    new: tuple[tuple[Item, MinHash], ...]  # to insert, with their title signatures
    copies: tuple[Copy, ...]


def plan_new(fresh: Sequence[Item], recent: NearDuplicates) -> NewItems:
    """Near-duplicates of recent items, then of earlier items of this batch, become copies;
    the rest are new."""
    new: list[tuple[Item, MinHash]] = []
    batch = NearDuplicates()  # keyed by position in `new`
    copies: list[Copy] = []
    for item in fresh:
        minhash = signature(item.title)
        original = recent.match(item, minhash)
        if original is not None:
            copies.append(Copy(item, of_stored=original))
            continue
        twin = batch.match(item, minhash)
        if twin is not None:
            copies.append(Copy(item, of_new=twin))
            continue
        batch.add(Known(len(new), item, minhash))
        new.append((item, minhash))
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
        target = copy.of_stored if copy.of_new is None else ids.get(plan.new[copy.of_new][0].url)
        if target is not None:
            item_rows.add_alias(conn, target, copy.item, now)
    return stored
