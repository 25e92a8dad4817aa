"""A fetched first page → every Item of the source: feeds parsed, HTML list pages paged
through, detail pages read for new items. Used by the pipeline and `radar sources test`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime

from worker.config import FetchSettings
from worker.districts import Gazetteer
from worker.errors import SourceError
from worker.models import Item, Source
from worker.sources.common import with_body
from worker.sources.encoding import decode_html
from worker.sources.feed import parse_feed
from worker.sources.fetch import Fetcher, FetchResult
from worker.sources.html import detail_text, parse_list_page
from worker.sources.parsers import FeedParsers

log = logging.getLogger("radar.sources")
MAX_DETAILS = 20  # detail pages read per poll: new items only, and politely few


async def collect(fetcher: Fetcher, source: Source, first: FetchResult, gazetteer: Gazetteer,
                  now: datetime, parsers: FeedParsers | None = None) -> list[Item]:
    """Items of the first page and, for HTML sources, of the following pages."""
    assert first.body is not None
    if source.kind != "html":
        if parsers is not None:
            return await parsers.parse(source, first.body, first.url, first.content_type, now)
        return parse_feed(source, first.body, first.url, first.content_type, gazetteer, now)
    page = parse_list_page(source, decode_html(first.body, first.content_type), first.url,
                           gazetteer, now)
    items, seen, number = list(page.items), {first.url}, 1
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
        items.extend(page.items)
    return items


async def fill_details(fetcher: Fetcher, source: Source, items: Sequence[Item],
                       gazetteer: Gazetteer) -> list[Item]:
    """New items of an HTML source with `detail_body`: their page's text as summary."""
    if source.html is None or not source.html.detail_body:
        return list(items)
    head, tail = list(items[:MAX_DETAILS]), list(items[MAX_DETAILS:])
    return [*await asyncio.gather(*(_detail(fetcher, source, i, gazetteer) for i in head)),
            *tail]


async def _detail(fetcher: Fetcher, source: Source, item: Item, gazetteer: Gazetteer) -> Item:
    try:
        result = await fetcher.fetch(item.url, source_id=source.id)
    except SourceError as e:
        log.warning("source %s: detail page %s not read: %s", source.id, item.url, e.reason)
        return item
    if result.body is None:
        return item
    body = detail_text(source, decode_html(result.body, result.content_type), result.url)
    return with_body(item, source, body, gazetteer) if body else item



async def try_source(source: Source, settings: FetchSettings, gazetteer: Gazetteer,
                     now: datetime) -> list[Item]:
    """Everything the source would give now, detail pages included; nothing is stored."""
    async with Fetcher(settings) as fetcher:
        first = await fetcher.fetch(source.url, source_id=source.id)
        if first.body is None:
            return []
        items = await collect(fetcher, source, first, gazetteer, now)
        return await fill_details(fetcher, source, items, gazetteer)
