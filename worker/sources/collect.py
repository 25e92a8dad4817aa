"""A fetched first page → every Item of the source: feeds parsed, HTML list pages paged
through, detail pages read for new items. Used by the pipeline and `radar sources test`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from worker.config import FetchSettings
from worker.districts import Gazetteer
from worker.errors import SourceError
from worker.models import Item, Source
from worker.sources.article import article_text
from worker.sources.common import has_own_page, with_body
from worker.sources.detect import Detected
from worker.sources.encoding import decode_html
from worker.sources.feed import looks_like_feed, parse_feed
from worker.sources.fetch import Fetcher, FetchResult
from worker.sources.html import ListPage, detail_text, parse_list_page
from worker.sources.parsers import FeedParsers

log = logging.getLogger("radar.sources")
MAX_DETAILS = 20  # detail pages read per poll: new items only, and politely few


@dataclass
class Collected:
    """What a source's pages gave: items, rows that gave none (and why), the detected list."""

    items: list[Item] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    detected: Detected | None = None

    def add(self, page: ListPage, number: int) -> None:
        self.items.extend(page.items)
        self.skipped.extend(f"page {number}, {why}" for why in page.skipped)
        self.detected = self.detected or page.detected


async def collect(fetcher: Fetcher, source: Source, first: FetchResult, gazetteer: Gazetteer,
                  now: datetime, parsers: FeedParsers | None = None) -> Collected:
    """Items of the first page and, for HTML sources, of the following pages."""
    assert first.body is not None
    if source.kind != "html":
        if parsers is not None:
            return Collected(await parsers.parse(source, first.body, first.url,
                                                 first.content_type, now))
        return Collected(parse_feed(source, first.body, first.url, first.content_type,
                                    gazetteer, now))
    page = parse_list_page(source, decode_html(first.body, first.content_type), first.url,
                           gazetteer, now)
    found, seen, number = Collected(), {first.url}, 1
    found.add(page, number)
    while page.next_url and page.next_url not in seen:
        seen.add(page.next_url)
        number += 1
        try:
            result = await fetcher.fetch(page.next_url, source_id=source.id)
        except SourceError as e:
            log.warning("source %s: page %d not read: %s", source.id, number, e.reason)
            break
        if result.body is None:
            break
        page = parse_list_page(source, decode_html(result.body, result.content_type),
                               result.url, gazetteer, now, number)
        found.add(page, number)
    for why in found.skipped:
        log.warning("source %s: a row gave no item: %s", source.id, why)
    return found


async def fill_details(fetcher: Fetcher, source: Source, items: Sequence[Item],
                       gazetteer: Gazetteer) -> list[Item]:
    """New items of a source with `details`: their page's main text as summary (the
    `detail_body` selector's, else the article found on the page)."""
    if not source.reads_details:
        return list(items)
    head, tail = list(items[:MAX_DETAILS]), list(items[MAX_DETAILS:])
    return [*await asyncio.gather(*(_detail(fetcher, source, i, gazetteer) for i in head)),
            *tail]


async def _detail(fetcher: Fetcher, source: Source, item: Item, gazetteer: Gazetteer) -> Item:
    if not has_own_page(item.url):  # its "page" is the list: nothing of its own to read
        return item
    try:
        result = await fetcher.fetch(item.url, source_id=source.id)
    except SourceError as e:
        log.warning("source %s: detail page %s not read: %s", source.id, item.url, e.reason)
        return item
    if result.body is None:
        return item
    page = decode_html(result.body, result.content_type)
    if source.html is not None and source.html.detail_body:
        body = detail_text(source, page, result.url)
    else:
        body = article_text(page, result.url)
    if not body:
        log.info("source %s: no article text on %s; the list's summary stays", source.id,
                 item.url)
        return item
    return with_body(item, source, body, gazetteer)



async def try_source(source: Source, settings: FetchSettings, gazetteer: Gazetteer,
                     now: datetime, sniff: bool = False) -> tuple[Source, Collected]:
    """Everything the source would give now, detail pages included; nothing is stored.
    With `sniff`, whether it is a feed or a page is told from what the URL answers."""
    async with Fetcher(settings) as fetcher:
        first = await fetcher.fetch(source.url, source_id=source.id)
        if first.body is None:
            return source, Collected()
        if sniff:
            source = replace(source, kind="rss") if looks_like_feed(first.body) else source
        found = await collect(fetcher, source, first, gazetteer, now)
        found.items = await fill_details(fetcher, source, found.items, gazetteer)
        return source, found


async def check_sources(sources: Sequence[Source], settings: FetchSettings,
                        gazetteer: Gazetteer, now: datetime) -> list[tuple[Source, str]]:
    """Each source fetched once: 'ok: N items (M dated)', or why it gives none."""
    async def check(source: Source) -> tuple[Source, str]:
        try:
            _, found = await try_source(source, settings, gazetteer, now)
        except SourceError as e:
            return source, f"failed: {e.reason}"
        if not found.items:
            return source, "no items" + (f" ({found.skipped[0]})" if found.skipped else "")
        dated = sum(1 for i in found.items if i.dated)
        return source, f"ok: {len(found.items)} items ({dated} dated)"

    return list(await asyncio.gather(*(check(s) for s in sources)))
