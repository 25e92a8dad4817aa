"""RSS and Atom bodies → Items, with feedparser over bytes (it never does the HTTP)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import feedparser

from worker.dates import from_struct, parse_date
from worker.districts import Gazetteer
from worker.errors import ParseError
from worker.models import Item, Source
from worker.sources.common import build_item, on_the_list

log = logging.getLogger("radar.sources")
# A feed listing more than this is broken or hostile; the newest come first anyway.
MAX_ENTRIES = 1000


def parse_feed(
    source: Source, body: bytes, url: str, content_type: str, gazetteer: Gazetteer,
    now: datetime,
) -> list[Item]:
    """Items of an RSS/Atom body; ParseError naming the source if it is not a feed."""
    if _declares_entities(body):
        # feedparser's XML parser expands internal entities: a "billion laughs" feed
        # would take all memory. No real news feed declares its own entities.
        raise ParseError(source.id, url, "feed declares XML entities; refused as unsafe")
    # No content-location: feedparser would resolve every link-like element against it
    # (a quarter of its time); build_item resolves the one link we keep.
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False,
                              resolve_relative_uris=False)
    items = []
    for number, entry in enumerate(parsed.entries[:MAX_ENTRIES], 1):
        item = _item(source, entry, url, gazetteer, now)
        if item is not None:
            items.append(item)
        else:  # never dropped without a word: which entry, and what it lacked
            log.warning("source %s: feed entry %d gave no item (title %r, link %r)",
                        source.id, number, entry.get("title", ""), entry.get("link", ""))
    if len(parsed.entries) > MAX_ENTRIES:
        log.warning("source %s: %d feed entries beyond the first %d were not read",
                    source.id, len(parsed.entries) - MAX_ENTRIES, MAX_ENTRIES)
    if items:
        return items
    if not body.strip():
        raise ParseError(source.id, url, "empty body: not an RSS or Atom feed")
    if _looks_like_html(body):
        raise ParseError(source.id, url, "an HTML page, not an RSS or Atom feed (for a list "
                                         "page, use kind: html; selectors are optional)")
    if parsed.get("bozo"):
        raise ParseError(source.id, url, f"not a readable feed: {parsed.bozo_exception}")
    if not parsed.get("version"):
        raise ParseError(source.id, url, "not an RSS or Atom feed")
    return items


def looks_like_feed(body: bytes) -> bool:
    """RSS, Atom or RDF by its first kilobytes (for `radar sources test --url` alone)."""
    head = body[:2048].lower()
    return not _looks_like_html(body) and any(
        tag in head for tag in (b"<rss", b"<feed", b"<rdf:rdf", b"<channel"))


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


_ENTITY_DECLARATIONS = tuple(
    "<!ENTITY".encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be")
)


def _declares_entities(body: bytes) -> bool:
    return any(marker in body for marker in _ENTITY_DECLARATIONS)


def _item(
    source: Source, entry: Any, base_url: str, gazetteer: Gazetteer, now: datetime
) -> Item | None:
    # dict.get: FeedParserDict.get("updated") falls back to "published" with a warning
    published = (
        parse_date(dict.get(entry, "published") or dict.get(entry, "updated"), now)
        or from_struct(dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed"))
    )
    guid, title = entry.get("id"), entry.get("title", "")
    link = entry.get("link", "") or on_the_list(source.url, str(guid or title))
    return build_item(
        source, title=title, link=link, base_url=base_url,
        summary_html=_summary_html(entry), published=published or now,
        guid=str(guid) if guid else None, gazetteer=gazetteer, dated=published is not None,
    )


def _summary_html(entry: Any) -> str:
    if entry.get("summary"):
        return str(entry["summary"])
    for content in entry.get("content", []):
        if content.get("value"):
            return str(content["value"])
    return ""
