"""CSS inlined into a template once, when it is loaded, instead of into every mail (pure).

Mail clients drop <style>, so every element carries its own style. Inlining each 50 KB
digest took as long as rendering it; the styles depend only on the template's elements,
so the template is inlined instead: its Jinja tags are swapped for placeholders the HTML
parser keeps in place (comments for statements, private-use characters for
expressions), the page is inlined and the tags put back. Markup made at render time by
the filters (<mark>, <span class="nw">) takes its style from `element_styles`, which
therefore honours only rules on the element and its classes, not on where it lands.
"""

from __future__ import annotations

import re

import css_inline

# Jinja's statements, comments and expressions (the default delimiters)
_JINJA = re.compile(r"\{%.*?%\}|\{#.*?#\}|\{\{.*?\}\}", re.S)
_OPEN, _CLOSE = "\ue000", "\ue001"  # private use: in no template, kept by the parser
_KEY = "\ue002"  # around each element's key in the probe of element_styles
_PLACEHOLDER = re.compile(f"<!--{_OPEN}(\\d+){_CLOSE}-->|{_OPEN}(\\d+){_CLOSE}")


class InliningError(ValueError):
    """The template cannot be inlined with its Jinja tags kept where they were."""


def preinline(source: str, inliner: css_inline.CSSInliner, name: str = "template") -> str:
    """The template with its <style> rules inlined into its elements and its Jinja tags
    back where they were, or InliningError."""
    tags: list[str] = []

    def hide(match: re.Match[str]) -> str:
        tags.append(match.group())
        marker = f"{_OPEN}{len(tags) - 1}{_CLOSE}"
        # a statement may sit between table rows, where the parser moves any text away
        return marker if _is_expression(match.group()) else f"<!--{marker}-->"

    hidden = _JINJA.sub(hide, source)
    inlined = inliner.inline(hidden)
    _check_no_body_in_loop(hidden, inlined, name)
    seen: list[int] = []

    def put_back(match: re.Match[str]) -> str:
        index = int(match.group(1) or match.group(2))
        as_written = (match.group(1) is None) == _is_expression(tags[index])
        in_attribute_name = inlined.startswith('=""', match.end())
        seen.append(index if as_written and not in_attribute_name else -1)
        return tags[index]

    restored = _PLACEHOLDER.sub(put_back, inlined)
    if seen != list(range(len(tags))) or _OPEN in restored or _CLOSE in restored:
        raise InliningError(f"{name}: inlining its CSS would move or break a Jinja tag; keep "
                            "tags in text, in attribute values or between elements (not in "
                            "<title>, nor in a tag's name or attribute names)")
    return restored


def _check_no_body_in_loop(hidden: str, inlined: str, name: str) -> None:
    """A table whose first row is in a loop gets its implied <tbody> inside the loop (one
    per row): ask for it to be written out."""
    for found in re.finditer(f"<!--{_OPEN}\\d+{_CLOSE}-->\\s*<tbody>", inlined):
        comment = found.group().split("-->")[0] + "-->"
        if not re.search(f"{re.escape(comment)}\\s*<tbody", hidden):
            raise InliningError(f"{name}: a table's first row is inside a Jinja block; write "
                                "its <tbody> out before the block")


def _is_expression(tag: str) -> bool:
    return tag.startswith("{{")


def element_styles(source: str, inliner: css_inline.CSSInliner,
                   elements: dict[str, str]) -> dict[str, str]:
    """The inline style the template's rules give each of `elements` (key → an opening
    tag such as '<span class="nw">'), as if it stood alone in the template's body."""
    head = source[:source.index("<body")] if "<body" in source else source
    probe = "".join(f"{tag}{_KEY}{key}{_KEY}</{_tag_name(tag)}>" for key, tag in elements.items())
    inlined = preinline(f"{head}<body>{probe}</body></html>", inliner)
    styles = {}
    for key in elements:
        found = re.search(f'style="([^"]*)"[^>]*>{_KEY}{re.escape(key)}{_KEY}', inlined)
        styles[key] = found.group(1) if found else ""
    return styles


def _tag_name(tag: str) -> str:
    return tag[1:].split(maxsplit=1)[0].rstrip(">")
