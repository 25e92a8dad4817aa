"""One Item from the parts any parser finds (pure): cleaned, tagged, fingerprinted."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime
from urllib.parse import urldefrag, urlsplit

from worker.districts import Gazetteer
from worker.facts import USD_RATE, read_facts
from worker.models import Item, Source
from worker.normalize import canonical_url, content_fingerprint, html_to_text
from worker.policy import policy_meta


def build_item(
    source: Source, *, title: str, link: str, base_url: str, summary_html: str,
    published: datetime, guid: str | None, gazetteer: Gazetteer, dated: bool = True,
) -> Item | None:
    """None when there is nothing to show or nothing to link to."""
    title = html_to_text(title)
    url = canonical_url(link, base=base_url)
    if not title or not url:
        return None
    summary = html_to_text(summary_html)[:5000]
    meta = policy_meta(title, summary) if source.category == "policy" else None
    return Item(
        source_id=source.id,
        guid=(guid or url)[:500],
        url=url,
        title=title[:500],
        summary=summary,
        published=published,
        category=source.category,
        districts=gazetteer.tag(title, summary, source.district, source.scope == "tianjin"),
        fingerprint=content_fingerprint(title, url),
        issuer=meta.issuer if meta else "",
        doc_number=meta.doc_number if meta else "",
        doc_types=meta.doc_types if meta else (),
        dated=dated,
        facts=read_facts(title, summary, source.category, published.date(),
                         source.usd_rate or USD_RATE),
    )


def with_body(item: Item, source: Source, body: str, gazetteer: Gazetteer) -> Item:
    """The item with its detail page's text as summary, tags and metadata redone."""
    summary = body[:5000]
    meta = policy_meta(item.title, summary) if source.category == "policy" else None
    return replace(
        item,
        summary=summary,
        districts=gazetteer.tag(item.title, summary, source.district,
                                source.scope == "tianjin"),
        issuer=meta.issuer if meta else item.issuer,
        doc_number=meta.doc_number if meta else item.doc_number,
        doc_types=meta.doc_types if meta else item.doc_types,
        facts=read_facts(item.title, summary, source.category, item.published.date(),
                         source.usd_rate or USD_RATE),
    )


_NO_PAGE = "item-"  # the fragment an item with no page of its own is named by


def on_the_list(list_url: str, *naming: str) -> str:
    """The address of an item with no page of its own (a list row whose link is
    `javascript:;`, a feed entry without a link): the source's address with a fragment
    named by what tells the item apart (its title and date, its guid), so such items stay
    distinct; the bare address for all of them would store one and drop the rest."""
    key = hashlib.sha256("\x1f".join(naming).encode()).hexdigest()[:12]
    return f"{urldefrag(list_url).url}#{_NO_PAGE}{key}"


def has_own_page(url: str) -> bool:
    """False for an address made by `on_the_list`: there is no detail page to read."""
    return not urlsplit(url).fragment.startswith(_NO_PAGE)
