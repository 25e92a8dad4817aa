"""Poll sources: fetch, parse, keep what is new, store it; failures recorded, not raised.

One failing source never stops the others. A source answering 404 / 410 is marked gone
and ops are told once; an HTML list page that keeps giving no items is reported once
per streak.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from worker.dedupe import KnownKeys, sort_fetched
from worker.errors import SourceError, SourceGoneError, is_transient
from worker.mail.message import empty_source_alert, gone_source_alert
from worker.models import Item, Source, Validators
from worker.pipeline.alerts import alert_ops
from worker.pipeline.fresh import store_new
from worker.runtime import Runtime
from worker.sources.collect import collect, fill_details
from worker.sources.fetch import Fetcher
from worker.sources.parsers import FeedParsers, processes_for
from worker.store import items as item_rows
from worker.store import sources as source_rows
from worker.store.sources import PollState

log = logging.getLogger("radar.pipeline")


@dataclass(frozen=True)
class PollReport:
    source_id: str
    new_items: int = 0
    not_modified: bool = False
    error: str | None = None
    transient: bool = False  # worth polling again soon
    retry_after: float | None = None  # what the server asked for, in seconds


@dataclass(frozen=True)
class Fetched:
    """What one poll found, before anything is stored."""

    validators: Validators
    body_hash: str | None
    unchanged: bool  # a 304, or the same bytes as last time: nothing was parsed
    parsed: list[Item]
    fresh: list[Item]  # new to the store
    elsewhere: list[Item]  # new to this source by guid, its URL or story title stored


async def poll_sources(rt: Runtime, now: datetime) -> tuple[list[PollReport], list[Item]]:
    """Poll every source concurrently; a failing one is recorded and the rest carry on."""
    with rt.engine.begin() as conn:
        source_rows.sync(conn, rt.sources)
        states = source_rows.poll_states(conn)
    feeds = sum(1 for s in rt.sources if s.kind != "html")
    processes = processes_for(feeds, rt.settings.fetch.parse_processes)
    async with rt.make_fetcher() as fetcher, FeedParsers(processes, rt.gazetteer) as parsers:
        results = await asyncio.gather(*(poll_one(rt, fetcher, s, now, parsers, states[s.id])
                                         for s in rt.sources))
    return [r for r, _ in results], [item for _, new in results for item in new]


async def poll_one(
    rt: Runtime, fetcher: Fetcher, source: Source, now: datetime,
    parsers: FeedParsers | None = None, state: PollState | None = None,
) -> tuple[PollReport, list[Item]]:
    """Fetch, parse and store one source's new items; a failure is recorded, not raised.
    `state`: the source's as read before the poll (read here if not given)."""
    if state is None:
        with rt.engine.connect() as conn:
            state = source_rows.poll_state(conn, source.id)
    try:
        fetched = await fetch_new(rt, fetcher, source, state, now, parsers)
    except SourceError as e:
        report = _record_failure(rt, source, e.reason, now)
        if isinstance(e, SourceGoneError):
            await _source_gone(rt, source, e.reason, now)
        return replace(report, transient=is_transient(e),
                       retry_after=getattr(e, "retry_after", None)), []
    except Exception as e:  # a bug in one source's path must not stop the others
        log.exception("source %s (%s): unexpected error", source.id, source.url)
        return _record_failure(rt, source, f"internal error: {type(e).__name__}: {e}", now), []
    return await _store(rt, source, state, fetched, now)


async def fetch_new(rt: Runtime, fetcher: Fetcher, source: Source, state: PollState,
                    now: datetime, parsers: FeedParsers | None) -> Fetched:
    """The source's items, which of them are new, and their detail pages' text."""
    result = await fetcher.fetch(source.url, state.validators, source_id=source.id)
    body_hash = hashlib.sha256(result.body).hexdigest() if result.body is not None else None
    # 304, or the same bytes from a server without validators: nothing to re-parse.
    unchanged = result.body is None or body_hash == state.content_hash
    parsed = [] if unchanged else (await collect(fetcher, source, result, rt.gazetteer, now,
                                                 parsers)).items
    known = KnownKeys()
    if parsed:  # unchanged: nothing to look up
        with rt.engine.connect() as conn:
            known = item_rows.known(conn, KnownKeys.wanted_for(parsed))
    found = sort_fetched(parsed, known)
    fresh = await fill_details(fetcher, source, found.new, rt.gazetteer)
    for item in found.merged:
        log.info("source %s: %r (%s) has the story title of an item listed before it or "
                 "stored: merged with it", source.id, item.title, item.url)
    return Fetched(result.validators, body_hash, unchanged, parsed, fresh, found.elsewhere)


async def _store(rt: Runtime, source: Source, state: PollState, fetched: Fetched,
                 now: datetime) -> tuple[PollReport, list[Item]]:
    empty = empty_streak(source, state.empty_streak, fetched.unchanged, len(fetched.parsed))
    try:
        with rt.engine.begin() as conn:
            stored = store_new(conn, rt.recent_titles, fetched.fresh, fetched.elsewhere, now)
            source_rows.record_success(conn, source.id, fetched.validators, now,
                                       fetched.body_hash or state.content_hash, empty)
    except Exception:
        rt.recent_titles.forget()
        raise
    log.info("source %s: %d entries, %d new%s", source.id, len(fetched.parsed), len(stored),
             " (unchanged)" if fetched.unchanged else "")
    news = _without_backfill(source, stored, now) if state.first_poll else stored
    if empty == source.empty_alert_after:
        log.error("source %s (%s): no items in %d polls in a row; its selectors may no "
                  "longer match the page", source.id, source.url, empty)
        await alert_ops(rt, f"source {source.id}",
                        *empty_source_alert(source.id, source.url, empty), now)
    return PollReport(source.id, len(stored), fetched.unchanged), news


def _without_backfill(source: Source, stored: list[Item], now: datetime) -> list[Item]:
    """A new source's first poll: what is older than `backfill_days` is stored (and
    searchable, and a near-duplicate original) but sent to nobody."""
    horizon = now - timedelta(days=source.backfill_days)
    recent = [i for i in stored if i.published >= horizon]
    if len(recent) < len(stored):
        log.info("source %s: first poll: %d item(s) older than %d days stored without "
                 "alerts", source.id, len(stored) - len(recent), source.backfill_days)
    return recent


def empty_streak(source: Source, streak: int, unchanged: bool, parsed: int) -> int:
    """Polls in a row where an HTML list page gave no items (an unchanged empty page counts)."""
    if source.kind != "html":
        return 0
    if unchanged:
        return streak + 1 if streak else 0
    return 0 if parsed else streak + 1


def _record_failure(rt: Runtime, source: Source, reason: str, now: datetime) -> PollReport:
    with rt.engine.begin() as conn:
        streak = source_rows.record_failure(conn, source.id, reason, now)
    log.warning("source %s (%s) failed (%d in a row): %s", source.id, source.url, streak, reason)
    return PollReport(source.id, error=reason)


async def _source_gone(rt: Runtime, source: Source, reason: str, now: datetime) -> None:
    with rt.engine.begin() as conn:
        newly_gone = source_rows.mark_gone(conn, source.id, now)
    if newly_gone:
        log.error("source %s (%s) is gone: %s; fix its url in %s", source.id, source.url,
                  reason, rt.settings.sources_file)
        await alert_ops(rt, f"source {source.id}",
                        *gone_source_alert(source.id, source.url, reason), now)
