"""The main text of an item's own page (pure): what a reader of the article reads, without
the site's navigation, footer, share buttons and related-links boxes.

An article-extraction library does this for any site (trafilatura: maintained, used on news
and government pages, no selectors); a source's `detail_body` selector replaces it where a
site needs one. Weighed: readability-lxml (no tables, whose cells hold many policy facts),
GNE (unmaintained since 2021), hand-written density rules (what trafilatura already is).
"""

from __future__ import annotations

import re

from worker.normalize import clean_text

_EARLY_END = re.compile(r"</(?:html|body)\s*>", re.IGNORECASE)
MIN_CHARS = 20  # shorter is a caption or a stub, not the article


def article_text(html: str, url: str) -> str:
    """The article's text, paragraphs joined by spaces; '' when none is found."""
    import trafilatura  # loaded by the processes that read detail pages only

    # Some CMS templates close </html> before the article: browsers read on, lxml stops.
    html = _EARLY_END.sub("", html)
    # no `deduplicate`: it remembers documents across calls, dropping a page read twice
    text = trafilatura.extract(html, url=url, include_comments=False, include_tables=True,
                               include_images=False, include_links=False,
                               with_metadata=False)
    if not text:
        return ""
    joined = clean_text(" ".join(line.strip() for line in text.splitlines() if line.strip()))
    return joined if len(joined) >= MIN_CHARS else ""
