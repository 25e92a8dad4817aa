"""One row of an HTML list → its headline link, its title, its URL and its date (pure).

Government list rows often hold more than the headline: a category link ("[社会]") before
it, a date inside the link, the link in `onclick="jumpToDetail('./202607/t…html')"` with
`href="javascript:void(0)"`, the date in an attribute (`<input value="2025-07-25">`). The
headline link is the row's link with the longest title, unless most rows of the list
have it in one place (`headlines`): then that place decides, so a short title ("龙吟大砍？")
still beats the author or icon link beside it. Its URL comes from `href`, else from the
first address its `onclick` names.
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
# A link that moves through the list, not to an item (the last row of many table lists)
PAGER = re.compile(r"^(首页|第一页|最前页|上一?页|下一?页|尾页|末页|最后一?页|前页|后页|"
                   r"\d{1,3}|…|更多|more|next|prev)$", re.IGNORECASE)
_MARKUP = re.compile(r"</?[a-zA-Z][^<>]*>")
_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2060\ufeff]")


def advert(row: Any) -> bool:
    """Whether the row is marked 广告: China's advertising law (Art. 14) has internet ads
    say so, and list pages mix them into their rows (4 of 53 on a tieba thread list)."""
    return any(isinstance(node.tag, str) and text(node) == "广告" for node in row.iter())


def headlines(rows: list[Any]) -> list[Any | None]:
    """Each row's headline link. In a table whose header names a title column (标题,
    题目 …), that column's link. Else the longest-titled link wins unless at least half of
    the rows put their headline at one place (same tags and classes from the row down):
    then a row's link at that place wins (measured: 2 of 48 tieba threads and 17 of 42
    forum threads have a longer author or icon link than their own short title)."""
    column = _title_column(rows)
    picked = [headline(_cell_links(row, column) or links(row)) for row in rows]
    if column is not None:
        return picked
    places = [_place(row, link) for row, link in zip(rows, picked, strict=True)
              if link is not None]
    if len(rows) < 3 or not places:
        return picked
    place, count = max(((p, places.count(p)) for p in set(places)), key=lambda pc: pc[1])
    if count * 2 < len(rows):
        return picked
    at_place = [headline([a for a in links(row) if _place(row, a) == place]) for row in rows]
    return [mine if mine is not None else link
            for mine, link in zip(at_place, picked, strict=True)]


_TITLE_WORDS = ("标题", "题目", "主题", "名称")  # in this order: 试验通俗题目 before 药物名称


def _title_column(rows: list[Any]) -> int | None:
    """The column a table's header row names as the title, if the rows are table rows."""
    table = next((a for a in rows[0].iterancestors("table")), None) if rows else None
    if table is None or rows[0].tag != "tr":
        return None
    header = next((tr for tr in table.iter("tr") if tr.find("th") is not None
                   or not tr.xpath(".//a")), None)
    cells = [text(c) for c in header if c.tag in ("td", "th")] if header is not None else []
    return next((i for word in _TITLE_WORDS for i, cell in enumerate(cells) if word in cell),
                None)


def _cell_links(row: Any, column: int | None) -> list[Any]:
    cells = [c for c in row if c.tag in ("td", "th")]
    return links(cells[column]) if column is not None and column < len(cells) else []


def _place(row: Any, link: Any) -> str:
    """Where a link sits in its row: the tags down to it and its own first class (the
    classes above vary from row to row: th.new, th.common)."""
    steps = ["a" + "".join(f".{c}" for c in (link.get("class") or "").split()[:1])]
    node = link.getparent()
    while node is not None and node is not row:
        steps.append(node.tag)
        node = node.getparent()
    return "/".join(reversed(steps))


def title_of(link: Any) -> str:
    """The title attribute (lists cut long titles with …), else the text without a date
    printed in the link itself ("（2016）粤13民终2456号2016-07-28"); for a link wrapping a
    card, the card's heading. Without the bullet some lists print before each title."""
    # title= sometimes carries the search highlight as escaped markup (&lt;em&gt;种&lt;/em&gt;)
    title = clean_text(_MARKUP.sub("", link.get("title") or "")) or \
        _without_dates(text(_heading(link)))
    return _ZERO_WIDTH.sub("", title).strip().lstrip(_BULLETS).strip()


_BULLETS = "·•●○◆◇■□▪▫▸►▶・"
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_BLOCKS = ("div", "p", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6")


def _heading(link: Any) -> Any:
    """What titles a link: a heading inside it, else the first of its blocks when it wraps
    several (<a><div>问题</div><div>[提交时间：…] 回复人：…</div></a>), else the link."""
    heading = next((h for h in link.iter(*_HEADINGS) if text(h)), None)
    if heading is not None:
        return heading
    blocks = [child for child in link if child.tag in _BLOCKS and text(child)]
    if len(blocks) < 2:
        return link
    # not a date box before the title (<div class="time"><b>15</b>2024-05</div>)
    worded = [b for b in blocks if _WORDS.search(_without_dates(text(b)))]
    return worded[0] if worded else link


_WORDS = re.compile(r"[^\d\W]{2}")  # two letters or characters in a row, not digits


def _without_dates(headline: str) -> str:
    """The link text without a date printed before or after the headline; a date the
    headline starts with is kept ("2020年7月30日游戏服务器维护内容", "2024年1-6月…")
    unless a space or a bracket sets it apart ("[07-25] …", "2025-07-25 …")."""
    kept = strip_dates(headline)
    before = headline[:headline.find(kept)] if kept else ""
    if before and not (before[-1].isspace() or before[-1] in "]】)）"):
        return before + kept
    return kept


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
