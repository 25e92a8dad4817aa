"""Pagers written by JavaScript, as TRS and the 集约化 templates print them (pure).

    createPageHTML(6, 0, "index", "html")                   TRS: 6 pages, this is the first
    createPageHTML('page_div', 10, 1, 'zwgklist', 'shtml', 200)   集约化: a div id first

Page n + 1 of such a list is PREFIX_n.EXT next to the first (index.html, index_1.html, …),
whether the current page is counted from 0 or from 1.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

_CALL = re.compile(r"createPageHTML\s*\(([^)]*)\)")
_ARGUMENT = re.compile(r"""\s*(?:(\d+)|['"]([^'"]*)['"])\s*""")


def script_pager_url(html: str, page_url: str) -> str | None:
    """The next page named by a createPageHTML(…) call in the page, if any."""
    found = _CALL.search(html)
    if found is None:
        return None
    numbers = [int(n) for n, _ in _ARGUMENT.findall(found.group(1)) if n]
    words = [w for n, w in _ARGUMENT.findall(found.group(1)) if not n]
    if len(numbers) < 2 or len(words) < 2:
        return None
    total, current = numbers[0], numbers[1]
    prefix, extension = words[-2], words[-1]
    if current + 1 >= total or not re.fullmatch(r"[\w-]+", prefix + extension):
        return None
    return urljoin(page_url, f"{prefix}_{current + 1}.{extension}")
