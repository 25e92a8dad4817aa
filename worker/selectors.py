"""Selectors of HTML list pages as users write them: CSS, or XPath after `xpath:` (pure).

Checked here when the settings are read (config), applied by `sources/html.py`. A CSS
selector is checked with cssselect alone; lxml is loaded only to check an `xpath:` one,
so reading the settings does not load the HTML parser.
"""

from __future__ import annotations

from cssselect import HTMLTranslator, SelectorError

from worker.models import HtmlSelectors

XPATH_PREFIX = "xpath:"


def problem(selector: str) -> str | None:
    """Why a selector cannot be compiled, or None."""
    try:
        if selector.startswith(XPATH_PREFIX):
            from lxml import etree  # only XPath needs the parser's compiler

            try:
                etree.XPath(selector[len(XPATH_PREFIX):])
            except etree.XPathError as e:
                return f"bad selector {selector!r}: {e}"
        else:
            HTMLTranslator().css_to_xpath(selector)
    except SelectorError as e:
        return f"bad selector {selector!r}: {e}"
    return None


def check_selectors(selectors: HtmlSelectors) -> str | None:
    """Why one of the selectors cannot work (for config validation), or None."""
    fields = [selectors.item, selectors.title, selectors.link, selectors.date,
              selectors.summary, selectors.detail_body, selectors.next_page]
    return next(filter(None, map(problem, filter(None, fields))), None)
