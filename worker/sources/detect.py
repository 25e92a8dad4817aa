"""The main list of a page, found without selectors (pure).

A government list page is a block of sibling elements (`li`, `tr`, `div`, `dd` …) of the
same tag and class, each holding one link with a headline-long text and, usually, a date.
Navigation, footers, "相关链接" boxes and pagers are also runs of links, but short ones,
undated, or inside `nav` / `header` / `footer` / `*menu*` / `*link*` containers. Every run
of three or more such siblings is scored:

    score = records × (1 + 2 × dated share) × headline factor × (1 − penalty)

where the headline factor grows with the median link text up to 14 characters, and the
penalty comes from the container's names and from pager words (上一页, 尾页 …). The best run
becomes an item selector the user can pin in sources.yaml.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import lxml.html
from lxml import etree

from worker.dates import has_date
from worker.sources.blocks import in_blocks, links_elsewhere
from worker.sources.rows import PAGER, headline, links, title_of

MIN_RECORDS = 3
HEADLINE_CHARS = 14  # a typical 招商 / 政策 headline is longer; a menu entry much shorter
# td is a cell of a row, not a record: tables are read by their rows
# a table per record: some portals print each row on its own; a tbody per forum thread
_RECORD_TAGS = {"li", "tr", "div", "dd", "dt", "p", "article", "section", "span", "h3", "h4",
                "a", "table", "tbody", "ul", "dl"}  # a ul or dl per record: title, date
MIN_HEADLINE = 6  # a run of links this short (median) is a menu, not news
# at the start of a name or after a separator: "tab-hd", "topnav", "side_r", never the
# "tab" of "threadlisttableid" or the "side" of "inside"
_BOILERPLATE = re.compile(
    r"(?:^|[^a-z])(nav|menu|foot|header|top|crumb|bread|friend|link|share|copyright|banner|"
    r"tab|pager|page|side|right|left|hot|rank|recommend|related|login|search|weixin|"
    r"wechat|qr|dangqian|weizhi|position|location)",
    re.IGNORECASE)
_BOX_WORDS = ("相关链接", "友情链接", "热点", "推荐", "排行", "专题", "快速通道", "网站地图")


@dataclass(frozen=True)
class Detected:
    """The main list: where its records are, and how sure we are."""

    item_selector: str  # CSS, or `xpath:` when no CSS names the run alone
    records: int
    dated: float  # share of records with a date
    score: float


CONVINCING = 10.0  # a score under this (a few undated rows) is worth a second look
MIN_SCORE = 3.0  # three plain undated headlines; what its penalties leave under this is no list


def detect_list(root: Any) -> Detected | None:
    """The page's main list, or None when nothing looks like one. When the live page shows
    no convincing list, lists the server printed inside HTML comments are read too (some
    集约化 templates comment out their server-side list and draw it again by script)."""
    found = _best(root)
    if (found is None or found.score < CONVINCING) and _uncomment(root):
        found = _best(root)
    return found


def _best(root: Any) -> Detected | None:
    best: tuple[float, Any, list[Any]] | None = None
    for parent in root.iter():
        if not isinstance(parent.tag, str):
            continue
        for run in _runs(parent):
            score = _score(parent, run)
            if score > 0 and (best is None or score > best[0]):
                best = (score, parent, run)
    if best is None or best[0] < MIN_SCORE:
        return None
    score, parent, run = best
    selector = selector_for(root, parent, run)
    selector, run = in_blocks(root, selector, run, _runs) or _widened(root, parent) or \
        (selector, run)
    dated = sum(1 for r in run if has_date(_text(r))) / len(run)
    return Detected(selector, len(run), dated, score)


def _widened(root: Any, parent: Any) -> tuple[str, list[Any]] | None:
    """One list printed in several blocks of one kind side by side (four `ul` of five
    rows in one `div`): the rows of all of them, when each block only wraps its rows."""
    above = parent.getparent()
    if above is None:
        return None
    kind = (parent.tag, (parent.get("class") or "").split()[:1])
    blocks = [b for b in above if (b.tag, (b.get("class") or "").split()[:1]) == kind]
    if len(blocks) < 2 or any(_hidden(b) for b in blocks):  # hidden: tab panels
        return None
    found = in_blocks(root, selector_for(root, above, blocks), blocks, _runs, itself=True)
    # each block a list of headlines too, not a pager or a box of short links
    if found is None or not all(_score(b, [r for r in found[1] if b in r.iterancestors()])
                                for b in blocks):
        return None
    return found


def _hidden(node: Any) -> bool:
    style = (node.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or bool(_HIDDEN.search(node.get("class") or ""))


_HIDDEN = re.compile(r"(?:^|[\s_-])(hide|hidden)(?:$|[\s_-])", re.IGNORECASE)


def _runs(parent: Any) -> Iterable[list[Any]]:
    """Children of one tag and first class that each hold a link: candidate records (a
    record's further classes vary: "item is-news", "item hasImg is-news")."""
    groups: defaultdict[tuple[str, str], list[Any]] = defaultdict(list)
    for child in parent:
        if isinstance(child.tag, str) and child.tag in _RECORD_TAGS and links(child):
            first_class = (child.get("class") or "").split()[:1]
            groups[(child.tag, "".join(first_class))].append(child)
            groups[(child.tag, "*")].append(child)  # a list mixing two kinds of rows
    runs = [run for key, run in groups.items() if len(run) >= MIN_RECORDS]
    return [run for run in runs if not any(run != other and set(run) == set(other)
                                           for other in runs)] or runs


def _score(parent: Any, run: list[Any]) -> float:
    texts = [main_link_text(r) for r in run]
    if statistics.median(len(t) for t in texts) < MIN_HEADLINE:
        return 0.0
    pager = sum(1 for t in texts if PAGER.match(t)) / len(run)
    dated = sum(1 for r in run if has_date(_text(r))) / len(run)
    headline = min(1.0, statistics.median(len(t) for t in texts) / HEADLINE_CHARS)
    one_link = sum(1 for r in run if len(links(r)) <= 2) / len(run)
    elsewhere = 0.9 if not dated and links_elsewhere(run) else 0.0
    penalty = min(0.9, _container_penalty(parent) + pager + (1 - one_link) * 0.3 + elsewhere)
    return len(run) * (1 + 2 * dated) * headline * (1 - penalty)


def _container_penalty(parent: Any) -> float:
    """Navigation-looking containers up to four levels above, and boxes titled 相关链接."""
    penalty, node = 0.0, parent
    for depth in range(4):
        if node is None or not isinstance(node.tag, str):
            break
        if node.tag in ("nav", "header", "footer", "select"):
            return 0.9
        names = f"{node.get('id', '')} {node.get('class', '')}"
        if _BOILERPLATE.search(names):
            penalty += 0.35 / (depth + 1)
        heading = (node.text or "").strip()
        if any(word in heading for word in _BOX_WORDS):
            penalty += 0.5
        node = node.getparent()
    return penalty


def main_link_text(record: Any) -> str:
    link = headline(links(record))
    return "" if link is None else title_of(link)


def _text(node: Any) -> str:
    return " ".join(node.itertext()).strip()


def selector_for(root: Any, parent: Any, run: list[Any]) -> str:
    """A CSS selector naming exactly this run (checked), else a positional XPath."""
    first_class = (run[0].get("class") or "").split()[:1] if _one_class(run) else []
    child = run[0].tag + "".join(f".{c}" for c in first_class)
    for path in _css_paths(parent):
        css = f"{path} > {child}"
        try:
            if root.cssselect(css) == run:
                return css
        except Exception:  # an odd class name cssselect cannot take
            break
    tree = etree.ElementTree(root)
    condition = _xpath_class(run[0]) if _one_class(run) else ""
    return f"xpath:{tree.getpath(parent)}/{run[0].tag}{condition}"


def _one_class(run: list[Any]) -> bool:
    return len({tuple((r.get("class") or "").split()[:1]) for r in run}) == 1


def _css_paths(parent: Any) -> Iterable[str]:
    """From the most specific to longer paths: #id, tag.class, then with ancestors."""
    steps: list[str] = []
    node = parent
    for _ in range(4):
        if node is None or not isinstance(node.tag, str):
            return
        if node.get("id") and re.fullmatch(r"[A-Za-z][\w-]*", node.get("id")):
            yield " > ".join([f"#{node.get('id')}", *steps])
            return
        classes = "".join(f".{c}" for c in (node.get("class") or "").split()
                          if re.fullmatch(r"-?[A-Za-z_][\w-]*", c))
        steps.insert(0, f"{node.tag}{classes}")
        yield " > ".join(steps)
        node = node.getparent()


def _xpath_class(node: Any) -> str:
    first = (node.get("class") or "").split()[:1]
    return f"[contains(concat(' ', normalize-space(@class), ' '), ' {first[0]} ')]" \
        if first else ""


_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.DOTALL)


def unpack_datastores(root: Any) -> None:
    """Put the rows Hanweb (大汉) pages print in `<script type="text/xml"><datastore>…
    <record><![CDATA[<li>…</li>]]></record>` where the script was, as a div of rows: the
    server printed them, its jpage script draws them (in place, before scripts go)."""
    for script in root.xpath("//script[contains(., '<recordset')]"):
        rows: list[Any] = []
        for record in _RECORD.findall(script.text or ""):
            try:
                rows += [p for p in lxml.html.fragments_fromstring(record)
                         if isinstance(p, etree._Element)]
            except (etree.ParserError, ValueError):
                continue
        holder = lxml.html.Element("div", {"class": "datastore"})
        holder.extend(rows)
        holder.tail = script.tail
        script.getparent().replace(script, holder)


def _uncomment(root: Any) -> bool:
    """Put the markup of comments that hold a list of links into the tree, in place."""
    changed = False
    for comment in root.xpath("//comment()"):
        text = comment.text or ""
        if text.count("<a") < MIN_RECORDS or comment.getparent() is None:
            continue
        try:
            parts = lxml.html.fragments_fromstring(text)
        except (etree.ParserError, ValueError):
            continue
        parent, index = comment.getparent(), comment.getparent().index(comment)
        for offset, part in enumerate(p for p in parts if isinstance(p, etree._Element)):
            parent.insert(index + 1 + offset, part)
        changed = True
    return changed
