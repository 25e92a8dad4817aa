"""The steps in order: poll, store, match, open due digests, send."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from worker.models import Item
from worker.pipeline.deliver import SendReport, send_pending
from worker.pipeline.opening import open_due_digests
from worker.pipeline.poll import PollReport, poll_one, poll_sources
from worker.runtime import Runtime
from worker.store import sources as source_rows
from worker.store.deliveries import store_matches


@dataclass(frozen=True)
class CycleReport:
    polls: tuple[PollReport, ...]
    new_items: int
    matches: int
    sent: SendReport


async def run_cycle(rt: Runtime, now: datetime, force_send: bool = False) -> CycleReport:
    """Poll, store, match, then send instant alerts and whatever digests are due."""
    polls, news = await poll_sources(rt, now)  # new items, but a new source's backlog
    matches = match_items(rt, news, now)
    open_due_digests(rt, now, force=force_send)
    sent = await send_pending(rt, now)
    return CycleReport(tuple(polls), sum(p.new_items for p in polls), matches, sent)


async def poll_and_match(rt: Runtime, source_id: str, now: datetime) -> PollReport:
    """Poll one source and record what its new items match (the service's poll task)."""
    source = rt.source(source_id)
    with rt.engine.begin() as conn:
        source_rows.sync(conn, [source])
    async with rt.make_fetcher() as fetcher:
        report, items = await poll_one(rt, fetcher, source, now)
    match_items(rt, items, now)
    return report


def match_items(rt: Runtime, items: list[Item], now: datetime) -> int:
    """Record a delivery for every subscriber each new item matches; returns how many."""
    if not items:
        return 0
    with rt.engine.begin() as conn:
        index = rt.subscriber_index.index(conn, rt.gazetteer)  # kept while none changed
        matches = index.match(items)
        store_matches(conn, matches, now)  # set-based: no object per pair
    return len(matches)
