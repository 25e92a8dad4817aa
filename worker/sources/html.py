"""HTML list pages → the same Items as feeds (pure).

With selectors (CSS; `xpath:` for XPath) from sources.yaml, or without: then the page's
main list is detected (`detect.py`). Each row gives its headline link, title, URL and
date (`rows.py`); a row without a date is marked undated, never given a made-up one; a row
that gives no item (no title, no link) is reported with its reason, never dropped
silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import lxml.html
from cssselect import SelectorError
from lxml import etree

from worker.districts import Gazetteer
from worker.errors import ParseError
from worker.models import HtmlSelectors, Item, Source
from worker.normalize import canonical_url
from worker.selectors import XPATH_PREFIX
from worker.sources import rows
from worker.sources.common import build_item, on_the_list
from worker.sources.detect import Detected, detect_list, unpack_datastores
from worker.sources.pagers import script_pager_url

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
DETECT = HtmlSelectors(item=None)  # kind: html without selectors


@dataclass(frozen=True)
class ListPage:
    items: list[Item]
    next_url: str | None
    skipped: list[str] = field(default_factory=list)  # rows that gave no item, and why
    detected: Detected | None = None  # the list found without an item selector


def parse_list_page(source: Source, text: str, page_url: str, gazetteer: Gazetteer,
                    now: datetime, page: int = 1) -> ListPage:
    """The items of one list page, the URL of the next one (if any), what was skipped."""
    selectors = source.html or DETECT
    root = _document(source, text, page_url)
    detected = None
    if selectors.item is None:
        detected = detect_list(root)
        containers = select(root, detected.item_selector, source) if detected else []
    else:
        containers = select(root, selectors.item, source)
    items, skipped = [], []
    base = _base(root, page_url)
    picked = rows.headlines(containers) if selectors.link == "a" else [None] * len(containers)
    for number, (container, link) in enumerate(zip(containers, picked, strict=True), 1):
        item = _item(source, selectors, container, link, base, gazetteer, now)
        if isinstance(item, str):
            skipped.append(f"row {number}: {item}")
        else:
            items.append(item)
    next_url = _next_url(source, selectors, root, text, page_url, page)
    return ListPage(items, next_url, skipped, detected)


def detail_text(source: Source, text: str, page_url: str) -> str:
    """The body text of an item's own page (the `detail_body` selector), '' if absent."""
    if source.html is None or not source.html.detail_body:
        return ""
    root = _document(source, text, page_url)
    return " ".join(rows.text(node) for node in select(root, source.html.detail_body, source))


def select(node: Any, selector: str, source: Source) -> list[Any]:
    """Elements matching a CSS or `xpath:` selector; ParseError naming the source if invalid."""
    try:
        if selector.startswith(XPATH_PREFIX):
            found = node.xpath(selector[len(XPATH_PREFIX):])
            return [f for f in found if isinstance(f, etree._Element)]
        return list(node.cssselect(selector))
    except (SelectorError, etree.XPathError) as e:
        raise ParseError(source.id, source.url, f"bad selector {selector!r}: {e}") from e


def _document(source: Source, text: str, page_url: str) -> Any:
    try:
        root = lxml.html.fromstring(_XML_DECLARATION.sub("", text) or "<html></html>",
                                    base_url=page_url)
    except (etree.ParserError, ValueError) as e:
        raise ParseError(source.id, page_url, f"not an HTML page: {e}") from e
    unpack_datastores(root)
    for junk in root.xpath("//script|//style|//noscript"):
        junk.drop_tree()
    return root


def _item(source: Source, selectors: HtmlSelectors, row: Any, link: Any | None,
          page_url: str, gazetteer: Gazetteer, now: datetime) -> Item | str:
    """The row's item, or why it gives none. `link`: the row's headline link (with the
    default link selector); `page_url`: what its links are read against."""
    if selectors.link != "a":
        link = rows.headline(select(row, selectors.link, source))
    if link is None:
        return "no link"
    title_node = link if selectors.title == selectors.link else \
        rows.headline(select(row, selectors.title, source))
    title = rows.title_of(title_node) if title_node is not None else ""
    address = rows.address_of(link, selectors.link_attr)
    if not title:
        return f"no title (link {address or 'none'})"
    if rows.PAGER.match(title) or rows.advert(row):
        return f"{'an advertisement' if rows.advert(row) else 'a pager link'} ({title!r})"
    if address and not canonical_url(address, base=page_url):
        return f"no usable link for {title!r} ({address})"
    published = rows.date_in(select(row, selectors.date, source), selectors.date_attr, now) \
        if selectors.date else rows.date_of(row, link, now)
    summary = " ".join(rows.text(n) for n in select(row, selectors.summary, source)) \
        if selectors.summary else ""
    # a row with no page of its own is named by its title and the date it shows
    link = address or on_the_list(source.url, title, f"{published:%Y-%m-%d}" if published
                                  else "")
    item = build_item(source, title=title, link=link, base_url=page_url,
                      summary_html=summary, published=published or now, guid=None,
                      gazetteer=gazetteer, dated=published is not None)
    return item if item is not None else f"no item from {title!r}"


def _base(root: Any, page_url: str) -> str:
    """What relative links are read against: the page's <base href> when it sets one."""
    found = [h.strip() for h in root.xpath("//base/@href") if h.strip()]
    return urljoin(page_url, found[0]) if found else page_url


def _next_url(source: Source, selectors: HtmlSelectors, root: Any, text: str, page_url: str,
              page: int) -> str | None:
    if page >= selectors.max_pages:
        return None
    if selectors.next_page:
        found = select(root, selectors.next_page, source)
        href = found[0].get("href") if found else None
        return canonical_url(href, base=page_url) or None if href else None
    if selectors.page_url:
        # {page}: 2, 3, …; {index}: 1, 2, … (CMSs that call page 2 "index_1.html")
        return urljoin(source.url, selectors.page_url.format(page=page + 1, index=page))
    return script_pager_url(text, page_url)
