"""One row of an HTML list → its headline link, its title, its URL and its date (pure).

Government list rows often hold more than the headline: a category link ("[社会]") before
it, a date inside the link, the link in `onclick="jumpToDetail('./202607/t…html')"` with
`href="javascript:void(0)"`, the date in an attribute (`<input value="2025-07-25">`). The
headline link is the row's link with the longest title; its URL comes from `href`, else
from the first address its `onclick` names.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from worker.dates import find_date, parse_date, strip_dates
from worker.normalize import clean_text

# './a.html', '/x/y.shtml', 'https://…', 'art_1_2.html' quoted inside onclick / window.open
_QUOTED_ADDRESS = re.compile(
    r"""['"]((?:https?:)?//[^'"\s]+|\.{0,2}/[^'"\s]+|[\w\-./]+\.(?:s?html?|jsp|aspx?|php)"""
    r"""(?:\?[^'"\s]*)?)['"]""", re.IGNORECASE)
_NOT_AN_ADDRESS = ("javascript:", "#", "about:", "mailto:")
_DATE_ATTRIBUTES = ("value", "datetime", "data-date", "content", "title")


def links(row: Any) -> list[Any]:
    """The row's links, but the category labels before a headline ([社会], 【通知】)."""
    found = [row] if row.tag == "a" else list(row.iter("a"))
    return [a for a in found if not _CATEGORY.fullmatch(text(a))]


def headline(candidates: list[Any]) -> Any | None:
    """The headline among a row's links: the one with the longest title."""
    return max(candidates, key=lambda a: len(title_of(a)), default=None)


_CATEGORY = re.compile(r"[\[【(（［].{1,10}[\]】)）］]")


def title_of(link: Any) -> str:
    """The title attribute (lists cut long titles with …), else the text without a date
    printed in the link itself ("（2016）粤13民终2456号2016-07-28")."""
    return clean_text(link.get("title") or "") or strip_dates(text(link))


def address_of(link: Any, attribute: str = "href") -> str:
    """The link's address: the attribute asked for, and when that is a script or empty,
    the first address its onclick names (jumpToDetail('./…'), window.open('…'))."""
    value = (link.get(attribute) or "").strip()
    if attribute != "href" or not value or value.lower().startswith(_NOT_AN_ADDRESS):
        found = _QUOTED_ADDRESS.search(link.get("onclick") or value)
        if found:
            return found.group(1)
        if attribute != "href":
            return ""
    return "" if value.lower().startswith(_NOT_AN_ADDRESS) else value


def date_of(row: Any, headline_link: Any | None, now: datetime) -> datetime | None:
    """The date the row prints outside its headline, else in an attribute (an input's
    value), else in the headline itself; None when the row shows none."""
    outside = " ".join(t for t in _texts_outside(row, headline_link))
    for source in (outside, *_attribute_values(row)):
        found = find_date(source, now)
        if found is not None:
            return found
    return find_date(text(headline_link), now) if headline_link is not None else None


def date_in(nodes: list[Any], attribute: str | None, now: datetime) -> datetime | None:
    """The date in selected nodes: their text, or the attribute named by `date_attr`."""
    values = [n.get(attribute) or "" for n in nodes] if attribute else [text(n) for n in nodes]
    return parse_date(" ".join(values), now) or find_date(" ".join(values), now)


def _texts_outside(row: Any, skip: Any) -> list[str]:
    out: list[str] = []

    def walk(node: Any) -> None:
        if node is skip:
            if node.tail:
                out.append(node.tail)
            return
        if isinstance(node.tag, str) and node.text:
            out.append(node.text)
        for child in node:
            walk(child)
        if node is not row and node.tail:
            out.append(node.tail)

    walk(row)
    return out


def _attribute_values(row: Any) -> list[str]:
    return [node.get(name) for node in row.iter() if isinstance(node.tag, str)
            for name in _DATE_ATTRIBUTES if node.get(name) and node.tag != "a"]


def text(node: Any) -> str:
    return clean_text(" ".join(node.itertext())) if node is not None else ""
