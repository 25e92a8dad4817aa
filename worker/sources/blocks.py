"""A page's main list beyond one run of siblings (pure), for `detect.py`.

Two shapes the run alone gets wrong:

- one list printed in blocks: 网易's rolling news is eight `div.cnt`, each a `ul` of five
  dated rows; the run of blocks wins, but the rows are the records;
- a box of links to other bodies (其他省本级交易平台, 友情链接): a run of undated links,
  each to a site or section front page of its own, looks like a list and is none.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urljoin, urlsplit

from worker.sources.rows import headline, links

Runs = Callable[[Any], Iterable[list[Any]]]
Steps = tuple[tuple[str, str], ...]  # (tag, first class) from a block down to its rows
_FRONT_PAGE = re.compile(r"^/?$|/(index|default|main)\.\w+$|/$")


def in_blocks(root: Any, selector: str, run: list[Any], runs: Runs, itself: bool = False
              ) -> tuple[str, list[Any]] | None:
    """When every record only wraps a run of rows of one shape, those rows and the
    selector naming them (checked), else None. A record with text of its own (a title
    above a list of its attachments) is no block. With `itself`, a record's own children
    may be the rows (a `ul` per block)."""
    inner = [_wrapped_run(record, runs, itself) for record in run]
    shapes = {found[0] for found in inner if found is not None}
    if any(found is None for found in inner) or len(shapes) != 1:
        return None
    rows = [row for found in inner if found is not None for row in found[1]]
    [steps] = shapes
    if selector.startswith("xpath:"):
        candidate = selector + "".join(f"/{tag}{_xpath_class(c)}" for tag, c in steps)
        found = root.xpath(candidate[len("xpath:"):])
    else:
        candidate = selector + "".join(f" > {tag}" + (f".{c}" if c else "") for tag, c in steps)
        found = _css(root, candidate)
    return (candidate, rows) if found == rows else None


def links_elsewhere(run: list[Any]) -> bool:
    """Whether (nearly) every record leads away: each to a site of its own, or to a
    site's or section's front page (…/, …/index.html), not to an article here."""
    addresses = []
    for record in run:
        link = headline(links(record))
        href = (link.get("href") or "") if link is not None else ""
        addresses.append(urlsplit(urljoin(record.base_url or "", href)) if href else None)
    own = urlsplit(run[0].base_url or "").netloc
    hosts = [a.netloc for a in addresses if a is not None and a.netloc and a.netloc != own]
    fronts = [a for a in addresses if a is not None and _FRONT_PAGE.search(a.path)]
    many = 0.8 * len(run)
    return (len(hosts) >= many and len(set(hosts)) >= many) or len(fronts) >= many


def _wrapped_run(record: Any, runs: Runs, itself: bool = False
                 ) -> tuple[Steps, list[Any]] | None:
    """The run of rows a record does nothing but wrap, and the steps down to them."""
    whole = _chars(record)
    for node in record.iter():
        if (node is record and not itself) or not isinstance(node.tag, str):
            continue
        for run in runs(node):
            if sum(_chars(r) for r in run) < 0.9 * whole:
                continue
            path = [] if node is record else \
                [*reversed([a for a in node.iterancestors() if _below(a, record)]), node]
            one_class = len({_first_class(r) for r in run}) == 1
            last = (run[0].tag, _first_class(run[0]) if one_class else "")
            return (*((n.tag, _first_class(n)) for n in path), last), run
    return None


def _chars(node: Any) -> int:
    """Characters of text, whitespace aside (indentation between rows is no text)."""
    return sum(len("".join(t.split())) for t in node.itertext())


def _below(node: Any, record: Any) -> bool:
    return node is not record and record in node.iterancestors()


def _first_class(node: Any) -> str:
    return "".join((node.get("class") or "").split()[:1])


def _xpath_class(name: str) -> str:
    return f"[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]" if name else ""


def _css(root: Any, css: str) -> list[Any]:
    try:
        return list(root.cssselect(css))
    except Exception:  # an odd class name cssselect cannot take
        return []
