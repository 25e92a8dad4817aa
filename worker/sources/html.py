"""HTML list pages → the same Items as feeds, with per-source selectors (pure).

Selectors are CSS (lxml + cssselect); a selector starting with `xpath:` is XPath.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import lxml.html
from cssselect import SelectorError
from lxml import etree

from worker.dates import parse_date
from worker.districts import Gazetteer
from worker.errors import ParseError
from worker.models import HtmlSelectors, Item, Source
from worker.normalize import canonical_url, clean_text
from worker.selectors import XPATH_PREFIX
from worker.sources.common import build_item

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


@dataclass(frozen=True)
class ListPage:
    items: list[Item]
    next_url: str | None


def parse_list_page(source: Source, text: str, page_url: str, gazetteer: Gazetteer,
                    now: datetime, page: int = 1) -> ListPage:
    """The items of one list page and the URL of the next one (if any)."""
    selectors = _selectors(source)
    root = _document(source, text, page_url)
    items = []
    for container in select(root, selectors.item, source):
        item = _item(source, selectors, container, page_url, gazetteer, now)
        if item is not None:
            items.append(item)
    return ListPage(items, _next_url(source, selectors, root, page_url, page))


def detail_text(source: Source, text: str, page_url: str) -> str:
    """The body text of an item's own page (the `detail_body` selector), '' if absent."""
    selectors = _selectors(source)
    if not selectors.detail_body:
        return ""
    root = _document(source, text, page_url)
    return " ".join(_text(node) for node in select(root, selectors.detail_body, source))


def select(node: Any, selector: str, source: Source) -> list[Any]:
    """Elements matching a CSS or `xpath:` selector; ParseError naming the source if invalid."""
    try:
        if selector.startswith(XPATH_PREFIX):
            found = node.xpath(selector[len(XPATH_PREFIX):])
            return [f for f in found if isinstance(f, etree._Element)]
        return list(node.cssselect(selector))
    except (SelectorError, etree.XPathError) as e:
        raise ParseError(source.id, source.url, f"bad selector {selector!r}: {e}") from e


def _selectors(source: Source) -> HtmlSelectors:
    if source.html is None:
        raise ParseError(source.id, source.url, "an html source needs selectors (html: item: …)")
    return source.html


def _document(source: Source, text: str, page_url: str) -> Any:
    try:
        root = lxml.html.fromstring(_XML_DECLARATION.sub("", text) or "<html></html>",
                                    base_url=page_url)
    except (etree.ParserError, ValueError) as e:
        raise ParseError(source.id, page_url, f"not an HTML page: {e}") from e
    for junk in root.xpath("//script|//style|//noscript"):
        junk.drop_tree()
    return root


def _item(source: Source, selectors: HtmlSelectors, container: Any, page_url: str,
          gazetteer: Gazetteer, now: datetime) -> Item | None:
    links = select(container, selectors.link, source)
    titles = select(container, selectors.title, source)
    if not links or not titles:
        return None
    link = links[0].get(selectors.link_attr) or ""
    # Long titles are often cut in the list ("…"); the title attribute keeps them whole.
    title = titles[0].get("title") or _text(titles[0])
    date_text = " ".join(_text(n) for n in select(container, selectors.date, source)) \
        if selectors.date else ""
    summary = " ".join(_text(n) for n in select(container, selectors.summary, source)) \
        if selectors.summary else ""
    return build_item(
        source, title=title, link=link, base_url=page_url, summary_html=summary,
        published=parse_date(date_text, now) or now, guid=None, gazetteer=gazetteer,
    )


def _next_url(source: Source, selectors: HtmlSelectors, root: Any, page_url: str,
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
    return None


def _text(node: Any) -> str:
    return clean_text(node.text_content())
