"""CSS inlined into a template once, when it is loaded, instead of into every mail (pure).

Mail clients drop <style>, so every element carries its own style. Inlining each 50 KB
digest took as long as rendering it; the styles depend only on the template's elements,
so the template is inlined instead: its Jinja tags are swapped for placeholders the HTML
parser keeps in place (a comment where the tag stands between or inside elements, where
the parser would move text out of a table or a <head>; bare private-use characters inside
a tag, a comment or a <title>), the page is inlined and the tags put back, each checked to
be where and as it was.

What the template shows is one pass of each loop and every branch, so rules that depend
on siblings or position (`:nth-child`, `+`, `~`) would match differently from the mail,
and a class written by Jinja is unknown until render time: such templates are refused.
Markup made at render time by the filters (<mark>, <span class="nw">) takes its style from
`element_styles`, from rules on the element and its classes, not on where it lands.
"""

from __future__ import annotations

import re

import css_inline

# Jinja's statements, comments and expressions (the default delimiters)
_JINJA = re.compile(r"\{%.*?%\}|\{#.*?#\}|\{\{.*?\}\}", re.S)
_OPEN, _CLOSE = "\ue000", "\ue001"  # private use: in no template, kept by the parser
_KEY = "\ue002"  # around each element's key in the probe of element_styles
_PLACEHOLDER = re.compile(f"<!--{_OPEN}(\\d+){_CLOSE}-->|{_OPEN}(\\d+){_CLOSE}")
# Where a comment placeholder would be text or break what holds it
_AS_TEXT = re.compile(r"<!--.*?-->|<[A-Za-z][^>]*>|(?<=<title>).*?(?=</title>)", re.S | re.I)
_SPLIT = re.compile(r"\{%-?\s*(extends|include|import|from|macro|block|call)\b")
_CLASS_BY_JINJA = re.compile(r"""\bclass\s*=\s*(?:"[^"]*|'[^']*)(?:\{\{|\{%)""")
_BY_POSITION = re.compile(r":(?:nth-|first-|last-|only-)|[+~]")


class InliningError(ValueError):
    """The template cannot be inlined with its Jinja tags kept where they were."""


def preinline(source: str, inliner: css_inline.CSSInliner, name: str = "template") -> str:
    """The template with its <style> rules inlined into its elements and its Jinja tags
    back where they were, or InliningError."""
    _check_inlinable(source, name)
    bare = _bare_positions(source)
    tags: list[str] = []
    commented: list[bool] = []

    def hide(match: re.Match[str]) -> str:
        tags.append(match.group())
        commented.append(match.start() not in bare)
        marker = f"{_OPEN}{len(tags) - 1}{_CLOSE}"
        return f"<!--{marker}-->" if commented[-1] else marker

    hidden = _JINJA.sub(hide, source)
    inlined = inliner.inline(hidden)
    _check_no_body_in_loop(hidden, inlined, name)
    seen: list[int] = []

    def put_back(match: re.Match[str]) -> str:
        index = int(match.group(1) or match.group(2))
        as_hidden = (match.group(1) is not None) == commented[index]
        in_attribute_name = inlined.startswith('=""', match.end())
        seen.append(index if as_hidden and not in_attribute_name else -1)
        return tags[index]

    restored = _PLACEHOLDER.sub(put_back, inlined)
    if seen != list(range(len(tags))) or _OPEN in restored or _CLOSE in restored:
        raise InliningError(f"{name}: inlining its CSS would move or break a Jinja tag; keep "
                            "tags between elements, in text or in attribute values, not in "
                            "a tag's name or attribute names")
    return restored


def _check_inlinable(source: str, name: str) -> None:
    document = _JINJA.sub("", source).lstrip().lower()
    if not document.startswith(("<!doctype", "<html")) or _SPLIT.search(source):
        raise InliningError(f"{name}: a mail template is inlined as one whole document: no "
                            "extends, include, import, macro or block")
    if _CLASS_BY_JINJA.search(source):
        raise InliningError(f"{name}: a class written by Jinja is unknown when the CSS is "
                            "inlined; choose between whole class attributes instead")
    for css in re.findall(r"<style[^>]*>(.*?)</style>", _without_comments(source), re.S):
        for selector in re.findall(r"([^{}]*)\{", css):
            if not selector.strip().startswith("@") and _BY_POSITION.search(selector):
                raise InliningError(f"{name}: the rule {selector.strip()!r} depends on "
                                    "siblings or position, which the template does not show")


def _bare_positions(source: str) -> set[int]:
    """Where a Jinja tag stands inside a tag, a comment or a <title>: found on the source
    with each Jinja tag blanked out, as those may hold '<' and '>'."""
    blanked = _JINJA.sub(lambda m: " " * len(m.group()), source)
    spans = [m.span() for m in _AS_TEXT.finditer(blanked)]
    return {m.start() for m in _JINJA.finditer(source)
            if any(start <= m.start() < end for start, end in spans)}


def _check_no_body_in_loop(hidden: str, inlined: str, name: str) -> None:
    """A table whose first row is in a loop gets its implied <tbody> inside the loop (one
    per row): ask for it to be written out."""
    for found in re.finditer(f"<!--{_OPEN}\\d+{_CLOSE}-->\\s*<tbody>", inlined):
        comment = found.group().split("-->")[0] + "-->"
        if not re.search(f"{re.escape(comment)}\\s*<tbody", hidden):
            raise InliningError(f"{name}: a table's first row is inside a Jinja block; write "
                                "its <tbody> out before the block")


def element_styles(source: str, inliner: css_inline.CSSInliner,
                   elements: dict[str, str]) -> dict[str, str]:
    """The inline style the template's rules give each of `elements` (key → an opening
    tag such as '<span class="nw">'), as if it stood alone in the template's body."""
    body = re.search(r"<body\b", _without_comments(source))
    if body is None:
        raise InliningError("the mail template has no <body>")
    head = _without_comments(source)[:body.start()]
    probe = "".join(f"{tag}{_KEY}{key}{_KEY}</{_tag_name(tag)}>" for key, tag in elements.items())
    inlined = preinline(f"{head}<body>{probe}</body></html>", inliner)
    styles = {}
    for key in elements:
        found = re.search(f"<\\w+([^>]*)>{_KEY}{re.escape(key)}{_KEY}", inlined)
        if found is None:
            raise InliningError(f"the filters' {elements[key]} did not survive inlining")
        style = re.search(r'\bstyle="([^"]*)"', found.group(1))
        styles[key] = style.group(1) if style else ""
    return styles


def _without_comments(source: str) -> str:
    return re.sub(r"<!--.*?-->", "", source, flags=re.S)


def _tag_name(tag: str) -> str:
    return tag[1:].split(maxsplit=1)[0].rstrip(">")
